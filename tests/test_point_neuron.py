"""The point neuron (networks.point): its file, its simulators, its extraction from ngspice, and its
agreement with ngspice on a seeded sample of circuit settings."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from circuits.stimuli import PulseTrain
from networks.point import (
    ExtractParams,
    NeuronCircuit,
    PointNeuron,
    PoissonInputs,
    extract,
    pulse_increment,
    run_poisson,
    simulate_drive,
    simulate_trains,
)
from pyspice_models import default_device
from pyspice_models.params import ParameterError

# about the point neuron memspike extracts for the Fig. 2d circuit (3.6 kohm, 30 pF)
VALUES = dict(v_th=0.8275, v_reset=0.6784, tau_m=105.7e-9, t_ref=65.3e-9, gains=(9.244e6,), v_latch=1.376)


def neuron(**changes) -> PointNeuron:
    return PointNeuron(**{**VALUES, **changes})


# --------------------------------------------------------------------------- the description and its file
@pytest.mark.parametrize("changes, name", [
    ({"v_th": float("nan")}, "v_th"), ({"v_th": float("inf")}, "v_th"), ({"v_th": -0.1}, "v_th"),
    ({"tau_m": 0.0}, "tau_m"), ({"t_ref": -1e-9}, "t_ref"), ({"gains": ()}, "gains"),
    ({"gains": (float("nan"),)}, "gains[0]"), ({"gains": "1e6"}, "gains"), ({"gains": (1e6, -1.0)}, "gains[1]"),
    ({"v_reset": 0.9}, "v_reset"), ({"v_latch": 0.5}, "v_latch"), ({"v_th": "0.8"}, "v_th"),
])
def test_out_of_range_values_are_refused(changes, name):
    with pytest.raises(ParameterError) as e:
        neuron(**changes)
    assert e.value.name == name and "\n" not in str(e.value)


def test_file_round_trip(tmp_path):
    n = PointNeuron(**VALUES, fit={"v_th_se": float("nan"), "levels": [{"isi": None}]},
                    provenance={"device_model": "nbox_et", "memspike_version": "x"})
    path = n.save(tmp_path / "sub" / "n.json")
    doc = json.loads(path.read_text())
    assert doc["format"] == "memspike point neuron" and doc["units"]["tau_m"] == "s"
    assert doc["fit_errors"]["v_th_se"] is None                  # no NaN in the file: a missing error is null
    back = PointNeuron.load(path)
    assert back == n and back.provenance == n.provenance
    # a user edits a value and passes the file back
    doc["neuron"]["v_th"] = 0.85
    path.write_text(json.dumps(doc))
    assert PointNeuron.load(path).v_th == 0.85


@pytest.mark.parametrize("text, key", [
    ("{not json", "--neuron"), ("[1, 2]", "--neuron"), ('{"format": "other", "neuron": {}}', "--neuron"),
    (None, "neuron.v_th"), (None, "neuron.bogus"), (None, "--neuron"), (None, "--neuron"), (None, "neuron.gains"),
])
def test_malformed_files_are_one_line_errors(tmp_path, text, key, request):
    idx = request.node.callspec.indices["text"]
    doc = neuron().as_json()
    if text is None:
        if idx == 3:
            doc["neuron"]["v_th"] = "high"
        elif idx == 4:
            doc["neuron"]["bogus"] = 1
        elif idx == 5:
            del doc["neuron"]["tau_m"]
        elif idx == 6:
            doc["format_version"] = 99
        else:
            doc["neuron"]["gains"] = {"a": 1}
        text = json.dumps(doc)
    path = tmp_path / "n.json"
    path.write_text(text)
    with pytest.raises(ParameterError) as e:
        PointNeuron.load(path)
    assert e.value.name == key and "\n" not in str(e.value)


def test_nan_and_missing_file(tmp_path):
    path = tmp_path / "n.json"
    path.write_text(json.dumps(neuron().as_json()).replace('"v_th": 0.8275', '"v_th": NaN'))
    with pytest.raises(ParameterError, match="NaN"):
        PointNeuron.load(path)
    with pytest.raises(ParameterError, match="readable"):
        PointNeuron.load(tmp_path / "absent.json")


# --------------------------------------------------------------------------- the LIF under pulses
def test_constant_drive_gives_the_analytic_interval():
    n = neuron()
    for D in (0.9, 1.1, 1.3):
        dt = 0.1e-9
        sp, _ = simulate_drive(n, np.full(int(5e-6 / dt), D), dt)
        assert np.diff(sp)[1:].mean() == pytest.approx(n.isi(D), rel=2e-3)
    sp, _ = simulate_drive(n, np.full(20000, 0.8), 0.5e-9)        # below threshold: silent
    assert sp.size == 0 and math.isinf(n.isi(0.8))


def test_latch_and_both_polarities():
    n = neuron()
    sp, v = simulate_drive(n, np.full(10000, 1.5), 0.5e-9)       # above v_latch: the device stays on
    assert sp.size == 1 and np.allclose(v[-100:], n.v_reset)
    up, _ = simulate_drive(n, np.full(10000, 1.1), 0.5e-9)
    down, _ = simulate_drive(n, np.full(10000, -1.1), 0.5e-9)    # the device is symmetric (Fig. 3i)
    assert up.size == down.size > 5


def test_pulse_increment_is_the_membrane_at_the_pulse_end():
    n = neuron()
    w = 100e-9
    tr = PulseTrain(amplitude=0.136, width=w, interval=0.0, n_pulses=1, delay=50e-9, edge=1e-12)
    sp, t, v = simulate_trains(n, [tr], t_stop=300e-9, dt=0.05e-9, return_v=True)
    assert sp.size == 0
    assert np.interp(50e-9 + w, t, v) == pytest.approx(pulse_increment(n, 0.136, w), rel=2e-3)
    assert pulse_increment(n, 0.136, 1e-12) == pytest.approx(9.244e6 * 0.136 * 1e-12, rel=1e-4)


# --------------------------------------------------------------------------- Poisson populations
def _inputs(sync=0.0, **kw):
    n = neuron(**kw)
    return n, PoissonInputs(dv_exc=pulse_increment(n, 0.136, 100e-9), dv_inh=pulse_increment(n, -0.134, 100e-9),
                            sync_rate=sync)


def test_poisson_runs_are_seeded_and_a_raster_changes_nothing():
    n, inp = _inputs(400e3)
    a = run_poisson(n, inp, t_end=200e-6, dt=20e-9, seed=(7, 1))
    b = run_poisson(n, inp, t_end=200e-6, dt=20e-9, seed=(7, 1), record_v=50e-6, raster=(4000, 1000),
                    raster_until=50e-6)
    c = run_poisson(n, inp, t_end=200e-6, dt=20e-9, seed=(8, 1))
    assert a.spike_times.size > 20 and np.array_equal(a.spike_times, b.spike_times)
    assert not np.array_equal(a.spike_times, c.spike_times)
    t_s, ids = b.raster["sync"]
    assert ids.size and np.all(t_s < 50e-6) and b.raster["sync_times"].size
    # each synchronous event fires sync_size distinct trains
    for ts in np.unique(t_s)[:5]:
        assert np.unique(ids[t_s == ts]).size == (t_s == ts).sum() <= 15
    assert b.v.size == round(50e-6 / 20e-9)


def test_input_rates_and_the_free_membrane():
    """Event counts follow the rates (the excitatory background lowered by the synchronous events), and
    with no threshold the membrane has the shot-noise mean and variance (Campbell's theorem)."""
    n, inp = _inputs(400e3, v_th=9.0, v_reset=0.0, v_latch=None)
    T, dt = 5e-3, 20e-9
    r = run_poisson(n, inp, t_end=T, dt=dt, seed=3, record_v=T)
    assert inp.exc_background_rate == pytest.approx(10e3 - 400e3 * 15 / 4000)
    for pop, lam in (("exc", 4000 * inp.exc_background_rate * T), ("inh", 1000 * 10e3 * T), ("sync", 400e3 * T)):
        assert abs(r.events[pop] - lam) < 5 * math.sqrt(lam), pop
    n0, inp0 = _inputs(0.0, v_th=9.0, v_reset=0.0, v_latch=None)
    v = run_poisson(n0, inp0, t_end=T, dt=dt, seed=4, record_v=T).v[200:]
    # sampled each step right after the step's inputs (as Brian2 records it): the sums of a^k and a^2k
    a = math.exp(-dt / n0.tau_m)
    mean = 10e3 * dt * (4000 * inp0.dv_exc + 1000 * inp0.dv_inh) / (1 - a)
    var = 10e3 * dt * (4000 * inp0.dv_exc ** 2 + 1000 * inp0.dv_inh ** 2) / (1 - a * a)
    assert v.mean() == pytest.approx(mean, rel=0.02)
    assert v.var() == pytest.approx(var, rel=0.05)
    # ... which are the continuous-time values within the step's bias (dt/2tau = 9 %)
    assert mean == pytest.approx(n0.tau_m * 10e3 * (4000 * inp0.dv_exc + 1000 * inp0.dv_inh), rel=0.1)


def test_memory_stays_bounded():
    """20 ms of 5,000 trains at 20 ns steps would be 5 GB at full resolution; the run stays in megabytes."""
    n, inp = _inputs(400e3)
    tracemalloc.start()
    try:
        r = run_poisson(n, inp, t_end=20e-3, dt=20e-9, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.spike_times.size > 1000
    assert peak < 16 * 2**20, peak


def test_poisson_inputs_validate():
    with pytest.raises(ParameterError):
        PoissonInputs(n_exc=10, sync_size=15)
    with pytest.raises(ParameterError):
        PoissonInputs(sync_rate=1e9)                            # more than the trains' own rate
    with pytest.raises(ParameterError):
        PoissonInputs(dv_exc=float("nan"))


def test_extract_params_circuit():
    assert ExtractParams().circuit() == NeuronCircuit(R=(3.6e3,), C_m=30e-12)
    assert ExtractParams(R_2=5e3).circuit().R == (3.6e3, 5e3)
    with pytest.raises(ParameterError):
        NeuronCircuit(R=(3.6e3,), C_m=1e-6 * 10)
    with pytest.raises(ParameterError):
        extract(NeuronCircuit(R=(1e8,), C_m=30e-12), default_device())   # tau of 3 ms: refused, nothing run


# --------------------------------------------------------------------------- extraction (ngspice)
@pytest.mark.ngspice
def test_extraction_of_the_fig2d_neuron():
    n = extract(NeuronCircuit(R=(3.6e3,), C_m=30e-12), default_device())
    f = n.fit
    dev = default_device()
    # sub-threshold: the circuit's own tau and gain, the device's leak shortening tau a little
    assert n.gains[0] == pytest.approx(1 / (3.6e3 * 30e-12), rel=0.02)
    assert 0.9 * 108e-9 < n.tau_m < 108e-9 and f["sub_rms_V"] < 5e-3
    # threshold between the quasi-static fold and the drive where the circuit starts firing
    assert dev.threshold() < n.v_th <= f["onset"]["lowest_firing_drive"]
    assert f["isi_rms_rel"] < 0.05 and f["count_max_rel_error"] <= 0.15
    assert n.v_reset < n.v_th and 20e-9 < n.t_ref < 150e-9
    lo, hi = f["latch_bracket"]
    assert lo < n.v_latch < hi and hi / lo < 1.05
    # every constant drive that fires in ngspice fires in the point neuron, within 15 %
    for lv in f["levels"]:
        if lv["sustained"]:
            assert abs(lv["count_point"] - lv["count"]) <= 0.15 * lv["count"], lv


@pytest.mark.ngspice
@pytest.mark.slow
def test_agreement_with_ngspice_on_a_seeded_sample():
    """A few settings of the seeded sample (benchmarks/point_agreement.py runs 50): rates within 15 %."""
    from benchmarks.point_agreement import TOLERANCE, compare, sample_settings

    settings = sample_settings(4, seed=1)
    rows = compare(settings, default_device())
    assert sum(r["ngspice"] > 0 for r in rows) >= 2          # the sample is not all silent
    for r in rows:
        assert r["agree"], r
    assert TOLERANCE == 0.15


# --------------------------------------------------------------------------- memspike extract
def _cli(capsys, *args):
    from memspike.cli import main

    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.parametrize("args, key", [
    (["--set", "R_L=abc"], "R_L"), (["--set", "C_m=-1p"], "C_m"), (["--set", "bogus=1"], "bogus"),
    (["--set", "R_L=1e8"], "R C_m"), (["--device", "nbox_xx"], "--device"),
    (["--neuron", "NEURON", "--set", "R_L=1k"], "--neuron"),
])
def test_extract_bad_input_is_one_line_and_exit_2(capsys, tmp_path, args, key):
    args = [str(tmp_path / "n.json") if a == "NEURON" else a for a in args]
    code, out, err = _cli(capsys, "extract", "--out", str(tmp_path / "x.json"), *args)
    assert code == 2 and err.count("\n") == 1 and key in err, err
    assert not (tmp_path / "x.json").exists()


def test_extract_out_that_cannot_be_written_names_the_file(capsys, tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    for out in (Path("/proc/memspike_x.json"), tmp_path / "blocker" / "x.json"):
        code, _, err = _cli(capsys, "extract", "--out", str(out))
        assert code == 2 and err.count("\n") == 1 and f"--out='{out}'" in err and str(out.parent) in err, err
    code, _, err = _cli(capsys, "extract", "--out", str(tmp_path))
    assert code == 2 and "a file name" in err, err


def test_extract_checks_an_edited_file(capsys, tmp_path):
    path = neuron().save(tmp_path / "n.json")
    code, out, _ = _cli(capsys, "extract", "--neuron", str(path))
    assert code == 0 and "valid point neuron" in out and "v_th" in out
    doc = json.loads(path.read_text())
    doc["neuron"]["tau_m"] = float("inf")
    path.write_text(json.dumps(doc))                    # Infinity: not a number a neuron can have
    code, _, err = _cli(capsys, "extract", "--neuron", str(path))
    assert code == 2 and err.count("\n") == 1
    path.write_text('{"format": "memspike point neuron", "format_version": 1, "neuron": {"v_th": 1e9}}')
    code, _, err = _cli(capsys, "extract", "--neuron", str(path))
    assert code == 2 and err.count("\n") == 1


@pytest.mark.ngspice
def test_extract_writes_a_neuron_file(capsys, tmp_path):
    out = tmp_path / "neurons" / "fig2d.json"
    code, text, err = _cli(capsys, "extract", "--quick", "--out", str(out), "--set", "C_m=40p")
    assert code == 0, err
    n = PointNeuron.load(out)
    assert n.provenance["circuit"]["C_m"] == 40e-12 and n.provenance["device_model"] == "nbox_et"
    assert n.provenance["memspike_version"] and n.provenance["date"] and "device" in n.provenance
    assert n.gains[0] == pytest.approx(1 / (3.6e3 * 40e-12), rel=0.02) and f"wrote {out}" in text



def test_latch_is_symmetric():
    """The device is symmetric: a drive past -v_latch holds a (negative) spike as one past +v_latch does."""
    n = neuron()
    for sign in (1.0, -1.0):
        spikes, v = simulate_drive(n, np.full(4000, sign * 1.2 * n.v_latch), 1e-9)
        assert spikes.size == 1 and np.sign(v[-1]) == sign, sign
