"""Pure-numpy analysis on synthetic waveforms with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.iv import on_state, switching_times, thresholds
from analysis.spikes import Spikes, detect_spikes, rate
from circuits.stimuli import evaluate, triangle


def _grid(t_end, n=20000, seed=0):
    """A non-uniform, strictly increasing time grid like a SPICE transient."""
    rng = np.random.default_rng(seed)
    dt = rng.uniform(0.2, 1.8, n)
    t = np.concatenate(([0.0], np.cumsum(dt)))
    return t / t[-1] * t_end


def _gauss(t, centres, amp=5e-3, sigma=5e-9):
    i = np.zeros_like(t)
    for c, a in zip(centres, np.broadcast_to(amp, len(centres)), strict=True):
        i += a * np.exp(-0.5 * ((t - c) / sigma) ** 2)
    return i


CENTRES = [1.0e-6, 2.3e-6, 3.1e-6, 4.75e-6, 6.0e-6, 8.2e-6]


def test_counts_gaussian_spikes_on_nonuniform_grid():
    t = _grid(10e-6)
    i = _gauss(t, CENTRES) + 1e-6 * np.sin(t * 1e7)       # small off-state background
    sp = detect_spikes(t, i, 2.5e-4)
    assert isinstance(sp, Spikes)
    assert sp.count == len(CENTRES)
    assert np.allclose(sp.times, CENTRES, atol=3e-9)
    assert np.all(sp.peaks > 4.5e-3) and np.all(sp.peaks < 5.1e-3)
    assert sp.threshold == 2.5e-4


def test_ignores_subthreshold_bumps():
    t = _grid(10e-6)
    i = _gauss(t, CENTRES[:3]) + _gauss(t, [5e-6, 7e-6, 9e-6], amp=1e-4, sigma=50e-9)
    sp = detect_spikes(t, i, 2.5e-4)
    assert sp.count == 3
    assert np.allclose(sp.times, CENTRES[:3], atol=3e-9)


def test_negative_currents_count():
    t = _grid(10e-6)
    i = -_gauss(t, CENTRES)
    sp = detect_spikes(t, i, 2.5e-4)
    assert sp.count == len(CENTRES)
    assert np.all(sp.peaks > 0)
    # mixed polarity
    i2 = _gauss(t, CENTRES[::2]) - _gauss(t, CENTRES[1::2])
    assert detect_spikes(t, i2, 2.5e-4).count == len(CENTRES)


def test_plateau_with_ripple_is_one_spike():
    t = _grid(4e-6)
    on = (t > 1e-6) & (t < 2e-6)
    i = np.where(on, 5e-3 + 2e-5 * np.sin(t * 3e8), 1e-6)
    assert detect_spikes(t, i, 2.5e-4).count == 1


def test_two_spikes_without_deep_dip_merge():
    t = _grid(4e-6)
    # two peaks separated by a dip that stays far above threshold
    i = _gauss(t, [1e-6, 1.02e-6], sigma=10e-9) + 3e-3 * ((t > 0.99e-6) & (t < 1.03e-6))
    sp = detect_spikes(t, i, 2.5e-4)
    assert sp.count == 1


@pytest.mark.parametrize("where", ["start", "end"])
def test_spike_at_array_edge(where):
    t = _grid(5e-6)
    c = 0.0 if where == "start" else 5e-6
    i = _gauss(t, [c, 2.5e-6])
    sp = detect_spikes(t, i, 2.5e-4)
    assert sp.count == 2
    assert np.any(np.isclose(sp.times, c, atol=1e-9))


def test_monotone_edge_counts():
    # current still rising when the record ends
    t = np.linspace(0, 1e-6, 1001)
    i = np.where(t > 0.9e-6, (t - 0.9e-6) * 1e5, 0.0)
    assert detect_spikes(t, i, 2.5e-4).count == 1


def test_window_filters():
    t = _grid(10e-6)
    i = _gauss(t, CENTRES)
    assert detect_spikes(t, i, 2.5e-4, t_start=2e-6).count == 5
    full = detect_spikes(t, i, 2.5e-4)
    # half-open window [t_start, t_stop)
    assert detect_spikes(t, i, 2.5e-4, t_stop=full.times[2]).count == 2
    assert detect_spikes(t, i, 2.5e-4, t_start=full.times[2]).count == 4
    assert detect_spikes(t, i, 2.5e-4, t_start=2e-6, t_stop=6.5e-6).count == 4
    assert detect_spikes(t, i, 2.5e-4, t_start=9e-6).count == 0
    sp = detect_spikes(t, i, 2.5e-4, t_start=3e-6, t_stop=5e-6)
    assert sp.times.shape == sp.peaks.shape == (2,)


def test_no_spikes_in_flat_trace():
    t = _grid(1e-6)
    sp = detect_spikes(t, np.full_like(t, 1e-5), 2.5e-4)
    assert sp.count == 0
    assert sp.times.size == 0 and sp.peaks.size == 0


@pytest.mark.parametrize("thr", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_threshold(thr):
    t = _grid(1e-6, n=100)
    with pytest.raises(ValueError):
        detect_spikes(t, np.zeros_like(t), thr)


def test_shape_mismatch():
    with pytest.raises(ValueError):
        detect_spikes(np.arange(10.0), np.arange(9.0), 1.0)
    with pytest.raises(ValueError):
        detect_spikes(np.zeros((2, 5)), np.zeros((2, 5)), 1.0)


def test_rate():
    t = _grid(10e-6)
    sp = detect_spikes(t, _gauss(t, CENTRES), 2.5e-4)
    assert rate(sp, 22e-6) == pytest.approx(6 / 22e-6)
    empty = detect_spikes(t, np.zeros_like(t), 2.5e-4)
    assert rate(empty, 1e-6) == 0.0
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError):
            rate(sp, bad)


# --------------------------------------------------------------------------- I-V thresholds
R_ON, R_OFF, R_S = 200.0, 100e3, 10.0


def _hysteretic_iv(v_th=0.8, v_hold=0.6, v_peak=1.2, n_cycles=2, n=40001, negative=True):
    """Triangle sweep through R_S of an ideal switch: on at |v_dev| >= v_th, off at |v_dev| < v_hold."""
    period = 1e-3
    pts = triangle(v_peak, period, n_cycles, negative=negative)
    # like a SPICE transient, the grid holds every PWL breakpoint (the source is exactly 0 V there)
    t = np.union1d(_grid(n_cycles * period, n=n), pts[:, 0])
    v_src = evaluate(pts, t)
    on = False
    v_dev = np.empty_like(t)
    i_dev = np.empty_like(t)
    for k, vs in enumerate(v_src):
        if not on and abs(vs * R_OFF / (R_OFF + R_S)) >= v_th:
            on = True
        elif on and abs(vs * R_ON / (R_ON + R_S)) < v_hold:
            on = False
        r = R_ON if on else R_OFF
        v_dev[k] = vs * r / (r + R_S)
        i_dev[k] = vs / (r + R_S)
    return t, v_src, v_dev, i_dev


def test_on_state_split():
    t, v_src, v_dev, i_dev = _hysteretic_iv(n_cycles=1)
    on, r_split = on_state(v_dev, i_dev)
    assert R_ON < r_split < R_OFF
    assert r_split == pytest.approx(np.sqrt(R_ON * R_OFF), rel=0.01)
    assert on.any() and (~on).any()


def test_thresholds_recovered():
    t, v_src, v_dev, i_dev = _hysteretic_iv(n_cycles=2)
    th = thresholds(t, v_src, v_dev, i_dev)
    for pol in ("pos", "neg"):
        assert len(th[f"v_th_{pol}"]) == 2
        assert len(th[f"v_hold_{pol}"]) == 2
        assert np.allclose(th[f"v_th_{pol}"], 0.8, atol=2e-3)
        assert np.allclose(th[f"v_hold_{pol}"], 0.6, atol=2e-3)


def test_thresholds_asymmetric_values():
    t, v_src, v_dev, i_dev = _hysteretic_iv(v_th=0.9, v_hold=0.45, n_cycles=1)
    th = thresholds(t, v_src, v_dev, i_dev)
    assert th["v_th_pos"] == pytest.approx([0.9], abs=2e-3)
    assert th["v_th_neg"] == pytest.approx([0.9], abs=2e-3)
    assert th["v_hold_pos"] == pytest.approx([0.45], abs=2e-3)
    assert th["v_hold_neg"] == pytest.approx([0.45], abs=2e-3)


def test_thresholds_unipolar():
    t, v_src, v_dev, i_dev = _hysteretic_iv(n_cycles=3, negative=False)
    th = thresholds(t, v_src, v_dev, i_dev)
    assert th["v_th_neg"] == [] and th["v_hold_neg"] == []
    assert np.allclose(th["v_th_pos"], 0.8, atol=2e-3) and len(th["v_th_pos"]) == 3


def test_thresholds_nan_when_never_switching():
    # peak below threshold: a branch that never switches gives NaN
    t, v_src, v_dev, i_dev = _hysteretic_iv(v_peak=0.7, n_cycles=1)
    # a few "on" points are needed to separate the states: give a fixed split
    th = thresholds(t, v_src, v_dev, i_dev, r_split=np.sqrt(R_ON * R_OFF))
    for k in ("v_th_pos", "v_th_neg", "v_hold_pos", "v_hold_neg"):
        assert len(th[k]) == 1 and np.isnan(th[k][0])


# --------------------------------------------------------------------------- switching times
@pytest.mark.parametrize("tau_r, tau_f, delay", [(5e-9, 3e-9, 20e-9), (10e-9, 8e-9, 0.0), (2e-9, 1e-9, 40e-9)])
def test_switching_times_recovered(tau_r, tau_f, delay):
    t_up, t_down, t_end = 50e-9, 350e-9, 650e-9
    i_on, i_off0, i_off = 5e-3, 1e-7, 3e-6
    t = _grid(t_end, n=30000, seed=3)
    i = np.full_like(t, i_off0)
    rise = (t >= t_up + delay) & (t < t_down)
    i[rise] = i_on * (1 - np.exp(-(t[rise] - t_up - delay) / tau_r))
    fall = t >= t_down
    i_at_down = i_on * (1 - np.exp(-(t_down - t_up - delay) / tau_r))
    i[fall] = i_off + (i_at_down - i_off) * np.exp(-(t[fall] - t_down) / tau_f)
    st = switching_times(t, -i, t_up, t_down, t_end)          # sign must not matter
    assert st["t_on"] == pytest.approx(delay + tau_r * np.log(10), rel=0.10)
    assert st["t_off"] == pytest.approx(tau_f * np.log(10), rel=0.10)
    assert st["i_on"] == pytest.approx(i_on, rel=1e-3)
    assert st["i_off"] == pytest.approx(i_off, rel=1e-3)


def test_switching_times_too_few_samples():
    t = np.linspace(0, 1e-6, 20)
    with pytest.raises(ValueError):
        switching_times(t, np.ones_like(t), 0.0, 1e-6, 2e-6)


def test_pool_thresholds_pools_branches_and_counts_missing():
    from analysis.iv import pool_thresholds

    a = {"v_th_pos": [0.8], "v_th_neg": [0.78], "v_hold_pos": [0.6], "v_hold_neg": [float("nan")]}
    b = {"v_th_pos": [0.76], "v_th_neg": [0.8], "v_hold_pos": [0.62], "v_hold_neg": [0.58]}
    out = pool_thresholds([a, b])
    assert out["per"]["v_th_pos"] == [0.8, 0.76] and out["missing"] == 1
    assert out["mean"]["v_hold_neg"] == pytest.approx(0.58)
    assert out["v_th"] == pytest.approx((0.78 + 0.79) / 2) and out["v_hold"] == pytest.approx((0.61 + 0.58) / 2)


def test_a_held_on_current_with_solver_ripple_is_one_spike():
    """A device held on through a pulse: a flat current with 1e-19 A ripples (as ngspice leaves it) is one
    current pulse, not one spike per ripple; two pulses with a real dip between them stay two."""
    from analysis.spikes import detect_spikes

    t = np.linspace(0, 1e-6, 2001)
    i = np.where((t > 0.1e-6) & (t < 0.9e-6), 1e-3, 0.0)
    i = i + np.where(i > 0, 1e-19 * np.sin(np.arange(t.size)), 0.0)
    assert detect_spikes(t, i, 1e-4).count == 1
    i2 = i.copy()
    i2[(t > 0.5e-6) & (t < 0.52e-6)] = 0.0
    assert detect_spikes(t, i2, 1e-4).count == 2


@pytest.mark.parametrize("sigma", [20e-6, 40e-6, 80e-6])
def test_noisy_measured_current_counts_each_spike_once(sigma):
    """A scope trace: 19 spikes of 0.7 mA, 10 uA baseline, white noise of 3-11 % of the peak. Every ripple of
    the noise is a peak with a dip; with the trace's noise level each spike still counts once."""
    from analysis.extract import noise

    rng = np.random.default_rng(7)
    t = np.arange(0.0, 2e-6, 1e-9)
    centres = 0.1e-6 + 94e-9 * np.arange(19)
    # each spike: a 2 ns rise and a 15 ns decay, as the device current of a relaxation oscillation
    clean = 10e-6 + sum(0.7e-3 * np.where(t < c, np.exp(-0.5 * ((t - c) / 2e-9) ** 2), np.exp(-(t - c) / 15e-9))
                        for c in centres)
    i = clean + rng.normal(0.0, sigma, t.size)
    est = noise(i)
    assert 0.9 * sigma <= est <= 1.3 * sigma          # the spikes' own edges add a little
    sp = detect_spikes(t, i, 74.7e-6, noise=est)
    assert sp.count == 19 and np.all(np.abs(sp.times - centres) <= 4e-9)
    assert sp.threshold == pytest.approx(max(74.7e-6, 6 * est))
    assert detect_spikes(t, i, 74.7e-6).count > 19          # without it, the noise's ripples count as spikes
    assert detect_spikes(t, clean, 74.7e-6, noise=0.0).count == 19
    with pytest.raises(ValueError):
        detect_spikes(t, i, 74.7e-6, noise=float("nan"))


def test_quiet_noise_of_white_noise_is_its_level():
    from analysis.extract import quiet_noise

    rng = np.random.default_rng(1)
    assert quiet_noise(rng.normal(0.0, 30e-6, 4000)) == pytest.approx(30e-6, rel=0.15)
    assert quiet_noise(np.zeros(5)) == 0.0
