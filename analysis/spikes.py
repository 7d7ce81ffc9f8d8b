"""Spike detection on the device current of an NbOx neuron.

A spike is a pulse of device current: a peak of ``|i|`` above ``threshold``
separated from its neighbours by a dip of at least half the threshold
(``scipy.signal.find_peaks`` with ``height`` and ``prominence``). Works on the
non-uniform time grid of a SPICE transient as well as on scope traces.

A measured trace carries noise: each ripple of a noisy on-current is a peak with a dip below it, and at a
few percent of the peak current every spike would count many times. Given the trace's white-noise level
``noise`` (A, :func:`analysis.extract.noise`), both the height and the dip a spike needs rise to at least
``NOISE_SIGMAS`` standard deviations of it: a ripple that deep is not noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks


@dataclass(frozen=True)
class Spikes:
    times: np.ndarray      # s, time of each current peak
    peaks: np.ndarray      # A, peak |current|
    threshold: float       # A, detection threshold used

    @property
    def count(self) -> int:
        return int(self.times.size)


NOISE_SIGMAS = 6.0      # height and dip of a spike in a noisy trace: at least this many noise sigmas


def detect_spikes(t, i, threshold: float, t_start: float | None = None,
                  t_stop: float | None = None, noise: float = 0.0) -> Spikes:
    """Spikes in current ``i(t)`` above ``threshold`` (A), optionally within [t_start, t_stop).

    ``noise`` (A, the trace's white-noise standard deviation; 0 for a simulation) raises the height and the
    dip between spikes to ``NOISE_SIGMAS * noise`` where that is more than ``threshold`` and
    ``threshold / 2``; the returned ``threshold`` is the height used."""
    t = np.asarray(t, dtype=float)
    a = np.abs(np.asarray(i, dtype=float))
    if t.shape != a.shape or t.ndim != 1:
        raise ValueError("t and i must be 1-D arrays of equal length")
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a positive finite current, got {threshold!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite current >= 0, got {noise!r}")
    height = max(float(threshold), NOISE_SIGMAS * noise)
    dip = max(threshold / 2, NOISE_SIGMAS * noise)
    # pad with zeros so a spike touching either end still counts as a peak
    padded = np.concatenate(([0.0], a, [0.0]))
    idx, props = find_peaks(padded, height=height, prominence=dip)
    idx = idx - 1
    idx = idx[(idx >= 0) & (idx < a.size)]
    # scipy's prominence looks as far as a higher peak: on a flat "held on" current each ripple of the solver
    # (1e-19 A) is prominent against the zero at the pulse's end. Two peaks are two spikes only if the current
    # between them dips by at least ``dip`` below the lower one; otherwise they are one (the higher kept).
    merged: list[int] = []
    for k in idx:
        if merged and a[merged[-1]:k + 1].min() > min(a[merged[-1]], a[k]) - dip:
            if a[k] > a[merged[-1]]:
                merged[-1] = k
            continue
        merged.append(k)
    idx = np.asarray(merged, dtype=int)
    times = t[idx]
    keep = np.ones(times.size, bool)
    if t_start is not None:
        keep &= times >= t_start
    if t_stop is not None:
        keep &= times < t_stop
    return Spikes(times[keep], a[idx][keep], height)


def rate(spikes: Spikes, duration: float) -> float:
    """Firing rate in Hz: spike count / stimulus duration (the paper's definition)."""
    if not duration > 0:
        raise ValueError("duration must be positive")
    return spikes.count / duration
