"""Third rendering: the Verilog-A models, compiled by OpenVAF-reloaded and run in VACASK, agree with ngspice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.spikes import detect_spikes
from circuits import vacask
from circuits.builders import dendrite, lif_neuron
from circuits.netlist import Instance, Netlist, Resistor
from circuits.runner import SimulationError, read_raw, simulate
from circuits.stimuli import PulseTrain
from pyspice_models.nbox import NbOxParams
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import ParameterError

DEV = NbOxETParams()                 # the default device: electro-thermal
TS = NbOxParams()                    # the behavioural model, its own circuit values
ROOT = Path(__file__).resolve().parent.parent


def _fig3(amplitudes, R, C_m, n=10, **kw):
    return dendrite(trains=[PulseTrain(amplitude=a, n_pulses=n, **kw) for a in amplitudes], R=R, C_m=C_m)


# the circuits of Figs. 2-4 with the default device's circuit values (the experiments' defaults)
CIRCUITS = {
    "lif_1.3V": lif_neuron(train=PulseTrain(n_pulses=5)),
    "lif_-1.1V_5.1k": lif_neuron(train=PulseTrain(amplitude=-1.1, n_pulses=5), R_L=5.1e3),
    "lif_0.5V_silent": lif_neuron(train=PulseTrain(amplitude=0.5, n_pulses=3)),
    "fig3c_single": _fig3([0.9], [5.2e3], 115e-12),
    "fig3c_both": _fig3([0.9, 0.9], [5.2e3] * 2, 115e-12),
    "fig3i_xor_11": _fig3([0.9, -0.9], [4.9e3] * 2, 115e-12),
    "fig3h_both": _fig3([0.8, 0.8], [1.8e3] * 2, 50e-12, interval=0.1e-6),
    "fig4_m0.5": dendrite(trains=[PulseTrain(amplitude=1.2, interval=0.4e-6, n_pulses=10),
                                  PulseTrain(amplitude=0.5, interval=0.4e-6, n_pulses=10)],
                          R=[10.45e3, 40e3], C_m=100e-12, idle="ground"),
    # the behavioural model on its own (former) circuit values
    "ts_lif_1.3V": lif_neuron(train=PulseTrain(n_pulses=5), device=TS),
    "ts_dendrite_both": dendrite(trains=[PulseTrain(amplitude=0.9, n_pulses=10)] * 2, R=[5e3, 5e3], C_m=70e-12,
                                 device=TS),
}
THR = {name: (TS if name.startswith("ts_") else DEV).spike_current() for name in CIRCUITS}


@pytest.mark.vacask
@pytest.mark.ngspice
@pytest.mark.parametrize("name", sorted(CIRCUITS))
def test_vacask_agrees_with_ngspice(name):
    net = CIRCUITS[name]
    wv = vacask.simulate(net)
    wn = simulate(net)
    a = detect_spikes(wv.time, wv["i(vsense)"], THR[name])
    b = detect_spikes(wn.time, wn["i(vsense)"], THR[name])
    assert abs(a.count - b.count) <= 1, (a.times, b.times)
    if a.count:
        # the first spike to a few ns; later ones drift by part of an inter-spike interval (two
        # integrators), but every pulse period holds the same number of spikes (within one)
        assert abs(a.times[0] - b.times[0]) < 5e-9
        edges = np.arange(0, net.tran[1] + 1.1e-6, 1.1e-6)
        ca, _ = np.histogram(a.times, edges)
        cb, _ = np.histogram(b.times, edges)
        assert np.max(np.abs(ca - cb)) <= 1, (ca, cb)
    if name in ("lif_0.5V_silent", "fig3i_xor_11"):
        assert a.count == 0
    else:
        assert a.count > 0
    # the membrane voltage agrees too, sample by sample, up to the first spike (after it, the two
    # relaxation oscillators drift apart in phase)
    t_end = (b.times[0] - 20e-9) if b.count else net.tran[1]
    t = np.linspace(0, t_end, 1000)
    vm_v = np.interp(t, wv.time, wv["v(mem)"])
    vm_n = np.interp(t, wn.time, wn["v(mem)"])
    assert np.max(np.abs(vm_v - vm_n)) < 5e-3


def test_render_maps_every_element():
    deck, va = vacask.render(CIRCUITS["ts_dendrite_both"])
    assert set(va) == {"nbox_ts.va"} and 'load "nbox_ts.va"' in deck
    lines = deck.splitlines()
    assert any(ln.startswith('v1 (s1 0) vsource type="pwl" wave=[0, 0, ') for ln in lines)
    assert "r1 (s1 mem) resistor r=5000" in lines and "r2 (s2 mem) resistor r=5000" in lines
    assert "cm (mem 0) capacitor c=7e-11" in lines and "vsense (sense 0) vsource dc=0" in lines
    assert "xn1 (mem sense) m_xn1" in lines
    # a default device's card sets nothing: the .va holds the class defaults
    assert "model m_xn1 nbox_ts" in lines
    assert "nbox_ts" in va["nbox_ts.va"] and "parameter real v_th = 0.77;" in va["nbox_ts.va"]
    # each element keeps its comment, on the line before it
    assert lines[lines.index("xn1 (mem sense) m_xn1") - 1] == "// NbOx threshold-switch neuron (subcircuit nbox_ts)"
    changed, _ = vacask.render(lif_neuron(train=PulseTrain(n_pulses=1), device=NbOxParams(v_th=0.8, r_on=250.0)))
    assert "model m_xn1 nbox_ts v_th=0.8 r_on=250" in changed.splitlines()
    # one control block, ours
    assert [ln.strip() for ln in lines].count("control") == 1 and lines[-1] == "endc"
    bad = Netlist("bad")
    bad.gate("bg1", "a", "0", "g", 1.0, 1e-12)           # an ngspice behavioural gate: no VACASK rendering
    bad.tran = (1e-9, 1e-6, 1e-9)
    with pytest.raises(ValueError, match="no VACASK rendering"):
        vacask.render(bad)


@pytest.mark.vacask
def test_failure_is_a_simulation_error(monkeypatch, tmp_path):
    real = vacask.executable()
    monkeypatch.setattr(vacask, "executable", lambda: shutil.which("false"))
    with pytest.raises(SimulationError, match="VACASK failed"):
        vacask.simulate(CIRCUITS["lif_1.3V"])
    # VACASK exits 0 after an aborted analysis: its words still make it a failure
    fake = tmp_path / "fake-vacask"
    fake.write_text("#!/bin/sh\necho 'Simulating: memspike error-free title'\n"
                    "echo \"Analysis 'tran1' aborted.\"\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(vacask, "executable", lambda: str(fake))
    with pytest.raises(SimulationError, match="aborted"):
        vacask.simulate(CIRCUITS["lif_1.3V"])
    # a run that claims success but stops short is refused too
    short = tmp_path / "short-vacask"
    deck_net = lif_neuron(train=PulseTrain(n_pulses=1))
    shorter = lif_neuron(train=PulseTrain(n_pulses=1))
    shorter.tran = (deck_net.tran[0], deck_net.tran[1] / 2, deck_net.tran[2])
    text, va = vacask.render(shorter)
    run_dir = tmp_path / "half"
    run_dir.mkdir()
    (run_dir / "deck.sim").write_text(text)
    for k, v in va.items():
        (run_dir / k).write_text(v)
    subprocess.run([real, "deck.sim"], cwd=run_dir, check=True,
                   capture_output=True, stdin=subprocess.DEVNULL)
    short.write_text(f"#!/bin/sh\ncp {run_dir}/tran1.raw tran1.raw\nexit 0\n")
    short.chmod(0o755)
    monkeypatch.setattr(vacask, "executable", lambda: str(short))
    with pytest.raises(SimulationError, match="stopped early"):
        vacask.simulate(deck_net)


def test_user_text_cannot_reach_a_vacask_deck():
    """Elements are typed: a value is a float from construction on, a name is checked, so text (a newline,
    a control block) cannot even be put into a netlist, and the renderer checks names against VACASK."""
    with pytest.raises(ParameterError):
        Resistor(name="rl", nodes=("in", "mem"), ohms='1\ncontrol\n postprocess(PYTHON, "x.py")\nendc')
    with pytest.raises(ParameterError):
        Resistor(name="rl", nodes=("in", "mem\ncontrol"), ohms=1.0)
    named = Netlist("named")
    named.resistor("r1", "control", "0", 1.0)            # a node named like a VACASK keyword
    named.tran = (1e-9, 1e-6, 1e-9)
    with pytest.raises(ValueError, match="keyword"):
        vacask.render(named)
    bad_param = lif_neuron(train=PulseTrain(n_pulses=1), device=NbOxParams(r_on=250.0))
    x = bad_param.element("xn1")
    bad_param.elements[bad_param.elements.index(x)] = Instance(name="xn1", nodes=x.nodes, model=x.model,
                                                               params=(*x.params, ("evil", 1.0)))
    with pytest.raises(ValueError, match="not a parameter"):
        vacask.render(bad_param)
    biased = Netlist("biased")
    biased.vsource("v1", "a", "0", dc=1.0)
    biased.resistor("r1", "a", "0", 1e3)
    biased.tran = (1e-9, 1e-6, 1e-9)
    with pytest.raises(ValueError, match="at 0 at t = 0"):
        vacask.render(biased)


@pytest.mark.vacask
def test_internal_states_are_probed_by_ngspice_names():
    wf = vacask.simulate(CIRCUITS["ts_lif_1.3V"])
    for state in ("h", "s", "x"):
        v = wf[f"v(xn1.{state})"]
        assert v.min() > -0.05 and v.max() < 1.6
    assert wf["v(xn1.s)"].max() > 0.9 and wf["v(xn1.x)"].max() > 0.3   # the latch sets, a filament grows
    wf = vacask.simulate(CIRCUITS["lif_1.3V"])                          # the electro-thermal device
    T = wf["v(xn1.t)"]
    assert T.min() > DEV.T0 - 1 and DEV.folds()["T_hold"] < T.max() < DEV.T_met   # it heats to the on branch
    assert np.max(np.abs(wf["v(xn1.vc)"])) < 1.3


@pytest.mark.vacask
@pytest.mark.ngspice
def test_engine_vacask_from_the_cli_writes_standalone_decks(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "MEMSPIKE_WORKERS": "1"}
    out = tmp_path / "res"
    proc = subprocess.run([sys.executable, "-m", "memspike.cli", "run", "dendrite", "--engine", "vacask",
                           "--set", "n_pulses=5", "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "dendrite.json").read_text())
    assert doc["engine"] == "vacask" and doc["netlists"] == ["dendrite/dendrite.sim"]
    # the deck and its .va run with `vacask deck.sim` alone and give the reported count
    run = tmp_path / "alone"
    shutil.copytree(out / "dendrite", run)
    r = subprocess.run([vacask.executable(), "dendrite.sim"], cwd=run, capture_output=True, text=True,
                       timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    t, vectors = read_raw(run / "tran1.raw")
    assert detect_spikes(t, vectors["vsense:flow(br)"], DEV.spike_current()).count == doc["results"]["spike_count"] > 0
    # and the ngspice engine counts the same
    proc = subprocess.run([sys.executable, "-m", "memspike.cli", "run", "dendrite", "--set", "n_pulses=5",
                           "--out", str(tmp_path / "ng")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "ng" / "dendrite.json").read_text())["results"]["spike_count"] == \
        doc["results"]["spike_count"]


def test_engine_vacask_refused_where_not_built():
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "memspike.cli", "run", "iv", "--engine", "vacask"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "engine" in proc.stderr and len(proc.stderr.splitlines()) == 1


@pytest.mark.vacask
@pytest.mark.ngspice
@pytest.mark.parametrize("amp", [1.8, 1.0, -1.8])
@pytest.mark.parametrize("w0", [0.0, 0.6])
def test_taox_verilog_a_agrees_with_ngspice(amp, w0):
    """From a programmed state w0, SET pulses potentiate and RESET pulses depress alike, a 1 V read leaves
    the state, in both simulators (the programmed state is a parameter: no initial condition needed)."""
    from pyspice_models.taox import TAOX, TaOxParams

    p = TaOxParams(w0=w0)
    tr = PulseTrain(amplitude=amp, width=1e-6, interval=1e-6, n_pulses=5)
    net = Netlist("memspike TaOx train")
    net.subckts[TAOX.name] = TAOX.ngspice_subckt()
    net.vsource("vin", "in", "0", pwl=tr.breakpoints())
    net.instance("x1", "in", "0", TAOX.name, p)
    net.save("v(in)", "i(vin)")
    net.tran = (1e-9, tr.duration, 5e-9)
    net.options = {"reltol": 1e-5}
    mid = tr.starts() + tr.width / 2
    g_v = -np.interp(mid, *_ti(vacask.simulate(net))) / amp
    g_n = -np.interp(mid, *_ti(simulate(net))) / amp
    assert np.allclose(g_v, g_n, rtol=2e-3)
    if amp > p.v_set:
        assert np.all(np.diff(g_v) > 0) and g_v[-1] > p.conductance(w0) + 2 * p.g_min
    elif amp < -p.v_reset and w0 > 0:
        assert np.all(np.diff(g_v) < 0) and g_v[-1] < p.conductance(w0)
    else:
        assert np.allclose(g_v, p.conductance(w0), rtol=1e-4)


def _ti(wf):
    return wf.time, wf["i(vin)"]


def test_nonzero_initial_conditions_are_refused():
    net = lif_neuron(train=PulseTrain(n_pulses=1))
    net.ics = {"mem": 0.5}
    with pytest.raises(ValueError, match="initial conditions"):
        vacask.render(net)


@pytest.mark.vacask
@pytest.mark.ngspice
def test_current_source_means_the_same_in_both_simulators():
    """A PWL current source from 0 into node a through 1 kOhm: both simulators put +I R on a."""
    net = Netlist("isource")
    net.isource("i1", "0", "a", pwl=[(0, 0), (1e-6, 1e-3), (2e-6, -1e-3)])
    net.resistor("r1", "a", "0", 1e3)
    net.save("v(a)")
    net.tran = (1e-8, 2e-6, 1e-8)
    wn, wv = simulate(net), vacask.simulate(net)
    for wf in (wn, wv):
        assert np.interp(1e-6, wf.time, wf["v(a)"]) == pytest.approx(1.0, rel=1e-3)
        assert np.interp(2e-6, wf.time, wf["v(a)"]) == pytest.approx(-1.0, rel=1e-3)
