"""Programming a TaOx synapse: verify loop, pulses on saturated synapses, reads, validation, variation draws."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from circuits.programming import (
    PulseScheme,
    after_pulse,
    apply_pulses,
    apply_pulses_many,
    factors,
    program,
    program_many,
    read_many,
    resolution,
    simulator,
    steps,
    tolerance_for,
)
from pyspice_models.params import ParameterError
from pyspice_models.taox import TaOxParams, TaOxVariation, sample_taox

P = TaOxParams()
WINDOW = P.g_max - P.g_min


def _forbidden(items):
    raise AssertionError(f"simulated {len(items)} netlists: validation must come first")


class Recorder:
    """An ngspice ``simulate`` that keeps every waveform it returns."""

    def __init__(self):
        self.run = simulator("ngspice")
        self.wfs = []
        self.tags = []

    def __call__(self, items):
        wfs = self.run(items)
        self.wfs += wfs
        self.tags += [t for t, _ in items]
        return wfs


# --------------------------------------------------------------------------- the model's step (no simulator)
def test_resolution_is_the_larger_one_pulse_step():
    for g in (P.g_min, 50e-6, 105e-6, 160e-6, P.g_max):
        up, down = steps(P, g)
        assert resolution(P, g) == max(up, down)
        # geometric law: 1 - w (SET) and w (RESET) shrink by a fixed factor per pulse
        w = P.state_for(g)
        q_set = 1 - after_pulse(P, 0.0, 1.7, 500e-9, 5e-9)
        q_reset = after_pulse(P, 1.0, -1.7, 500e-9, 5e-9)
        assert up == pytest.approx((1 - w) * (1 - q_set) * WINDOW, rel=1e-9, abs=1e-18)
        assert down == pytest.approx(w * (1 - q_reset) * WINDOW, rel=1e-9, abs=1e-18)
    # at each bound the step toward it vanishes: the other polarity's step is the resolution there
    assert steps(P, P.g_max)[0] == 0 and steps(P, P.g_min)[1] == 0
    assert resolution(P, P.g_max) == pytest.approx(resolution(P, P.g_min), rel=1e-9)
    assert resolution(P, P.g_max) > 0.02 * WINDOW


def test_after_pulse_is_exact_for_a_flat_pulse():
    # no edges to speak of: 1 - w = (1 - w0) exp(-k t)
    from pyspice_models.taox import TAOX

    _, ddt = TAOX.numpy_functions(P)
    k = ddt["dw"](1.8, dw=0.0)
    w = after_pulse(P, 0.25, 1.8, 1e-6, 1e-12)
    assert w == pytest.approx(1 - 0.75 * math.exp(-k * 1e-6), rel=1e-6)


# --------------------------------------------------------------------------- validation, before any simulation
@pytest.mark.parametrize("g", [P.g_min * 0.999, P.g_max * 1.001, 0.0, -1e-6, math.nan, math.inf, True, "1e-4"])
def test_bad_target_raises_before_simulating(g):
    with pytest.raises(ParameterError) as e:
        program(P, g, simulate=_forbidden)
    assert e.value.name == "g_target"
    assert e.value.allowed == "a conductance in [g_min, g_max] = [1e-05, 0.0002] S"


def test_one_bad_target_among_good_ones_stops_all():
    with pytest.raises(ParameterError, match="g_target"):
        program_many([P, P, P], [50e-6, 100e-6, 250e-6], simulate=_forbidden)


@pytest.mark.parametrize("kw, name", [({"max_pulses": -1}, "max_pulses"), ({"max_pulses": 2.5}, "max_pulses"),
                                      ({"tolerance": 0.0}, "tolerance"), ({"tolerance": math.nan}, "tolerance"),
                                      ({"scheme": PulseScheme(set_amplitude=1.0)}, "set_amplitude"),
                                      ({"scheme": PulseScheme(reset_amplitude=-1.2)}, "reset_amplitude")])
def test_bad_arguments_raise_before_simulating(kw, name):
    with pytest.raises(ParameterError) as e:
        program(P, 100e-6, simulate=_forbidden, **kw)
    assert e.value.name == name


def test_scheme_validates():
    for bad in ({"reset_amplitude": 0.0}, {"read_amplitude": 0.0}, {"width": 5e-9}, {"gap": 1e-9},
                {"set_amplitude": -1.7}, {"reset_amplitude": 1.7}):
        with pytest.raises(ParameterError):
            PulseScheme(**bad)


def test_apply_pulses_validates_and_skips_zero():
    assert apply_pulses(P.replace(w0=0.4), 0, "set", simulate=_forbidden) == P.replace(w0=0.4)
    for n, pol in ((-1, "set"), (1.5, "set"), (2, "up"), (2, 0)):
        with pytest.raises(ParameterError):
            apply_pulses(P, n, pol, simulate=_forbidden)


# --------------------------------------------------------------------------- variation
def test_variation_draws_reproducible_from_the_seed():
    var = TaOxVariation()
    a = [sample_taox(P, np.random.default_rng([7, k]), var) for k in range(5)]
    b = [sample_taox(P, np.random.default_rng([7, k]), var) for k in range(5)]
    c = [sample_taox(P, np.random.default_rng([8, k]), var) for k in range(5)]
    assert a == b and a != c
    assert all(d.w0 == P.w0 for d in a)                       # the programmed state is not drawn
    assert sample_taox(P.replace(w0=0.3), np.random.default_rng(1), var.scaled(0.0)) == P.replace(w0=0.3)


def test_variation_spreads_as_declared():
    var = TaOxVariation.device_to_device()
    rng = np.random.default_rng(2020)
    draws = [sample_taox(P, rng, var) for _ in range(2000)]
    for f in dataclasses.fields(var):
        x = np.array([getattr(d, f.name) for d in draws]) / getattr(P, f.name)
        assert x.std() == pytest.approx(getattr(var, f.name), rel=0.1), f.name
        assert x.mean() == pytest.approx(1.0, abs=4 * getattr(var, f.name) / math.sqrt(len(draws)))
    c2c = TaOxVariation.cycle_to_cycle()
    assert all(getattr(c2c, f.name) < getattr(var, f.name) for f in dataclasses.fields(var))
    assert TaOxParams() == TaOxParams(g_min=10e-6, g_max=200e-6, v_set=1.6, v_reset=1.6, tau_set=20e-6,
                                      tau_reset=20e-6, w0=0.0)     # defaults unchanged


# --------------------------------------------------------------------------- simulated
@pytest.mark.ngspice
@pytest.mark.parametrize("w0, pol", [(0.3, "set"), (0.3, "reset"), (0.9, "set"), (0.05, "reset")])
def test_one_pulse_in_ngspice_is_the_models_step(w0, pol):
    syn = P.replace(w0=w0)
    after = apply_pulses(syn, 1, pol)
    predicted = after_pulse(P, w0, 1.7 if pol == "set" else -1.7, 500e-9, 5e-9)
    assert after.w0 - w0 == pytest.approx(predicted - w0, rel=2e-3)


@pytest.mark.ngspice
@pytest.mark.parametrize("frac, start", [(0.0, 1.0), (0.25, 0.0), (0.6, 1.0), (1.0, 0.0), (0.5, 0.5)])
def test_program_converges_within_the_resolution(frac, start):
    g_t = P.g_max if frac == 1.0 else P.g_min + frac * WINDOW            # the bounds exactly
    r = program(P.replace(w0=start), g_t)
    assert r.converged
    assert r.resolution == pytest.approx(resolution(P, g_t))
    assert r.tolerance == pytest.approx(tolerance_for(P, g_t))
    assert 0.5 * r.resolution <= r.tolerance <= 0.52 * r.resolution        # about half a step
    assert abs(r.g_read - g_t) <= r.tolerance
    assert P.g_min <= r.g_read <= P.g_max
    # the read is the programmed synapse's conductance
    assert r.g_read == pytest.approx(r.synapse.conductance(r.synapse.w0), rel=1e-6)
    kinds = [s.kind for s in r.history]
    assert kinds[0] == "read" and r.transients == len(r.history) == r.n_pulses + 1
    # one polarity only: with the default tolerance the loop never overshoots past the band
    assert len(set(kinds[1:])) <= 1
    if start == 0.5 and frac == 0.5:
        assert r.n_pulses == 0
    # it stops at the first read within the band, and needs the pulses the model's law predicts
    gs = np.array([s.g for s in r.history])
    assert np.all(np.abs(gs[:-1] - g_t) > r.tolerance)
    q_set, q_reset = factors(P)
    w, n = start, 0
    while abs(P.conductance(w) - g_t) > r.tolerance:
        w = 1 - (1 - w) * q_set if P.conductance(w) < g_t else w * q_reset
        n += 1
    assert r.n_pulses == n


@pytest.mark.ngspice
def test_finer_tolerance_halves_the_width_at_each_reversal():
    res = resolution(P, 100e-6)
    r = program(P.replace(w0=0.5), 100e-6, tolerance=res / 50)
    assert r.converged and abs(r.error) <= res / 50
    pulses = [s for s in r.history if s.kind != "read"]
    for a, b in zip(pulses[:-1], pulses[1:], strict=True):
        assert b.width == (a.width / 2 if b.kind != a.kind else a.width)
    assert any(a.kind != b.kind for a, b in zip(pulses[:-1], pulses[1:], strict=True))


@pytest.mark.ngspice
def test_max_pulses_reports_not_converged():
    r = program(P, P.g_max, max_pulses=5)
    assert not r.converged and r.n_pulses == 5 and r.g_read < P.g_max - r.tolerance
    assert program(P, P.g_min, max_pulses=0).converged          # already there: no pulse needed


@pytest.mark.ngspice
def test_saturated_synapse_stays_bounded_and_does_not_oscillate():
    top, bottom = P.replace(w0=1.0), P.replace(w0=0.0)
    syn = top
    for _ in range(3):                                    # more SET pulses on a fully SET synapse
        syn = apply_pulses(syn, 20, "set")
        assert syn.w0 == pytest.approx(1.0, abs=1e-9) and syn.w0 <= 1.0
    syn = apply_pulses(bottom, 20, -1)
    assert syn.w0 == pytest.approx(0.0, abs=1e-9) and syn.w0 >= 0.0
    # heavy pulses (2.2 V, 2 us) from near saturation: still within [0, 1], never past a bound
    near = apply_pulses_many([(P.replace(w0=0.98), 30, "set"), (P.replace(w0=0.02), 30, "reset")],
                             amplitude=2.2, width=2e-6)
    assert 0.999 < near[0].w0 <= 1.0 and 0.0 <= near[1].w0 < 1e-3
    # programming a saturated synapse to g_max: the first read is there, no pulse; with a finer tolerance
    # the SET pulses keep it at g_max and the loop never reverses
    assert program(top, P.g_max).n_pulses == 0
    r = program(P.replace(w0=0.97), P.g_max, tolerance=0.5e-6)
    assert r.converged and {s.kind for s in r.history[1:]} == {"set"}
    gs = [s.g for s in r.history]
    assert np.all(np.diff(gs) > 0) and max(gs) <= P.g_max


@pytest.mark.ngspice
def test_reads_never_change_the_state():
    rec = Recorder()
    syns = [P.replace(w0=w) for w in (0.0, 0.37, 1.0)]
    gs = read_many(syns, simulate=rec, scheme=PulseScheme(read_amplitude=-1.0))
    for s, g, wf in zip(syns, gs, rec.wfs, strict=True):
        assert g == pytest.approx(s.conductance(s.w0), rel=1e-7)
        assert np.abs(wf["v(x1.dw)"]).max() < 1e-9
    # in a verify loop: every read after a pulse reads the state that pulse left (nothing moves it after)
    rec = Recorder()
    r = program(P.replace(w0=0.2), 120e-6, simulate=rec)
    for wf, step in zip(rec.wfs[1:], r.history[1:], strict=True):
        t_end_pulse = 0.5e-6 + step.width + 5e-9
        after = wf.time > t_end_pulse
        assert np.ptp(wf["v(x1.dw)"][after]) < 1e-9
    assert rec.tags[0] == "prog_000" and len(set(rec.tags)) == len(rec.tags)


@pytest.mark.ngspice
def test_program_many_in_lockstep_batches():
    calls = []
    run = simulator("ngspice")

    def simulate(items):
        calls.append(len(items))
        return run(items)

    rs = program_many([P, P.replace(w0=1.0)], [80e-6, 60e-6], simulate=simulate, tag="pm")
    assert all(r.converged for r in rs)
    assert calls[0] == 2 and sum(calls) == sum(r.transients for r in rs)
    assert len(calls) == max(r.transients for r in rs)
