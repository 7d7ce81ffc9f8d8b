"""One set of equations, three renderings (numpy, ngspice, Verilog-A) that must agree."""

from __future__ import annotations

import re

import numpy as np
import pytest

from circuits.builders import device_sweep
from pyspice_models.equations import FUNCTIONS
from pyspice_models.nbox import NBOX, NbOxParams
from pyspice_models.params import spice_number
from pyspice_models.taox import TAOX, TaOxParams
from tests.integrate import integrate_piecewise

MODELS = [(NBOX, NbOxParams), (TAOX, TaOxParams)]


# --------------------------------------------------------------------------- text renderings
@pytest.mark.parametrize("model, cls", MODELS, ids=["nbox", "taox"])
def test_verilog_a_rendering(model, cls):
    va = model.verilog_a()
    assert f"module {model.name}(p, n);" in va
    assert va.rstrip().endswith("endmodule")
    assert '`include "disciplines.vams"' in va
    for s in model.states:
        assert f"ddt(V({s.name}))" in va
        assert f"I({s.name}) <+" in va
    assert re.search(r"^\s*I\(p, n\) <\+ .+;$", va, re.M)
    p = cls()
    for name in cls.names():
        m = re.search(rf"^\s*parameter real {name} = (\S+);", va, re.M)
        assert m, name
        assert float(m.group(1)) == getattr(p, name)
    # no ngspice syntax leaked in
    assert "v(p,n)" not in va


def test_verilog_a_nbox_states():
    va = NBOX.verilog_a()
    assert "module nbox_ts" in va
    for s in ("h", "s", "x"):
        assert f"ddt(V({s}))" in va
    assert "electrical h, s, x;" in va


def test_verilog_a_taox_state():
    va = TAOX.verilog_a()
    assert "module taox_syn" in va
    assert "ddt(V(dw))" in va and "parameter real w0 = 0.0;" in va


def test_verilog_a_uses_given_params():
    va = NBOX.verilog_a(NbOxParams(r_on=321.0), header="custom header")
    assert "// custom header" in va
    assert re.search(r"parameter real r_on = 321\.0;", va)


@pytest.mark.parametrize("model, cls", MODELS, ids=["nbox", "taox"])
def test_ngspice_subckt_params_line(model, cls):
    text = model.ngspice_subckt()
    lines = text.splitlines()
    head = [ln for ln in lines if ln.startswith(".subckt ")]
    assert len(head) == 1
    assert head[0].startswith(f".subckt {model.name} p n params: ")
    pv = dict(tok.split("=") for tok in head[0].split("params:")[1].split())
    assert set(pv) == set(cls.names())
    p = cls()
    for name in cls.names():
        assert float(pv[name]) == getattr(p, name)
    assert lines[-1] == f".ends {model.name}"
    for s in model.states:
        assert f"C{s.name} {s.name} 0 1" in lines
        assert any(ln.startswith(f"B{s.name} 0 {s.name} I=") for ln in lines)
    dev = [ln for ln in lines if ln.startswith("Bdev p n I=")]
    assert len(dev) == 1
    # aliases are inlined, states are node voltages, V is v(p,n)
    body = "\n".join(ln for ln in lines if ln.startswith("B"))
    for alias, _ in model.aliases:
        assert not re.search(rf"\b{alias}\b", body), alias
    assert "v(p,n)" in body
    assert ".control" not in text and "shell" not in text


def test_ngspice_subckt_defaults_are_the_class_defaults():
    # no device's values can become the subcircuit's defaults: instances carry their differences
    with pytest.raises(TypeError):
        NBOX.ngspice_subckt(NbOxParams(v_th=0.9, v_hold=0.65))
    assert " v_th=0.77 " in NBOX.ngspice_subckt()


@pytest.mark.parametrize("model, cls", MODELS, ids=["nbox", "taox"])
def test_ngspice_subckt_lists_parameters_with_units_and_meanings(model, cls):
    lines = model.ngspice_subckt().splitlines()
    head = next(k for k, ln in enumerate(lines) if ln.startswith(".subckt "))
    p = cls()
    for name, unit, doc, rng in cls.table():
        value = spice_number(getattr(p, name))
        line = f"* {name} = {value} {unit} : {doc}; {rng}" if unit else f"* {name} = {value} : {doc}; {rng}"
        assert lines.index(line) < head, line
    assert sum(bool(re.match(r"\* \w+ = ", ln)) for ln in lines[:head]) == len(cls.names())


