"""Headers for the decks a hardware designer receives.

:func:`deck_header` returns the comment lines that open a deck (set them as
``net.header``; :func:`circuits.netlist.write` puts each after ``* ``): what
the circuit is, the paper figure it reproduces, its values with units and
meanings, the memspike version and how to run it. Every line is checked by
:func:`circuits.format.check_comment`, so a header can never carry a newline
or become a directive.
"""

from __future__ import annotations

import math
import numbers

from circuits.format import check_comment
from pyspice_models.params import ParameterError

from .text import value_text

RUN = "ngspice -b -r out.raw <this file>"


def deck_header(*, what: str, figure: str, values: list[tuple[str, float, str, str]], version: str,
                run: str | None = None) -> list[str]:
    """Header lines of a deck.

    ``values`` are ``(name, value, unit, meaning)`` rows, written as
    ``name = <value at 6 significant digits> unit : meaning``; ``run`` is the
    command that runs the deck (default ``ngspice -b -r out.raw <this file>``).
    """
    lines = [what, f"figure: {figure}"]
    for name, value, unit, meaning in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ParameterError(name, value, "a finite number")
        lines.append(f"{name} = {value_text(value, unit, 6)}{' ' + unit if unit else ''} : {meaning}")
    lines += [f"memspike {version}", f"run: {run or RUN}"]
    return [check_comment(line, "header line") for line in lines]


def table_values(params, names: list[str] | None = None) -> list[tuple[str, float, str, str]]:
    """``(name, value, unit, meaning)`` rows of a parameter set (all fields, or ``names``), from its metadata."""
    rows = {name: (name, getattr(params, name), unit, doc) for name, unit, doc, _ in params.table()}
    return [rows[n] for n in (names if names is not None else rows)]
