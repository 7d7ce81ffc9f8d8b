"""Formatting and checking of every value that enters a netlist.

Only three kinds of user-derived text ever reach a netlist: numbers, formatted
here from validated floats; names, which must match :data:`NAME_RE`; and
comment text (:func:`check_comment`), one printable line that the writer
always puts after ``* `` so it can never become a directive or an element.
Anything else (newlines, ``.control``, ``shell``, quotes) is rejected.
"""

from __future__ import annotations

import math
import re

from pyspice_models.params import ParameterError, bits_width, spice_number  # noqa: F401  (re-export)

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")

_SUFFIX = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "m": 1e-3, "u": 1e-6,
           "n": 1e-9, "p": 1e-12, "f": 1e-15}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(meg|[tgkmunpf])?([A-Za-z]*)$", re.IGNORECASE)
# unit names a user may write after the scale factor, as ngspice allows (30pF, 3.6kOhm, 1us)
UNIT_NAMES = {"V": ("v", "volt", "volts"), "A": ("a", "amp", "amps"), "s": ("s", "sec"),
              "F": ("f",), "ohm": ("ohm", "ohms"), "Hz": ("hz",), "W": ("w",), "J": ("j",),
              "H": ("h",), "K": ("k",), "eV": ("ev",)}


def parse_si(name: str, text: str, unit: str | None = None) -> float:
    """Parse ``3.6k``, ``30p``, ``1u``, ``1.2``, ``3.4e-11``, optionally with the parameter's
    unit after the scale factor (``30pF``, ``3.6kOhm``, ``1us``, ``2meg``); reject anything else.

    ``unit`` is the parameter's unit (``"F"``, ``"ohm"``, ...): a unit name written by the
    user must be that one. As in SPICE, the scale comes first: ``1F`` is one femto, ``1mF``
    one milli. One exception: for a temperature (unit ``K``) a final upper-case ``K`` is the
    kelvin (``320K`` is 320 K; ``320k`` stays 320e3, which no temperature range admits).
    Raises :class:`ParameterError` naming ``name``.
    """
    n = bits_width(unit)
    if n is not None:
        # a pattern of n inputs, written as its bits (0101); kept as the number with those decimal digits
        if not isinstance(text, str) or not re.fullmatch(f"[01]{{{n}}}", text):
            raise ParameterError(name, text, f"a pattern of {n} bits, one 0 or 1 per input, e.g. {'01' * (n // 2)}")
        return float(int(text))
    names = UNIT_NAMES.get(unit or "", ())
    allowed = "an SI number such as 3.6k, 30p, 1u, 1.2 or 3.4e-11" + (
        f", optionally followed by its unit {unit}" if names else "")
    if not isinstance(text, str) or len(text) > 40:
        raise ParameterError(name, text, allowed)
    m = _NUMBER.match(text) if text == text.strip() else None
    if not m:
        raise ParameterError(name, text, allowed)
    number, scale, word = m.groups()
    if unit == "K" and scale == "K" and not word:
        scale, word = None, "K"
    if word and word.lower() not in names:
        # "1F": F is femto in SPICE; "1Farad" etc. is refused rather than guessed
        raise ParameterError(name, text, allowed)
    v = float(number) * (_SUFFIX[scale.lower()] if scale else 1.0)
    if not math.isfinite(v):
        raise ParameterError(name, text, allowed)
    return v


def check_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ParameterError(what, name, "a name of letters, digits and _ (up to 32, starting with a letter)")
    return name


def check_comment(text: str, what: str = "comment") -> str:
    """One line of free comment text: printable, no newline, tab or other control character."""
    if not isinstance(text, str) or not text.isprintable():
        raise ParameterError(what, text, "one line of printable text (no newline or control character)")
    return text