@pytest.mark.parametrize("model", [NBOX, TAOX], ids=["nbox", "taox"])
def test_expressions_use_only_known_functions(model):
    model._check_names()
    calls = set()
    for expr in [model.current] + [s.ddt for s in model.states] + [e for _, e in model.aliases]:
        calls |= set(re.findall(r"([A-Za-z_]\w*)\s*\(", expr))
    assert calls <= set(FUNCTIONS)


# --------------------------------------------------------------------------- numpy vs closed forms
def test_numpy_current_closed_form():
    p = NbOxParams()
    cur, ddt = NBOX.numpy_functions(p)
    V = np.linspace(-1.5, 1.5, 31)
    off = cur(V, h=0.0, s=0.0, x=0.0)
    assert np.allclose(off, p.v_nl / p.r_off * np.sinh(V / p.v_nl))
    on = cur(V, h=0.0, s=1.0, x=1.0)
    assert np.allclose(on, off + V / p.r_on)
    assert set(ddt) == {"h", "s", "x"}
    # rest state is stationary at 0 V
    for name, f in ddt.items():
        assert abs(f(0.0, h=0.0, s=0.0, x=0.0)) < 1e-6, name
    # h grows above threshold, relaxes below; symmetric in polarity
    assert ddt["h"](1.0, h=0.0, s=0.0, x=0.0) > 0
    assert ddt["h"](-1.0, h=0.0, s=0.0, x=0.0) == pytest.approx(ddt["h"](1.0, h=0.0, s=0.0, x=0.0))
    assert ddt["h"](0.3, h=0.5, s=0.0, x=0.0) < 0


def test_numpy_taox_closed_form():
    p = TaOxParams()
    cur, ddt = TAOX.numpy_functions(p)
    assert cur(0.5, dw=0.0) == pytest.approx(p.g_min * 0.5)
    assert cur(0.5, dw=1.0) == pytest.approx(p.g_max * 0.5)
    assert ddt["dw"](2.0, dw=0.3) > 0 > ddt["dw"](-2.0, dw=0.3)          # w0 = 0: dw is w
    assert ddt["dw"](2.0, dw=1.0) == pytest.approx(0.0, abs=2e-6)         # the window closes (anchor 1e-6/s)
    assert ddt["dw"](-2.0, dw=0.0) == pytest.approx(0.0, abs=1e-9)
    cur, ddt = TAOX.numpy_functions(p.replace(w0=0.75))                    # a programmed synapse
    assert cur(0.5, dw=0.0) == pytest.approx(p.conductance(0.75) * 0.5)
    assert ddt["dw"](0.0, dw=0.0) == 0.0 and ddt["dw"](2.0, dw=0.25) == pytest.approx(0.0, abs=1e-6)


# --------------------------------------------------------------------------- numpy vs ngspice
R_S = 100.0
EDGE = 2e-9
V_HIGH, V_LOW = 1.5, 0.3


def _expected_delay(p, v_src=V_HIGH, r_s=R_S):
    """Incubation delay t_d0 exp(-(V - v_th)/v_d) at the off-state device voltage."""
    v = v_src
    for _ in range(50):                       # fixed point of v = v_src - r_s I_off(v)
        v = v_src - r_s * p.v_nl / p.r_off * np.sinh(v / p.v_nl)
    return p.t_d0 * np.exp(-(v - p.v_th) / p.v_d)


T_D = _expected_delay(NbOxParams())
T_UP = 50e-9
T_DOWN = T_UP + max(450e-9, 3 * T_D + 20 * NbOxParams().tau_on)
T_END = T_DOWN + 300e-9
STEP = np.array([[0, 0], [T_UP, 0], [T_UP + EDGE, V_HIGH], [T_DOWN, V_HIGH],
                 [T_DOWN + EDGE, V_LOW], [T_END, V_LOW]], float)


