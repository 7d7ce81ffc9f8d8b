"""Boolean logic read out of a spiking neuron's firing rate (Duan et al. Fig. 3e, 3i).

Each input has two voltage levels (logic 0, logic 1); the output is 1 when
the firing rate exceeds a threshold. :func:`truth_table` takes any function
that turns a batch of input voltage pairs into firing rates, so it serves
any two-input circuit and any simulator (or measured rates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: truth tables in the order (p, q) = 00, 01, 10, 11 (p: input 1, q: input 2)
GATES: dict[str, tuple[int, int, int, int]] = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "XOR": (0, 1, 1, 0),
    "NAND": (1, 1, 1, 0),
    "NOR": (1, 0, 0, 0),
    "XNOR": (1, 0, 0, 1),
}
ROWS = ((0, 0), (0, 1), (1, 0), (1, 1))


@dataclass(frozen=True)
class TruthTable:
    voltages: tuple[tuple[float, float], ...]   # per row (v1, v2)
    rates: tuple[float, ...]                     # per row, Hz
    threshold: float
    outputs: tuple[int, ...]                     # per row, 0/1

    @property
    def gate(self) -> str | None:
        """Name of the gate the table implements, or None."""
        return next((k for k, v in GATES.items() if v == self.outputs), None)

    def implements(self, gate: str) -> bool:
        if gate not in GATES:
            raise ValueError(f"unknown gate {gate!r}; known: {', '.join(GATES)}")
        return GATES[gate] == self.outputs

    def as_dict(self) -> dict:
        return {"inputs": ["".join(map(str, r)) for r in ROWS], "voltages": [list(v) for v in self.voltages],
                "rates": list(self.rates), "threshold": self.threshold, "truth": list(self.outputs),
                "gate": self.gate}


def truth_table(rates_of: Callable[[Sequence[tuple[float, float]]], Sequence[float]],
                levels: Sequence[Sequence[float]], threshold: float) -> TruthTable:
    """Truth table of a two-input rate-coded gate.

    ``levels[k] = (logic-0 voltage, logic-1 voltage)`` of input ``k``;
    ``rates_of(pairs)`` returns the firing rate for each ``(v1, v2)`` pair
    (one batch, so a simulator can run them in parallel); output = rate >
    ``threshold``.
    """
    if len(levels) != 2 or any(len(lv) != 2 for lv in levels):
        raise ValueError("levels must be ((v1_0, v1_1), (v2_0, v2_1))")
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite rate >= 0, got {threshold!r}")
    pairs = [(float(levels[0][p]), float(levels[1][q])) for p, q in ROWS]
    rates = [float(r) for r in rates_of(pairs)]
    if len(rates) != 4 or not all(np.isfinite(rates)):
        raise ValueError("rates_of must return four finite rates")
    return TruthTable(tuple(pairs), tuple(rates), float(threshold), tuple(int(r > threshold) for r in rates))


__all__ = ["GATES", "ROWS", "TruthTable", "truth_table"]
