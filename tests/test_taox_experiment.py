"""The ``taox`` experiment: its checks can fail, its engines agree, its helpers judge what they say."""

from __future__ import annotations

import numpy as np
import pytest

from memspike.experiments import REGISTRY, execute
from memspike.experiments.taox import TaoxParams, monotonic, step_ratio, train, train_netlist
from pyspice_models.params import ParameterError
from pyspice_models.taox import TaOxParams

SMALL = {"n_devices": "0", "n_cycles": "0", "n_reads": "20", "n_targets": "2", "n_pulses": "20"}


def test_declared_after_the_device_experiments():
    names = list(REGISTRY)
    assert names.index("taox") > names.index("dendrite") and REGISTRY["taox"].synapse
    assert set(REGISTRY["taox"].engines) == {"ngspice", "vacask"}


def test_helpers():
    g = 1 - 0.9 ** np.arange(51)                              # geometric: saturating
    assert step_ratio(g) == pytest.approx(0.9 ** -40)
    assert step_ratio(np.linspace(0, 1, 51)) == pytest.approx(1.0)   # linear: not nonlinear
    assert monotonic(g, "rises") and not monotonic(g, "falls")
    assert not monotonic(np.array([1.0, 2.0, 2.0]), "rises")         # a flat step is not potentiation
    segs, reads = train(TaoxParams(n_pulses=20))
    assert len(segs) == 1 + 4 * 20 and len(reads) == 41
    assert all(segs[k][0] == 1.0 for k in reads)
    assert [a for a, _ in segs[1::2]] == [1.7] * 20 + [-1.7] * 20


def test_pulses_that_do_not_program_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="set_amplitude"):
        execute("taox", tmp_path, quick=True, sets={**SMALL, "set_amplitude": "1.0"})
    with pytest.raises(ParameterError, match="read_amplitude"):
        execute("taox", tmp_path, quick=True, sets={"read_amplitude": "0"})


@pytest.mark.ngspice
def test_checks_can_fail(tmp_path):
    # reads above the SET threshold program; a sweep past it is not linear; 5 pulses cannot program
    doc = execute("taox", tmp_path, quick=True,
                  sets={**SMALL, "read_amplitude": "1.7", "iv_peak": "1.8", "max_pulses": "5"})
    failed = {c["name"].split(" (")[0] for c in doc["checks"] if not c["pass"]}
    assert {"20 reads change nothing", "read I-V linear", "programming converges for every target",
            "curves follow the model's per-pulse law"} <= failed, failed
    # a SET pulse just below threshold: it still moves g (it is not refused) but by steps too small to span or
    # saturate the window within the train
    doc = execute("taox", tmp_path, quick=True, sets={**SMALL, "set_amplitude": "1.52"})
    failed = {c["name"].split(" (")[0] for c in doc["checks"] if not c["pass"]}
    assert {"potentiation monotonic", "nonlinear potentiation"} <= failed, failed
    assert "read I-V linear" not in failed and not any(n.endswith("reads change nothing") for n in failed)


@pytest.mark.ngspice
def test_drawn_devices_differ_and_reproduce(tmp_path):
    sets = {**SMALL, "n_devices": "2", "n_cycles": "2"}
    a = execute("taox", tmp_path / "a", quick=True, sets=sets)["results"]["variation"]
    b = execute("taox", tmp_path / "b", quick=True, sets=sets)["results"]["variation"]
    assert a == b
    ends = a["g_after_set"]
    assert len(ends) == 4 and np.ptp(ends) > 1e-6


@pytest.mark.vacask
@pytest.mark.ngspice
def test_ngspice_and_vacask_agree():
    from circuits import vacask
    from circuits.programming import program, simulator
    from circuits.runner import simulate
    from memspike.experiments.taox import curve

    p = TaoxParams(n_pulses=20)
    syn = TaOxParams(w0=0.05)
    net, read_t = train_netlist(syn, p)
    g_n, g_v = curve(simulate(net), read_t, p), curve(vacask.simulate(net), read_t, p)
    assert np.allclose(g_v, g_n, rtol=1e-3)
    a = program(syn, 120e-6, simulate=simulator("ngspice"))
    b = program(syn, 120e-6, simulate=simulator("vacask"))
    assert a.converged and b.converged and a.n_pulses == b.n_pulses
    assert [s.kind for s in a.history] == [s.kind for s in b.history]
    assert np.allclose([s.g for s in a.history], [s.g for s in b.history], rtol=1e-3)
