"""The params loader every pipeline shares: frozen, typed dataclasses read from YAML and validated.

A block is a frozen dataclass whose fields are made with :func:`field`: a one-line ``doc`` and, where it
matters, an allowed ``range`` (inclusive) or set of ``choices``. :func:`load` rejects unknown keys, missing
keys, wrong types and out-of-range values before any computation, with a message that names the file and
the dotted key and says what is allowed. The blocks live with what reads them: a body's with the body
(``walker/passive/config.py``, ``walker/humanoid/config.py``), those every body's pipeline shares in
:mod:`walker.blocks`, a study's with the study (``walker/capacity.py``, ``walker/peer.py``,
``walker/backend_table.py``, ``walker/gradients.py``, ``walker/apg.py``), so that editing one reruns only
the stages that read it.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from pathlib import Path
from typing import Any, Mapping, TypeVar

import yaml

Block = TypeVar("Block")


class ConfigError(ValueError):
    """A params file or value that cannot be used; the message names the key or file."""


def field(doc: str, *, range: tuple[float, float] | None = None, choices: tuple[str, ...] | None = None, default: Any = dataclasses.MISSING) -> Any:
    """A block's field with its one-line ``doc`` and, optionally, an inclusive ``range`` or allowed ``choices``."""
    metadata = {"doc": doc, "range": range, "choices": choices}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Interval:
    """A closed interval [low, high] from which a quantity is drawn uniformly."""

    low: float = field("lower bound")
    high: float = field("upper bound")

    @property
    def width(self) -> float:
        return self.high - self.low




INTERVAL_LIMITS: dict[str, tuple[float, float]] = {
    "slope_deg": (0.0, 30.0),
    "friction_scale": (0.05, 5.0),
    "torso_mass_scale": (0.1, 10.0),
    "push_impulse_ns": (-100.0, 100.0),
    "push_time_s": (0.0, 120.0),
}


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def convert(value: Any, tp: Any, key: str, meta: Mapping[str, Any]) -> Any:
    """``value`` read from YAML as type ``tp`` at dotted ``key``, checked against the field metadata ``meta`` (range, choices)."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if tp is Interval:
            return _interval(value, key)
        return build(tp, value, key)
    if origin is dict:
        _, value_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {str(k): convert(v, value_tp, f"{key}.{k}", {}) for k, v in value.items()}
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__} {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            if not value:
                raise ConfigError(f"{key}: expected a non-empty list")
            return tuple(convert(v, args[0], f"{key}[{i}]", meta) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{key}: expected a list of {len(args)} values, got {len(value)}")
        return tuple(convert(v, a, f"{key}[{i}]", meta) for i, (v, a) in enumerate(zip(value, args)))
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {type(value).__name__} {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {type(value).__name__} {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: must be finite, got {value}")
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {type(value).__name__} {value!r}")
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {type(value).__name__} {value!r}")
    else:  # pragma: no cover - a programming error in this module
        raise TypeError(f"unsupported config type {tp} for {key}")
    lo_hi = meta.get("range")
    if lo_hi is not None and not (lo_hi[0] <= value <= lo_hi[1]):
        raise ConfigError(f"{key}: {value} is out of range; allowed [{lo_hi[0]}, {lo_hi[1]}]")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{key}: '{value}' is not allowed; choose one of {list(choices)}")
    return value


def _interval(value: Any, key: str) -> Interval:
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ConfigError(f"{key}: expected a range [low, high], got {value!r}")
    low, high = (convert(v, float, f"{key}[{i}]", {}) for i, v in enumerate(value))
    if low > high:
        raise ConfigError(f"{key}: low {low} exceeds high {high}")
    limits = INTERVAL_LIMITS.get(key.rsplit(".", 1)[-1])
    if limits is not None and (low < limits[0] or high > limits[1]):
        raise ConfigError(f"{key}: [{low}, {high}] is out of range; allowed within [{limits[0]}, {limits[1]}]")
    return Interval(low, high)


def build(cls: type, data: Any, prefix: str) -> Any:
    where = prefix or "params"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__} {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(f"{prefix + '.' if prefix else ''}{k}" for k in unknown)
        raise ConfigError(f"unknown key {names}; allowed keys: {sorted(fields)}")
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name not in data:
            if f.default is not dataclasses.MISSING:
                continue
            raise ConfigError(f"missing key {key} ({f.metadata.get('doc', '')})")
        kwargs[name] = convert(data[name], hints[name], key, f.metadata)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:  # pragma: no cover
        raise ConfigError(f"{where}: {err}") from err


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML params file; a missing file or bad YAML raises :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"params file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of blocks, got {type(data).__name__}")
    return data


def load(cls: type[Block], path: str | Path) -> Block:
    """Read and validate a whole params file into ``cls`` (every top-level key must be one of its fields)."""
    data = read_yaml(path)
    try:
        return build(cls, data, "")
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err


def load_block(path: str | Path, key: str, cls: type[Block]) -> Block:
    """Read and validate one top-level block ``key`` of a params file that holds several studies' blocks."""
    data = read_yaml(path)
    if key not in data:
        raise ConfigError(f"{path}: missing block {key} ({(cls.__doc__ or '').strip().splitlines()[0]})")
    try:
        return build(cls, data[key], key)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err


def load_study(cls: type[Block], base: Any, path: str | Path) -> Block:
    """``base`` (a loaded params object, e.g. params.yaml's) extended with the blocks the dataclass ``cls`` adds to
    ``type(base)``, read from a study's params file ``path`` (its other top-level blocks belong to sibling studies)."""
    base_fields = {f.name for f in dataclasses.fields(base)}
    data = read_yaml(path)
    hints = typing.get_type_hints(cls)
    blocks = {}
    for f in dataclasses.fields(cls):
        if f.name in base_fields:
            continue
        if f.name not in data:
            raise ConfigError(f"{path}: missing block {f.name} ({f.metadata.get('doc', '')})")
        try:
            blocks[f.name] = convert(data[f.name], hints[f.name], f.name, f.metadata)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from err
    try:
        return cls(**{name: getattr(base, name) for name in base_fields}, **blocks)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err


def describe(cls: type, prefix: str = "") -> list[str]:
    """One line per field: dotted key, type and docstring (for `walker info` and docs)."""
    lines = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp) and tp is not Interval:
            lines += describe(tp, key)
        else:
            lines.append(f"{key}: {f.metadata.get('doc', '')}")
    return lines
