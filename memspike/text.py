"""Numbers and values as people read them: 4 significant digits, long lists shortened."""

from __future__ import annotations

import math
import numbers

from pyspice_models.params import bits_width


def fmt(v, max_items: int = 8) -> str:
    """``v`` at 4 significant digits; lists show their first items and their length; dicts as k=v."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return f"{float(v):.4g}"
    if isinstance(v, dict):
        if "y" in v and "x" in v:            # a trend check: the values that were judged
            return fmt(v["y"], max_items)
        return ", ".join(f"{k}={fmt(x, max_items)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        items = [fmt(x, max_items) for x in v[:max_items]]
        more = f", ... ({len(v)} values)" if len(v) > max_items else ""
        return "[" + ", ".join(items) + more + "]"
    return str(v)


def value_text(value, unit: str = "", digits: int | None = None) -> str:
    """A parameter value as a person reads it: a pattern (unit ``"N bits"``) as its N bits, else
    :func:`fmt` (or ``digits`` significant digits)."""
    n = bits_width(unit)
    if n is not None:
        return f"{int(value):0{n}d}"
    return f"{float(value):.{digits}g}" if digits is not None and not isinstance(value, bool) else fmt(value)


def json_params(params) -> dict:
    """A parameter set for a results JSON: its values by name, patterns as their bits (``"0101"``)."""
    units = {name: unit for name, unit, _, _ in params.table()}
    return {k: value_text(v, units[k]) if bits_width(units[k]) is not None else v for k, v in params.as_dict().items()}


def params_from_json(cls, values: dict):
    """The parameter set of class ``cls`` a results JSON records (:func:`json_params`: patterns as bits)."""
    units = {name: unit for name, unit, _, _ in cls.table()}
    return cls(**{k: int(v) if bits_width(units.get(k, "")) is not None and isinstance(v, str) else v
                  for k, v in values.items()})


def meaning_of(params, name: str, unit: str, doc: str) -> str:
    """A parameter's meaning as a file or deck shows it: its documented reason, which is the default value's;
    for a value that differs from the default, said so (a fitted or set value is not what the reason explains)."""
    if name not in params.non_defaults():
        return doc
    default = value_text(getattr(type(params)(), name), unit, 6) + (f" {unit}" if unit else "")
    return f"changed from the default {default}, whose reason reads: {doc}"


def fmt_pm(value: float, err) -> str:
    """``value ± err`` with the error at 2 significant digits and the value rounded to the same place
    (``0.1242 ± 0.0034``, ``(1.400 ± 0.029)e-15``); the value alone (:func:`fmt`) without a finite error."""
    if err is None or not math.isfinite(err) or err <= 0 or not math.isfinite(value):
        return fmt(value)
    if err > abs(value):                                   # rounded to the error's digits the value would vanish
        return f"{value:.2g} ± {err:.2g}"
    last = math.floor(math.log10(err)) - 1                 # the decimal place of the error's second digit
    lead = math.floor(math.log10(abs(value))) if value else last
    if -3 <= lead < 4:
        d = max(0, -last)
        return f"{value:.{d}f} ± {err:.{d}f}"
    d = max(0, lead - last)
    return f"({value / 10 ** lead:.{d}f} ± {err / 10 ** lead:.{d}f})e{lead}"
