"""Device parameters from measured data: I-V sweeps (quasi-static) and spiking transients (features).

I-V (:func:`iv_branches`, :func:`iv_stats`, :func:`fit_iv_et`, :func:`fit_iv_ts`)
    A sweep is cut into *branches*: maximal runs of one sign of the device voltage above 2 % of its
    largest magnitude, within one block of the file (a setup run, a record, a ``cycle`` value), each
    one polarity of one cycle. Per branch, with the on/off state from the chord resistance |V/I|
    (:func:`analysis.iv.on_state`) and the point of largest |I| splitting it into up and down legs:

    * ``v_th``: |V| at the last off point before the first switch-on of the up leg;
    * ``v_hold``: |V| at the last on point before the first switch-off of the down leg;
    * ``r_on``: chord resistance |V|/|I| at the largest current (``i_peak``, averaged over the points
      within 5 % of it);
    * ``r_off``: chord resistance of the up leg's off state at ``|V| = v_read`` (a straight line
      through the off points within +/- 30 % of ``v_read``).

    A switch-on counts only where |I| jumps at least ``JUMP`` times between the last off and the
    first on point: a smooth non-linearity is not a threshold switch. Data in which no branch switches
    is refused (:class:`ExtractError`), as is a polarity that is asked for and absent.

    The electro-thermal model (``nbox_et``) is fitted on ``G0``, ``R_th`` and ``R_s`` to the four
    branch means (Vth, Vhold, ln Roff, ln Ron at i_peak), predicted from its quasi-static (steady)
    I-V curve: Roff fixes ``G0 exp(-Ea/k T0)``, Vth the heating (``R_th``), Vhold and Ron the series
    resistance. ``Ea`` and ``G0`` cannot be told apart at one ambient temperature, nor does ``C_th`` act
    on a quasi-static sweep: they keep their values (``--set device.Ea=...`` moves them). The
    behavioural model (``nbox_ts``) takes Vth, Vhold directly, ``r_off`` and ``v_nl`` from a fit of the
    off-state current ``(v_nl/r_off) sinh(V/v_nl)`` and ``r_on`` from the on current at ``i_peak``.

Transient (:func:`spike_features`)
    The features a least-squares fit of a neuron's dynamic parameters compares: mean inter-spike
    interval (ISI, within the trimmed range 0.5-1.5 of the median), spike peak current, spike width
    (full width at half the peak), and, where the membrane voltage was measured, the voltage at
    which it fires and the one it is reset to; with the input voltage, the first spike's latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .fits import jacobian_errors
from .iv import on_state
from .spikes import detect_spikes

JUMP = 3.0                    # |I| ratio across a switch-on (last off point -> first on point)
KEYS = ("v_th", "v_hold", "r_on", "r_off", "i_peak")


class ExtractError(ValueError):
    """The data cannot determine what was asked for; ``str()`` says why (one line)."""


@dataclass
class Branch:
    polarity: str              # "pos" or "neg"
    block: int                 # the file's block
    lines: tuple[int, int]     # first and last file line
    v_th: float = math.nan
    v_hold: float = math.nan
    r_on: float = math.nan
    r_off: float = math.nan
    i_peak: float = math.nan
    switched: bool = False
    v_step: float = math.nan   # median |dV| between samples (the resolution of Vth, Vhold)
    off_v: np.ndarray = field(default_factory=lambda: np.empty(0))    # |V|, |I| of the up leg's off state
    off_i: np.ndarray = field(default_factory=lambda: np.empty(0))

    def as_dict(self) -> dict:
        return {"polarity": self.polarity, "block": self.block, "lines": list(self.lines), "switched": self.switched,
                **{k: _num(getattr(self, k)) for k in KEYS}}


def _num(x):
    return None if x is None or not np.isfinite(x) else float(x)


def iv_branches(v, i, block=None, line=None, *, v_read: float = 0.1, eps_frac: float = 0.02,
                min_points: int = 5) -> list[Branch]:
    """The branches of an I-V record and their Vth, Vhold, Ron, Roff (see the module docstring)."""
    v = np.asarray(v, float)
    i = np.asarray(i, float)
    n = v.size
    block = np.zeros(n, int) if block is None else np.asarray(block)
    line = np.arange(1, n + 1) if line is None else np.asarray(line)
    if n < 2 * min_points:
        raise ExtractError(f"{n} points: too few for an I-V sweep")
    vmax = float(np.max(np.abs(v)))
    if not vmax > 0:
        raise ExtractError("the voltage is zero throughout: no sweep")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(v) / np.abs(i)
    sel = (np.abs(v) > max(0.05, eps_frac * vmax)) & np.isfinite(r) & (r > 0)
    if sel.sum() < min_points:
        raise ExtractError("fewer than 5 points above 50 mV: no sweep to analyse")
    ratio = float(r[sel].max() / r[sel].min())
    if ratio < 10:
        raise ExtractError(f"no switching event: the chord resistance |V/I| changes only x{ratio:.3g} over the "
                           "sweep (a threshold switch changes it by orders of magnitude)")
    on, _ = on_state(v, i)
    eps = eps_frac * vmax
    sign = np.where(v > eps, 1, np.where(v < -eps, -1, 0))
    key = sign + 3 * np.asarray(block, int)            # a run breaks where the sign or the block changes
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    ends = np.concatenate((starts[1:], [n]))
    out = []
    for a, b in zip(starts, ends, strict=True):
        if sign[a] == 0 or b - a < min_points or np.max(np.abs(v[a:b])) < 0.25 * vmax:
            continue
        out.append(_branch(v[a:b], i[a:b], on[a:b], "pos" if sign[a] > 0 else "neg", int(block[a]),
                           (int(line[a]), int(line[b - 1])), v_read))
    if not out:
        raise ExtractError("no sweep branch: no run of one polarity reaches a quarter of the largest voltage")
    return out


def _branch(v, i, on, pol, blk, lines, v_read) -> Branch:
    av, ai = np.abs(v), np.abs(i)
    br = Branch(pol, blk, lines)
    d = np.abs(np.diff(av))
    br.v_step = float(np.median(d[d > 0])) if np.any(d > 0) else math.nan
    k_pk = int(np.argmax(ai))
    ups = np.flatnonzero(~on[:-1] & on[1:])
    ups = ups[(ups < k_pk) & (ai[ups + 1] >= JUMP * np.maximum(ai[ups], 1e-30))]
    if ups.size:
        br.switched = True
        k = int(ups[0])
        br.v_th = float(av[k])
        off = np.arange(k + 1)
        off = off[~on[off]]
        br.off_v, br.off_i = av[off], ai[off]
        near = off[(av[off] >= 0.7 * v_read) & (av[off] <= 1.3 * v_read)]
        if near.size >= 3 and np.ptp(av[near]) > 0:
            slope, icpt = np.polyfit(av[near], ai[near], 1)
            i_read = slope * v_read + icpt
            br.r_off = float(v_read / i_read) if i_read > 0 else math.nan
    downs = np.flatnonzero(on[:-1] & ~on[1:])
    downs = downs[downs >= k_pk]
    if br.switched and downs.size:
        br.v_hold = float(av[int(downs[0])])
    if br.switched and on[k_pk]:
        top = (ai >= 0.95 * ai[k_pk]) & on
        br.i_peak = float(np.mean(ai[top]))
        br.r_on = float(np.mean(av[top]) / br.i_peak)
    return br


def _stats(x) -> dict:
    x = np.asarray([y for y in x if y is not None and np.isfinite(y)], float)
    n = int(x.size)
    if not n:
        return {"n": 0, "mean": None, "std": None, "sem": None, "min": None, "max": None}
    sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    return {"n": n, "mean": float(x.mean()), "std": sd, "sem": sd / math.sqrt(n), "min": float(x.min()),
            "max": float(x.max())}


def iv_stats(branches: list[Branch], polarity: str = "both") -> dict:
    """Per polarity (and pooled over those asked for): every branch's values in cycle order and their
    mean, standard deviation (cycle to cycle), standard error, min and max. Refuses data without a
    switching branch, or without a polarity that ``polarity`` ("both", "pos", "neg") asks for."""
    if polarity not in ("both", "pos", "neg"):
        raise ExtractError(f"polarity {polarity!r}: one of both, pos, neg")
    switched = [b for b in branches if b.switched]
    if not switched:
        n = len(branches)
        raise ExtractError(f"no switching event in {n} sweep branch{'es' if n != 1 else ''}: the current never jumps "
                           f"x{JUMP:g} or more from an off to an on state")
    want = ("pos", "neg") if polarity == "both" else (polarity,)
    word = {"pos": "positive", "neg": "negative"}
    for pol in want:
        if not any(b.polarity == pol for b in switched):
            have = sorted({b.polarity for b in switched})
            alt = (f" (use --polarity {have[0]} to fit the {word[have[0]]} one alone)"
                   if have and polarity == "both" else "")
            seen = any(b.polarity == pol for b in branches)
            raise ExtractError(f"no {word[pol]}-polarity sweep that switches" + (" (its branches never jump on)" if seen
                               else " in the file") + alt)
    out = {"polarities": list(want), "branches": [b.as_dict() for b in branches]}
    for pol in ("pos", "neg"):
        sel = [b for b in switched if b.polarity == pol]
        if sel:
            out[pol] = {k: {"values": [_num(getattr(b, k)) for b in sel], **_stats([getattr(b, k) for b in sel])}
                        for k in KEYS}
    pooled = [b for b in switched if b.polarity in want]
    out["pooled"] = {k: _stats([getattr(b, k) for b in pooled]) for k in KEYS}
    out["cycles"] = {pol: sum(b.polarity == pol for b in switched) for pol in want}
    steps = [b.v_step for b in pooled if np.isfinite(b.v_step)]
    out["v_step"] = float(np.median(steps)) if steps else math.nan
    if polarity == "both":
        out["asymmetry"] = {k: _num(out["pos"][k]["mean"] - out["neg"][k]["mean"])
                            if out["pos"][k]["mean"] is not None and out["neg"][k]["mean"] is not None else None
                            for k in ("v_th", "v_hold", "r_on", "r_off")}
    missing = [k for k in ("v_th", "v_hold", "r_on", "r_off") if out["pooled"][k]["mean"] is None]
    if missing:
        why = {"v_hold": "no branch switches back off on its way down (sweep back to 0 V)",
               "r_on": "the device is not on at the largest current", "r_off": "no off-state points near v_read "
               "(choose --v-read within the sub-threshold range)", "v_th": "no switch-on"}
        raise ExtractError("cannot determine " + "; ".join(f"{k}: {why[k]}" for k in missing))
    return out


# --------------------------------------------------------------------------- fits
@dataclass
class DeviceFit:
    model: str                           # nbox_et / nbox_ts
    params: dict[str, float]             # every parameter of the fitted device
    fitted: dict[str, dict]              # name -> {value, stderr, unit, initial, cycle_sd}
    targets: dict[str, dict]             # what was matched: measured, sigma, model
    method: str
    warnings: list[str] = field(default_factory=list)
    cost: float = math.nan


def _sigma(st: dict, floor: float) -> float:
    return max(st["sem"] or 0.0, floor)


def et_predict(dev, v_read: float, i_peak: float) -> dict[str, float]:
    """Quasi-static Vth, Vhold, Roff at ``v_read`` and Ron at ``i_peak`` of an electro-thermal device."""
    f = dev.folds()
    c = dev.steady_curve(T_max=max(dev.T_met + 5 * dev.dT_met, 2500.0))
    V, cur = c["V"], c["I"]
    d = np.diff(V)
    up = np.flatnonzero((d[:-1] > 0) & (d[1:] <= 0))
    down = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0))
    out = {"v_th": f["v_th"], "v_hold": f["v_hold"], "r_off": math.nan, "r_on": math.nan}
    if up.size:
        ku = up[0] + 1
        if V[0] < v_read < V[ku]:
            out["r_off"] = v_read / float(np.interp(v_read, V[:ku + 1], cur[:ku + 1]))
    if down.size:
        kd = down[0] + 1
        Ion, Von = cur[kd:], V[kd:]
        mono = np.all(np.diff(Ion) > 0)
        if mono and Ion[0] <= i_peak <= Ion[-1]:
            out["r_on"] = float(np.interp(i_peak, Ion, Von)) / i_peak
    return out


ET_FIT = ("G0", "R_th", "R_s")


def fit_iv_et(stats: dict, base, v_read: float, fit=ET_FIT, progress=None) -> DeviceFit:
    """Fit ``fit`` (default G0, R_th, R_s) of the electro-thermal ``base`` device to an :func:`iv_stats`."""
    from scipy.optimize import least_squares

    P = stats["pooled"]
    res_v = stats.get("v_step", math.nan)
    v_floor = max(1e-3, (res_v if np.isfinite(res_v) else 0.0) / math.sqrt(12))
    i_peak = P["i_peak"]["mean"]
    meas = {"v_th": P["v_th"]["mean"], "v_hold": P["v_hold"]["mean"], "ln_r_off": math.log(P["r_off"]["mean"]),
            "ln_r_on": math.log(P["r_on"]["mean"])}
    sig = {"v_th": _sigma(P["v_th"], v_floor), "v_hold": _sigma(P["v_hold"], v_floor),
           "ln_r_off": max((P["r_off"]["sem"] or 0) / P["r_off"]["mean"], 0.01),
           "ln_r_on": max((P["r_on"]["sem"] or 0) / P["r_on"]["mean"], 0.01)}
    sd = {"v_th": P["v_th"]["std"], "v_hold": P["v_hold"]["std"], "ln_r_off": P["r_off"]["std"] / P["r_off"]["mean"],
          "ln_r_on": P["r_on"]["std"] / P["r_on"]["mean"]}
    keys = list(meas)
    x0 = np.array([math.log(getattr(base, k)) for k in fit])
    lo = np.array([max(math.log(getattr(base, k)) - math.log(100), _lo(base, k)) for k in fit])
    hi = np.array([min(math.log(getattr(base, k)) + math.log(100), _hi(base, k)) for k in fit])
    from pyspice_models.params import ParameterError
    evals = [0]

    def pred(x):
        try:
            dev = base.replace(**{k: float(math.exp(xk)) for k, xk in zip(fit, x, strict=True)})
        except ParameterError:
            return None
        p = et_predict(dev, v_read, i_peak)
        def ln(x):
            return math.log(x) if x > 0 else math.nan
        return {"v_th": p["v_th"], "v_hold": p["v_hold"], "ln_r_off": ln(p["r_off"]), "ln_r_on": ln(p["r_on"])}

    def resid(x):
        evals[0] += 1
        p = pred(x)
        r = np.array([(p[k] - meas[k]) / sig[k] if p is not None and np.isfinite(p[k]) else 1e3 for k in keys])
        if progress:
            progress(evals[0], float(r @ r), dict(zip(fit, np.exp(x), strict=True)))
        return r

    # a good start: move G0 so that the model's threshold is the measured one (the largest lever)
    sol = least_squares(resid, x0, bounds=(lo, hi), diff_step=1e-3, x_scale=1.0, xtol=1e-10, ftol=1e-10,
                        max_nfev=200)
    return _device_fit("nbox_et", base, fit, sol, meas, sig, sd, pred, keys, "quasi-static I-V (steady curve of the "
                       "electro-thermal model) least squares on ln(G0), ln(R_th), ln(R_s)")


def _lo(base, k):
    meta = type(base).field_meta(k)
    return math.log(meta["lo"]) + 1e-9 if meta["lo"] and meta["lo"] > 0 else -math.inf


def _hi(base, k):
    meta = type(base).field_meta(k)
    return math.log(meta["hi"]) if meta["hi"] else math.inf


def _device_fit(model, base, fit, sol, meas, sig, sd, pred, keys, method) -> DeviceFit:
    J = sol.jac                                      # d(residual)/d(ln p): weighted
    warnings = []
    se, chi2, dof = jacobian_errors(J, sol.fun, weighted=True)
    if not np.all(np.isfinite(se)):
        warnings.append("singular Jacobian: the data do not determine every fitted parameter (no standard errors)")
    # cycle-to-cycle spread of the parameters: the targets' cycle spreads through the unweighted Jacobian
    Ju = J * np.array([sig[k] for k in keys])[:, None]
    Jp = np.linalg.pinv(Ju)
    var = np.array([(sd[k] or 0.0) ** 2 for k in keys])
    cyc = np.sqrt(np.maximum(0, np.einsum("ij,j,ij->i", Jp, var, Jp)))
    values = {k: float(math.exp(x)) for k, x in zip(fit, sol.x, strict=True)}
    dev = base.replace(**values)
    model_at = pred(sol.x) or {}
    if not sol.success:
        warnings.append(f"the fit did not converge: {sol.message}")
    if chi2 / dof > 10:
        warnings.append(f"chi2/dof = {chi2 / dof:.3g}: the model does not reproduce the measured values within their "
                        "uncertainties (a systematic misfit; standard errors are scaled by it)")
    big = [k for k, s in zip(fit, se, strict=True) if np.isfinite(s) and s > 0.5]
    if big:
        warnings.append(f"poorly determined (standard error > 50 %): {', '.join(big)}")
    fitted = {k: {"value": values[k], "stderr": float(values[k] * s) if np.isfinite(s) else None,
                  "relative_stderr": float(s) if np.isfinite(s) else None, "unit": type(base).field_meta(k)["unit"],
                  "initial": getattr(base, k), "cycle_to_cycle_sd": float(c)}
              for k, s, c in zip(fit, se, cyc, strict=True)}
    targets = {k: {"measured": _unexp(k, meas[k]), "model": _unexp(k, model_at.get(k, math.nan)),
                   "sigma": sig[k], "sigma_unit": "relative" if k.startswith("ln_") else "V"} for k in keys}
    return DeviceFit(model, dev.as_dict(), fitted, targets, method, warnings, chi2)


def _unexp(k, x):
    if x is None or not np.isfinite(x):
        return None
    return float(math.exp(x)) if k.startswith("ln_") else float(x)


def fit_iv_ts(stats: dict, branches: list[Branch], base, v_read: float) -> DeviceFit:
    """The behavioural model from the branch statistics: v_th, v_hold as measured; r_off, v_nl from the off-state
    current; r_on from the on current at i_peak."""
    from scipy.optimize import least_squares

    P = stats["pooled"]
    pols = stats["polarities"]
    ov = np.concatenate([b.off_v for b in branches if b.switched and b.polarity in pols])
    oi = np.concatenate([b.off_i for b in branches if b.switched and b.polarity in pols])
    keep = (ov > 0.02) & (ov < 0.9 * P["v_th"]["mean"]) & (oi > 0)
    ov, oi = ov[keep], oi[keep]
    if ov.size < 5:
        raise ExtractError("fewer than 5 off-state points between 20 mV and 0.9 Vth: r_off and v_nl undetermined")

    def resid(x):
        r_off, v_nl = math.exp(x[0]), math.exp(x[1])
        return np.log(v_nl / r_off * np.sinh(ov / v_nl)) - np.log(oi)

    x0 = np.array([math.log(base.r_off), math.log(base.v_nl)])
    sol = least_squares(resid, x0, bounds=([math.log(10), math.log(0.01)], [math.log(1e12), math.log(100)]))
    r_off, v_nl = (float(math.exp(x)) for x in sol.x)
    v_pk = P["r_on"]["mean"] * P["i_peak"]["mean"]
    i_off = v_nl / r_off * math.sinh(v_pk / v_nl)
    i_on = P["i_peak"]["mean"] - i_off
    if i_on <= 0:
        raise ExtractError("the on current at the peak is no larger than the off-state law predicts: r_on undetermined")
    r_on = v_pk / i_on
    se, _, _ = jacobian_errors(sol.jac, sol.fun)
    vals = {"v_th": P["v_th"]["mean"], "v_hold": P["v_hold"]["mean"], "r_on": r_on, "r_off": r_off, "v_nl": v_nl}
    dev = base.replace(**vals)
    stderr = {"v_th": P["v_th"]["sem"], "v_hold": P["v_hold"]["sem"],
              "r_on": r_on * (P["r_on"]["sem"] or 0) / P["r_on"]["mean"], "r_off": r_off * se[0], "v_nl": v_nl * se[1]}
    sd = {"v_th": P["v_th"]["std"], "v_hold": P["v_hold"]["std"], "r_on": r_on * P["r_on"]["std"] / P["r_on"]["mean"],
          "r_off": r_off * P["r_off"]["std"] / P["r_off"]["mean"], "v_nl": 0.0}
    fitted = {k: {"value": vals[k], "stderr": _num(stderr[k]), "relative_stderr": _num(stderr[k] / vals[k]),
                  "unit": type(base).field_meta(k)["unit"], "initial": getattr(base, k),
                  "cycle_to_cycle_sd": _num(sd[k] / vals[k])} for k in vals}
    targets = {"v_th": {"measured": P["v_th"]["mean"], "model": dev.v_th}, "v_hold": {"measured": P["v_hold"]["mean"],
               "model": dev.v_hold}, "off_state_points": {"measured": int(ov.size), "model": None}}
    return DeviceFit("nbox_ts", dev.as_dict(), fitted, targets, "v_th, v_hold: branch means; r_off, v_nl: least "
                     "squares of ln|I| of the off state; r_on: on current at i_peak", [], float(sol.cost))


# --------------------------------------------------------------------------- transients
def half_width(t, a, k: int) -> float:
    """Full width at half maximum of the peak of ``a`` at index ``k`` (linear interpolation at the crossings)."""
    half = a[k] / 2
    lo = k
    while lo > 0 and a[lo] > half:
        lo -= 1
    hi = k
    while hi < a.size - 1 and a[hi] > half:
        hi += 1
    def cross(i0, i1):
        if a[i1] == a[i0]:
            return t[i0]
        return t[i0] + (half - a[i0]) * (t[i1] - t[i0]) / (a[i1] - a[i0])
    return float(cross(hi - 1, hi) - cross(lo, lo + 1)) if hi > lo else math.nan


def noise(y) -> float:
    """The white-noise level (standard deviation) of a sampled signal, from the median absolute deviation of
    its sample-to-sample differences (robust to the signal's own edges and spikes)."""
    d = np.diff(np.asarray(y, float))
    if d.size < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2))


