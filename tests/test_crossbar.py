"""The M x N crossbar builder: structure, both renderings element by element, wire resistance against a
hand-solved resistor network, VACASK against ngspice on the Fig. 5 and Fig. 7 arrays, validation."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

from analysis.spikes import detect_spikes
from circuits import vacask
from circuits.crossbar import MAX_SIZE, crossbar
from circuits.netlist import Capacitor, Instance, Resistor, VSource, write
from circuits.runner import simulate
from circuits.stimuli import PulseTrain
from memspike.experiments.fig7bcd import random_starts
from memspike.export import fig5_crossbar, fig5_weights, fig7_crossbar
from pyspice_models import default_device
from pyspice_models.params import ParameterError
from pyspice_models.taox import TaOxParams

SYN = TaOxParams()
TRAIN = PulseTrain(amplitude=1.0, n_pulses=2)


def _weights(M, N, seed=0):
    return np.random.default_rng(seed).uniform(SYN.g_min, SYN.g_max, (M, N))


# --------------------------------------------------------------------------- structure
def test_structure_without_wires():
    M, N = 3, 4
    net = crossbar(inputs=[TRAIN, None, TRAIN], weights=_weights(M, N), idle="ground")
    names = [e.name for e in net.elements]
    assert names[:3] == ["vin1", "vin2", "vin3"]
    assert len(names) == M + M * N + 3 * N == len(set(names))
    for i in range(1, M + 1):
        for j in range(1, N + 1):
            e = net.element(f"xs{i}_{j}")
            assert isinstance(e, Instance) and e.model == "taox_syn" and e.nodes == (f"r{i}", f"c{j}")
    for j in range(1, N + 1):
        assert net.element(f"cm{j}").nodes == (f"c{j}", "0")
        assert net.element(f"xn{j}").nodes == (f"c{j}", f"sense{j}") and net.element(f"xn{j}").model == "nbox_et"
        assert net.element(f"vsense{j}").nodes == (f"sense{j}", "0") and net.element(f"vsense{j}").dc == 0
    assert net.element("vin2").pwl is None and net.element("vin2").dc == 0     # not applied, held at 0 V
    assert net.probes == {f"n{j}": {"v": f"v(c{j})", "i": f"i(vsense{j})"} for j in range(1, N + 1)}
    assert {"v(r1)", "v(r3)", "i(vsense4)", "v(c4)"} <= set(net.saves)
    assert all(e.comment for e in net.elements)
    assert net.tran[1] == pytest.approx(TRAIN.duration + 0.5e-6)
    # an open input: no driver, its row floats (its synapses remain)
    net = crossbar(inputs=[TRAIN, None, TRAIN], weights=_weights(M, N))
    assert [e.name for e in net.elements if isinstance(e, VSource)][:2] == ["vin1", "vin3"]


def test_structure_with_wires_and_weights():
    M, N, r = 2, 3, 5.0
    W = _weights(M, N)
    net = crossbar(inputs=[TRAIN, TRAIN], weights=W, wire_r=r)
    wires = {e.name: e.nodes for e in net.elements if isinstance(e, Resistor)}
    assert len(wires) == 2 * M * N and all(net.element(n).ohms == r for n in wires)
    assert wires["rwr1_1"] == ("r1", "r1_c1") and wires["rwr1_3"] == ("r1_c2", "r1_c3")
    assert wires["rwc2_1"] == ("c2_r1", "c2_r2") and wires["rwc2_2"] == ("c2_r2", "c2")
    assert net.element("xs2_3").nodes == ("r2_c3", "c3_r2")
    for i in range(M):
        for j in range(N):
            w0 = dict(net.element(f"xs{i + 1}_{j + 1}").params)["w0"]
            assert SYN.conductance(w0) == pytest.approx(W[i, j], rel=1e-10)
    # an open row has no pad segment (its pad would dangle)
    net = crossbar(inputs=[TRAIN, None], weights=W, wire_r=r)
    assert "rwr2_1" not in {e.name for e in net.elements} and "rwr2_2" in {e.name for e in net.elements}


def test_per_crossing_synapse_and_user_synapse():
    syn = TaOxParams(g_max=150e-6)
    net = crossbar(inputs=[TRAIN, TRAIN], weights=[[syn.with_conductance(30e-6)], [150e-6]], synapse=syn)
    assert dict(net.element("xs1_1").params) == {"g_max": 150e-6, "w0": pytest.approx(20 / 140)}
    assert dict(net.element("xs2_1").params) == {"g_max": 150e-6, "w0": 1.0}
    net = crossbar(inputs=[TRAIN], weights=[[SYN.g_min]])
    assert net.element("xs1_1").params == ()            # the model default (w0 = 0) is not written


def test_large_array_builds_and_renders_fast():
    t0 = time.perf_counter()
    net = crossbar(inputs=[TRAIN] * 64, weights=_weights(64, 64), wire_r=1.0)
    text = write(net)
    deck, va = vacask.render(net)
    dt = time.perf_counter() - t0
    assert len(net.elements) == 64 + 2 * 64 * 64 + 64 * 64 + 3 * 64
    assert text.count("\nxs") == deck.count("\nxs") == 64 * 64 and set(va) == {"taox_syn.va", "nbox_et.va"}
    assert dt < 1.0, dt


# --------------------------------------------------------------------------- both renderings
def _ngspice_elements(text):
    lines = text.split("* circuit\n", 1)[1].split("*\n* analysis", 1)[0].splitlines()
    joined = []
    for ln in lines:
        if ln.startswith("+"):
            joined[-1] += " " + ln[1:].strip()
        elif not ln.startswith("*"):
            joined.append(ln)
    out = {}
    for ln in joined:
        name, a, b, *rest = ln.split()
        rest = " ".join(rest)
        if name[0] in "rc":
            out[name] = ((a, b), float(rest))
        elif name[0] == "v":
            if rest.startswith("DC "):
                out[name] = ((a, b), float(rest[3:]))
            else:
                nums = [float(x) for x in rest[4:-1].split()]
                out[name] = ((a, b), tuple(zip(nums[::2], nums[1::2], strict=True)))
        else:
            model, *pv = rest.replace("params:", "").split()
            out[name] = ((a, b), (model, {k: float(v) for k, v in (p.split("=") for p in pv)}))
    return out


def _vacask_elements(deck):
    cards = {}
    for m in re.finditer(r"^model (\S+) (\S+)(.*)$", deck, re.M):
        cards[m.group(1)] = (m.group(2), {k: float(v) for k, v in (p.split("=") for p in m.group(3).split())})
    out = {}
    for m in re.finditer(r"^(\w+) \((\S+) (\S+)\) (\S+)(.*)$", deck, re.M):
        name, a, b, kind, rest = m.groups()
        if kind == "resistor":
            out[name] = ((a, b), float(rest.strip()[2:]))
        elif kind == "capacitor":
            out[name] = ((a, b), float(rest.strip()[2:]))
        elif kind == "vsource":
            if "wave=" in rest:
                nums = [float(x) for x in rest.split("wave=[")[1].rstrip("]").split(",")]
                out[name] = ((a, b), tuple(zip(nums[::2], nums[1::2], strict=True)))
            else:
                out[name] = ((a, b), float(rest.strip()[3:]))
        else:
            model, params = cards[kind]
            out[name] = ((a, b), (model, params))
    return out


def _expected(e):
    if isinstance(e, Resistor):
        return e.nodes, e.ohms
    if isinstance(e, Capacitor):
        return e.nodes, e.farads
    if isinstance(e, VSource):
        return e.nodes, e.pwl if e.pwl is not None else e.dc
    return e.nodes, (e.model, dict(e.params))


@pytest.mark.parametrize("wire_r", [0.0, 12.5])
def test_ngspice_and_vacask_decks_hold_every_element(wire_r):
    syn = TaOxParams(v_act=0.2)
    net = crossbar(inputs=[TRAIN, None, PulseTrain(amplitude=0.8, n_pulses=3, delay=0.3e-6)],
                   weights=_weights(3, 2, seed=4), synapse=syn, wire_r=wire_r, idle="ground", C_m=47e-12)
    ng = _ngspice_elements(write(net))
    va = _vacask_elements(vacask.render(net)[0])
    assert set(ng) == set(va) == {e.name for e in net.elements}
    for e in net.elements:
        want = _expected(e)
        for got in (ng[e.name], va[e.name]):
            assert got[0] == want[0], e.name
            if isinstance(e, Instance):
                model, params = got[1]
                assert model == want[1][0] and set(params) == {k.lower() for k in want[1][1]}, e.name
                for k, v in want[1][1].items():
                    assert params[k.lower()] == pytest.approx(v, rel=1e-11), (e.name, k)
            elif isinstance(e, VSource) and e.pwl is not None:
                assert np.allclose(got[1], want[1], rtol=1e-11, atol=0), e.name
            else:
                assert got[1] == pytest.approx(want[1], rel=1e-11), e.name


# --------------------------------------------------------------------------- wire resistance (Ohm's law)
def _resistive(net, R_load):
    """The array with each neuron replaced by a linear load ``R_load`` (c<j> -> sense<j>)."""
    for e in [e for e in net.elements if e.name.startswith("xn")]:
        net.elements.remove(e)
        j = e.name[2:]
        net.resistor(f"rn{j}", f"c{j}", f"sense{j}", R_load, comment=f"linear load in place of neuron {j}")
    return net


def _nodal(V, G, wire_r, R_load):
    """Column currents of an M x N array by nodal analysis, written from the drawing (not from the netlist):
    row i driven at V[i] through N segments, column j through M segments to its load R_load to ground."""
    M, N = G.shape
    idx = {}
    for i in range(M):
        for j in range(N):
            idx[("r", i, j)] = len(idx)
            idx[("c", j, i)] = len(idx)
    for j in range(N):
        idx[("n", j)] = len(idx)
    A = np.zeros((len(idx), len(idx)))
    b = np.zeros(len(idx))

    def conduct(p, q, g):                      # p, q: node keys, or None (ground) or a float (a fixed voltage)
        for x, y in ((p, q), (q, p)):
            if isinstance(x, tuple):
                A[idx[x], idx[x]] += g
                if isinstance(y, tuple):
                    A[idx[x], idx[y]] -= g
                elif y is not None:
                    b[idx[x]] += g * y
    for i in range(M):
        for j in range(N):
            conduct(("r", i, j), V[i] if j == 0 else ("r", i, j - 1), 1 / wire_r)
            conduct(("c", j, i), ("c", j, i + 1) if i < M - 1 else ("n", j), 1 / wire_r)
            conduct(("r", i, j), ("c", j, i), G[i, j])
    for j in range(N):
        conduct(("n", j), None, 1 / R_load)
    v = np.linalg.solve(A, b)
    return np.array([v[idx[("n", j)]] / R_load for j in range(N)])


@pytest.mark.ngspice
@pytest.mark.parametrize("engine", ["ngspice", pytest.param("vacask", marks=pytest.mark.vacask)])
def test_wire_resistance_obeys_ohms_law(engine):
    """2 x 3 array, DC inputs 1.0 and 0.6 V (TaOx reads: linear), neurons replaced by 1 kOhm loads; 2 kOhm per
    wire segment: the column currents are the hand-solved network's, and the far column's is well below the
    ideal wires' (so the wires are really there)."""
    V, R_load, wire_r = np.array([1.0, 0.6]), 1e3, 2e3
    G = np.array([[200e-6, 100e-6, 150e-6], [50e-6, 180e-6, 120e-6]])
    steps = [np.array([[0, 0], [10e-9, v], [1e-6, v]]) for v in V]
    net = _resistive(crossbar(inputs=steps, weights=G, wire_r=wire_r, C_m=1e-13, tail=0.2e-6), R_load)
    wf = (simulate if engine == "ngspice" else vacask.simulate)(net)
    got = np.array([wf[f"i(vsense{j})"][-1] for j in (1, 2, 3)])
    want = _nodal(V, G, wire_r, R_load)
    ideal = G.T @ V / (1 + R_load * G.sum(axis=0))       # ideal wires: each column alone on its load
    assert np.allclose(got, want, rtol=1e-6, atol=0), (got, want)
    assert want[2] < 0.85 * ideal[2], (want, ideal)        # the far column loses > 15 % to the wires
    # with no wires the same array gives the ideal currents (crossing nodes merged)
    net0 = _resistive(crossbar(inputs=steps, weights=G, C_m=1e-13, tail=0.2e-6), R_load)
    wf0 = (simulate if engine == "ngspice" else vacask.simulate)(net0)
    got0 = np.array([wf0[f"i(vsense{j})"][-1] for j in (1, 2, 3)])
    assert np.allclose(got0, ideal, rtol=1e-6, atol=0)


