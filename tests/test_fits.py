"""Fits of the paper's laws: recover known parameters from noisy synthetic data, refuse nonsense."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.fits import (
    FitError,
    exp_decay,
    fit_gain_modulation,
    fit_lorentz,
    fit_rate_vs_interval,
    fit_surface,
    half_max_drive,
    hill_gain,
    hill_io,
    lorentz,
    r_squared,
    sigmoid_surface,
)

DT = np.arange(-6.6, 6.61, 1.1) * 1e-6


def _close(fit, truth, nsig=4.0, rel=0.0):
    for k, v in truth.items():
        err = fit.stderr[k]
        assert abs(fit.params[k] - v) <= nsig * err + rel * abs(v) + 1e-300, (k, fit.params[k], v, err)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lorentz_recovers_parameters(seed):
    truth = {"y0": 6.04, "A": 10.34e-6, "B": 2.15e-6, "tau": 0.05e-6}
    rng = np.random.default_rng(seed)
    dt = np.linspace(-6.6e-6, 6.6e-6, 25)
    y = lorentz(dt, **truth) + rng.normal(0, 0.15, dt.size)
    fit = fit_lorentz(dt, y)
    _close(fit, truth)
    assert fit.r2 > 0.95
    assert set(fit.as_dict()) >= {"y0", "A", "B", "tau", "r2", "stderr"}
    # the fitted curve evaluates
    assert np.allclose(fit(dt), lorentz(dt, **fit.params))


def test_paper_lorentz_parameters_give_its_counts():
    """Eq. 1 in the form y0 + A B/(4(dt-tau)^2 + B^2) reproduces Fig. 3k's 11 spikes at dt = 0."""
    p = {"y0": 6.04, "A": 10.34, "B": 2.15, "tau": 0.05}
    assert lorentz(0.0, **p) == pytest.approx(10.84, abs=0.01)
    assert 6.5 < lorentz(2.2, **p) < 7.5


def test_hill_recovers_parameters_with_d50_fixed():
    truth = {"k0": 3.0, "k1": 0.5, "k2": 4.0, "k3": 3.0, "R_max": 9.0}
    d50 = 0.35e6
    rng = np.random.default_rng(3)
    ms = np.array([0, 0.4, 0.5, 0.6, 0.7])
    D, M = np.meshgrid(np.linspace(0.1e6, 1.2e6, 14), ms)
    f = hill_io(D, M, **truth, d50=d50) + rng.normal(0, 0.15, D.shape)
    fit = fit_gain_modulation(D.ravel(), M.ravel(), f.ravel(), fixed={"d50": d50})
    _close(fit, truth)
    assert fit.fixed == ("d50",) and fit.stderr["d50"] == 0
    assert fit.r2 > 0.95


def test_hill_scale_degeneracy_is_handled():
    """Eq. 2 only sees d a(m)/d50: scaling k0, k1, d50 together changes nothing."""
    d = np.linspace(0.1, 1.0, 7)
    p = {"k0": 1.0, "k1": 0.5, "k2": 2.0, "k3": 3.0, "R_max": 9.0, "d50": 0.35}
    q = dict(p, k0=2.0, k1=1.0, d50=0.7)
    assert np.allclose(hill_io(d, 0.5, **p), hill_io(d, 0.5, **q))
    # default: d50 held (at the drives' geometric mean), the rest fitted
    f = hill_io(np.tile(d, 3), np.repeat([0.0, 0.4, 0.7], 7), **p)
    fit = fit_gain_modulation(np.tile(d, 3), np.repeat([0.0, 0.4, 0.7], 7), f)
    assert "d50" in fit.fixed
    assert fit.params["k0"] / fit.params["d50"] == pytest.approx(p["k0"] / p["d50"], rel=1e-3)


def test_hill_gain_is_the_derivative_of_eq2():
    p = {"k0": 1.11, "k1": 0.45, "k2": 3.0, "k3": 2.0, "R_max": 9.0, "d50": 0.35}
    d = np.linspace(0.2, 1.2, 11)
    for m in (0.0, 0.5, 0.7):
        h = 1e-6
        num = (hill_io(d + h, m, **p) - hill_io(d - h, m, **p)) / (2 * h)
        assert np.allclose(hill_gain(d, m, **p), num, rtol=1e-5, atol=1e-9)
    # at each curve's half-maximum drive: f = R_max/2 and the gain is a n R_max / (4 d50)
    m = 0.6
    dh = half_max_drive(m, **p)
    assert hill_io(dh, m, **p) == pytest.approx(p["R_max"] / 2)
    a, n = p["k0"] * m ** 4 + p["k1"], p["k2"] * m + p["k3"]
    assert hill_gain(dh, m, **p) == pytest.approx(a * n * p["R_max"] / (4 * p["d50"]))


def test_hill_stays_finite_for_the_papers_steep_coefficients():
    p = {"k0": 1.11, "k1": 0.45, "k2": 100.0, "k3": 50.0, "R_max": 9.0, "d50": 0.35}
    y = hill_io(np.linspace(0.0, 2.0, 50), 0.7, **p)
    assert np.all(np.isfinite(y)) and y.min() >= 0 and y.max() <= 9.0


def test_surface_recovers_parameters():
    truth = {"R_max": 2.0e6, "c": 0.35, "v50": 0.8, "s": 0.03}
    rng = np.random.default_rng(4)
    V1, V2 = np.meshgrid(np.linspace(0.6, 0.9, 7), np.linspace(0.6, 0.9, 7))
    r = sigmoid_surface(V1, V2, **truth) + rng.normal(0, 3e4, V1.shape)
    fit = fit_surface(V1.ravel(), V2.ravel(), r.ravel())
    _close(fit, truth)


