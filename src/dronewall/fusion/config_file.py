"""Tracker parameters from a YAML file: any field of :class:`TrackerConfig`, the rest
keeps its default. For example::

    # tracker.yaml: an IMM for manoeuvring aircraft, JPDA where targets are dense
    motion: imm
    imm_turn_rate_deg_s: 3.0
    association: jpda
    sensor_latency_s: {radar-rzeszow: 0.4}

Errors name the file, the line and the field (unknown names, wrong types, values the
tracker refuses)."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import yaml

from dronewall.fusion.config import TrackerConfig
from dronewall.yamlpath import node_line


class TrackerConfigError(ValueError):
    """A tracker configuration file that cannot be used; the message says where."""


def _fields() -> dict[str, Any]:
    hints = typing.get_type_hints(TrackerConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(TrackerConfig) if f.init}


def _coerce(value: Any, hint: Any) -> Any:
    """``value`` as the field's type, or raise TypeError naming what was expected."""
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise TypeError("expected true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError("expected an integer")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise TypeError("expected a number")
    if hint is str:
        if isinstance(value, str):
            return value
        raise TypeError("expected a string")
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list) or len(value) != len(args):
            raise TypeError(f"expected a list of {len(args)} numbers")
        return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict:
        _, vt = typing.get_args(hint)
        if not isinstance(value, dict):
            raise TypeError("expected a mapping of sensor id to value")
        return {str(k): _coerce(v, vt) for k, v in value.items()}
    raise TypeError(f"cannot read a {hint}")  # a new field type: extend this reader


def load_tracker_config(path: str | Path) -> TrackerConfig:
    """Read a tracker configuration file (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrackerConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TrackerConfigError(f"{path}{line}: not valid YAML: {exc}") from exc
    if data is None:
        return TrackerConfig()
    if not isinstance(data, dict):
        raise TrackerConfigError(f"{path}:1: expected a mapping of tracker parameters")
    fields = _fields()
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}:{node_line(root, [str(key)])}: {key}"
        if key not in fields:
            close = [f for f in fields if f.split("_")[0] == str(key).split("_")[0]]
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
            raise TrackerConfigError(f"{where}: not a tracker parameter{hint}")
        try:
            values[key] = _coerce(value, fields[key])
        except TypeError as exc:
            raise TrackerConfigError(f"{where}: {exc}, got {value!r}") from exc
    try:
        return TrackerConfig(**values)
    except ValueError as exc:
        name = next((k for k in values if k in str(exc)), None)
        at = node_line(root, [name]) if name else 1
        raise TrackerConfigError(f"{path}:{at}: {exc}") from exc
