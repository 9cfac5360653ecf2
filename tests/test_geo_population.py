"""The population-density grid from the shipped places and urban areas."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.geo.population import RURAL_FLOOR, PopulationGrid


@pytest.fixture(scope="module")
def lublin() -> PopulationGrid:
    return PopulationGrid.build(50.9, 51.6, 22.2, 23.0, cell_km=1.0)


def test_city_town_and_countryside(lublin):
    d = lublin.density_at([51.2465, 51.45], [22.5684, 22.3])
    assert d[0] > 1000  # Lublin
    assert d[1] == RURAL_FLOOR["POL"]


def test_sea_is_empty_and_outside_the_box_falls_back_to_the_floor(lublin):
    assert float(lublin.density_at(55.6, 18.0)) == 0.0  # Baltic, beyond the territorial sea
    assert float(lublin.density_at(50.0, 20.0)) == RURAL_FLOOR["POL"]
    assert float(lublin.density_at(46.0, 25.0)) == RURAL_FLOOR["ROU"]


def test_population_roughly_conserved(lublin):
    # the grid's total people in the box is of the order of the places + rural floor
    cell_area = (lublin.dlat * 111.2) * (lublin.dlon * 111.32 * np.cos(np.radians(51.25)))
    total = float(lublin.density.sum() * cell_area)
    assert 5e5 < total < 5e6


def test_around_picks_a_coarser_cell_for_big_areas():
    g = PopulationGrid.around([60.0, 66.0], [-170.0, -145.0], margin_deg=0.0, max_cells=2e5)
    assert g.density.size <= 2.5e5
    assert float(g.density_at(61.2181, -149.9003)) > 100  # Anchorage
