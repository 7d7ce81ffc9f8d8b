"""Number and name formatting: the only user-derived text that enters a netlist."""

from __future__ import annotations

import math
import re

import pytest

from circuits.format import check_comment, check_name, parse_si, spice_number
from pyspice_models.params import ParameterError


@pytest.mark.parametrize("text, value", [
    ("3.6k", 3.6e3), ("30p", 30e-12), ("1u", 1e-6), ("1.2", 1.2), ("3.4e-11", 3.4e-11),
    ("1meg", 1e6), ("1MEG", 1e6), ("2.5n", 2.5e-9), ("10f", 10e-15), ("1g", 1e9), ("1t", 1e12),
    ("5m", 5e-3), ("-1.3", -1.3), ("+0.5", 0.5), (".5", 0.5), ("1.", 1.0), ("0", 0.0), ("7", 7.0),
    ("1e3k", 1e6), ("2E-3", 2e-3),
])
def test_parse_si_accepts(text, value):
    assert parse_si("x", text) == pytest.approx(value, rel=1e-12, abs=0)


@pytest.mark.parametrize("text", [
    "abc", "nan", "NaN", "inf", "-inf", "infinity", "1.2.3", "1k\n.control", "1 2", "", " 1", "1 ",
    "1x", "1e999", "-1e999", "1k;shell", "1;shell", "0x10", "1_000", "k", "1e", "e5", "--1", "1/2",
    "1k\n", "\n1", "1" * 41,
])
def test_parse_si_rejects(text):
    with pytest.raises(ParameterError) as ei:
        parse_si("R_L", text)
    assert ei.value.name == "R_L"
    assert "R_L" in str(ei.value)


@pytest.mark.parametrize("obj", [None, 1.0, 3, b"1k"])
def test_parse_si_rejects_non_str(obj):
    with pytest.raises(ParameterError):
        parse_si("C_m", obj)


def test_parse_si_result_always_finite():
    for text in ("9e307k", "1e308meg", "1.8e308"):
        with pytest.raises(ParameterError):
            parse_si("x", text)


ROUND_TRIP = [0.0, 1.0, -1.0, 3.6e3, 30e-12, 1e-6, 1.2, 3.4e-11, 0.1, 1 / 3, -2 / 7, math.pi, 1e-300,
              5e-324, 1.7976931348623157e308, 1e15, 1e15 + 2, 123456789012345.0, 2.0 ** 60, 0.1 + 0.2,
              4e-9, 9.999999999999999e-06, -0.0, 8e-9, 2e-3]


def _significant(text: str) -> int:
    mantissa = re.split(r"[eE]", text.lstrip("+-"))[0].replace(".", "")
    return len(mantissa.strip("0")) or 1


@pytest.mark.parametrize("x", ROUND_TRIP, ids=repr)
def test_spice_number_round_trips(x):
    s = spice_number(x)
    assert float(s) == pytest.approx(x, rel=5e-12, abs=0)
    assert _significant(s) <= 12
    assert spice_number(float(s)) == s                  # re-formatting our own text changes nothing
    assert "\n" not in s and " " not in s
    assert s.strip() == s


@pytest.mark.parametrize("x, text", [
    (2.0975000000000002e-06, "2.0975e-06"), (4.302500000000001e-06, "4.3025e-06"),
    (2.2499999999999998e-05, "2.25e-05"), (0.1 + 0.2, "0.3"), (1 / 3, "0.333333333333"),
    (9.999999999999999e-06, "1e-05"), (30e-12, "3e-11"), (1e12, "1e+12"), (1e15 + 2, "1e+15")])
def test_spice_number_twelve_digits(x, text):
    assert spice_number(x) == text


def test_spice_number_integers_plain():
    assert spice_number(3600.0) == "3600"
    assert spice_number(0.0) == "0"
    assert spice_number(-0.0) == "0"
    assert spice_number(-2) == "-2"
    assert spice_number(100e3) == "100000"
    assert spice_number(123456789012.0) == "123456789012"


@pytest.mark.parametrize("text", ["input pulse train (PWL), V", "", ".control", "R_L = 3.6 kΩ : load",
                                  "* nested star", "a; b $ c"])
def test_check_comment_accepts(text):
    assert check_comment(text) == text


@pytest.mark.parametrize("text", ["a\n.control", "a\rb", "tab\there", "nul\x00", "esc\x1b[31m", "del\x7f",
                                  "line\u2028sep", "trailing\n", None, 3, b"bytes"])
def test_check_comment_rejects(text):
    with pytest.raises(ParameterError) as ei:
        check_comment(text, "header line")
    assert ei.value.name == "header line"


@pytest.mark.parametrize("x", [float("nan"), float("inf"), float("-inf")])
def test_spice_number_rejects_nonfinite(x):
    with pytest.raises(ParameterError):
        spice_number(x)


def test_spice_number_output_parses_back_through_parse_si():
    for x in ROUND_TRIP:
        s = spice_number(x)
        assert parse_si("x", s) == float(s) == pytest.approx(x, rel=5e-12, abs=0)


@pytest.mark.parametrize("name", ["mem", "R_L", "x1", "vsense", "A", "a" * 32, "n1_mem"])
def test_check_name_accepts(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "a\nb", "mem\n.control", "x.y", "1abc", "9", "_a", "a-b",
                                  "a;b", "a" * 33, "a'", 'a"', "a(b)", " a", "a "])
def test_check_name_rejects(name):
    with pytest.raises(ParameterError) as ei:
        check_name(name, "node name")
    assert ei.value.name == "node name"


@pytest.mark.parametrize("obj", [None, 1, b"abc"])
def test_check_name_rejects_non_str(obj):
    with pytest.raises(ParameterError):
        check_name(obj)


@pytest.mark.parametrize("name", ["mem\n", "r1\n"])
def test_check_name_rejects_trailing_newline(name):
    with pytest.raises(ParameterError):
        check_name(name)


@pytest.mark.parametrize("value, err, text", [
    (0.1242, 0.003386, "0.1242 ± 0.0034"), (1.4e-15, 2.91e-17, "(1.400 ± 0.029)e-15"), (791.2, 13.7, "791 ± 14"),
    (2.17e6, 4.1e4, "(2.170 ± 0.041)e6"), (0.5, None, "0.5"), (0.5, float("nan"), "0.5"), (0.3, 50.0, "0.3 ± 50")])
def test_value_with_its_error_at_two_digits(value, err, text):
    from memspike.text import fmt_pm

    assert fmt_pm(value, err) == text
