"""Least-squares fits of the paper's empirical laws, usable on any data.

* :func:`fit_lorentz` - spatiotemporal summation, Eq. 1 of Duan et al. (2020):
  ``y = y0 + A B / (4 (dt - tau)^2 + B^2)`` (peak ``y0 + A/B`` at ``tau``,
  full width at half maximum ``B``).
* :func:`fit_gain_modulation` - the input-output (IO) curves under modulation,
  Eqs. 2-3: ``f(d, m) = R_max (d a)^n / (d50^n + (d a)^n)`` with
  ``a(m) = k0 m^4 + k1`` and ``n(m) = k2 m + k3``; :func:`hill_gain` is Eq. 4.
* :func:`fit_surface` - firing rate over two input amplitudes (Fig. 3d): a
  sigmoid of a weighted input ``v = c v1 + (1 - c) v2``.
* :func:`fit_rate_vs_interval` - firing rate against pulse interval (Fig. 3h):
  ``r = r_inf + A exp(-interval / tau)``.

Every fit starts from initial values estimated from the data (no user guess
needed), returns a :class:`FitResult` with parameters, standard errors (from
the covariance of ``scipy.optimize.curve_fit``) and R^2, and raises
:class:`FitError` with a plain reason when the data cannot determine the
parameters (too few points, no variation, no convergence, singular
covariance) instead of returning numbers that mean nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit


class FitError(RuntimeError):
    """The data do not determine the model's parameters; ``str()`` says why."""

    def __init__(self, model: str, reason: str):
        self.model = model
        self.reason = reason
        super().__init__(f"{model} fit failed: {reason}")


@dataclass(frozen=True)
class FitResult:
    """Fitted parameters, 1-sigma standard errors (0 for fixed ones) and R^2."""

    model: str
    params: dict[str, float]
    stderr: dict[str, float]
    r2: float
    n_points: int
    fixed: tuple[str, ...] = ()
    func: Callable = field(repr=False, compare=False, default=None)
    warnings: tuple[str, ...] = ()   # fitted, but a parameter means less than its name suggests

    def __call__(self, *x):
        return self.func(*x, **self.params)

    def as_dict(self) -> dict:
        out = dict(self.params)
        out["r2"] = self.r2
        out["stderr"] = dict(self.stderr)
        out["n_points"] = self.n_points
        out["model"] = self.model
        if self.fixed:
            out["fixed"] = list(self.fixed)
        out["warnings"] = list(self.warnings)
        return out


def jacobian_errors(J, residuals, *, weighted: bool = False) -> tuple[np.ndarray, float, int]:
    """Standard errors of a least-squares solution from its Jacobian ``J`` (rows: residuals, columns:
    parameters): ``sqrt(diag((J'J)^-1) s2)``. ``s2`` is the residual variance ``chi2/dof``; for residuals
    already weighted by their uncertainties (``weighted``) it is ``max(1, chi2/dof)``: errors are only
    inflated by a misfit. Returns (errors, chi2, dof); errors are NaN where ``J'J`` is singular (the data
    do not determine the parameters)."""
    J = np.asarray(J, float)
    r = np.asarray(residuals, float)
    dof = max(1, J.shape[0] - J.shape[1])
    chi2 = float(r @ r)
    s2 = max(1.0, chi2 / dof) if weighted else chi2 / dof
    try:
        cov = np.linalg.inv(J.T @ J) * s2
    except np.linalg.LinAlgError:
        return np.full(J.shape[1], np.nan), chi2, dof
    return np.sqrt(np.clip(np.diag(cov), 0, None)), chi2, dof