def test_rate_vs_interval_recovers_parameters():
    truth = {"r_inf": 1.0e6, "A": 1.5e6, "tau": 0.1e-6}
    rng = np.random.default_rng(5)
    x = np.linspace(0.05e-6, 0.4e-6, 8)
    y = exp_decay(x, **truth) * (1 + rng.normal(0, 0.005, x.size))
    fit = fit_rate_vs_interval(x, y)
    _close(fit, truth)


def test_fixed_parameter_is_held():
    dt = np.linspace(-5, 5, 21)
    y = lorentz(dt, 1.0, 8.0, 2.0, 0.0)
    fit = fit_lorentz(dt, y, fixed={"tau": 0.0})
    assert fit.params["tau"] == 0.0 and fit.stderr["tau"] == 0.0
    assert fit.params["B"] == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(FitError, match="unknown"):
        fit_lorentz(dt, y, fixed={"nope": 1.0})


@pytest.mark.parametrize("case", ["flat", "few", "nan", "line", "noise", "length"])
def test_lorentz_refuses_unfittable_data(case):
    rng = np.random.default_rng(7)
    dt, y = DT, lorentz(DT, 6, 10e-6, 2e-6, 0)
    if case == "flat":
        y = np.full(DT.size, 5.0)
    elif case == "few":
        dt, y = DT[:3], y[:3]
    elif case == "nan":
        y = y.copy()
        y[2] = np.nan
    elif case == "line":
        y = 3 + DT * 1e6
    elif case == "noise":
        y = rng.normal(0, 1, DT.size)
    elif case == "length":
        y = y[:-1]
    with pytest.raises(FitError) as ei:
        fit_lorentz(dt, y)
    assert "lorentz fit failed" in str(ei.value)


@pytest.mark.parametrize("seed", range(4))
def test_surface_and_decay_refuse_pure_noise(seed):
    rng = np.random.default_rng(seed)
    V1, V2 = np.meshgrid(np.linspace(0.6, 0.9, 7), np.linspace(0.6, 0.9, 7))
    with pytest.raises(FitError):
        fit_surface(V1.ravel(), V2.ravel(), rng.normal(0, 1, V1.size))
    with pytest.raises(FitError):
        fit_rate_vs_interval(np.linspace(0.05, 0.4, 6), rng.normal(5, 1, 6))


def test_r_squared():
    y = np.array([1.0, 2.0, 3.0])
    assert r_squared(y, y) == 1.0
    assert r_squared(y, np.full(3, 2.0)) == 0.0


def test_warnings_flag_parameters_that_mean_less_than_their_names():
    # a triangle is fitted, but the Lorentz width runs beyond the data and y0 is extrapolated
    dt = np.linspace(-6.6, 6.6, 13)
    counts = np.array([4, 5, 7, 8, 9, 10, 11, 10, 9, 8, 7, 5, 4])    # fig3l as simulated
    fit = fit_lorentz(dt, counts)
    assert fit.r2 > 0.95 and fit.params["y0"] < 0
    assert any("below zero" in w for w in fit.warnings)
    assert fit.as_dict()["warnings"] == list(fit.warnings)
    # a clean Lorentzian raises no warning
    clean = fit_lorentz(dt, lorentz(dt, 6, 10, 2, 0))
    assert clean.warnings == ()
    # IO curves that never reach half maximum inside the drives for one m are flagged
    p = {"k0": 3.0, "k1": 0.5, "k2": 4.0, "k3": 3.0, "R_max": 9.0, "d50": 0.35}
    D, M = np.meshgrid(np.linspace(0.1, 0.6, 10), [0.0, 0.5, 0.7])
    fit = fit_gain_modulation(D.ravel(), M.ravel(), hill_io(D, M, **p).ravel(), fixed={"d50": 0.35})
    assert any("outside the data" in w for w in fit.warnings)


def test_surface_fit_warns_when_the_rise_falls_between_grid_points():
    levels = np.linspace(0.6, 0.9, 4)
    V1, V2 = np.meshgrid(levels, levels, indexing="ij")
    rate = np.where((V1 + V2) / 2 > 0.82, 1.8e6, 0.0) + np.where((V1 + V2) / 2 > 0.78, 0.9e6, 0.0)
    fit = fit_surface(V1.ravel(), V2.ravel(), rate.ravel())
    assert any("narrower than the grid" in w for w in fit.warnings), fit.warnings


def test_jacobian_errors_match_the_linear_regression_formula():
    """For a straight line the standard errors are the textbook ones; a singular Jacobian gives NaN."""
    from analysis.fits import jacobian_errors

    rng = np.random.default_rng(3)
    x = np.linspace(0, 1, 50)
    y = 2 * x + 1 + 0.1 * rng.standard_normal(x.size)
    J = np.column_stack([x, np.ones_like(x)])
    coef, *_ = np.linalg.lstsq(J, y, rcond=None)
    r = J @ coef - y
    se, chi2, dof = jacobian_errors(J, r)
    s2 = r @ r / (x.size - 2)
    sxx = np.sum((x - x.mean()) ** 2)
    assert dof == 48 and chi2 == pytest.approx(r @ r)
    assert se[0] == pytest.approx(np.sqrt(s2 / sxx))
    assert se[1] == pytest.approx(np.sqrt(s2 * (1 / 50 + x.mean() ** 2 / sxx)))
    chi2_w = (r @ r) / 0.01                                       # residuals weighted by sigma = 0.1
    se_w = jacobian_errors(J / 0.1, r / 0.1, weighted=True)[0]
    assert se_w == pytest.approx(se / np.sqrt(s2) * 0.1 * np.sqrt(max(1.0, chi2_w / 48)))
    assert np.all(np.isnan(jacobian_errors(np.column_stack([x, x]), r)[0]))