# --------------------------------------------------------------------------- VACASK against ngspice
ARRAYS = {
    "2x1_fig7_sync": (lambda: fig7_crossbar(), ["n1"]),
    "4x4_fig5_0101": (lambda: fig5_crossbar("0101"), ["n1", "n2", "n3", "n4"]),
}


@pytest.mark.ngspice
@pytest.mark.vacask
@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_vacask_spike_counts_match_ngspice(name):
    build, neurons = ARRAYS[name]
    net = build()
    thr = default_device().spike_current()
    wn, wv = simulate(net), vacask.simulate(net)
    counts = {}
    for n in neurons:
        i = net.probes[n]["i"]
        counts[n] = (detect_spikes(wn.time, wn[i], thr).count, detect_spikes(wv.time, wv[i], thr).count)
        assert abs(counts[n][0] - counts[n][1]) <= 1, counts
    if name.startswith("4x4"):
        # neuron 1 holds 0101 and fires; 1100 and 0011 see one high synapse, 1010 none: silent
        assert counts["n1"][0] >= 5 and counts["n2"] == (0, 0) and counts["n3"] == counts["n4"] == (0, 0), counts
    else:
        assert counts["n1"][0] >= 40, counts         # about one spike per coincident pulse


def test_fig5_weights_pattern():
    """The exported 4 x 4 array holds the fig5fg experiment's four patterns at its target conductances."""
    from memspike.experiments.fig5fg import Fig5fgParams

    p = Fig5fgParams()
    W = np.array(fig5_weights())
    high = W == p.g_high
    assert ["".join("1" if h else "0" for h in high[:, j]) for j in range(4)] == list(p.patterns())
    assert np.all(W[~high] == p.g_low)


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kw, name", [
    ({"inputs": []}, "inputs"),
    ({"inputs": [TRAIN] * (MAX_SIZE + 1), "weights": np.full((MAX_SIZE + 1, 1), 50e-6)}, "inputs"),
    ({"weights": np.full((2, MAX_SIZE + 1), 50e-6)}, "weights"),
    ({"weights": [[50e-6, 50e-6]]}, "weights"),                              # 1 row for 2 inputs
    ({"weights": [[50e-6, 50e-6], [50e-6]]}, "weights"),                     # ragged
    ({"weights": [[50e-6], [5e-6]]}, "weights[1][0]"),                       # below g_min
    ({"weights": [[50e-6], [250e-6]]}, "weights[1][0]"),                     # above g_max
    ({"weights": [[math.nan], [50e-6]]}, "weights[0][0]"),
    ({"weights": [["50u"], [50e-6]]}, "weights[0][0]"),
    ({"weights": 50e-6}, "weights"),
    ({"wire_r": -1.0}, "wire_r"),
    ({"wire_r": math.inf}, "wire_r"),
    ({"wire_r": math.nan}, "wire_r"),
    ({"C_m": 0.0}, "C_m"),
    ({"idle": "float"}, "idle"),
    ({"synapse": default_device()}, "synapse"),
    ({"inputs": [TRAIN, "1V"]}, "inputs[1]"),
    ({"inputs": [TRAIN, np.array([[0, 0], [0, 1]])]}, "inputs[1]"),          # times not increasing
    ({"inputs": [None, None], "tail": 0.0}, "tail"),
])
def test_bad_input_raises_parameter_error(kw, name):
    args = {"inputs": [TRAIN, TRAIN], "weights": [[50e-6], [50e-6]], **kw}
    with pytest.raises(ParameterError) as err:
        crossbar(**args)
    assert err.value.name == name, err.value


# --------------------------------------------------------------------------- Fig. 7d's random timing
def test_random_timing_is_reproducible_from_its_seed():
    a = random_starts(7, 50, 1e-6, 1.5e-6, 0.75e-6)
    assert np.array_equal(a, random_starts(7, 50, 1e-6, 1.5e-6, 0.75e-6))
    assert not np.array_equal(a, random_starts(8, 50, 1e-6, 1.5e-6, 0.75e-6))
    assert np.all(np.diff(a) >= 1e-6 + 0.75e-6 - 1e-15)          # distinct pulses: at least the dead time apart
    assert 0 <= a[0] < 2.5e-6
    many = np.diff(random_starts(1, 20000, 1e-6, 1.5e-6, 0.75e-6))
    assert np.mean(many) == pytest.approx(2.5e-6, rel=0.02)       # S1's mean rate
    # the decks of a seed are the same text
    from circuits.stimuli import pulses_to_pwl

    def deck(seed):
        s2 = pulses_to_pwl(random_starts(seed, 10, 1e-6, 1.5e-6, 0.75e-6), 1e-6, 1.1, 5e-9)
        return write(crossbar(inputs=[TRAIN, s2], weights=[[50e-6], [50e-6]]))
    assert deck(3) == deck(3) != deck(4)