def r_squared(y, yhat) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot."""
    y = np.asarray(y, float)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    ss_res = float(np.sum((y - np.asarray(yhat, float)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")


def _clean(model: str, n_free: int, *arrays) -> list[np.ndarray]:
    arrs = [np.asarray(a, float).ravel() for a in arrays]
    n = arrs[0].size
    if any(a.size != n for a in arrs):
        raise FitError(model, "the input arrays differ in length")
    if not all(np.all(np.isfinite(a)) for a in arrs):
        raise FitError(model, "the data hold non-finite values")
    if n <= n_free:
        raise FitError(model, f"{n} points cannot determine {n_free} free parameters")
    if np.ptp(arrs[-1]) == 0:
        raise FitError(model, "the response does not vary: nothing to fit")
    return arrs


def _fit(model: str, func: Callable, x, y, names: list[str], p0: dict, bounds: dict,
         fixed: Mapping[str, float] | None = None, scales: tuple[str, ...] = (),
         locations: Mapping[str, float] | None = None) -> FitResult:
    """curve_fit over the free parameters in ``names``; ``fixed`` ones are held.

    ``x`` is one array, or a tuple of arrays passed to ``func`` as separate
    arguments. The fit is refused when a free parameter ends on a finite
    bound, or when a scale parameter (``scales``: widths, time constants) is
    not known to better than 100 %: the data did not determine it. Any other
    parameter known no better than 100 % gets a warning in the result; a
    location parameter (``locations``: name -> the data's span along its
    axis, e.g. a peak's centre) gets one when its error exceeds half that span.
    """
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(names)
    if unknown:
        raise FitError(model, f"cannot fix unknown parameter(s) {sorted(unknown)}; known: {names}")
    free = [k for k in names if k not in fixed]
    multi = isinstance(x, tuple)
    if multi:
        x = np.vstack(x)

    def f(xx, *vals):
        args = tuple(xx) if multi else (xx,)
        return func(*args, **dict(zip(free, vals, strict=True)), **fixed)

    lo = np.array([bounds.get(k, (-np.inf, np.inf))[0] for k in free], float)
    hi = np.array([bounds.get(k, (-np.inf, np.inf))[1] for k in free], float)
    start = np.array([p0[k] for k in free], float)
    start = np.minimum(np.maximum(start, np.nextafter(lo, hi)), np.nextafter(hi, lo))
    with warnings.catch_warnings():
        warnings.simplefilter("error", OptimizeWarning)
        try:
            popt, pcov = curve_fit(f, x, y, p0=start, bounds=(lo, hi), maxfev=20000)
        except (RuntimeError, OptimizeWarning, ValueError) as e:
            raise FitError(model, f"no convergence ({e})") from None
    yhat = f(x, *popt)
    if not np.all(np.isfinite(yhat)):
        raise FitError(model, "the fitted curve is not finite")
    perr = np.sqrt(np.clip(np.diag(pcov), 0, None))
    if not np.all(np.isfinite(perr)):
        raise FitError(model, "the parameters are not determined by the data (singular covariance)")
    locations = dict(locations or {})
    notes = []
    for k, v, lo_k, hi_k, e in zip(free, popt, lo, hi, perr, strict=True):
        tol = 1e-4 * (hi_k - lo_k) if np.isfinite(hi_k - lo_k) else 1e-6 * max(abs(v), 1e-30)
        if (np.isfinite(lo_k) and v - lo_k <= tol) or (np.isfinite(hi_k) and hi_k - v <= tol):
            raise FitError(model, f"parameter {k} ran to its bound ({v:.4g}): the data do not determine it")
        if k in scales and e > abs(v):
            raise FitError(model, f"parameter {k} = {v:.4g} +/- {e:.2g} is not determined by the data")
        if k in locations and e > locations[k] / 2:
            notes.append(f"{k} = {v:.4g} +/- {e:.2g} is poorly determined (error > half the data's span)")
        elif k not in locations and k not in scales and e > abs(v):
            notes.append(f"{k} = {v:.4g} +/- {e:.2g} is poorly determined (error > 100 %)")
    r2 = r_squared(y, yhat)
    if not r2 > 0:
        raise FitError(model, f"the fit explains nothing (R^2 = {r2:.3g})")
    values = {**dict(zip(free, popt.tolist(), strict=True)), **{k: float(v) for k, v in fixed.items()}}
    errors = {**dict(zip(free, perr.tolist(), strict=True)), **{k: 0.0 for k in fixed}}
    return FitResult(model, {k: values[k] for k in names}, {k: errors[k] for k in names}, r2,
                     int(np.size(y)), tuple(k for k in names if k in fixed), func, tuple(notes))


def _with_warnings(fit: FitResult, extra: list[str]) -> FitResult:
    return replace(fit, warnings=fit.warnings + tuple(extra)) if extra else fit


# --------------------------------------------------------------------------- Eq. 1
def lorentz(dt, y0, A, B, tau):
    """Eq. 1 of Duan et al.: ``y0 + A B / (4 (dt - tau)^2 + B^2)``."""
    dt = np.asarray(dt, float)
    return y0 + A * B / (4 * (dt - tau) ** 2 + B ** 2)


def fit_lorentz(dt, y, fixed: Mapping[str, float] | None = None) -> FitResult:
    """Fit Eq. 1 to spike counts (or rates) against the delay ``dt`` between inputs."""
    dt, y = _clean("lorentz", 4 - len(fixed or {}), dt, y)
    span = float(np.ptp(dt)) or 1.0
    base, top = float(y.min()), float(y.max())
    above = dt[y >= (base + top) / 2]
    B0 = max(float(np.ptp(above)), span / max(dt.size - 1, 1))
    p0 = {"y0": base, "A": (top - base) * B0, "B": B0, "tau": float(dt[np.argmax(y)])}
    # a peak: its centre must lie within the data (a monotonic trend is not a Lorentzian)
    bounds = {"A": (0, np.inf), "B": (1e-9 * span, 100 * span), "tau": (dt.min(), dt.max())}
    fit = _fit("lorentz", lorentz, dt, y, ["y0", "A", "B", "tau"], p0, bounds, fixed, scales=("B",),
               locations={"tau": span})
    extra = []
    if fit.params["B"] > span:
        extra.append(f"the width B = {fit.params['B']:.3g} exceeds the span of the data ({span:.3g}): the "
                     "peak's wings are not in the data, so y0 is an extrapolated baseline, not a measured one")
    if fit.params["y0"] < 0 <= y.min():
        extra.append(f"the baseline y0 = {fit.params['y0']:.3g} is below zero for non-negative data: the "
                     "curve does not flatten within the data (not Lorentzian wings)")
    return _with_warnings(fit, extra)


# --------------------------------------------------------------------------- Eqs. 2-4
def _a(m, k0, k1):
    return k0 * np.asarray(m, float) ** 4 + k1


def _n(m, k2, k3):
    return k2 * np.asarray(m, float) + k3


def hill_io(d, m, k0, k1, k2, k3, R_max, d50):
    """Eqs. 2-3: output (spike count or rate) for drive frequency ``d`` and modulation ``m``."""
    d = np.asarray(d, float)
    a = _a(m, k0, k1)
    n = np.maximum(_n(m, k2, k3), 1e-6)
    x = np.clip(d * a, 0, None) / d50
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # R x^n / (1 + x^n), written to stay finite for steep n
        out = R_max / (1 + np.exp(-n * np.log(np.where(x > 0, x, 1e-300))))
    return out


def hill_gain(d, m, k0, k1, k2, k3, R_max, d50):
    """Eq. 4: the gain df/dd of Eq. 2 at drive ``d`` and modulation ``m``."""
    d = np.asarray(d, float)
    a = _a(m, k0, k1)
    n = np.maximum(_n(m, k2, k3), 1e-6)          # as in hill_io
    x = np.clip(d * a, 0, None) / d50
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # a n R d50^n (d a)^(n-1) / (d50^n + (d a)^n)^2, divided through by d50^(2n)
        g = a * n * R_max / d50 * x ** (n - 1) / (1 + x ** n) ** 2
    return np.where(np.isfinite(g), g, 0.0)


def half_max_drive(m, k0, k1, d50, **_):
    """Drive frequency at which Eq. 2 gives R_max/2 for modulation ``m``: ``d50 / a(m)``."""
    return d50 / _a(m, k0, k1)


def fit_gain_modulation(d, m, f, fixed: Mapping[str, float] | None = None) -> FitResult:
    """Fit Eqs. 2-3 jointly to IO curves ``f`` over drive ``d`` at modulations ``m``.

    ``d``, ``m``, ``f`` are flat arrays of equal length (one entry per point).
    Eq. 2 depends on ``a(m)`` and ``d50`` only through ``d a(m) / d50``, so
    ``k0``, ``k1`` and ``d50`` cannot all be fitted: by default ``d50`` is
    held at the geometric mean of the drives (pass ``fixed={"d50": ...}`` to
    hold it elsewhere, e.g. at the paper's value to compare ``k0``, ``k1``).
    """
    fixed = dict(fixed or {})
    if not ({"d50", "k0", "k1"} & set(fixed)):
        dpos = np.asarray(d, float)[np.asarray(d, float) > 0]
        fixed["d50"] = float(np.exp(np.mean(np.log(dpos)))) if dpos.size else 1.0
    d, m, f = _clean("hill", 6 - len(fixed), d, m, f)
    R0 = float(f.max())
    d50 = fixed.get("d50", float(np.median(d)))
    # per-curve half-max drives give a(m) = d50 / d_half(m); regress on m^4
    levels = np.unique(m)
    halves = []
    for lv in levels:
        sel = m == lv
        dd, ff = d[sel], f[sel]
        order = np.argsort(dd)
        dd, ff = dd[order], ff[order]
        above = np.flatnonzero(ff >= R0 / 2)
        halves.append(dd[above[0]] if above.size else 2 * dd.max())
    a_est = d50 / np.asarray(halves)
    A = np.column_stack([levels ** 4, np.ones_like(levels)])
    (k0, k1), *_ = np.linalg.lstsq(A, a_est, rcond=None) if levels.size > 1 else ((0.0, a_est[0]),)
    k1 = max(float(k1), 1e-3)
    p0 = {"k0": float(k0), "k1": k1, "k2": 0.0, "k3": 4.0, "R_max": R0, "d50": d50}
    bounds = {"k1": (0, np.inf), "k3": (1e-3, 1e3), "k2": (-1e3, 1e3), "R_max": (0, 10 * R0),
              "d50": (0, np.inf)}
    fit = _fit("hill", hill_io, (d, m), f, ["k0", "k1", "k2", "k3", "R_max", "d50"], p0, bounds, fixed)
    extra = []
    if fit.params["R_max"] > 1.5 * R0:
        extra.append(f"R_max = {fit.params['R_max']:.3g} is far above the largest value ({R0:.3g}): "
                     "the saturation is extrapolated")
    outside = [float(lv) for lv in levels
               if not d.min() <= half_max_drive(lv, **fit.params) <= d.max()]
    if outside:
        extra.append(f"the half-maximum drive lies outside the data for m = {outside}")
    if np.any(_n(levels, fit.params["k2"], fit.params["k3"]) <= 0):
        extra.append("the Hill coefficient n(m) is not positive for every m")
    return _with_warnings(fit, extra)


# --------------------------------------------------------------------------- Fig. 3d
def sigmoid_surface(v1, v2, R_max, c, v50, s):
    """Rate over two input amplitudes: ``R_max / (1 + exp(-(c v1 + (1-c) v2 - v50)/s))``."""
    v = c * np.asarray(v1, float) + (1 - c) * np.asarray(v2, float)
    with np.errstate(over="ignore"):
        return R_max / (1 + np.exp(-(v - v50) / s))


def fit_surface(v1, v2, rate, fixed: Mapping[str, float] | None = None) -> FitResult:
    """Fit :func:`sigmoid_surface` to a rate map over (v1, v2) (flat arrays).

    ``c`` is the weight of input 1 in the effective drive (for two inputs
    into one node it is R_2 / (R_1 + R_2)), ``v50`` the effective drive for
    half the maximum rate, ``s`` the steepness.
    """
    v1, v2, rate = _clean("surface", 4 - len(fixed or {}), v1, v2, rate)
    v = (v1 + v2) / 2
    R0 = float(rate.max())
    mid = v[np.argmin(np.abs(rate - R0 / 2))]
    p0 = {"R_max": R0, "c": 0.5, "v50": float(mid), "s": max(float(np.ptp(v)) / 10, 1e-3)}
    bounds = {"R_max": (0, 10 * R0), "c": (0, 1), "s": (1e-6, 10 * max(float(np.ptp(v)), 1e-3))}
    fit = _fit("surface", sigmoid_surface, (v1, v2), rate, ["R_max", "c", "v50", "s"], p0, bounds,
               fixed, scales=("s",), locations={"v50": max(float(np.ptp(v)), 1e-3)})
    steps = np.diff(np.unique(np.round(v, 12)))
    step = float(steps.min()) if steps.size else 0.0
    s_fit = fit.params["s"]
    if step and 4 * s_fit < step:
        # the whole rise (about 4 s wide) fits between two grid points: any step fits, the shape is unseen
        return _with_warnings(fit, [f"the fitted transition (4 s = {4 * s_fit:.3g} V) is narrower than the grid "
                                    f"step ({step:.3g} V): the data only bracket it"])
    return fit


# --------------------------------------------------------------------------- Fig. 3h
def exp_decay(x, r_inf, A, tau):
    """``r_inf + A exp(-x / tau)``."""
    return r_inf + A * np.exp(-np.asarray(x, float) / tau)


def fit_rate_vs_interval(interval, rate, fixed: Mapping[str, float] | None = None) -> FitResult:
    """Fit :func:`exp_decay` to firing rate against pulse interval."""
    x, y = _clean("exp_decay", 3 - len(fixed or {}), interval, rate)
    order = np.argsort(x)
    x, y = x[order], y[order]
    span = float(np.ptp(x)) or 1.0
    p0 = {"r_inf": float(y[-1]), "A": float(y[0] - y[-1]) * np.exp(x[0] / span), "tau": span}
    bounds = {"tau": (1e-3 * span, 1e3 * span)}
    return _fit("exp_decay", exp_decay, x, y, ["r_inf", "A", "tau"], p0, bounds, fixed,
                scales=("tau",))


__all__ = ["FitError", "FitResult", "r_squared", "lorentz", "fit_lorentz", "hill_io", "hill_gain",
           "half_max_drive", "fit_gain_modulation", "sigmoid_surface", "fit_surface", "exp_decay",
           "fit_rate_vs_interval"]