def _integrate_numpy(points, r_s, p):
    """Device behind ``r_s`` driven by PWL ``points``: Radau on the states, Newton for V."""
    cur, ddt = NBOX.numpy_functions(p)
    names = [s.name for s in NBOX.states]

    def v_dev(vin, st):
        v = vin
        for _ in range(200):
            f = (vin - v) / r_s - cur(v, **st)
            dv = 1e-7
            df = -1 / r_s - (cur(v + dv, **st) - cur(v - dv, **st)) / (2 * dv)
            step = -f / df
            v += step
            if abs(step) < 1e-14:
                break
        return v

    def vin_at(t):
        return float(np.interp(t, points[:, 0], points[:, 1]))

    def rhs(t, y):
        st = dict(zip(names, y, strict=True))
        v = v_dev(vin_at(t), st)
        return [ddt[n](v, **st) for n in names]

    t, Y = integrate_piecewise(rhs, points, [s.initial for s in NBOX.states], rtol=1e-6, atol=1e-9, max_step=1e-9)
    i = np.empty_like(t)
    for k, tk in enumerate(t):
        st = dict(zip(names, Y[:, k], strict=True))
        i[k] = cur(v_dev(vin_at(tk), st), **st)
    return t, i, Y


def _first_crossing(t, i, level):
    k = np.flatnonzero(np.abs(i) >= level)
    assert k.size, "never crossed"
    k = k[0]
    # linear interpolation between samples
    return float(np.interp(level, np.abs(i[k - 1:k + 1]), t[k - 1:k + 1]))


def _last_crossing_below(t, i, level, after):
    sel = t >= after
    tt, ii = t[sel], np.abs(i[sel])
    k = np.flatnonzero(ii <= level)
    assert k.size, "never fell"
    return float(tt[k[0]])


@pytest.fixture(scope="module")
def numpy_step():
    return _integrate_numpy(STEP, R_S, NbOxParams())


def test_numpy_step_switches(numpy_step):
    t, i, Y = numpy_step
    p = NbOxParams()
    i_on = V_HIGH / (p.r_on + R_S)
    assert np.abs(i[t < T_UP]).max() < 1e-12
    t_sw = _first_crossing(t, i, i_on / 2)
    # incubation delay at the device voltage, then a few tau_on to form the filament
    assert T_UP + 0.7 * T_D < t_sw < T_UP + 1.3 * T_D + 10 * p.tau_on + 5e-9, (t_sw - T_UP, T_D)
    assert Y[2, np.searchsorted(t, T_DOWN - 10e-9)] > 0.99       # filament fully formed
    assert Y[2, -1] < 1e-3                                         # and dissolved again
    assert np.all(Y[:, :] > -1e-6) and np.all(Y[1:, :] < 1 + 1e-6)


@pytest.mark.ngspice
def test_numpy_matches_ngspice(numpy_step):
    from circuits.runner import simulate

    t, i, _ = numpy_step
    p = NbOxParams()
    wf = simulate(device_sweep(points=STEP, R_s=R_S, device=p, tmax=0.2e-9))
    ts, isp = wf.time, wf["i(vsense)"]
    i_on = V_HIGH / (p.r_on + R_S)
    # turn-on time
    t_np = _first_crossing(t, i, i_on / 2)
    t_sp = _first_crossing(ts, isp, i_on / 2)
    assert abs(t_np - t_sp) < 3e-9, (t_np, t_sp)
    # turn-off time
    off_np = _last_crossing_below(t, i, i_on / 10, T_DOWN)
    off_sp = _last_crossing_below(ts, isp, i_on / 10, T_DOWN)
    assert abs(off_np - off_sp) < 3e-9, (off_np, off_sp)
    # current levels: off before switching, on, off after
    for tt in (T_UP + 10e-9, T_UP + 20e-9, T_DOWN - 50e-9, T_DOWN - 5e-9, T_END - 100e-9, T_END - 1e-9):
        a, b = np.interp(tt, t, i), np.interp(tt, ts, isp)
        assert b == pytest.approx(a, rel=0.03, abs=1e-12), tt
    # the on level is what the circuit law says: V / (r_on + R_s) plus the off conduction
    i_on_sim = np.interp(T_DOWN - 5e-9, ts, isp)
    assert i_on_sim == pytest.approx(i_on, rel=0.10)
    assert np.interp(T_END - 1e-9, ts, isp) < 1e-4
