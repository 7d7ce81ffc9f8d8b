"""fig7gh (Fig. 7e-h): the 5,000-input network on the point neuron: its target, reproducible from the seed,
and bounded memory. The experiment itself (ngspice extraction included) runs in test_experiments."""

from __future__ import annotations

import numpy as np
import pytest

from memspike.experiments import fig7gh
from networks.point import PointNeuron

# the point neuron memspike extracts for the Fig. 2d circuit, 3.6 kohm, 30 pF (nbox_et)
NEURON = PointNeuron(v_th=0.8275, v_reset=0.6784, tau_m=105.7e-9, t_ref=65.3e-9, gains=(9.244e6,), v_latch=1.376)


def counts(p, neuron=NEURON):
    return [int(fig7gh.simulate(p, neuron, sync, record=False).spike_times.size) for sync in (False, True)]


def test_ratio_target_over_seeds():
    """Synchronous events raise the rate at least tenfold (paper: 2 -> 21), whatever the seed."""
    p = fig7gh.Fig7ghParams()
    for seed in (1, 2, 3):
        bg, sy = counts(p.replace(seed=seed))
        assert bg > 0 and sy / bg >= 10, (seed, bg, sy)
        assert sy == pytest.approx(p.sync_rate * p.t_end, rel=0.15)       # about one spike per event


def test_reproducible_from_the_seed():
    p = fig7gh.Fig7ghParams(t_end=0.3e-3)
    a = fig7gh.simulate(p, NEURON, True)
    b = fig7gh.simulate(p, NEURON, True)
    assert np.array_equal(a.spike_times, b.spike_times) and np.array_equal(a.v, b.v)
    for pop in ("exc", "inh", "sync"):
        assert all(np.array_equal(x, y) for x, y in zip(a.raster[pop], b.raster[pop], strict=True))
    assert counts(p) != counts(p.replace(seed=p.seed + 1))


def test_no_synchronous_events_no_coincidence():
    """With the synchronous events' trains firing at random instead (sync_rate 0), nothing is gained."""
    p = fig7gh.Fig7ghParams(sync_rate=0.0)
    bg, sy = counts(p)
    assert abs(sy - bg) < 4 * np.sqrt(bg + sy)


@pytest.mark.ngspice
def test_experiment_reproducible_and_bounded(tmp_path):
    from memspike.experiments import execute

    docs = [execute("fig7gh", tmp_path / str(k), quick=True) for k in range(2)]
    r = [d["results"] for d in docs]
    assert r[0]["spike_count_sync"] == r[1]["spike_count_sync"]
    assert r[0]["spike_count_background"] == r[1]["spike_count_background"]
    assert r[0]["ratio"] >= 10 and r[0]["reproducible"]
    assert r[0]["peak_memory_bytes"] < 0.05 * r[0]["full_resolution_bytes"]
    assert all(c["pass"] for c in docs[0]["checks"])
    assert any(n.startswith("level") for n in (x.split("/")[-1] for x in docs[0]["netlists"]))


def _brian2_python():
    import os
    import subprocess
    import sys

    python = os.environ.get("MEMSPIKE_BRIAN2_PYTHON") or sys.executable
    ok = subprocess.run([python, "-c", "import brian2"], capture_output=True).returncode == 0
    return python if ok else None


def test_benchmark_gives_both_simulators_the_same_network():
    from benchmarks.brian2_fig7 import configuration, run_memspike

    p = fig7gh.Fig7ghParams()
    cfg = configuration(NEURON, p, 1e-3, 1, 0)
    bg, sy = cfg["conditions"]["background"], cfg["conditions"]["sync"]
    assert bg["sync_rate"] == 0 and sy["sync_rate"] == p.sync_rate and sy["dv_sync"] == 15 * sy["dv_exc"]
    assert sy["rate_exc"] == pytest.approx(p.rate - p.sync_rate * p.sync_size / p.n_exc) and bg["rate_exc"] == p.rate
    assert cfg["v_th"] == NEURON.v_th and cfg["dt"] == p.dt
    ms = run_memspike(NEURON, p, 1e-3, 1)
    assert ms["counts"]["sync"] > 10 * max(ms["counts"]["background"], 1) and ms["run_s"] > 0


