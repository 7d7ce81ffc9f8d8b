"""TaOx synapse: reads do not program; SET/RESET pulses move w nonlinearly within [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from circuits.netlist import Netlist
from circuits.stimuli import PulseTrain
from pyspice_models.taox import TAOX, TaOxParams

P = TaOxParams()


def _integrate(points, w0, p=P):
    """w(t) under a PWL voltage, integrated breakpoint to breakpoint (w is not stiff here)."""
    _, ddt = TAOX.numpy_functions(p)
    f = ddt["dw"]                      # p.w0 = 0: the state dw is w itself

    def rhs(t, y):
        v = float(np.interp(t, points[:, 0], points[:, 1]))
        return [f(v, dw=y[0])]

    ts, ws = [0.0], [w0]
    y = [w0]
    for a, b in zip(points[:-1, 0], points[1:, 0], strict=True):
        sol = solve_ivp(rhs, (a, b), y, method="LSODA", rtol=1e-9, atol=1e-12,
                        max_step=max((b - a) / 20, 1e-10))
        assert sol.success, sol.message
        ts += list(sol.t[1:])
        ws += list(sol.y[0, 1:])
        y = [sol.y[0, -1]]
    return np.array(ts), np.array(ws)


def _after_each_pulse(train, t, w):
    """w sampled in the middle of each gap (after each pulse)."""
    sample = train.starts() + train.width + train.interval / 2
    return np.interp(sample, t, w)


@pytest.mark.parametrize("w0", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("v_read", [1.0, -1.0])
def test_read_does_not_program(w0, v_read):
    tr = PulseTrain(amplitude=v_read, width=1e-6, interval=1e-6, n_pulses=100)
    t, w = _integrate(tr.breakpoints(), w0)
    assert np.abs(w - w0).max() < 1e-6


@pytest.mark.parametrize("v", [1.0, -1.0, 0.0, 0.5])
def test_read_rate_is_negligible(v):
    _, ddt = TAOX.numpy_functions(P)
    for w in (0.0, 0.5, 1.0):
        # reading adds < 1e-6 of change over a full second to the state's own 1e-6/s operating-point anchor
        assert abs(ddt["dw"](v, dw=w) - ddt["dw"](0.0, dw=w)) < 1e-6
        assert abs(ddt["dw"](0.0, dw=w)) <= 1e-6 * w + 1e-15


def test_set_pulses_potentiate_nonlinearly():
    tr = PulseTrain(amplitude=1.8, width=1e-6, interval=1e-6, n_pulses=12)
    t, w = _integrate(tr.breakpoints(), 0.1)
    wk = np.concatenate(([0.1], _after_each_pulse(tr, t, w)))
    steps = np.diff(wk)
    assert np.all(steps > 0)                           # monotonic
    assert np.all(np.diff(steps) < 0)                  # diminishing (saturating) steps
    assert wk[-1] < 1.0
    assert np.all((w >= 0) & (w <= 1))
    # geometric law of the window (1 - w): the ratio of successive steps is constant
    # (the first pulse is clipped at t = 0, so start from the second)
    ratios = steps[2:] / steps[1:-1]
    assert np.allclose(ratios, ratios[0], rtol=1e-4)
    assert 0 < ratios[0] < 1
    # w does not move in the gaps (nonvolatile)
    gap = (t > tr.starts()[0] + tr.width + 10e-9) & (t < tr.starts()[1] - 10e-9)
    assert np.ptp(w[gap]) < 1e-9


def test_reset_pulses_depress_nonlinearly():
    tr = PulseTrain(amplitude=-1.8, width=1e-6, interval=1e-6, n_pulses=12)
    t, w = _integrate(tr.breakpoints(), 0.9)
    wk = np.concatenate(([0.9], _after_each_pulse(tr, t, w)))
    steps = np.diff(wk)
    assert np.all(steps < 0)
    assert np.all(np.diff(np.abs(steps)) < 0)
    assert wk[-1] > 0.0
    assert np.all((w >= 0) & (w <= 1))


@pytest.mark.parametrize("amp", [2.0, -2.0])
def test_bounded_under_heavy_programming(amp):
    tr = PulseTrain(amplitude=amp, width=1e-6, interval=0.5e-6, n_pulses=40)
    w0 = 0.5
    t, w = _integrate(tr.breakpoints(), w0)
    assert np.all(w >= -1e-12) and np.all(w <= 1 + 1e-12)
    if amp > 0:
        assert w[-1] > 0.99 and np.all(np.diff(w) >= -1e-8)
    else:
        assert w[-1] < 0.01 and np.all(np.diff(w) <= 1e-8)


def test_larger_overdrive_bigger_step():
    steps = []
    for amp in (1.7, 1.8, 2.0):
        tr = PulseTrain(amplitude=amp, width=1e-6, interval=1e-6, n_pulses=1)
        t, w = _integrate(tr.breakpoints(), 0.2)
        steps.append(w[-1] - 0.2)
    assert 0 < steps[0] < steps[1] < steps[2]


def test_closed_form_step():
    # constant V above threshold: 1 - w(t) = (1 - w0) exp(-k t) with k = ddt(w)/(1 - w)
    _, ddt = TAOX.numpy_functions(P)
    v, w0, dur = 1.9, 0.25, 2e-6
    k = ddt["dw"](v, dw=0.0)
    pts = np.array([[0.0, v], [dur, v]])
    t, w = _integrate(pts, w0)
    assert w[-1] == pytest.approx(1 - (1 - w0) * np.exp(-k * dur), rel=1e-6)


# --------------------------------------------------------------------------- ngspice
def _taox_netlist(train, w0):
    net = Netlist("memspike TaOx set train")
    net.subckts[TAOX.name] = TAOX.ngspice_subckt()
    net.vsource("vin", "in", "0", pwl=train.breakpoints())
    net.instance("x1", "in", "0", TAOX.name, P.replace(w0=w0))      # programmed to w0 before the train
    net.save("v(in)", "v(x1.dw)", "i(vin)")
    net.tran = (1e-9, train.duration, 5e-9)
    net.options = {"reltol": 1e-5}
    return net


@pytest.mark.ngspice
@pytest.mark.parametrize("amp, w0", [(1.8, 0.2), (-1.8, 0.8)])
def test_ngspice_matches_numpy(amp, w0):
    from circuits.runner import simulate

    tr = PulseTrain(amplitude=amp, width=1e-6, interval=1e-6, n_pulses=5)
    wf = simulate(_taox_netlist(tr, w0))
    w_sp = w0 + wf["v(x1.dw)"]
    assert w_sp[0] == pytest.approx(w0, abs=1e-6)
    t, w = _integrate(tr.breakpoints(), w0)
    k_sp = np.interp(tr.starts() + tr.width + tr.interval / 2, wf.time, w_sp)
    k_np = _after_each_pulse(tr, t, w)
    moved_sp = k_sp - w0
    moved_np = k_np - w0
    if amp > 0:
        assert np.all(np.diff(np.concatenate(([w0], k_sp))) > 0)
    else:
        assert np.all(np.diff(np.concatenate(([w0], k_sp))) < 0)
    assert moved_sp == pytest.approx(moved_np, rel=0.03)
    # the synapse current is the state's conductance times V
    mid = tr.starts()[-1] + tr.width / 2
    g = P.conductance(np.interp(mid, wf.time, w_sp))
    assert -np.interp(mid, wf.time, wf["i(vin)"]) == pytest.approx(g * amp, rel=0.02)


@pytest.mark.ngspice
def test_ngspice_read_leaves_state():
    from circuits.runner import simulate

    tr = PulseTrain(amplitude=1.0, width=1e-6, interval=1e-6, n_pulses=20)
    wf = simulate(_taox_netlist(tr, 0.4))
    assert np.abs(wf["v(x1.dw)"]).max() < 1e-6
