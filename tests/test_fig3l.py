"""Fig. 3l: the idle convention of a delayed input is what the JSON says; Eq. 1's shape checks can fail."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from analysis.fits import lorentz
from circuits.builders import GATE_G_OFF, dendrite, gate_points
from circuits.executor import simulate_many
from circuits.netlist import write
from circuits.stimuli import PulseTrain
from memspike.experiments import REGISTRY
from memspike.experiments.base import Context
from memspike.experiments.fig3l import PAPER, count_checks, idle_record, shape_checks
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import ParameterError

DEV = NbOxETParams()
DTS = np.arange(-6, 7) * 1.1e-6


def tr(delay=0.0, n=3):
    return PulseTrain(amplitude=0.9, width=1e-6, interval=0.1e-6, n_pulses=n, delay=delay)


# --------------------------------------------------------------------------- builder: the gate
def test_open_outside_puts_a_gate_in_series_with_an_applied_input_only():
    held = write(dendrite(trains=[tr(), tr(2.2e-6)], R=[6.5e3, 6.5e3], device=DEV))
    gated = write(dendrite(trains=[tr(), tr(2.2e-6)], R=[6.5e3, 6.5e3], device=DEV, outside="open"))
    # the default (every existing caller) is unchanged: source, resistor straight to the membrane
    assert "bg2 " not in held and "vg2 " not in held and "r2 s2 mem 6500" in held
    # "open": the source reaches its resistor only through the gate
    assert "bg2 s2 o2 I = (V(g2)*1+1e-12)*(V(s2)-V(o2))" in gated and "r2 o2 mem 6500" in gated
    assert "vg2 g2 0 PWL(" in gated and "r2 s2 mem" not in gated
    # a not-applied input is still governed by idle, not by outside
    none = write(dendrite(trains=[tr(), None], R=[6.5e3, 6.5e3], device=DEV, idle="ground", outside="open"))
    assert "v2 s2 0 DC 0" in none and "bg2" not in none
    with pytest.raises(ParameterError, match="outside"):
        dendrite(trains=[tr()], R=[1e3], outside="floating")


def test_gate_opens_only_outside_the_train():
    t = tr(2.2e-6)
    g = gate_points(t)
    first, last = t.starts()[0], t.starts()[-1] + t.width
    at = np.interp([first - 20e-9, first, 0.5 * (first + last), last, last + 20e-9], g[:, 0], g[:, 1])
    assert at.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert gate_points(tr(0.0))[0].tolist() == [0.0, 1.0]       # a train from t = 0 is connected from the start


# --------------------------------------------------------------------------- simulation: no current while open
@pytest.mark.ngspice
def test_a_disconnected_input_draws_no_current_before_its_first_pulse():
    """S1 charges the node; S2 starts at 4.4 us. Held at 0 V, R_2 drains the node; disconnected, nothing."""
    nets = []
    for mode in ("ground", "open"):
        net = dendrite(trains=[tr(0.0, n=4), tr(4.4e-6, n=2)], R=[6.5e3, 6.5e3], C_m=130e-12, device=DEV,
                       outside=mode, tail=0.3e-6)
        net.save("v(o2)" if mode == "open" else "v(s2)")
        nets.append(net)
    held, gated = simulate_many(nets, workers=2)
    before = (gated.time > 0.5e-6) & (gated.time < 4.3e-6)
    i_gated = (gated["v(o2)"][before] - gated["v(mem)"][before]) / 6.5e3
    assert np.max(np.abs(i_gated)) < 1e-9                            # R_2 carries nothing: its end floats
    assert np.max(np.abs(gated["v(o2)"][before])) > 0.3              # ... at the membrane's voltage, not 0 V
    b = (held.time > 0.5e-6) & (held.time < 4.3e-6)
    assert np.max(held["v(mem)"][b] / 6.5e3) > 20e-6                 # held at 0 V it drains tens of µA
    assert np.max(gated["v(mem)"][before]) > np.max(held["v(mem)"][b]) + 0.1   # the node charges higher
    on = (gated.time > 4.5e-6) & (gated.time < 5.3e-6)               # during S2's first pulse: connected
    assert np.min(gated["v(o2)"][on]) > 0.85
    assert GATE_G_OFF * 1.0 < 1e-9                                    # the open gate leaks < 1 nA at 1 V


@pytest.mark.ngspice
@pytest.mark.parametrize("grounded", [1, 0])
def test_the_json_idle_is_read_from_the_decks_that_ran(grounded):
    exp = REGISTRY["fig3l"]
    p = exp.params().replace(dt_max=2.2e-6, dt_step=2.2e-6, readings=0, idle_grounded=grounded)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context(exp, p, DEV, Path(tmp))
        res = exp.run(ctx)
        decks = {f: (Path(tmp) / f).read_text() for f in ("dt_00.cir", "dt_02.cir")}
    idle = res.results["idle"]
    assert set(idle) == {"S1", "S2"}
    for text in decks.values():
        assert ("bg2 s2 o2" in text and "bg1 s1 o1" in text) == (not grounded)
    for desc in idle.values():
        assert desc.startswith("connected for the whole run" if grounded else "disconnected before its first")
    assert "readings" not in res.results


def test_idle_record_names_what_each_source_is():
    gated = dendrite(trains=[tr(), tr(2.2e-6)], R=[6.5e3, 6.5e3], device=DEV, outside="open")
    mixed = dendrite(trains=[tr(), None], R=[6.5e3, 6.5e3], device=DEV, idle="ground")
    assert all(v.startswith("disconnected") for v in idle_record(gated).values())
    rec = idle_record(mixed)
    assert rec["S1"].startswith("connected for the whole run") and rec["S2"].startswith("not applied")


# --------------------------------------------------------------------------- Eq. 1's shape checks
def by_name(checks):
    return {c.name: c.passed for c in checks}


def test_shape_checks_fail_on_a_triangle():
    """The overlap of two 10-pulse trains: fitted well (R^2) but wide and without a baseline."""
    triangle = 10 - np.abs(np.arange(-6, 7))
    _, doc, checks = shape_checks(DTS, triangle)
    ok = by_name(checks)
    assert ok["Lorentz fit (Eq. 1) R^2"]
    assert not ok["Lorentz width B (Eq. 1)"] and not ok["Lorentz baseline y0 (Eq. 1)"]
    assert doc["B"] > 2 * PAPER["width_B"].value


def test_shape_checks_pass_on_the_papers_curve_and_fail_without_a_fit():
    paper = np.round(lorentz(DTS, **PAPER["lorentz"].value), 1)
    assert all(c.passed for c in shape_checks(DTS, paper)[2])
    flat = np.full(DTS.size, 10)
    fit, doc, checks = shape_checks(DTS, flat)
    assert fit is None and not doc["converged"] and not any(c.passed for c in checks)


def test_the_warning_check_fails_on_a_fit_with_a_warning():
    """A steep triangle down to 1 spike: the fitted baseline is below zero, the fit warns, the check fails."""
    dts = np.arange(-3, 4) * 1.1e-6
    _, doc, checks = shape_checks(dts, 10 - 3 * np.abs(np.arange(-3, 4)))
    assert doc["warnings"] and not by_name(checks)["Lorentz fit (Eq. 1) without warnings"]


def test_count_checks_read_the_papers_three_points_and_the_peak():
    counts = np.array([6, 6, 6, 6, 7, 9, 11, 9, 8, 6, 6, 6, 6])
    assert all(c.passed for c in count_checks(DTS, counts))
    shifted = np.roll(counts, 3)
    ok = by_name(count_checks(DTS, shifted))
    assert not ok["peak near dt = 0"] and not ok["count at dt = +0.0 µs"]
