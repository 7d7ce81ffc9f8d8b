"""The ngspice runner: errors carry ngspice's words; both back-ends agree; raw files read."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analysis.spikes import detect_spikes
from circuits.builders import lif_neuron
from circuits.netlist import write
from circuits.runner import SimulationError, Waveforms, failure_lines, find_libngspice, read_raw, simulate
from circuits.stimuli import PulseTrain
from pyspice_models.nbox import NbOxParams

BACKENDS = ["shared", "subprocess"]

RC_DECK = """rc test
V1 a 0 PWL(0 0 1e-09 1 2e-08 1)
R1 a b 1000
C1 b 0 1e-12
.tran 1e-10 2e-08
.end
"""

UNKNOWN_SUBCKT = """unknown subckt
V1 a 0 DC 1
X1 a 0 nosuchmodel
.tran 1e-09 1e-08
.end
"""

SINGULAR = """singular
V1 a 0 DC 1
V2 a 0 DC 2
.tran 1e-09 1e-08
.end
"""

BAD_VALUE = """bad value
V1 a 0 DC 1
R1 a 0 abc
.tran 1e-09 1e-08
.end
"""


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_simple_rc(backend):
    wf = simulate(RC_DECK, backend=backend)
    assert isinstance(wf, Waveforms)
    assert wf.meta["backend"] == backend
    assert wf.time[0] == 0.0 and wf.time[-1] == pytest.approx(2e-8)
    assert np.all(np.diff(wf.time) > 0)
    assert {"v(a)", "v(b)", "i(v1)"} <= set(wf.vectors)
    vb = wf["V(B)"]                                        # case-insensitive lookup
    # RC = 1 ns: fully charged at the end
    assert vb[-1] == pytest.approx(1.0, rel=1e-3)
    # ramp of 1 ns into RC = 1 ns: v(b) = 1 - (e^{-(t-1n)/RC} - e^{-t/RC}) after the ramp
    for tt in (2e-9, 4e-9):
        exact = 1 - (np.exp(-(tt - 1e-9) / 1e-9) - np.exp(-tt / 1e-9))
        assert np.interp(tt, wf.time, vb) == pytest.approx(exact, abs=0.01)
    with pytest.raises(KeyError):
        wf["v(nosuch)"]


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_subckt_raises(backend):
    with pytest.raises(SimulationError) as ei:
        simulate(UNKNOWN_SUBCKT, backend=backend)
    e = ei.value
    assert "nosuchmodel" in e.message.lower()
    assert "unknown subckt" in str(e).lower()
    assert e.netlist == UNKNOWN_SUBCKT


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_non_converging_raises_with_ngspice_text(backend):
    with pytest.raises(SimulationError) as ei:
        simulate(SINGULAR, backend=backend)
    msg = str(ei.value)
    assert "singular matrix" in msg.lower()
    assert ei.value.message                            # ngspice's own words are kept


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_value_raises(backend):
    with pytest.raises(SimulationError) as ei:
        simulate(BAD_VALUE, backend=backend)
    assert "error" in ei.value.message.lower()


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_good_run_after_failure(backend):
    # a failed deck leaves nothing behind that breaks the next run
    with pytest.raises(SimulationError):
        simulate(UNKNOWN_SUBCKT, backend=backend)
    wf = simulate(RC_DECK, backend=backend)
    assert wf["v(b)"][-1] == pytest.approx(1.0, rel=1e-3)
    assert failure_lines(wf.log) == []


def test_unknown_backend():
    with pytest.raises(ValueError):
        simulate(RC_DECK, backend="xyz")


def test_failure_lines():
    text = "ok line\nWarning: singular matrix: check node a\nTimestep too small; time = 1e-9\nfine"
    assert failure_lines(text) == ["Warning: singular matrix: check node a", "Timestep too small; time = 1e-9"]
    assert failure_lines("Note: Unsupported Ngspice version 42") == []


@pytest.mark.ngspice
def test_si_suffix_in_tran():
    deck = "si suffix\nV1 a 0 DC 1\nR1 a 0 1k\n.tran 1n 10n\n.end\n"
    wf = simulate(deck, backend="subprocess")
    assert wf.time[-1] == pytest.approx(10e-9)


@pytest.mark.ngspice
def test_backends_agree_on_lif_neuron():
    net = lif_neuron(train=PulseTrain(n_pulses=5))
    text = write(net)
    thr = NbOxParams().spike_current()
    counts = {}
    for backend in BACKENDS:
        wf = simulate(text, backend=backend)
        assert wf.time[-1] == pytest.approx(net.tran[1], rel=1e-6)
        counts[backend] = detect_spikes(wf.time, wf["i(vsense)"], thr)
    assert counts["shared"].count == counts["subprocess"].count >= 1
    assert np.allclose(counts["shared"].times, counts["subprocess"].times, atol=5e-9)


@pytest.mark.ngspice
def test_read_raw_binary_and_ascii(tmp_path):
    exe = shutil.which("ngspice")
    deck = tmp_path / "rc.cir"
    deck.write_text(RC_DECK)
    ascii_deck = tmp_path / "rc_ascii.cir"
    ascii_deck.write_text(RC_DECK.replace(".end\n", ".options filetype=ascii\n.end\n"))
    subprocess.run([exe, "-b", "-n", "-r", "out.raw", "rc.cir"], cwd=tmp_path, check=True,
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    subprocess.run([exe, "-b", "-n", "-r", "outa.raw", "rc_ascii.cir"], cwd=tmp_path, check=True,
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert b"Binary:" in Path(tmp_path, "out.raw").read_bytes()
    assert b"Values:" in Path(tmp_path, "outa.raw").read_bytes()
    t_b, v_b = read_raw(tmp_path / "out.raw")
    t_a, v_a = read_raw(tmp_path / "outa.raw")
    assert set(v_b) == set(v_a) == {"v(a)", "v(b)", "i(v1)"}
    assert t_b.shape == t_a.shape and t_b.size > 10
    assert np.allclose(t_a, t_b, rtol=1e-12)
    for k in v_b:
        assert np.allclose(v_a[k], v_b[k], rtol=1e-9, atol=1e-15)
    # and the same data as the shared back-end
    wf = simulate(RC_DECK)
    assert np.allclose(np.interp(t_b, wf.time, wf["v(b)"]), v_b["v(b)"], atol=1e-6)


def test_find_libngspice_refuses_a_missing_override(monkeypatch, tmp_path):
    missing = tmp_path / "libngspice.so"
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", str(missing))
    with pytest.raises(SimulationError, match=re.escape(f"NGSPICE_LIBRARY_PATH={missing}: no such file")):
        find_libngspice()
    missing.write_bytes(b"")                      # an existing file is taken as given
    assert find_libngspice() == str(missing)


def test_read_raw_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.raw"
    bad.write_text("Title: x\nNo. Variables: 1\n")
    with pytest.raises(SimulationError):
        read_raw(bad)


@pytest.mark.ngspice
def test_shared_backend_survives_many_runs():
    tr = PulseTrain(n_pulses=1, width=0.2e-6, interval=0.05e-6)
    text = write(lif_neuron(train=tr, tail=0.05e-6))
    ends = []
    for _ in range(30):
        wf = simulate(text, backend="shared")
        ends.append((wf.time.size, float(wf["v(mem)"][-1])))
    assert len(set(ends)) == 1                # identical every time, nothing accumulates
