"""``memspike compare``: a simulated trace against itself gives zero error; against a shifted, noisy copy
sampled like a scope it recovers the shift; the JSON and the overlay are written, with any engine."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.compare import align, compare_traces, match_spikes
from memspike.cli import main
from tests.synthetic import NEURON_SETS, TRUTH_NEURON, neuron_trace, write_generic, write_infiniivision, write_tektronix

pytestmark = pytest.mark.ngspice


def _sets(**more):
    return [a for k, v in {**NEURON_SETS, **more}.items() for a in ("--set", f"{k}={v}")]


def _run(tmp_path, f, *extra):
    out = tmp_path / "out"
    code = main(["compare", str(f), *_sets(), "--out", str(out), "-q", *extra])
    assert code == 0
    return json.loads((out / "compare.json").read_text()), out


def test_compare_with_itself_is_zero(tmp_path):
    """The simulation's own vectors, on its own (non-uniform) time points, compared with a new run."""
    from circuits.runner import simulate
    from memspike.bench import _neuron_net, _neuron_setup

    _, params, dev = _neuron_setup(NEURON_SETS, None)
    wf = simulate(_neuron_net(params, dev)[0])
    f = write_generic(tmp_path / "self.csv", [("time (s)", wf.time), ("V_in (V)", wf["v(in)"]),
                                              ("V_mem (V)", wf["v(mem)"]), ("I_dev (A)", wf["i(vsense)"])])
    doc, out = _run(tmp_path, f)
    assert abs(doc["alignment"]["shift"]) < 1e-3 * doc["alignment"]["dt"]
    for k in ("i", "v", "vin"):
        assert doc["errors"][k]["nrmse"] < 1e-6, (k, doc["errors"][k])
    sp = doc["spikes"]
    assert sp["measured"]["count"] == sp["simulated"]["count"] > 10
    assert sp["measured"]["rate"] == sp["simulated"]["rate"] == pytest.approx(sp["measured"]["count"] / 2.2e-6)
    te = sp["time_errors"]
    assert te["missed"] == te["extra"] == 0 and te["max_abs"] < 1e-12
    assert (out / "compare.png").stat().st_size > 0 and (out / "compare" / "neuron.cir").exists()
    assert doc["columns"] == {"t": "time", "i": "I_dev", "v": "V_mem", "vin": "V_in"}


@pytest.fixture(scope="module")
def scope():
    """The truth device's neuron as a scope records it: 1 ns steps, noise, its time zero 0.3 us before the
    stimulus starts."""
    return neuron_trace(dt=1e-9, pre=0.2e-6, t0=-0.5e-6)


@pytest.mark.parametrize("align_on", ["auto", "voltage", "current"])
def test_compare_recovers_the_shift(tmp_path, scope, align_on):
    tr = scope
    f = write_infiniivision(tmp_path / "scope.csv", tr["t"], [("Volt", tr["Vin"]), ("Volt", tr["V"]),
                                                               ("Ampere", tr["I"])], blank_first=3)
    # the truth device in a device file: the simulated trace is the noisy copy's source
    from memspike.bench import provenance, write_device_file

    dev = write_device_file(tmp_path / "truth.json", TRUTH_NEURON, provenance("test", None))
    doc, _ = _run(tmp_path, f, "--input", "1", "--voltage", "2", "--device", str(dev), "--align", align_on)
    assert doc["alignment"]["signal"] == {"auto": "vin", "voltage": "v", "current": "i"}[align_on]
    assert doc["alignment"]["shift"] == pytest.approx(tr["shift"], abs=1.5e-9)
    sp = doc["spikes"]
    assert sp["measured"]["count"] == sp["simulated"]["count"]
    assert sp["time_errors"]["rms"] < 2e-9 and sp["time_errors"]["missed"] == 0
    assert doc["errors"]["v"]["nrmse"] < 0.01
    assert doc["parameters"]["device_file"]["path"] == str(dev)
    assert doc["measured"]["format"] == "keysight-infiniivision" and doc["dropped_rows"] == 3


def test_compare_counts_a_noisy_scope_trace_once_per_spike(tmp_path, capsys):
    """Scope noise of 4 % of the spike peak on the current: every ripple would count as a spike at the device's
    threshold; the measured noise raises the detection height and the summary says so."""
    from memspike.bench import provenance, write_device_file

    tr = neuron_trace(dt=1e-9, pre=0.2e-6, t0=-0.5e-6, noise_i=30e-6, seed=11)
    f = write_infiniivision(tmp_path / "noisy.csv", tr["t"], [("Volt", tr["Vin"]), ("Volt", tr["V"]),
                                                               ("Ampere", tr["I"])])
    dev = write_device_file(tmp_path / "truth.json", TRUTH_NEURON, provenance("test", None))
    out = tmp_path / "out"
    assert main(["compare", str(f), *_sets(), "--out", str(out), "--input", "1", "--voltage", "2",
                 "--device", str(dev)]) == 0
    doc = json.loads((out / "compare.json").read_text())
    sp = doc["spikes"]
    assert sp["noise_A"] == pytest.approx(30e-6, rel=0.3) and sp["detection_height_A"] > sp["threshold_A"]
    assert sp["measured"]["count"] == sp["simulated"]["count"] > 10
    assert sp["time_errors"]["missed"] == sp["time_errors"]["extra"] == 0
    assert "raised it from" in capsys.readouterr().out