@pytest.mark.slow
def test_brian2_benchmark_runs(capsys, tmp_path):
    """Brian2 (C++ standalone) and memspike on the same network: both rates printed, close (skipped where
    no interpreter with Brian2 is found: $MEMSPIKE_BRIAN2_PYTHON, or this one)."""
    python = _brian2_python()
    if python is None:
        pytest.skip("no Brian2: set MEMSPIKE_BRIAN2_PYTHON to an interpreter with brian2 (numpy < 2.4)")
    import json

    from benchmarks.brian2_fig7 import main

    path = NEURON.save(tmp_path / "n.json")
    assert main(["--duration", "0.01", "--neuron", str(path), "--brian2-python", python,
                 "--json", str(tmp_path / "b.json")]) == 0
    out = json.loads((tmp_path / "b.json").read_text())
    for cond in ("background", "sync"):
        r = out["rates"][cond]
        assert abs(r["z"]) < 4, r                      # equal output rates, within counting noise
    assert out["speed_ratio"] > 1
    assert "speed ratio" in capsys.readouterr().out


def test_run_takes_a_neuron_file_and_checks_it_against_its_levels(capsys, tmp_path):
    """``memspike run fig7gh --neuron FILE``: the file's neuron runs (nothing extracted), the JSON records the
    file, and the neuron is checked on the ngspice levels its extraction recorded: an edit that breaks the
    agreement fails that check. A file without levels runs unchecked, and says so. Conflicts and malformed
    files: one line, exit 2, nothing written."""
    import hashlib
    import json

    from memspike.cli import main

    path = tmp_path / "n.json"
    assert main(["extract", "--quick", "-q", "--out", str(path)]) == 0
    assert main(["run", "fig7gh", "--quick", "-q", "--neuron", str(path), "--out", str(tmp_path / "a")]) == 0
    doc = json.loads((tmp_path / "a" / "fig7gh.json").read_text())
    nf = doc["parameters"]["neuron_file"]
    assert nf["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert nf["neuron"] == json.loads(path.read_text())["neuron"]
    assert doc["results"]["neuron_source"].startswith("file") and doc["netlists"] == []      # nothing extracted
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["neuron file: spike counts on the ngspice levels"]["pass"]
    assert doc["results"]["neuron"]["v_th"] == nf["neuron"]["v_th"]

    edited = json.loads(path.read_text())
    edited["neuron"]["v_th"] = 0.7                       # fires on drives where the circuit is silent or slower
    (tmp_path / "e.json").write_text(json.dumps(edited))
    assert main(["run", "fig7gh", "--quick", "-q", "--neuron", str(tmp_path / "e.json"),
                 "--out", str(tmp_path / "b")]) == 0
    doc = json.loads((tmp_path / "b" / "fig7gh.json").read_text())
    checks = {c["name"]: c for c in doc["checks"]}
    assert not checks["neuron file: spike counts on the ngspice levels"]["pass"]
    assert doc["results"]["neuron"]["v_th"] == 0.7

    bare = {**edited, "fit_errors": {}}
    (tmp_path / "h.json").write_text(json.dumps(bare))
    assert main(["run", "fig7gh", "--quick", "-q", "--neuron", str(tmp_path / "h.json"),
                 "--out", str(tmp_path / "c")]) == 0
    doc = json.loads((tmp_path / "c" / "fig7gh.json").read_text())
    assert not any("levels" in c["name"] for c in doc["checks"]) and "no extraction levels" in doc["notes"][0]

    broken = json.loads(path.read_text())
    broken["fit_errors"]["levels"][0]["width"] = -1
    (tmp_path / "b.json").write_text(json.dumps(broken))
    two = json.loads(path.read_text())
    two["neuron"]["gains"] = two["neuron"]["gains"] * 2
    (tmp_path / "two.json").write_text(json.dumps(two))
    capsys.readouterr()
    for args, name in [(["fig2e", "--neuron", str(path)], "--neuron"),
                       (["fig7gh", "--neuron", str(tmp_path / "b.json")], "--neuron"),
                       (["fig7gh", "--neuron", str(tmp_path / "two.json")], "--neuron"),
                       (["fig7gh", "--neuron", str(tmp_path / "missing.json")], "--neuron"),
                       (["fig7gh", "--neuron", str(path), "--set", "C_m=10p"], "C_m"),
                       (["fig7gh", "--neuron", str(path), "--set", "device.T0=310K"], "device.T0"),
                       (["fig7gh", "--neuron", str(path), "--device", "nbox_ts"], "--device")]:
        out = tmp_path / "never"
        assert main(["run", *args, "--out", str(out)]) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"parameter {name}=" in err, err
        assert not out.exists()
