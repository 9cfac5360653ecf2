"""Run a scenario: trajectories, sensor registrations, time-ordered detections, truth.

Deterministic for a given scenario (its ``seed``): no wall clock, and each
(sensor, target) pair draws from its own random stream.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from dronewall.model import Detection, Sensor, TruthState, Zone
from dronewall.sim.kinematics import Trajectory, build_trajectory, parse_time
from dronewall.sim.scenario import Scenario, ZoneSpec
from dronewall.sim.sensors import sensor_message, simulate_sensor


class TargetInfo(NamedTuple):
    """What eval and reports may know about a target (never the tracker)."""

    type: str
    cooperative: bool
    fate: str
    label: str


@dataclass
class SimulationResult:
    """Everything a simulated run feeds the pipeline, plus the truth for eval."""

    scenario: Scenario
    start: float  # POSIX s
    end: float
    sensors: list[Sensor]
    zones: list[Zone]  # the scenario's own zones (national airspace is added elsewhere)
    detections: list[Detection]  # time-ordered, all sensors
    trajectories: dict[str, Trajectory]
    target_info: dict[str, TargetInfo]

    def truth_states(self, step_s: float | None = None) -> list[TruthState]:
        """Ground truth of all targets, time-ordered: every ``step_s`` (default: the
        scenario's ``truth_sample_s``) on a grid aligned to the start, within each
        target's [t0, t1] cut to [start, end], plus its first and final states. The final
        state carries the fate (downed, crashed, landed, left) if the flight ends within
        the scenario, else ``flying``."""
        step = float(step_s if step_s is not None else self.scenario.truth_sample_s)
        if not step > 0:
            raise ValueError("step_s must be positive")
        ids = list(self.trajectories)
        parts: list[tuple[np.ndarray, ...]] = []
        for idx, tid in enumerate(ids):
            tr = self.trajectories[tid]
            lo, hi = max(tr.t0, self.start), min(tr.t1, self.end)
            if hi < lo:
                continue
            k0, k1 = np.ceil((lo - self.start) / step), np.floor((hi - self.start) / step)
            grid = self.start + np.arange(k0, k1 + 1) * step
            t = np.unique(np.concatenate([[lo], grid[(grid > lo) & (grid < hi)], [hi]]))
            s = tr.sample(t, clip=True)
            final = np.zeros(len(t), dtype=bool)
            final[-1] = tr.t1 <= self.end
            parts.append((t, np.full(len(t), idx), final, *s))
        if not parts:
            return []
        cat = [np.concatenate(x) for x in zip(*parts, strict=True)]
        t, who, final, lat, lon, alt, ve, vn, vu = cat
        order = np.lexsort((who, t))
        trs = [self.trajectories[i] for i in ids]
        cols = [x[order].tolist() for x in (t, lat, lon, alt, ve, vn, vu)]
        out: list[TruthState] = []
        with _bulk_allocation():
            for w, fin, ti, la, lo_, al, e, n, u in zip(
                who[order].tolist(), final[order].tolist(), *cols, strict=True
            ):
                tr = trs[w]
                out.append(TruthState(
                    target_id=tr.target_id, time=ti, lat=la, lon=lo_, alt=al, ve=e, vn=n,
                    vu=u, target_type=tr.target_type, cooperative=tr.cooperative,
                    status=tr.fate if fin else "flying",
                ))
        return out


def scenario_window(scenario: Scenario) -> tuple[float, float]:
    """Start and end of a scenario, POSIX seconds."""
    start = parse_time(scenario.start)
    return start, parse_time(scenario.end, start)


def _zone(z: ZoneSpec) -> Zone:
    if z.geometry is None:
        raise ValueError(
            f"zone {z.id!r} has no geometry: load the scenario with load_scenario(), "
            "which reads zone files"
        )
    return Zone(id=z.id, name=z.name, kind=z.kind, geometry=dict(z.geometry), country=z.country)


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of messages are
    built (none of them forms a cycle); collections triggered by the allocation count
    alone cost a third of the run time otherwise."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def simulate(
    scenario: Scenario, *, progress: Callable[[float], None] | None = None
) -> SimulationResult:
    """Simulate a (loaded, checked) scenario. ``progress(fraction)`` is called after each
    sensor. Same scenario and seed -> identical result."""
    start, end = scenario_window(scenario)
    trajectories = {t.id: build_trajectory(t, start) for t in scenario.targets}
    trs = list(trajectories.values())
    detections: list[Detection] = []
    n = len(scenario.sensors)
    with _bulk_allocation():
        for i, spec in enumerate(scenario.sensors):
            detections.extend(simulate_sensor(spec, trs, start, end, scenario.seed))
            if progress is not None:
                progress((i + 1) / n)
    detections.sort(key=attrgetter("time"))  # stable: ties keep sensor order
    return SimulationResult(
        scenario=scenario,
        start=start,
        end=end,
        sensors=[sensor_message(s, start) for s in scenario.sensors],
        zones=[_zone(z) for z in scenario.zones],
        detections=detections,
        trajectories=trajectories,
        target_info={
            tid: TargetInfo(tr.target_type, tr.cooperative, tr.fate, tr.label)
            for tid, tr in trajectories.items()
        },
    )