def test_compare_default_device_differs(tmp_path, scope, capsys):
    """The default device against the truth's trace: spikes drift, and the summary says so."""
    tr = scope
    f = write_tektronix(tmp_path / "tek.csv", tr["t"], [("CH1", "V", "Vin", tr["Vin"]), ("CH2", "A", "Idev", tr["I"])])
    out = tmp_path / "out"
    assert main(["compare", str(f), *_sets(), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Tektronix oscilloscope CSV" in text and "time offset" in text and "NRMSE current" in text
    doc = json.loads((out / "compare.json").read_text())
    assert doc["alignment"]["shift"] == pytest.approx(tr["shift"], abs=1.5e-9)
    assert doc["spikes"]["time_errors"]["rms"] > 5e-9


@pytest.mark.vacask
def test_compare_with_vacask(tmp_path, scope):
    tr = scope
    f = write_tektronix(tmp_path / "tek.csv", tr["t"], [("CH1", "V", "Vin", tr["Vin"]), ("CH2", "V", "Vmem", tr["V"]),
                                                         ("CH3", "A", "Idev", tr["I"])])
    doc, out = _run(tmp_path, f, "--engine", "vacask", "--max-shift", "1u")
    assert doc["engine"] == "vacask" and (out / "compare" / "neuron.sim").exists()
    assert doc["alignment"]["shift"] == pytest.approx(tr["shift"], abs=1.5e-9)


def test_compare_refuses_an_experiment_without_a_transient(tmp_path, scope, capsys):
    tr = scope
    f = write_tektronix(tmp_path / "tek.csv", tr["t"][:100], [("CH2", "A", "", tr["I"][:100])])
    code = main(["compare", str(f), "--experiment", "nosuch", "--out", str(tmp_path / "o"), "-q"])
    assert code == 2 and "experiment" in capsys.readouterr().err


# --------------------------------------------------------------------------- the arithmetic alone
def test_align_and_match_pure():
    t = np.arange(0, 2e-6, 1e-9)
    y = np.exp(-(((t % 2.5e-7) - 1e-7) / 1e-8) ** 2) * (t < 1.5e-6)
    tm = t - 3.3e-7
    assert align(t, y, tm, y)["shift"] == pytest.approx(3.3e-7, abs=1e-10)
    m = match_spikes([1.0, 2.0, 3.0], [1.1, 2.05, 5.0], tolerance=0.2)
    assert m["matched"] == 2 and m["missed"] == 1 and m["extra"] == 1
    assert m["mean"] == pytest.approx(0.075)
    sim = {"t": t, "i": y * 1e-3, "v": None, "vin": None}
    meas = {"t": tm, "i": y * 1e-3, "v": None, "vin": None}
    c = compare_traces(sim, meas, threshold=5e-4, align_on="i")
    assert c["errors"]["i"]["nrmse"] < 1e-3 and c["spikes"]["time_errors"]["max_abs"] < 1e-10


def test_compare_warns_of_a_column_in_the_wrong_unit(tmp_path, scope, capsys):
    """mA written under an "(A)" heading: the run goes on, and the summary and JSON say the scale is off."""
    tr = scope
    f = write_generic(tmp_path / "ma.csv", [("time (s)", tr["t"]), ("V_in (V)", tr["Vin"]), ("V_mem (V)", tr["V"]),
                                            ("I_dev (A)", tr["I"] * 1e3)])
    out = tmp_path / "out"
    assert main(["compare", str(f), *_sets(), "--out", str(out)]) == 0
    doc = json.loads((out / "compare.json").read_text())
    assert any("measured current" in w and "unit" in w for w in doc["warnings"]), doc["warnings"]
    assert not any("voltage" in w for w in doc["warnings"])
    assert "warning: the measured current" in capsys.readouterr().out
    # a time column in ms read as s: the records cannot overlap, and the error says what to check
    g = write_generic(tmp_path / "ms.csv", [("time (s)", tr["t"] * 1e3), ("V_in (V)", tr["Vin"]),
                                            ("V_mem (V)", tr["V"]), ("I_dev (A)", tr["I"])])
    assert main(["compare", str(g), *_sets(), "--out", str(tmp_path / "o2"), "--align", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "time column's unit" in err


def test_a_clean_coarse_record_keeps_its_spikes():
    """A noiseless record sampled at 30 ns (a spike spans a few samples): its sample-to-sample steps are signal, and
    the whole record's noise estimate would raise the height past some spikes (16 of 19); the quiet stretches'
    estimate does not."""
    from analysis.extract import noise, quiet_noise
    from analysis.spikes import detect_spikes

    tr = neuron_trace(dt=30e-9, noise_i=0.0, noise_v=0.0)
    thr = TRUTH_NEURON.spike_current()
    plain = detect_spikes(tr["t"], tr["I"], thr).count
    assert 6 * noise(tr["I"]) > thr                  # the whole record's steps look like noise
    assert detect_spikes(tr["t"], tr["I"], thr, noise=quiet_noise(tr["I"])).count == plain > 10


def test_a_silent_simulation_is_not_called_a_unit_error(tmp_path, scope):
    """A spiking record against a simulation that does not fire (0.6 V: sub-threshold) differs by a model's miss,
    not by a column's unit: no unit warning for the current."""
    f = write_infiniivision(tmp_path / "scope.csv", scope["t"], [("Volt", scope["Vin"]), ("Volt", scope["V"]),
                                                                  ("Ampere", scope["I"])])
    out = tmp_path / "out"
    sets = [a for k, v in {**NEURON_SETS, "amplitude": "0.6"}.items() for a in ("--set", f"{k}={v}")]
    assert main(["compare", str(f), *sets, "--out", str(out), "-q", "--input", "1", "--voltage", "2",
                 "--align", "none"]) == 0
    doc = json.loads((out / "compare.json").read_text())
    assert doc["spikes"]["simulated"]["count"] == 0 < doc["spikes"]["measured"]["count"]
    assert not any("measured current" in w for w in doc["warnings"]), doc["warnings"]
