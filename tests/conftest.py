"""Shared fixtures and simulator gating for the memspike test suite.

Tests that run ngspice carry ``@pytest.mark.ngspice``, tests that run VACASK
``@pytest.mark.vacask``. Each simulator a selected test needs is probed once by
running a trivial RC deck in a child process (a broken libngspice that crashes
takes the child down, not pytest): ngspice through both back-ends (the
executable and libngspice in-process), VACASK through ``vacask.simulate``.

An unusable simulator skips the tests that need it, with the reason; under
``CI=true`` or ``--require-simulators`` it ends the run with an error instead,
so a broken installation can never pass as green.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# run in the repository root as `python -c PROBE KIND`: exit 0, or exit 1 with one line on stderr
PROBE = """
import sys
try:
    deck = "probe\\nV1 a 0 PWL(0 0 1e-09 1)\\nR1 a b 1000\\nC1 b 0 1e-12\\n.tran 1e-10 2e-08\\n.end\\n"
    if sys.argv[1] == "vacask":
        from circuits import vacask
        from circuits.netlist import Netlist

        net = Netlist("probe")
        net.vsource("v1", "a", "0", pwl=[(0, 0), (1e-9, 1)])
        net.resistor("r1", "a", "b", 1e3)
        net.capacitor("c1", "b", "0", 1e-12)
        net.tran = (1e-10, 2e-08, 1e-10)
        wf = vacask.simulate(net, timeout=60)
    else:
        from circuits.runner import simulate

        wf = simulate(deck, backend=sys.argv[1], timeout=60)
    if abs(wf["v(b)"][-1] - 1.0) > 1e-3:
        raise RuntimeError(f"an RC deck gave v(b) = {wf['v(b)'][-1]:g} V instead of 1 V")
except Exception as e:
    sys.exit(" ".join(f"{type(e).__name__}: {e}".split())[:300])
"""
# marker -> (probe kind, what it checks)
NEEDS = {"ngspice": (("subprocess", "ngspice executable"), ("shared", "libngspice")),
         "vacask": (("vacask", "VACASK"),)}


@cache
def probe(kind: str) -> str | None:
    """None if the simulator runs a trivial deck correctly, else why not (one line)."""
    try:
        proc = subprocess.run([sys.executable, "-c", PROBE, kind], cwd=ROOT, capture_output=True, text=True,
                              timeout=180, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "a trivial deck did not finish within 180 s"
    if proc.returncode == 0:
        return None
    last = next((ln.strip() for ln in reversed(proc.stderr.splitlines()) if ln.strip()), "no output")
    return last if proc.returncode == 1 else f"crashed (exit code {proc.returncode}): {last}"


def pytest_addoption(parser):
    parser.addoption("--require-simulators", action="store_true",
                     help="fail the run instead of skipping when ngspice or VACASK is missing or broken "
                          "(implied by CI=true)")


@pytest.hookimpl(trylast=True)        # after -m / -k deselection: probe only what the selected tests need
def pytest_collection_modifyitems(config, items):
    required = config.getoption("--require-simulators") or os.environ.get("CI", "").lower() in ("1", "true")
    for marker, checks in NEEDS.items():
        needing = [item for item in items if item.get_closest_marker(marker)]
        if not needing:
            continue
        problems = [f"{what}: {why}" for kind, what in checks if (why := probe(kind))]
        if not problems:
            continue
        reason = f"{marker} unusable: " + "; ".join(problems)
        if required:
            why = "--require-simulators" if config.getoption("--require-simulators") else "CI=true"
            pytest.exit(f"{reason} ({len(needing)} selected tests need it; {why} forbids skipping)", returncode=1)
        for item in needing:
            item.add_marker(pytest.mark.skip(reason=reason))
