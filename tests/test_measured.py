"""Measured files: every supported layout is detected, read into SI units with its metadata, and a
malformed, truncated, empty or wrongly-united file is refused with one line naming the file and the line
(exit 2 on the command line). No simulator: the data here are plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.instruments import DataFileError, read_measured
from analysis.instruments.units import parse_unit, split_name
from memspike.cli import main
from tests.synthetic import (
    write_b1500,
    write_generic,
    write_infiniium,
    write_infiniivision,
    write_tek_legacy,
    write_tektronix,
)

T = np.arange(200) * 1e-9 - 50e-9                       # a scope record: 1 ns steps from -50 ns
V = 0.8 * np.sin(2 * np.pi * T / 100e-9)
I = 1e-3 * np.cos(2 * np.pi * T / 100e-9)               # noqa: E741


# --------------------------------------------------------------------------- units
@pytest.mark.parametrize("text,si,scale", [("s", "s", 1), ("us", "s", 1e-6), ("µs", "s", 1e-6), ("Second", "s", 1),
                                           ("S", "s", 1), ("mV", "V", 1e-3), ("Volt", "V", 1), ("uA", "A", 1e-6),
                                           ("Ampere", "A", 1), ("mA", "A", 1e-3), ("ma", "A", 1e-3),
                                           ("kOhm", "ohm", 1e3), ("", "", 1)])
def test_units(text, si, scale):
    assert parse_unit(text) == (si, pytest.approx(scale))


@pytest.mark.parametrize("heading,name,unit", [("I (mA)", "I", "mA"), ("I [mA]", "I", "mA"), ("I/mA", "I", "mA"),
                                               ("t_us", "t", "us"), ("time_s", "time", "s"), ("V_mem", "V_mem", None),
                                               ("R_s", "R_s", None), ("Time (s)", "Time", "s")])
def test_split_name(heading, name, unit):
    assert split_name(heading) == (name, unit)


def test_unknown_unit_is_none():
    assert parse_unit("furlong") is None


# --------------------------------------------------------------------------- each layout
def _close(a, b, rel=1e-5):
    np.testing.assert_allclose(a, b, rtol=rel, atol=1e-12)


def test_b1500_blocks_units_overflow(tmp_path):
    blocks = [{"V": V[:100], "I": I[:100]}, {"V": -V[:100], "I": -I[:100]}, {"V": V[:100], "I": I[:100]}]
    m = read_measured(write_b1500(tmp_path / "b.csv", blocks, units_row=True, overflow_rows=(3,)))
    assert m.format == "keysight-b1500" and "SetupTitle" in m.detected_by
    assert m.rows == 300 and m.block.max() == 2 and list(np.bincount(m.block)) == [100, 100, 100]
    assert m.metadata["Channel.VName"] == "V1, V2" and len(m.metadata["blocks"]) == 3
    tr = m.traces(need=("v", "i"))
    assert tr.names == {"v": "V1", "i": "I1"} and tr.t is None
    assert tr.dropped == 1                                   # the 9.91E+37 row
    _close(tr.v[:3], V[:3])
    assert m.line[0] == 15                                   # 13 header lines and the Units row


def test_b1500_units_from_names(tmp_path):
    m = read_measured(write_b1500(tmp_path / "b.csv", [{"V": V, "I": I}]))
    assert [(c.name, c.unit) for c in m.channels] == [("V1", "V"), ("I1", "A")]


def test_infiniium_two_waveforms_are_channels(tmp_path):
    y = I.copy()
    y[7] = np.nan                                            # written as 9.99999E+37
    m = read_measured(write_infiniium(tmp_path / "inf.csv", T, [("Volt", V), ("Ampere", y)]))
    assert m.format == "keysight-infiniium"
    assert [(c.name, c.unit) for c in m.channels] == [("time", "s"), ("CH1", "V"), ("CH2", "A")]
    tr = m.traces(need=("t", "v", "i"))
    assert tr.dropped == 1 and tr.t.size == T.size - 1
    _close(tr.t[:5], T[:5])
    assert m.metadata["Frame"].startswith("DSO")


def test_infiniivision_blank_start(tmp_path):
    m = read_measured(write_infiniivision(tmp_path / "iv.csv", T, [("Volt", V), ("Ampere", I)], blank_first=10))
    assert m.format == "keysight-infiniivision"
    tr = m.traces(need=("t", "v", "i"), voltage="CH1")       # "CH1" matches the column named "1"
    assert tr.dropped == 10 and tr.names == {"t": "time", "v": "1", "i": "2"}
    _close(tr.i, I[10:])


@pytest.mark.parametrize("comment", [False, True])
def test_tektronix_header_labels(tmp_path, comment):
    m = read_measured(write_tektronix(tmp_path / "tek.csv", T, [("CH1", "V", "Vin", V), ("CH2", "V", "Vmem", V / 2),
                                                                 ("CH3", "A", "Idev", I)], comment=comment))
    assert m.format == "tektronix" and m.metadata["Model"] == "MDO3024"
    tr = m.traces(need=("t", "v", "i"), want_input=True)
    assert tr.names == {"t": "time", "i": "CH3", "v": "CH2", "vin": "CH1"}    # from the labels Vin / Vmem
    _close(tr.v, V / 2, rel=1e-5)
    assert m.find("Idev").name == "CH3"


def test_tektronix_legacy(tmp_path):
    m = read_measured(write_tek_legacy(tmp_path / "tds.csv", T, V))
    assert m.format == "tektronix" and "TDS" in m.detected_by
    assert m.metadata["Model Number"] == "TDS2024B"
    _close(m.find("CH1").values, V, rel=1e-4)
    _close(m.find("time").values, T)


def test_generic_units_in_headings_nan_rows_cycles(tmp_path):
    cyc = np.repeat([1, 2], 100)
    f = write_generic(tmp_path / "g.csv", [("time (us)", T * 1e6), ("V_dev [mV]", V * 1e3), ("I/uA", I * 1e6),
                                           ("cycle", cyc)], meta=[("instrument", "bench"), ("device", "D7")],
                      nan_rows=(5, 6))
    m = read_measured(f)
    assert m.format == "generic" and m.metadata == {"instrument": "bench", "device": "D7"}
    assert m.block.max() == 1
    tr = m.traces(need=("t", "v", "i"))
    assert tr.dropped == 2
    _close(tr.t[:5], T[:5])
    _close(tr.v[6:9], V[8:11])
    _close(tr.i[-3:], I[-3:])


def test_generic_units_row(tmp_path):
    f = write_generic(tmp_path / "g.csv", [("t", T), ("Vm", V), ("Id", I * 1e3)], units_row=["s", "V", "mA"])
    tr = read_measured(f).traces(need=("t", "v", "i"))
    _close(tr.i, I)


def test_shunt(tmp_path):
    f = write_tektronix(tmp_path / "tek.csv", T, [("CH1", "V", "", V), ("CH2", "V", "", I * 50)])
    m = read_measured(f)
    with pytest.raises(DataFileError, match="--shunt"):
        m.traces(need=("t", "i"), current="CH2")
    _close(m.traces(need=("t", "i"), current="CH2", voltage="CH1", shunt=50.0).i, I)


def test_ambiguous_current_asks_for_a_name(tmp_path):
    f = write_generic(tmp_path / "g.csv", [("t (s)", T), ("I1 (A)", I), ("I2 (A)", I)])
    with pytest.raises(DataFileError, match=r"g\.csv, line 1: several current .*--current"):
        read_measured(f).traces(need=("i",))


# --------------------------------------------------------------------------- refusals
def _bad_files(tmp_path) -> dict:
    ok = write_generic(tmp_path / "ok.csv", [("t (s)", T), ("V (V)", V), ("I (A)", I)]).read_text().splitlines()
    tek = write_tektronix(tmp_path / "tek.csv", T, [("CH1", "V", "", V), ("CH2", "A", "", I)]).read_text()
    b15 = write_b1500(tmp_path / "b.csv", [{"V": V, "I": I}]).read_text().splitlines()
    inf = write_infiniium(tmp_path / "inf.csv", T, [("Volt", V)]).read_text().splitlines()
    files = {
        "empty.csv": ("", 1, "empty"),
        "blank.csv": ("\n  \n", 1, "empty"),
        "truncated.csv": ("\n".join(ok[:50]) + "\n" + ok[50][:8] + "\n", 51, "truncated"),
        "malformed.csv": ("\n".join(ok[:20] + ["1e-9, 0.1, 1.2.3"] + ok[21:]) + "\n", 21, "not a number"),
        "unit.csv": ("t (s), V (V), I (furlong)\n" + "\n".join(ok[1:]) + "\n", 1, "furlong"),
        "noheading.csv": ("\n".join(ok[1:]) + "\n", 1, "no heading"),
        "headingonly.csv": (ok[0] + "\n", 1, "no data rows"),
        "tek_trunc.csv": ("\n".join(tek.splitlines()[:60]) + "\n", 60, "Record Length"),
        "b1500_trunc.csv": ("\n".join(b15[:100]) + "\n", 100, "Dimension1"),
        "inf_trunc.csv": ("\n".join(inf[:60]) + "\n", 60, "Points"),
        "binary.csv": ("\x00\x01\x02abc", 1, "binary"),
    }
    out = {}
    for name, (text, line, what) in files.items():
        p = tmp_path / name
        p.write_text(text)
        out[name] = (p, line, what)
    return out


def test_refusals_name_file_and_line(tmp_path):
    for name, (path, line, what) in _bad_files(tmp_path).items():
        with pytest.raises(DataFileError) as e:
            read_measured(path)
        msg = str(e.value)
        assert msg.startswith(f"{path}, line {line}: ") and what in msg, (name, msg)
        assert "\n" not in msg


def test_wrong_units_for_the_role(tmp_path):
    f = write_generic(tmp_path / "g.csv", [("time (V)", T), ("V (V)", V), ("I (V)", I)])
    with pytest.raises(DataFileError, match=r"line 1: no time \(s\) column"):
        read_measured(f).traces(need=("t", "v"))
    with pytest.raises(DataFileError, match=r"line 1: column I \(V\) is in V, but the current must be a current"):
        read_measured(f).traces(need=("i",), current="I")


@pytest.mark.parametrize("cmd", [["fit", "iv"], ["fit", "neuron", "--set", "R_L=3.6k", "--set", "C_m=30p"],
                                 ["compare"]])
def test_cli_exit_2_one_line(tmp_path, capsys, cmd):
    for name, (path, line, _) in _bad_files(tmp_path).items():
        out = tmp_path / "out"
        code = main([*cmd[:2], str(path), *cmd[2:], "--out", str(out), "-q"] if cmd[0] == "fit"
                    else [cmd[0], str(path), "--out", str(out), "-q"])
        err = capsys.readouterr().err
        assert code == 2, (name, err)
        assert err.count("\n") == 1 and f"{path}, line {line}:" in err, (name, err)
        assert not list(out.glob("*.json")) and not list(out.glob("*.png"))
    code = main(["fit", "iv", str(tmp_path / "nosuch.csv"), "--out", str(tmp_path / "o"), "-q"])
    assert code == 2 and "nosuch.csv: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["fit", "iv"], ["compare"], ["fit", "neuron"]])
def test_refused_input_leaves_no_output_folder(tmp_path, capsys, argv):
    """The output folder (and its new parents) goes when the measured file is refused: nothing is written."""
    bad = tmp_path / "bad.csv"
    bad.write_text("time (s),I (A)\n")
    out = tmp_path / "new" / "out"
    for f in (bad, tmp_path / "missing.csv"):
        assert main([*argv, str(f), "--out", str(out)]) == 2
        assert not (tmp_path / "new").exists()
        assert capsys.readouterr().err.count("\n") == 1
