"""The simulator: scenario files, target kinematics, sensor models and ground truth.

Only ``sim`` knows the truth; only ``eval`` compares with it.
"""

from dronewall.sim.catalog import CATALOG, TargetType, UnknownTargetType, target_type
from dronewall.sim.kinematics import Trajectory, TrajectorySample, build_trajectory, parse_time
from dronewall.sim.loader import (
    ScenarioError,
    find_scenario,
    list_scenarios,
    load_scenario,
    parse_scenario,
)
from dronewall.sim.scenario import Scenario
from dronewall.sim.simulator import SimulationResult, TargetInfo, simulate

__all__ = [
    "CATALOG",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "TargetInfo",
    "TargetType",
    "Trajectory",
    "TrajectorySample",
    "UnknownTargetType",
    "build_trajectory",
    "find_scenario",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "parse_time",
    "simulate",
    "target_type",
]
