"""The benchmark scripts stay runnable (their numbers are printed, not asserted)."""

import pytest


@pytest.mark.ngspice
def test_engines_benchmark_runs(capsys):
    from benchmarks.engines import _decks, main
    from circuits import vacask

    main(["--repeat", "1"])
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[-3:] == ["s/run", "speedup", "spikes"]
    ways = ["ngspice in-process", "ngspice pool (2)"] + (["vacask (compiles .va)"] if vacask.available() else [])
    table = {(r[:24].strip(), r[25:47].strip()): r[47:].split() for r in rows}
    assert list(table) == [(deck, way) for deck in _decks() for way in ways]
    for deck in _decks():
        counts = {table[deck, way][2] for way in ways}
        assert len(counts) == 1 and int(counts.pop()) > 0, (deck, table)     # every way, the same spikes
        assert table[deck, ways[0]][1] == "1.00"                               # the baseline against itself
