"""The command line, in-process through ``main(argv)``: bad input fails cleanly (exit 2, one line,
nothing written), the CLI explains itself, and runs summarise what they found."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memspike.cli import main
from memspike.experiments import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _written(out: Path) -> list[Path]:
    return list(out.rglob("*")) if out.exists() else []


BAD = [
    (["--set", "C_m=-1p"], "C_m"),
    (["--set", "R_L=abc"], "R_L"),
    (["--set", "width=nan"], "width"),
    (["--set", "width=inf"], "width"),
    (["--set", "bogus=1"], "bogus"),
    (["--set", "R_L=1k\n.control"], "R_L"),
    (["--set", "amplitude=1;shell"], "amplitude"),
    (["--set", "n_pulses=2.5"], "n_pulses"),
    (["--set", "C_m=30pV"], "C_m"),                    # a unit name, but not the parameter's
    (["--set", "n_pulses=3F"], "n_pulses"),            # n_pulses has no unit (F would be femto)
    (["--set", "device.R_th=-1"], "device.R_th"),      # physically impossible electro-thermal values
    (["--set", "device.R_th=0"], "device.R_th"),
    (["--set", "device.C_th=0"], "device.C_th"),
    (["--set", "device.T0=0"], "device.T0"),
    (["--set", "device.T0=-10K"], "device.T0"),
    (["--set", "device.Ea=-0.1"], "device.Ea"),
    (["--set", "device.v_th=0.8"], "device.v_th"),     # a behavioural key: not a parameter of nbox_et
    (["--device", "nbox_ts", "--set", "device.v_hold=0.9"], "device.v_hold"),
    (["--set", "device.nosuch=1"], "device.nosuch"),
    (["--set", "synapse.g_max=1u"], "synapse.g_max"),       # the neuron has no TaOx synapse
    (["--device", "nbox"], "--device"),
    (["--set", "R_L=1k", "--set", "R_L=2k"], "R_L"),
    (["--engine", "spice"], "--engine"),
]
BAD_DENDRITE = [
    (["--set", "idle_grounded=2"], "idle_grounded"),
    (["--set", "R_2=0"], "R_2"),
    (["--set", "delay=1e-2"], "delay"),
    (["--set", "amplitude_1=0.9x"], "amplitude_1"),
    (["--set", "R_L=1k"], "R_L"),
]
CASES = [("neuron", a, n) for a, n in BAD] + [("dendrite", a, n) for a, n in BAD_DENDRITE] + [
    ("fig3h", ["--set", "interval_min=0.5u"], "interval_min"),
    ("fig4", ["--set", "f_io_max=1.2meg"], "f_io_max"),
    ("fig3c", ["--engine", "vacask"], "--engine"),
    ("fig5fg", ["--set", "pattern_1=0121"], "pattern_1"),          # a pattern: 4 bits of 0/1
    ("fig5fg", ["--set", "pattern_2=011"], "pattern_2"),
    ("fig5fg", ["--set", "g_high=1"], "g_high"),                   # outside the synapse's g_min..g_max
    ("fig5i", ["--set", "trained=10101"], "trained"),
    ("fig7bcd", ["--set", "synapse.g_min=-1u"], "synapse.g_min"),
]


@pytest.mark.parametrize("exp, args, name", CASES, ids=[f"{e}:{a!r}" for e, a, _ in CASES])
def test_bad_parameters_exit_2(capsys, tmp_path, exp, args, name):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "run", exp, *args, "--out", str(out))
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("memspike: error:") and name in lines[0], err
    assert not _written(out)


def test_relation_error_names_the_key_that_was_set(capsys, tmp_path):
    """v_th = 0.1 breaks v_hold < v_th: the message is about v_th, with v_th's range."""
    code, _, err = run_cli(capsys, "run", "iv", "--device", "nbox_ts", "--set", "device.v_th=0.1",
                           "--out", str(tmp_path / "o"))
    assert code == 2
    assert err.startswith("memspike: error: parameter device.v_th=") and "(0.05, 10] V" in err
    assert "v_hold" in err                      # ... and which relation it breaks


