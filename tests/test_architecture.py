"""The architecture's core rules, checked on the source (ARCHITECTURE.md, "core rules").

- No peeking at the truth: fusion/, airspace/, engage/ and acoustic/ never import sim/ or
  eval/ (acoustic/ is the node's software: it sees audio, nothing of the picture), and no
  algorithm imports what wraps it (cli, pipeline, report, store, bus, api).
- The vocabulary (model/) depends on nothing else of dronewall.
- Time is injected: no algorithm reads the wall clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dronewall

ROOT = Path(dronewall.__file__).parent
WRAPPERS = ("dronewall.cli", "dronewall.pipeline", "dronewall.report", "dronewall.store",
            "dronewall.bus", "dronewall.api", "dronewall.replay")
FORBIDDEN = {
    "fusion": ("dronewall.sim", "dronewall.eval", *WRAPPERS),
    "airspace": ("dronewall.sim", "dronewall.eval", *WRAPPERS),
    "geo": ("dronewall.sim", "dronewall.eval", "dronewall.fusion", "dronewall.airspace",
            *WRAPPERS),
    "sim": ("dronewall.eval", "dronewall.fusion", "dronewall.airspace", *WRAPPERS),
    "eval": WRAPPERS,
    "interop": ("dronewall.sim", "dronewall.eval", *WRAPPERS),
    "engage": ("dronewall.sim", "dronewall.eval", *WRAPPERS),
    "acoustic": ("dronewall.sim", "dronewall.eval", "dronewall.fusion", "dronewall.airspace",
                 "dronewall.engage", *WRAPPERS),
}
ALGORITHMS = ("model", "geo", "sim", "fusion", "airspace", "eval", "engage", "acoustic")
# Harnesses that time the algorithms (compute benchmarks) may read a clock; nothing else.
CLOCK_ALLOWED = {"acoustic/evaluate.py"}
CLOCK_CALLS = {("time", "time"), ("time", "monotonic"), ("time", "perf_counter"),
               ("time", "time_ns"), ("datetime", "now"), ("datetime", "utcnow"),
               ("date", "today")}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    found = sorted((ROOT / package).rglob("*.py"))
    assert found, f"no modules in {package}"
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_boundaries(package):
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(package)
        for name in imports(path)
        if name.startswith(FORBIDDEN[package])
    ]
    assert not bad, bad


def test_model_stands_alone():
    for path in modules("model"):
        others = {n for n in imports(path) if n.startswith("dronewall.")}
        assert all(n.startswith("dronewall.model") for n in others), (path, others)


@pytest.mark.parametrize("package", ALGORITHMS)
def test_no_wall_clock_in_algorithms(package):
    bad = []
    for path in modules(package):
        if str(path.relative_to(ROOT)) in CLOCK_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in CLOCK_CALLS):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad


def test_the_rule_check_would_catch_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from dronewall.sim.simulator import simulate\nimport dronewall.eval\n")
    assert {"dronewall.sim.simulator", "dronewall.eval"} <= imports(sample)
