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
