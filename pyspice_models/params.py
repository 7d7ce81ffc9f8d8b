"""Frozen, validated parameter dataclasses shared by every device model.

Each field carries its unit, meaning and allowed range in ``field.metadata``;
``__post_init__`` rejects anything non-finite or out of range before a number
can reach a netlist, a Verilog-A file or the vector engine.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any


class ParameterError(ValueError):
    """A parameter value outside its physical or allowed range.

    ``name`` is the parameter, ``allowed`` a short human description of the range.
    """

    def __init__(self, name: str, value: Any, allowed: str):
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"parameter {name}={value!r} is not allowed: must be {allowed}")


def param(default: float, unit: str, doc: str, *, lo: float | None = None,
          hi: float | None = None, lo_open: bool = True, integer: bool = False):
    """A dataclass field with unit, meaning and range.

    ``lo``/``hi`` bound the value; ``lo_open`` makes the lower bound exclusive
    (the usual case for "strictly positive").
    """
    return dataclasses.field(default=default, metadata={
        "unit": unit, "doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open,
        "integer": integer})


def again(default: float, doc: str):
    """Redeclare a field of a parent parameter class with a new default and reason.

    Unit, range and kind come from the parent's field of the same name (see
    :meth:`Params.__init_subclass__`), so shared stimulus and circuit fields are
    declared once and each figure only says what it uses and why.
    """
    return dataclasses.field(default=default, metadata={"inherit": True, "doc": doc})


def bits_width(unit: str | None) -> int | None:
    """The number of bits of a pattern parameter's unit (``"4 bits"``: 4), else None. A pattern is stored
    as the number with its digits (0101 -> 101), so it is shown zero-padded to that width."""
    head, _, tail = (unit or "").partition(" ")
    return int(head) if tail == "bits" and head.isdigit() else None


def describe_range(meta: dict) -> str:
    n = bits_width(meta["unit"])
    if n is not None:                          # a pattern: stored as the number with those decimal digits
        return f"a pattern of {n} bits (0 or 1 each), e.g. {'01' * (n // 2)}"
    lo, hi = meta["lo"], meta["hi"]
    unit = f" {meta['unit']}" if meta["unit"] else ""
    kind = "an integer" if meta["integer"] else "a finite number"
    if lo is not None and hi is not None:
        left = "(" if meta["lo_open"] else "["
        return f"{kind} in {left}{lo:g}, {hi:g}]{unit}"
    if lo is not None:
        op = ">" if meta["lo_open"] else ">="
        return f"{kind} {op} {lo:g}{unit}"
    if hi is not None:
        return f"{kind} <= {hi:g}{unit}"
    return kind + unit


def check_value(name: str, value: Any, meta: dict) -> float:
    """Validate one value against a field's metadata and return it as float."""
    allowed = describe_range(meta)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(name, value, allowed)
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(name, value, allowed)
    if meta["integer"] and v != int(v):
        raise ParameterError(name, value, allowed)
    lo, hi = meta["lo"], meta["hi"]
    if lo is not None and (v <= lo if meta["lo_open"] else v < lo):
        raise ParameterError(name, value, allowed)
    if hi is not None and v > hi:
        raise ParameterError(name, value, allowed)
    return int(v) if meta["integer"] else v


SIGNIFICANT_DIGITS = 12


def spice_number(value: float) -> str:
    """A float as a plain SPICE number of at most 12 significant digits (never NaN/inf).

    Integers below 1e12 are written plain (``3600``), everything else with
    ``%.12g`` (``2.0975e-06``, not the ``2.0975000000000002e-06`` of ``repr``).
    Read back, a number differs from the float by at most 5e-12 relative, far
    below any simulator tolerance; code that needs distinct values after
    rounding (PWL breakpoints) compares the rendered numbers.
    """
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError("value", value, "a finite number")
    if v == int(v) and abs(v) < 10**SIGNIFICANT_DIGITS:
        return str(int(v))
    return f"{v:.{SIGNIFICANT_DIGITS}g}"


def check_range(name: str, value: Any, unit: str, *, lo: float | None = None, hi: float | None = None,
                lo_open: bool = True) -> float:
    """Validate a single value that is not a dataclass field (same rules and message)."""
    return check_value(name, value, {"unit": unit, "lo": lo, "hi": hi, "lo_open": lo_open, "integer": False})


@dataclass(frozen=True, kw_only=True)
class Params:
    """Base of every parameter set: validates each field on construction."""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        # fields declared with again(): unit and range from the nearest parent that declares them
        for name, value in list(vars(cls).items()):
            if not (isinstance(value, dataclasses.Field) and value.metadata.get("inherit")):
                continue
            parent = next((f for base in cls.__mro__[1:] if dataclasses.is_dataclass(base)
                           for f in dataclasses.fields(base) if f.name == name), None)
            if parent is None:
                raise TypeError(f"{cls.__name__}.{name}: again() needs a parent field of that name")
            meta = {**parent.metadata, "doc": value.metadata["doc"]}
            setattr(cls, name, dataclasses.field(default=value.default, metadata=meta))

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = check_value(f.name, getattr(self, f.name), f.metadata)
            object.__setattr__(self, f.name, v)
        self._check_relations()

    def _check_relations(self) -> None:
        """Cross-field constraints; subclasses override."""

    def replace(self, **changes) -> Params:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            name = sorted(unknown)[0]
            raise ParameterError(name, changes[name],
                                 "one of " + ", ".join(self.names()))
        return dataclasses.replace(self, **changes)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def field_meta(cls, name: str) -> dict:
        for f in dataclasses.fields(cls):
            if f.name == name:
                return f.metadata
        raise KeyError(name)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def non_defaults(self) -> dict[str, float]:
        """The fields whose value, as written in a netlist, differs from the class default."""
        default = type(self)()
        return {k: v for k, v in self.as_dict().items() if spice_number(v) != spice_number(getattr(default, k))}

    @classmethod
    def table(cls) -> list[tuple[str, str, str, str]]:
        """(name, unit, meaning, range) rows, for docs and ``memspike params``."""
        return [(f.name, f.metadata["unit"], f.metadata["doc"], describe_range(f.metadata))
                for f in dataclasses.fields(cls)]


def draw(base: Params, rng, spreads) -> Params:
    """A seeded random draw around ``base``: each field named in the dataclass ``spreads`` gets a Gaussian
    relative spread (1 sigma); redrawn until the result is a valid parameter set (cross-field relations
    included), so a spread never produces an impossible device."""
    names = [f.name for f in dataclasses.fields(spreads)]
    for _ in range(100):
        changes = {k: getattr(base, k) * (1 + getattr(spreads, k) * rng.standard_normal()) for k in names}
        try:
            return base.replace(**changes)
        except ParameterError:
            continue
    raise ParameterError("variation", spreads, f"spreads small enough to keep {type(base).__name__} valid")
