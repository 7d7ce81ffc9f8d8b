"""A measured trace against a simulated one: time alignment, resampling, spike and waveform errors.

:func:`align` finds the time offset by cross-correlation: both traces are resampled (linear
interpolation) onto one uniform grid of step ``dt`` (the measured sample interval, unless given),
normalised (zero mean, unit variance), correlated (FFT), and the best lag refined to a fraction of a
step by a parabola through the peak and its neighbours. The offset ``shift`` is what has to be *added*
to the measured times to put them on the simulation's time axis.

:func:`compare_traces` then evaluates the simulation at the aligned measured times (the overlap of
the two records), detects spikes in both with one threshold (:func:`analysis.spikes.detect_spikes`),
pairs them (one to one, by :func:`scipy.optimize.linear_sum_assignment` on the time difference,
pairs further apart than ``tolerance`` left unmatched), and reports the spike-time errors (simulated
minus measured) and the normalised RMS error of each signal: ``rms(measured - simulated) /
(max - min of the simulated signal)`` over the overlap. A trace compared with itself gives zero for
every error.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.signal import correlate, correlation_lags

from .extract import quiet_noise
from .spikes import detect_spikes

MAX_GRID = 2**21          # points of the alignment grid (the step grows for very long records)


def sample_interval(t) -> float:
    t = np.asarray(t, float)
    d = np.diff(t)
    d = d[d > 0]
    if not d.size:
        raise ValueError("the time axis does not increase")
    return float(np.median(d))


def resample(t, y, grid) -> np.ndarray:
    return np.interp(grid, np.asarray(t, float), np.asarray(y, float))


def align(t_sim, y_sim, t_meas, y_meas, dt: float | None = None, max_shift: float | None = None) -> dict:
    """``{"shift": s, "dt": step, "correlation": peak normalised correlation}``: the measured trace at
    ``t + shift`` lines up with the simulated one (see the module docstring)."""
    t_sim, y_sim = np.asarray(t_sim, float), np.asarray(y_sim, float)
    t_meas, y_meas = np.asarray(t_meas, float), np.asarray(y_meas, float)
    dt = dt or sample_interval(t_meas)
    span = max(t_sim[-1] - t_sim[0], t_meas[-1] - t_meas[0])
    dt = max(dt, span / MAX_GRID)
    gs = t_sim[0] + dt * np.arange(int((t_sim[-1] - t_sim[0]) / dt) + 1)
    gm = t_meas[0] + dt * np.arange(int((t_meas[-1] - t_meas[0]) / dt) + 1)
    a = resample(t_sim, y_sim, gs)
    b = resample(t_meas, y_meas, gm)
    a = a - a.mean()
    b = b - b.mean()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if not (na > 0 and nb > 0):
        raise ValueError("a flat trace: nothing to align")
    c = correlate(a, b, mode="full", method="fft") / (na * nb)
    lags = correlation_lags(a.size, b.size, mode="full")
    shifts = gs[0] - gm[0] + lags * dt
    if max_shift is not None:
        c = np.where(np.abs(shifts) <= max_shift, c, -np.inf)
    k = int(np.argmax(c))
    frac = 0.0
    if 0 < k < c.size - 1 and np.isfinite(c[k - 1]) and np.isfinite(c[k + 1]):
        den = c[k - 1] - 2 * c[k] + c[k + 1]
        if den < 0:
            frac = 0.5 * (c[k - 1] - c[k + 1]) / den
    return {"shift": float(shifts[k] + frac * dt), "dt": float(dt), "correlation": float(c[k])}


def match_spikes(t_meas, t_sim, tolerance: float) -> dict:
    """One-to-one pairs of measured and simulated spike times no further apart than ``tolerance``."""
    t_meas, t_sim = np.asarray(t_meas, float), np.asarray(t_sim, float)
    pairs = []
    if t_meas.size and t_sim.size:
        cost = np.abs(t_sim[None, :] - t_meas[:, None])
        big = cost > tolerance
        rows, cols = linear_sum_assignment(np.where(big, 1e6 * (tolerance + cost.max()), cost))
        pairs = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if not big[r, c]]
    err = np.array([t_sim[c] - t_meas[r] for r, c in pairs])
    out = {"matched": len(pairs), "missed": int(t_meas.size - len(pairs)), "extra": int(t_sim.size - len(pairs)),
           "tolerance": float(tolerance), "errors": err.tolist()}
    if err.size:
        out.update({"mean": float(err.mean()), "mean_abs": float(np.abs(err).mean()),
                    "rms": float(np.sqrt(np.mean(err**2))), "max_abs": float(np.abs(err).max())})
    else:
        out.update({"mean": None, "mean_abs": None, "rms": None, "max_abs": None})
    return out


def nrmse(meas, sim) -> float:
    meas, sim = np.asarray(meas, float), np.asarray(sim, float)
    rng = float(sim.max() - sim.min())
    if not rng > 0:
        return math.nan
    return float(np.sqrt(np.mean((meas - sim) ** 2)) / rng)


MIN_OVERLAP = 20        # measured samples inside the simulated span, at least


def compare_traces(sim: dict, meas: dict, *, threshold: float, align_on: str = "auto", dt: float | None = None,
                   max_shift: float | None = None, duration: float | None = None,
                   tolerance: float | None = None) -> dict:
    """Compare dicts of signals ``{"t": ..., "i": ..., "v": ..., "vin": ...}`` (``v``, ``vin`` optional).

    ``align_on``: the signal that sets the time offset ("auto": the input voltage where both have it,
    else the device/membrane voltage, else the current; "none": no shift). ``duration``: the stimulus
    duration that rates are counted over (default: the overlap). ``tolerance``: the largest spike-time
    difference still paired (default: half the shortest measured or simulated inter-spike interval, at
    least 3 sample steps).
    """
    have = [k for k in ("vin", "v", "i") if meas.get(k) is not None and sim.get(k) is not None]
    if align_on == "auto":
        align_on = have[0] if have else "i"
    if align_on != "none" and align_on not in have:
        raise ValueError(f"cannot align on {align_on!r}: both traces need it (have {', '.join(have) or 'none'})")
    if align_on == "none":
        al = {"shift": 0.0, "dt": dt or sample_interval(meas["t"]), "correlation": None}
    else:
        al = align(sim["t"], sim[align_on], meas["t"], meas[align_on], dt, max_shift)
    al["signal"] = align_on
    tm = np.asarray(meas["t"], float) + al["shift"]
    inside = (tm >= sim["t"][0]) & (tm <= sim["t"][-1])
    if inside.sum() < MIN_OVERLAP:
        raise ValueError(f"the aligned traces share {int(inside.sum())} measured samples (at least {MIN_OVERLAP} "
                         f"needed): the measured record spans {tm[-1] - tm[0]:.4g} s, the "
                         f"simulation {sim['t'][-1] - sim['t'][0]:.4g} s (is the time column's unit right?)")
    t = tm[inside]
    out = {"alignment": al, "overlap": [float(t[0]), float(t[-1])], "points": int(t.size)}
    errors = {}
    for k in ("i", "v", "vin"):
        if meas.get(k) is not None and sim.get(k) is not None:
            m = np.asarray(meas[k], float)[inside]
            s = resample(sim["t"], sim[k], t)
            errors[k] = {"nrmse": nrmse(m, s), "rms": float(np.sqrt(np.mean((m - s) ** 2)))}
    out["errors"] = errors
    i_m = np.asarray(meas["i"], float)[inside]
    i_s = resample(sim["t"], sim["i"], t)
    # one rule for both traces: the measured noise sets the height and dip a spike needs (analysis.spikes)
    sigma = quiet_noise(i_m)
    sp_m = detect_spikes(t, i_m, threshold, noise=sigma)
    sp_s = detect_spikes(t, i_s, threshold, noise=sigma)
    warnings = []
    # a column read in the wrong unit (mA written as A) shows as a scale far from the simulation's, over the
    # same stretch; a current only where both fire (a silent simulation is a model's miss, not a unit's)
    sim_fires = detect_spikes(t, i_s, threshold).count > 0           # at the device's own threshold
    for k, name in (("i", "current"), ("v", "voltage"), ("vin", "input voltage")):
        if meas.get(k) is None or sim.get(k) is None or (k == "i" and not (sp_m.count and sim_fires)):
            continue
        pm = float(np.max(np.abs(np.asarray(meas[k], float)[inside])))
        ps = float(np.max(np.abs(resample(sim["t"], sim[k], t))))
        if ps > 0 and pm > 0 and not 0.1 <= pm / ps <= 10:
            warnings.append(f"the measured {name} peaks at {pm:.4g}, {pm / ps:.3g} times the simulated {ps:.4g} "
                            "(SI units): is the column's unit right?")
    if sp_m.count and sp_m.threshold > 0.5 * float(np.max(np.abs(i_m))):
        warnings.append(f"the current's noise ({sigma:.3g} A rms) raised the spike height to {sp_m.threshold:.3g} A, "
                        "over half the largest measured peak: the counts are not reliable at this noise")
    out["warnings"] = warnings
    dur = duration if duration is not None else float(t[-1] - t[0])
    if tolerance is None:
        isis = [np.diff(x).min() for x in (sp_m.times, sp_s.times) if x.size > 1]
        tolerance = max(0.5 * min(isis), 3 * al["dt"]) if isis else max(0.1 * dur, 3 * al["dt"])
    out["spikes"] = {
        "threshold_A": float(threshold),
        "noise_A": sigma,
        "detection_height_A": sp_m.threshold,
        "measured": {"count": sp_m.count, "rate": sp_m.count / dur, "times": sp_m.times.tolist()},
        "simulated": {"count": sp_s.count, "rate": sp_s.count / dur, "times": sp_s.times.tolist()},
        "rate_duration": dur,
        "time_errors": match_spikes(sp_m.times, sp_s.times, tolerance),
    }
    return out
