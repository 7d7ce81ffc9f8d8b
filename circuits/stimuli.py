"""Stimulus builders: pulse trains, delays, Poisson trains, triangular sweeps.

Every stimulus is an (N, 2) array of (time, voltage) breakpoints given to one
PWL source (:meth:`circuits.netlist.Netlist.vsource`), so any combination (delays, jitter, random timing,
several trains on one node) is the same kind of element.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyspice_models.params import ParameterError, Params, param


@dataclass(frozen=True, kw_only=True)
class PulseTrain(Params):
    """A train of rectangular pulses: ``n_pulses`` of ``width`` every ``width + interval``."""

    amplitude: float = param(1.3, "V", "pulse amplitude (either sign)", lo=-20, hi=20, lo_open=False)
    width: float = param(1e-6, "s", "pulse width (flat top, 50 % to 50 %)", lo=0, hi=1)
    interval: float = param(0.1e-6, "s", "gap between pulses (0 V)", lo=0, hi=1, lo_open=False)
    n_pulses: int = param(20, "", "number of pulses", lo=1, hi=100000, lo_open=False, integer=True)
    delay: float = param(0.0, "s", "time of the first pulse's leading edge", lo=-1, hi=1, lo_open=False)
    edge: float = param(5e-9, "s", "rise and fall time", lo=0, hi=1e-3)

    def _check_relations(self):
        # a gap shorter than the edges would silently merge two pulses into one
        if 0 < self.interval < self.edge:
            raise ParameterError("interval", self.interval,
                                 f"0 (back to back) or a gap >= edge = {self.edge:g} s")
        if self.width < self.edge:
            raise ParameterError("width", self.width, f"a width >= edge = {self.edge:g} s")

    @property
    def period(self) -> float:
        return self.width + self.interval

    @property
    def duration(self) -> float:
        """Stimulus duration: n periods (the paper's denominator for rates)."""
        return self.n_pulses * self.period

    def starts(self) -> np.ndarray:
        return self.delay + self.period * np.arange(self.n_pulses)

    def breakpoints(self) -> np.ndarray:
        return pulses_to_pwl(self.starts(), self.width, self.amplitude, self.edge)


def pulses_to_pwl(starts, width: float, amplitude: float, edge: float) -> np.ndarray:
    """Breakpoints (N, 2) for rectangular pulses whose 50 % points are ``t0`` and ``t0 + width``.

    Pulses closer than one edge time merge into one; the waveform is 0 V
    elsewhere, and begins at 0 V at t = 0 (earlier parts are clipped).
    """
    spans: list[list[float]] = []
    for t0 in np.sort(np.asarray(starts, dtype=float)):
        a, b = max(t0, edge / 2), t0 + width
        if b <= a:
            continue
        if spans and a - spans[-1][1] < edge:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    pts = [(0.0, 0.0)]
    for a, b in spans:
        pts += [(a - edge / 2, 0.0), (a + edge / 2, amplitude),
                (b - edge / 2, amplitude), (b + edge / 2, 0.0)]
    return _clean(np.array(pts))


def triangle(v_peak: float, period: float, n_cycles: int, negative: bool = True) -> np.ndarray:
    """Triangular I-V sweep 0 -> +v -> 0 (-> -v -> 0) repeated ``n_cycles`` times."""
    seq = [0.0, v_peak, 0.0] + ([-v_peak, 0.0] if negative else [])
    legs = len(seq) - 1
    t, pts = 0.0, [(0.0, 0.0)]
    for _ in range(n_cycles):
        for k in range(legs):
            t += period / legs
            pts.append((t, seq[k + 1]))
    return np.array(pts)


def _clean(pts: np.ndarray) -> np.ndarray:
    """Strictly increasing times; drop exact duplicates."""
    keep = [0]
    for i in range(1, len(pts)):
        if pts[i, 0] > pts[keep[-1], 0]:
            keep.append(i)
    return pts[keep]


def evaluate(points: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The PWL waveform at times ``t`` (for the vector engine and for plots)."""
    return np.interp(t, points[:, 0], points[:, 1], left=points[0, 1], right=points[-1, 1])
