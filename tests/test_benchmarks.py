"""The benchmark scripts stay runnable (their numbers are printed, not asserted)."""

import pytest

pytestmark = pytest.mark.ngspice


def test_engines_benchmark_runs(capsys):
    from benchmarks.engines import main

    main(["--repeat", "1"])
    out = capsys.readouterr().out
    assert "ngspice in-process" in out and "speedup" in out
