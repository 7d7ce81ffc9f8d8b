"""``memspike fit``: known devices, simulated and written as instruments write them (noise, header blocks,
units in headings, NaN rows, several cycles), are recovered within stated tolerances; data that cannot
identify them are refused with a clear message; the device file they write runs every command.

Tolerances (the truth vs the fitted value):
* ``fit iv`` (nbox_et: G0, R_th, R_s) from 2 noisy cycles without cycle-to-cycle variation: 5 %; with the
  model's own cycle-to-cycle spreads (5 % in G0, 3 % in R_s, R_th) over 3 cycles: 10 % of the mean of the
  drawn devices; nbox_ts: Vth and Vhold within 10 mV of the truth's quasi-static folds.
* ``fit neuron`` (nbox_et: G0, R_s, C_th) from one 2-pulse transient with 2 uA / 2 mV noise: G0 and R_s
  within 5 %, C_th within 10 %, each within 4 of its own standard errors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.extract import ExtractError, iv_branches, iv_stats
from analysis.instruments import DataFileError
from memspike import bench
from memspike.cli import main
from tests.synthetic import (
    NEURON_SETS,
    TRUTH_IV,
    TRUTH_NEURON,
    iv_cycles,
    neuron_trace,
    write_b1500,
    write_generic,
    write_infiniium,
    write_infiniivision,
    write_tektronix,
)

pytestmark = pytest.mark.ngspice


@pytest.fixture(scope="module")
def cycles():
    return iv_cycles(n_cycles=2, spread=0.0)


def _joined(cyc):
    return (np.concatenate([c["t"] for c in cyc]), np.concatenate([c["V"] for c in cyc]),
            np.concatenate([c["I"] for c in cyc]))


def _iv_file(kind, path, cyc):
    t, v, i = _joined(cyc)
    if kind == "keysight-b1500":                   # one setup block per cycle, an overflow cell, a Units row
        return write_b1500(path, cyc, units_row=True, overflow_rows=(4,))
    if kind == "generic":                          # units in the headings (ms, mA), NaN rows, a cycle column
        cycle = np.concatenate([np.full(c["t"].size, k + 1) for k, c in enumerate(cyc)])
        return write_generic(path, [("time (ms)", t * 1e3), ("V_dev [V]", v), ("I (mA)", i * 1e3), ("cycle", cycle)],
                             meta=[("instrument", "SMU"), ("sample", "D7")], nan_rows=(10, 700))
    if kind == "tektronix":
        return write_tektronix(path, t, [("CH1", "V", "Vdev", v), ("CH2", "A", "Idev", i)])
    if kind == "keysight-infiniivision":
        return write_infiniivision(path, t, [("Volt", v), ("Ampere", i)], blank_first=5)
    return write_infiniium(path, t, [("Volt", v), ("Ampere", i)])


@pytest.mark.parametrize("kind", ["keysight-b1500", "generic", "tektronix", "keysight-infiniivision",
                                  "keysight-infiniium"])
def test_fit_iv_recovers_the_device(tmp_path, cycles, kind):
    f = _iv_file(kind, tmp_path / "sweep.csv", cycles)
    doc = bench.fit_iv(f, tmp_path / "out")
    assert doc["measured"]["format"] == kind
    for k in ("G0", "R_th", "R_s"):
        got = doc["fit"]["fitted"][k]
        assert got["value"] == pytest.approx(getattr(TRUTH_IV, k), rel=0.05), (kind, k, got)
        assert got["stderr"] > 0
    ex = doc["extracted"]
    assert ex["cycles"] == {"pos": 2, "neg": 2}
    folds = TRUTH_IV.folds()
    for pol in ("pos", "neg"):
        assert ex[pol]["v_th"]["mean"] == pytest.approx(folds["v_th"], abs=0.01)
        assert ex[pol]["v_hold"]["mean"] == pytest.approx(folds["v_hold"], abs=0.01)
        assert ex[pol]["v_th"]["n"] == 2 and len(ex[pol]["r_off"]["values"]) == 2
    dev = bench.load_device_file(tmp_path / "out" / "device.json")
    assert dev.model == "nbox_et" and dev.params.G0 == doc["fit"]["fitted"]["G0"]["value"]
    src = dev.provenance["source"]
    assert src["format"] == kind and len(src["sha256"]) == 64 and dev.provenance["kind"] == "fit iv"
    assert (tmp_path / "out" / "fit_iv.png").stat().st_size > 0


def test_fit_iv_cycle_statistics(tmp_path):
    cyc = iv_cycles(n_cycles=3, spread=1.0, seed=11)
    doc = bench.fit_iv(write_b1500(tmp_path / "b.csv", cyc), tmp_path / "out")
    mean = {k: np.mean([getattr(c["device"], k) for c in cyc]) for k in ("G0", "R_th", "R_s")}
    for k, m in mean.items():
        assert doc["fit"]["fitted"][k]["value"] == pytest.approx(m, rel=0.10)
        assert doc["fit"]["fitted"][k]["cycle_to_cycle_sd"] > 0
    for pol in ("pos", "neg"):
        st = doc["extracted"][pol]["v_th"]
        assert st["n"] == 3 and st["std"] > 0.002 and st["min"] < st["mean"] < st["max"]
    assert len(doc["branches"]) == 6


def test_fit_iv_behavioural_model(tmp_path, cycles):
    code = main(["fit", "iv", str(_iv_file("tektronix", tmp_path / "s.csv", cycles)), "--model", "nbox_ts",
                 "--out", str(tmp_path / "out"), "-q"])
    assert code == 0
    dev = bench.load_device_file(tmp_path / "out" / "device.json")
    assert dev.model == "nbox_ts"
    folds = TRUTH_IV.folds()
    assert dev.params.v_th == pytest.approx(folds["v_th"], abs=0.01)
    assert dev.params.v_hold == pytest.approx(folds["v_hold"], abs=0.01)


def test_fit_iv_series_resistance(tmp_path, cycles):
    """The applied voltage and a known series resistor give the same device as the device voltage."""
    t, v, i = _joined(cycles)
    vapp = v + 1000.0 * i
    f = write_generic(tmp_path / "g.csv", [("t (s)", t), ("V_applied (V)", vapp), ("I (A)", i)])
    doc = bench.fit_iv(f, tmp_path / "out", series_resistance=1000.0)
    assert doc["fit"]["fitted"]["R_s"]["value"] == pytest.approx(TRUTH_IV.R_s, rel=0.05)


# --------------------------------------------------------------------------- refusals
def test_no_switching_event(tmp_path):
    t = np.linspace(0, 1, 800)
    v = 1.2 * np.sin(2 * np.pi * t)                      # bipolar sweeps of an ohmic device
    with pytest.raises(ExtractError, match="no switching event"):
        iv_branches(v, v / 1e4)
    diode = 1e-9 * np.sinh(v / 0.05)                     # steeply non-linear, but smooth: still no switch
    with pytest.raises(ExtractError, match="no switching event"):
        iv_stats(iv_branches(v, diode))
    f = write_generic(tmp_path / "ohmic.csv", [("t (s)", t), ("V (V)", v), ("I (A)", v / 1e4)])
    with pytest.raises(DataFileError, match=r"ohmic\.csv: no switching event"):
        bench.fit_iv(f, tmp_path / "out")
    assert not (tmp_path / "out" / "device.json").exists()


def test_one_polarity_when_both_are_asked(tmp_path, cycles, capsys):
    t, v, i = _joined(cycles)
    pos = v > -0.005
    f = write_generic(tmp_path / "pos.csv", [("t (s)", t[pos]), ("V (V)", v[pos]), ("I (A)", i[pos])])
    code = main(["fit", "iv", str(f), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "no negative-polarity sweep" in err and "--polarity pos" in err
    assert err.count("\n") == 1 and not (tmp_path / "out" / "device.json").exists()
    code = main(["fit", "iv", str(f), "--out", str(tmp_path / "out"), "--polarity", "pos", "-q"])
    assert code == 0
    doc = json.loads((tmp_path / "out" / "fit_iv.json").read_text())
    assert "neg" not in doc["extracted"] and doc["extracted"]["cycles"] == {"pos": 2}


# --------------------------------------------------------------------------- fit neuron
@pytest.fixture(scope="module")
def transient():
    return neuron_trace()


def _sets(**more):
    return [a for k, v in {**NEURON_SETS, **more}.items() for a in ("--set", f"{k}={v}")]


def _scope_file(kind, path, tr):
    """The transient in a scope's layout; the flags that name its channels."""
    chans = {"Vin": tr["Vin"], "Vmem": tr["V"], "Idev": tr["I"]}
    if kind == "tektronix":                         # labelled channels: found by their labels
        return write_tektronix(path, tr["t"], [("CH1", "V", "Vin", tr["Vin"]), ("CH2", "V", "Vmem", tr["V"]),
                                               ("CH3", "A", "Idev", tr["I"])]), []
    if kind == "keysight-infiniivision":
        return write_infiniivision(path, tr["t"], [("Volt", tr["Vin"]), ("Volt", tr["V"]), ("Ampere", tr["I"])],
                                   blank_first=8), ["--input", "1", "--voltage", "2"]
    if kind == "keysight-infiniium":
        return write_infiniium(path, tr["t"], [("Volt", tr["Vin"]), ("Volt", tr["V"]), ("Ampere", tr["I"])]), [
            "--input", "CH1", "--voltage", "CH2"]
    cols = [("t (ns)", tr["t"] * 1e9), ("V_in (V)", chans["Vin"]), ("V_mem (mV)", chans["Vmem"] * 1e3),
            ("I_dev (uA)", chans["Idev"] * 1e6)]
    return write_generic(path, cols, meta=[("scope", "export")], nan_rows=(3,)), []