def smooth(y, w: int) -> np.ndarray:
    """Moving average over ``w`` samples (edges: the average of what there is)."""
    y = np.asarray(y, float)
    if w <= 1:
        return y
    k = np.ones(w)
    return np.convolve(y, k, "same") / np.convolve(np.ones_like(y), k, "same")


def quiet_noise(y, chunks: int = 20) -> float:
    """The white-noise level of a record whose signal may change from sample to sample (a spiking current
    sampled coarsely): :func:`noise` of each of ``chunks`` stretches, the lower quartile of them. White noise
    gives about its level in every stretch; a clean record's quiet stretches (a baseline, a gap between pulses)
    give about zero, where the record as a whole would count the signal's own steps as noise."""
    y = np.asarray(y, float)
    k = max(1, min(chunks, y.size // 20))            # stretches of at least 20 samples
    est = [noise(part) for part in np.array_split(y, k) if part.size >= 3]
    return float(np.percentile(est, 25)) if est else 0.0


def spike_features(t, i, threshold: float, v=None, vin=None, smooth_v: int = 5,
                   noise_i: float | None = None) -> dict:
    """Features of a spiking transient (see the module docstring): ``{name: (value, standard error)}`` plus
    ``count``, ``times`` and the noise levels ``noise_i``, ``noise_v`` (of the smoothed voltage). Spikes are
    :func:`analysis.spikes.detect_spikes` peaks above ``threshold`` (A). The voltage is smoothed over
    ``smooth_v`` samples before its maxima and minima are taken (noise would bias them outwards). ``noise_i``:
    the current's noise level that sets how deep a spike's dip must be (default: this trace's own; a simulation
    compared with a measurement takes the measurement's, so both are read by one rule)."""
    t = np.asarray(t, float)
    a = np.abs(np.asarray(i, float))
    sigma = quiet_noise(i)                          # of the signed current: |i| folds the noise near zero
    sp = detect_spikes(t, a, threshold, noise=sigma if noise_i is None else noise_i)   # ripples are not spikes
    out: dict = {"count": sp.count, "times": sp.times, "noise_i": sigma, "detection_height": sp.threshold}
    if v is not None:
        v = smooth(np.abs(np.asarray(v, float)), smooth_v)
        out["noise_v"] = noise(v)
    if sp.count < 3:
        return out
    idx = np.searchsorted(t, sp.times)
    isi = np.diff(sp.times)
    med = float(np.median(isi))
    core = isi[(isi > 0.5 * med) & (isi < 1.5 * med)]
    out["isi"] = (float(core.mean()), float(core.std(ddof=1) / math.sqrt(core.size)) if core.size > 1 else 0.0)
    out["peak"] = (float(sp.peaks.mean()), float(sp.peaks.std(ddof=1) / math.sqrt(sp.count)))
    w = np.array([half_width(t, a, k) for k in idx])
    w = w[np.isfinite(w)]
    if w.size >= 2:
        out["width"] = (float(w.mean()), float(w.std(ddof=1) / math.sqrt(w.size)))
    if v is not None:
        fire, reset = [], []
        for k, ts in enumerate(sp.times):
            before = (t >= ts - 0.5 * med) & (t <= ts)
            after = (t >= ts) & (t <= ts + 0.5 * med)
            if k > 0 and before.any():
                fire.append(v[before].max())
            if k < sp.count - 1 and after.any():
                reset.append(v[after].min())
        for name, x in (("v_fire", fire), ("v_reset", reset)):
            if len(x) >= 2:
                out[name] = (float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x))))
    if vin is not None:
        vin = np.asarray(vin, float)
        amp = float(np.max(np.abs(vin)))
        rise = np.flatnonzero(np.abs(vin) >= 0.5 * amp)
        if rise.size and amp > 0:
            t_on = t[rise[0]]
            out["latency"] = (float(sp.times[0] - t_on), 0.0)
            out["t_input"] = float(t_on)
    return out
