"""Units as instruments and people write them: ``s``, ``us``, ``µs``, ``Second``, ``mA``, ``Ampere``, ``V``.

:func:`parse_unit` turns one unit text into ``(SI unit, scale)``: ``"mA" -> ("A", 1e-3)``,
``"Volt" -> ("V", 1.0)``, ``"" -> ("", 1.0)``. :func:`split_name` takes a column heading apart into
its name and unit: ``"I (mA)"``, ``"I [mA]"``, ``"I/mA"`` and ``"t_us"`` all work.

Only the units a threshold-switch measurement needs are known (time, voltage, current, resistance,
power, frequency, temperature, and plain numbers); anything else is refused by the caller with
the file and line, never guessed.
"""

from __future__ import annotations

import re

# SI unit -> the quantity it measures (what a column is)
QUANTITY = {"s": "time", "V": "voltage", "A": "current", "ohm": "resistance", "W": "power", "Hz": "frequency",
            "K": "temperature", "degC": "temperature", "": "number", "%": "number"}

_PREFIX = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6,
           "G": 1e9}
# unit symbols that take a prefix (the K of kelvin and the % do not)
_SYMBOL = {"s": "s", "V": "V", "A": "A", "Ω": "ohm", "ohm": "ohm", "Ohm": "ohm", "W": "W", "Hz": "Hz"}
# unit words, any case, no prefix (as scopes write them: "Second", "Volt", "Ampere")
_WORD = {"second": "s", "seconds": "s", "sec": "s", "secs": "s", "volt": "V", "volts": "V", "amp": "A",
         "amps": "A", "ampere": "A", "amperes": "A", "ohm": "ohm", "ohms": "ohm", "watt": "W", "watts": "W",
         "hertz": "Hz", "kelvin": "K", "degc": "degC", "°c": "degC", "celsius": "degC", "%": "%",
         "percent": "%", "none": "", "unitless": "", "count": "", "counts": ""}

_EXACT: dict[str, tuple[str, float]] = {}
for _sym, _si in _SYMBOL.items():
    for _p, _scale in _PREFIX.items():
        _EXACT[_p + _sym] = (_si, _scale)
_EXACT["K"] = ("K", 1.0)
_EXACT["S"] = ("s", 1.0)                    # Tektronix writes "Horizontal Units,S"
# lower-case forms of the prefixed symbols (a heading "I (ma)"), milli before mega
_LOWER: dict[str, tuple[str, float]] = {}
for _p in ("p", "n", "u", "µ", "μ", "k", "m", ""):
    for _sym, _si in _SYMBOL.items():
        _LOWER.setdefault((_p + _sym).lower(), (_si, _PREFIX[_p]))

KNOWN = ("s, V, A, ohm, W, Hz, K or °C, with a prefix p n u µ m k M G (e.g. us, mV, uA), or a word such as "
         "Second, Volt, Ampere")


def parse_unit(text: str) -> tuple[str, float] | None:
    """``(SI unit, scale to SI)`` of a unit text, or None when it is not a unit this module knows."""
    t = text.strip()
    if not t:
        return "", 1.0
    if t in _EXACT:
        return _EXACT[t]
    low = t.lower()
    if low in _WORD:
        return _WORD[low], 1.0
    if low in _LOWER:
        return _LOWER[low]
    if low.endswith("s") and low[:-1] in _WORD:
        return _WORD[low[:-1]], 1.0
    return None


_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[\(\[\{<]\s*(?P<unit>[^\)\]\}>]*?)\s*[\)\]\}>]\s*$")
_SLASH = re.compile(r"^(?P<name>[^/]+?)\s*/\s*(?P<unit>[^/]+)$")
_SUFFIX = re.compile(r"^(?P<name>.+?)_(?P<unit>[^_]+)$")


def split_name(heading: str) -> tuple[str, str | None]:
    """A column heading's name and its unit text (None when the heading carries no unit).

    ``"I (mA)"``, ``"I [mA]"``, ``"I {mA}"`` and ``"I/mA"`` give ``("I", "mA")`` whatever the unit; a
    suffix ``"t_us"`` counts only when it is a known unit of two or more letters (``"V_mem"`` and ``"R_s"`` are
    names; ``"t_s"`` and ``"time_s"`` are seconds)."""
    h = heading.strip()
    m = _BRACKETS.match(h)
    if m and m.group("name"):
        return m.group("name").strip(), m.group("unit").strip()
    m = _SLASH.match(h)
    if m:
        return m.group("name").strip(), m.group("unit").strip()
    m = _SUFFIX.match(h)
    if m and parse_unit(m.group("unit")) is not None and (len(m.group("unit")) > 1 or m.group("name").lower()
                                                          in ("t", "time")):
        return m.group("name").strip(), m.group("unit")
    return h, None


def quantity(si_unit: str) -> str:
    return QUANTITY.get(si_unit, "number")