def test_electrothermal_relation_error_names_the_key(capsys, tmp_path):
    """A metallic phase 100 K above ambient would leave the device always on: refused, naming T_met."""
    code, _, err = run_cli(capsys, "run", "neuron", "--set", "device.T_met=400K", "--out", str(tmp_path / "o"))
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("memspike: error: parameter device.T_met=") and "T0" in err
    assert not (tmp_path / "o").exists() or not _written(tmp_path / "o")


def test_unit_names_are_accepted(capsys):
    from memspike.experiments.base import apply_overrides

    exp = REGISTRY["neuron"]
    a, _, _ = apply_overrides(exp, {"C_m": "30pF", "R_L": "3.6kOhm", "width": "1us", "interval": "100ns"})
    b, _, _ = apply_overrides(exp, {"C_m": "30p", "R_L": "3.6k", "width": "1u", "interval": "100n"})
    assert a == b and a.C_m == pytest.approx(30e-12) and a.R_L == pytest.approx(3600)


@pytest.mark.parametrize("where", ["file", "proc", "file_in_place"])
def test_unusable_out_exits_2_and_writes_nothing(capsys, tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    out = {"file": blocker, "proc": Path("/proc/memspike_out"), "file_in_place": tmp_path / "res"}[where]
    if where == "file_in_place":
        out.mkdir()
        (out / "switching").write_text("a file where the netlist folder goes")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, _, err = run_cli(capsys, "run", "switching", "--out", str(out))
    assert code == 2 and len(err.splitlines()) == 1 and "--out" in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert blocker.read_text() == "keep me"


def test_flags_after_the_subcommand(capsys):
    code, out, _ = run_cli(capsys, "list", "-v")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(REGISTRY)
    assert "vacask" in next(line for line in out.splitlines() if line.startswith("neuron"))


def test_params_lists_every_key(capsys):
    code, out, _ = run_cli(capsys, "params", "fig3c")
    assert code == 0
    exp = REGISTRY["fig3c"]
    for name, unit, doc, rng in exp.params.table():
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert rng in line and (unit in line if unit else True)
        assert doc in out
    assert "device.R_th" in out and "device.T0" in out and "device: nbox_et" in out
    code, out, _ = run_cli(capsys, "params", "fig3c", "--device", "nbox_ts")
    assert code == 0 and "device.v_th" in out and "device.t_d0" in out


def test_params_unknown_experiment(capsys):
    code, _, err = run_cli(capsys, "params", "nosuch")
    assert code == 2 and "experiment" in err and len(err.splitlines()) == 1


def test_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run"])
    assert e.value.code == 2


@pytest.mark.ngspice
def test_run_prints_summary_and_unit_names_equal_plain(capsys, tmp_path):
    code, out, err = run_cli(capsys, "run", "neuron", "--quick", "--set", "C_m=30pF", "--out", str(tmp_path / "a"))
    assert code == 0, err
    assert "spike_count = " in out and "wrote " in out
    code, _, err = run_cli(capsys, "run", "neuron", "--quick", "--set", "C_m=30p", "-q", "--out", str(tmp_path / "b"))
    assert code == 0, err
    a = json.loads((tmp_path / "a" / "neuron.json").read_text())
    b = json.loads((tmp_path / "b" / "neuron.json").read_text())
    assert a["parameters"] == b["parameters"] and a["results"] == b["results"]


@pytest.mark.ngspice
def test_summary_shows_checks_at_4_digits(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "run", "fig3c", "--quick", "--out", str(tmp_path))   # fig3c's quick = full
    assert code == 0
    assert "checks: 4/4 passed" in out
    assert "rate_s1 = 4.545e+05" in out and "454545.45" not in out


@pytest.mark.ngspice
def test_sigint_during_reproduce_exits_130_and_leaves_nothing(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "iv.json").write_text("an earlier result")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-m", "memspike.cli", "reproduce", "--quick", "--out", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(out.glob(".*")):
        time.sleep(0.05)                                 # until a staging folder exists: mid-run
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr + stdout
    assert stderr.splitlines()[-1].startswith("memspike: interrupted")
    assert not list(out.glob(".*")), "staging left behind"
    assert (out / "iv.json").read_text() == "an earlier result"


def test_console_script_entry_point():
    proc = subprocess.run([sys.executable, "-m", "memspike.cli", "list"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout.split()[0] == "iv"
