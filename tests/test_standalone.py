"""Written netlists are standalone: plain `ngspice -b` reproduces the reported spike count."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.spikes import detect_spikes
from circuits.runner import read_raw
from pyspice_models import NEURON_DEVICES

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.ngspice
@pytest.mark.parametrize("name, sets", [("neuron", ["n_pulses=5"]),
                                        ("dendrite", ["n_pulses=5", "delay=0.55u", "R_2=4k"])])
def test_netlists_run_standalone(tmp_path, name, sets):
    out = tmp_path / "res"
    env = {**os.environ, "MPLBACKEND": "Agg", "MEMSPIKE_WORKERS": "1"}
    args = [a for s in sets for a in ("--set", s)]
    proc = subprocess.run([sys.executable, "-m", "memspike.cli", "run", name, *args,
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / f"{name}.json").read_text())
    assert doc["netlists"]
    (probe,) = doc["probes"].values()
    device = NEURON_DEVICES[doc["parameters"]["device_model"]](**doc["parameters"]["device"])
    thr = device.spike_current()
    exe = shutil.which("ngspice")
    for k, rel in enumerate(doc["netlists"]):
        run_dir = tmp_path / f"run{k}"
        run_dir.mkdir()
        deck = run_dir / Path(rel).name
        shutil.copy(out / rel, deck)
        r = subprocess.run([exe, "-b", "-n", "-r", "out.raw", deck.name], cwd=run_dir, capture_output=True,
                           text=True, timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, "HOME": str(run_dir)})
        assert r.returncode == 0, r.stdout + r.stderr
        t, vectors = read_raw(run_dir / "out.raw")
        assert probe["i"] in vectors, sorted(vectors)
        sp = detect_spikes(t, vectors[probe["i"]], thr)
        assert sp.count == doc["results"]["spike_count"]
        assert sp.count >= 1
        assert len(doc["results"]["spike_times"]) == sp.count
        for a, b in zip(sp.times, doc["results"]["spike_times"], strict=True):
            assert abs(a - b) < 5e-9


@pytest.mark.ngspice
def test_programmed_crossbar_deck_runs_standalone(tmp_path):
    """fig5fg writes the 4 x 4 crossbar with the conductances its programming reached (w0 on each synapse's
    line); stock ngspice -b runs that deck and gives the JSON's spike count of every neuron."""
    out = tmp_path / "res"
    env = {**os.environ, "MPLBACKEND": "Agg", "MEMSPIKE_WORKERS": "1"}
    proc = subprocess.run([sys.executable, "-m", "memspike.cli", "run", "fig5fg", "--quick", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "fig5fg.json").read_text())
    device = NEURON_DEVICES[doc["parameters"]["device_model"]](**doc["parameters"]["device"])
    k = doc["results"]["patterns"].index("0101")
    rel = next(n for n in doc["netlists"] if n.endswith("pat0101.cir"))
    run_dir = tmp_path / "alone"
    run_dir.mkdir()
    shutil.copy(out / rel, run_dir / "deck.cir")
    text = (run_dir / "deck.cir").read_text()
    programmed = doc["results"]["weights"]["programmed"]
    assert text.count("taox_syn params: w0=") == 16 and "xs2_1 " in text
    r = subprocess.run([shutil.which("ngspice"), "-b", "-n", "-r", "out.raw", "deck.cir"], cwd=run_dir,
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                       env={**os.environ, "HOME": str(run_dir)})
    assert r.returncode == 0, r.stdout + r.stderr
    t, vectors = read_raw(run_dir / "out.raw")
    for j in range(4):
        assert detect_spikes(t, vectors[f"i(vsense{j + 1})"], device.spike_current()).count == \
            doc["results"]["spike_count"][j][k]
    assert programmed[1][0] > 100e-6 > programmed[0][0]          # neuron 1 (0101): S2 high, S1 low
