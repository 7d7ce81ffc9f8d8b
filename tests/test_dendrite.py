"""The two-input dendritic neuron (Fig. 3a) in ngspice: builder, idle inputs and the physics."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.spikes import detect_spikes
from circuits.builders import dendrite
from circuits.executor import simulate_many
from circuits.netlist import write
from circuits.stimuli import PulseTrain
from pyspice_models.nbox import NbOxParams
from pyspice_models.params import ParameterError

DEV = NbOxParams()
THR = DEV.spike_current()
C_M = 70e-12


def tr(a, delay=0.0, n=10):
    return PulseTrain(amplitude=a, width=1e-6, interval=0.1e-6, n_pulses=n, delay=delay)


def counts(cases):
    """cases: (trains, R, idle) -> spike counts, simulated together."""
    nets = [dendrite(trains=t, R=r, C_m=C_M, idle=i, device=DEV, tail=0.3e-6) for t, r, i in cases]
    wfs = simulate_many(nets, workers=2)
    return [detect_spikes(w.time, w[n.probes["n1"]["i"]], THR).count for w, n in zip(wfs, nets, strict=True)]


# --------------------------------------------------------------------------- builder
def test_idle_input_open_leaves_the_branch_out_ground_holds_it_at_0V():
    opened = write(dendrite(trains=[tr(0.9), None], R=[5e3, 6e3], idle="open"))
    grounded = write(dendrite(trains=[tr(0.9), None], R=[5e3, 6e3], idle="ground"))
    assert "r2 " not in opened and "v2 " not in opened
    assert "r2 s2 mem 6000" in grounded and "v2 s2 0 DC 0" in grounded
    for text in (opened, grounded):
        assert "r1 s1 mem 5000" in text and "cm mem 0" in text and ".control" not in text


def test_builder_validates():
    with pytest.raises(ParameterError, match="idle"):
        dendrite(trains=[tr(0.9)], R=[1e3], idle="floating")
    with pytest.raises(ParameterError, match="R_2"):
        dendrite(trains=[tr(0.9), tr(0.9)], R=[1e3, -5])
    with pytest.raises(ParameterError, match="C_m"):
        dendrite(trains=[tr(0.9)], R=[1e3], C_m=float("nan"))
    with pytest.raises(ValueError, match="resistors"):
        dendrite(trains=[tr(0.9), tr(0.9)], R=[1e3])
    with pytest.raises(ValueError, match="no input"):
        dendrite(trains=[None, None], R=[1e3, 1e3], tail=0.0)


# --------------------------------------------------------------------------- physics


@pytest.mark.ngspice
def test_exchanging_inputs_with_their_resistors_changes_nothing():
    a = ([tr(0.9), tr(0.8, delay=0.3e-6)], [4e3, 6e3], "open")
    b = ([tr(0.8, delay=0.3e-6), tr(0.9)], [6e3, 4e3], "open")
    c = ([tr(0.9), None], [4e3, 6e3], "ground")
    d = ([None, tr(0.9)], [6e3, 4e3], "ground")
    na, nb, nc, nd = counts([a, b, c, d])
    assert na == nb and na > 0
    assert nc == nd


@pytest.mark.ngspice
def test_xor_comes_from_polarity_symmetry_same_signs_give_or():
    plus, minus, opposite, same = counts([
        ([tr(0.9), None], [4.75e3] * 2, "open"),
        ([None, tr(-0.9)], [4.75e3] * 2, "open"),
        ([tr(0.9), tr(-0.9)], [4.75e3] * 2, "open"),
        ([tr(0.9), tr(0.9)], [4.75e3] * 2, "open"),
    ])
    assert plus > 0 and abs(plus - minus) <= 1          # the device fires alike in both polarities
    assert opposite == 0                                 # equal and opposite inputs cancel at the node
    assert same > plus                                   # same signs add: OR-like (and more)


@pytest.mark.ngspice
def test_idle_convention_changes_the_physics():
    """Alone, one 0.9 V input fires with the other input open, not with it held at 0 V."""
    opened, grounded = counts([([tr(0.9), None], [5e3, 5e3], "open"),
                               ([tr(0.9), None], [5e3, 5e3], "ground")])
    assert opened > 0 and grounded == 0


@pytest.mark.ngspice
def test_far_apart_inputs_act_alone():
    """With S2 long after S1 (far beyond R C and the cooling time), the count is the sum of each alone."""
    R = [4e3, 4e3]
    far = 11e-6 + 20e-6
    # a generator that is connected but idle holds its input at 0 V: strong inputs still fire alone
    s1, s2, both, together = counts([([tr(1.8), None], R, "ground"), ([None, tr(1.8, delay=far)], R, "ground"),
                                     ([tr(1.8), tr(1.8, delay=far)], R, "ground"),
                                     ([tr(1.8), tr(1.8)], R, "ground")])
    assert s1 > 0 and s2 > 0 and both == s1 + s2
    # coincident inputs, on the other hand, do more than either alone
    assert together > max(s1, s2)
    # and weak inputs that fire only together give nothing when far apart
    weak_far, weak_together = counts([([tr(0.9), tr(0.9, delay=far)], R, "ground"),
                                      ([tr(0.9), tr(0.9)], R, "ground")])
    assert weak_far == 0 < weak_together


@pytest.mark.ngspice
def test_spatial_summation_grows_with_both_amplitudes():
    grid = [(v1, v2) for v1 in (0.8, 0.9) for v2 in (0.8, 0.9)]
    c = np.array(counts([([tr(v1), tr(v2)], [5e3, 5e3], "open") for v1, v2 in grid])).reshape(2, 2)
    assert c[1, 1] > c[0, 1] >= c[0, 0] and c[1, 1] > c[1, 0] >= c[0, 0]
