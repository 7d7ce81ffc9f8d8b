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


@pytest.mark.ngspice
def test_crossbar_benchmark_runs(capsys):
    from benchmarks.crossbar import main
    from circuits import vacask

    main(["--sizes", "2", "4"])
    header, *rows = capsys.readouterr().out.splitlines()
    engines = ["ngspice"] + (["vacask"] if vacask.available() else [])
    assert header.split()[:2] == ["N", "elements"] and header.count(" spikes") == len(engines)
    table, fits = rows[:2], rows[2:]
    assert [r.split()[0] for r in table] == ["2", "4"]
    for r in table:
        cols = r.split()
        seconds = [float(x) for x in cols[2:2 + len(engines)]]
        spikes = [int(x) for x in cols[-len(engines):]]
        assert all(s > 0 for s in seconds) and len(set(spikes)) == 1, r        # every engine, the same spikes
    assert int(table[1].split()[-1]) > 0                                       # the 4 x 4 array fires
    assert [f.split(":")[0] for f in fits] == engines and all("N^" in f for f in fits)