@pytest.mark.parametrize("kind", ["tektronix", "keysight-infiniivision", "keysight-infiniium", "generic"])
def test_fit_neuron_recovers_the_dynamics(tmp_path, transient, capsys, monkeypatch, kind):
    monkeypatch.setenv("MEMSPIKE_WORKERS", "1")
    tr = transient
    f, flags = _scope_file(kind, tmp_path / "scope.csv", tr)
    out = tmp_path / "out"
    code = main(["fit", "neuron", str(f), *_sets(), *flags, "--out", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "fit neuron: evaluation 1:" in cap.err                     # progress
    doc = json.loads((out / "fit_neuron.json").read_text())
    fit = doc["fit"]["fitted"]
    for k, tol in (("G0", 0.05), ("R_s", 0.05), ("C_th", 0.10)):
        truth = getattr(TRUTH_NEURON, k)
        assert fit[k]["value"] == pytest.approx(truth, rel=tol), (k, fit[k])
        assert abs(fit[k]["value"] - truth) < 4 * fit[k]["stderr"] + 0.01 * truth, (k, fit[k])
    assert doc["measured"]["format"] == kind
    assert set(doc["measured_features"]) == {"isi", "peak", "width", "v_fire", "v_reset", "latency"}
    dev = bench.load_device_file(out / "device.json")
    assert dev.provenance["kind"] == "fit neuron" and dev.provenance["conditions"]["C_m"] == pytest.approx(30e-12)
    assert dev.params.C_th == fit["C_th"]["value"]


def test_fit_neuron_refuses_a_trace_without_spikes(tmp_path, capsys):
    t = np.arange(2000) * 1e-9
    f = write_generic(tmp_path / "flat.csv", [("t (s)", t), ("V_mem (V)", 0.5 + 0 * t), ("I (A)", 1e-6 + 0 * t)])
    code = main(["fit", "neuron", str(f), *_sets(), "--out", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "flat.csv: 0 spike(s)" in err and err.count("\n") == 1


# --------------------------------------------------------------------------- the device file everywhere
def _device_file(tmp_path, **changes):
    dev = TRUTH_IV.replace(**changes)
    return bench.write_device_file(tmp_path / "device.json", dev, bench.provenance("test", "pytest"))


def test_run_fig3c_with_a_device_file_records_provenance(tmp_path, capsys):
    f = _device_file(tmp_path)
    code = main(["run", "fig3c", "--device", str(f), "--quick", "--out", str(tmp_path / "res"), "-q"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((tmp_path / "res" / "fig3c.json").read_text())
    rec = doc["parameters"]["device_file"]
    assert rec["path"] == str(f) and rec["sha256"] == bench.load_device_file(f).sha256
    assert rec["provenance"]["kind"] == "test" and rec["model"] == "nbox_et"
    assert doc["parameters"]["device"]["G0"] == TRUTH_IV.G0 and doc["parameters"]["device_model"] == "nbox_et"


def test_fit_neuron_needs_the_circuit(tmp_path, transient, capsys):
    f, _ = _scope_file("tektronix", tmp_path / "scope.csv", transient)
    code = main(["fit", "neuron", str(f), "--set", "R_L=3.6k", "--out", str(tmp_path / "o"), "-q"])
    assert code == 2 and "C_m" in capsys.readouterr().err


def test_reproduce_with_a_device_file(tmp_path):
    from memspike.report import reproduce

    f = bench.write_device_file(tmp_path / "ts.json", bench.NEURON_DEVICES["nbox_ts"](), bench.provenance("test", None))
    assert reproduce(tmp_path / "res", quick=True, names=["neuron", "ndr"], quiet=True, device=str(f))
    doc = json.loads((tmp_path / "res" / "neuron.json").read_text())
    assert doc["parameters"]["device_model"] == "nbox_ts" and doc["parameters"]["device_file"]["path"] == str(f)
    assert not (tmp_path / "res" / "ndr.json").exists()                 # ndr has no behavioural variant


def test_device_file_with_sets_and_params(tmp_path, capsys):
    f = _device_file(tmp_path)
    from memspike.experiments.base import prepare

    _, _, dev, _ = prepare("neuron", device=str(f), sets={"device.C_th": "2e-15"})
    assert dev.G0 == TRUTH_IV.G0 and dev.C_th == 2e-15
    assert main(["params", "neuron", "--device", str(f)]) == 0
    assert f"from {f}" in capsys.readouterr().out


def _edit(path, fn):
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest.mark.parametrize("how,what", [
    ("unit", "takes it in 'S'"), ("value", "device.R_s = -3"), ("name", "'bogus' is not a parameter"),
    ("model", "'model' is 'nbox_x'"), ("json", "not valid JSON"), ("empty", "empty"), ("type", "is not a number")])
def test_malformed_device_file(tmp_path, capsys, how, what):
    f = _device_file(tmp_path)
    if how == "unit":
        _edit(f, lambda d: d["parameters"]["G0"].update(unit="mS"))
    elif how == "value":
        _edit(f, lambda d: d["parameters"]["R_s"].update(value=-3))
    elif how == "name":
        _edit(f, lambda d: d["parameters"].update(bogus=1))
    elif how == "model":
        _edit(f, lambda d: d.update(model="nbox_x"))
    elif how == "json":
        f.write_text(f.read_text()[:500])
    elif how == "empty":
        f.write_text("")
    else:
        _edit(f, lambda d: d["parameters"]["G0"].update(value="0.1"))
    code = main(["run", "neuron", "--device", str(f), "--out", str(tmp_path / "res"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"memspike: error: {f}, line ") and what in err, err
    assert err.count("\n") == 1 and not (tmp_path / "res" / "neuron.json").exists()
