"""The ``variability`` experiment (Supp. Figs. 4-5): seeded draws, their spreads, pulse-by-pulse segments."""

import json

import numpy as np
import pytest

from circuits.netlist import write
from memspike.experiments import REGISTRY
from memspike.experiments import variability as var
from memspike.experiments.base import Context
from memspike.io import json_default as _default
from pyspice_models.nbox import NbOxParams
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import ParameterError

EXP = REGISTRY["variability"]
# a few draws and short trains: every part of the run, in a few seconds
SMALL = {"n_devices": 2, "n_cycles": 1, "n_trains": 1, "n_pulses_2f": 3, "n_pulses_3c": 3}
ZERO = {f"{group}_{name}": 0.0 for group in ("d2d", "c2c") for name in ("G0", "Ea", "R_s", "R_th")}


def _run(tmp_path, **changes):
    p = EXP.params().replace(**{**SMALL, **changes})
    staging = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    staging.mkdir()
    return EXP.run(Context(EXP, p, NbOxETParams(), staging))


def _json(results) -> str:
    return json.dumps(results, sort_keys=True, default=_default)


# --------------------------------------------------------------------------- no simulator
def test_device_draws_are_seeded_and_do_not_depend_on_how_many():
    base = NbOxETParams()
    p = EXP.params().replace(n_devices=4)
    four = var.draw_devices(base, p)
    assert four == var.draw_devices(base, p)                                     # same seed, same devices
    assert var.draw_devices(base, p.replace(n_devices=6))[:4] == four           # more devices: the first stay
    assert var.draw_devices(base, p.replace(seed=p.seed + 1)) != four
    assert len(set(four)) == 4
    assert set(var.draw_devices(base, p.replace(**ZERO))) == {base}           # no spread: the device itself


def test_threshold_spread_scales_with_the_device_spreads():
    """Same seed, the device-to-device spreads doubled: the quasi-static Vth spread about doubles."""
    base = NbOxETParams()
    p = EXP.params().replace(n_devices=12)
    doubled = p.replace(**{f"d2d_{k}": 2 * getattr(p, f"d2d_{k}") for k in ("G0", "Ea", "R_s", "R_th")})
    std = [np.std([d.folds()["v_th"] for d in var.draw_devices(base, q)]) for q in (p, doubled)]
    assert 0 < std[0] and 1.6 < std[1] / std[0] < 2.4


def test_components_split_device_and_cycle_spread():
    c = var._components([[1.0, 3.0], [5.0, 7.0]])           # device means 2 and 6, each +/- 1 within
    assert c["d2d_std"] == pytest.approx(2.0) and c["c2c_std"] == pytest.approx(1.0)
    assert c["d2d_rel"] == pytest.approx(0.5)
    s = var._stats([[1.0, 3.0], [5.0, np.nan]])
    assert s["n"] == 3 and s["mean"] == pytest.approx(3.0)


def test_relaxed_temperature_is_the_steady_off_state():
    dev = NbOxETParams()
    c = dev.steady_curve()
    fold = int(np.argmax(np.diff(c["V"]) <= 0))                 # the off branch runs up to the threshold fold
    for v in (0.3, 0.5, 0.7):
        assert var._relaxed_temperature(dev, v) == pytest.approx(np.interp(v, c["V"][:fold], c["T"][:fold]),
                                                                  abs=0.05)
    assert var._relaxed_temperature(dev, 0.0) == pytest.approx(dev.T0)
    assert var._relaxed_temperature(dev, 1.0) == float("inf")             # above threshold: no off state


@pytest.mark.parametrize("cond", var.CONDITIONS)
def test_segments_tile_the_continuous_train(cond):
    p = EXP.params()
    n = var._n_pulses(p, cond)
    whole = var._circuit(p, cond, NbOxETParams(), n, var._tail(cond))
    segs = [var._segment(p, cond, NbOxETParams(), k, n, 0.25) for k in range(n)]
    assert sum(s.tran[1] for s in segs) == pytest.approx(whole.tran[1], rel=1e-12)
    assert all(".ic v(mem)=0.25" in write(s) and var.T_PROBE in s.saves for s in segs)


def test_refuses_the_behavioural_device(tmp_path):
    p = EXP.params().replace(**SMALL)
    with pytest.raises(ParameterError, match="nbox_et"):
        EXP.run(Context(EXP, p, NbOxParams(), tmp_path))


# --------------------------------------------------------------------------- simulated
@pytest.mark.ngspice
def test_same_seed_same_results_other_seed_other_results(tmp_path):
    a, b = _run(tmp_path), _run(tmp_path)
    assert _json(a.results) == _json(b.results)
    assert [c.as_dict() for c in a.checks] == [c.as_dict() for c in b.checks]
    c = _run(tmp_path, seed=7)
    assert c.results["devices"] != a.results["devices"]
    assert c.results["iv"]["v_th"]["per_device"] != a.results["iv"]["v_th"]["per_device"]
    assert all(ch.passed for ch in a.checks), [ch.as_dict() for ch in a.checks if not ch.passed]


@pytest.mark.ngspice
def test_zero_spread_gives_zero_spread(tmp_path):
    r = _run(tmp_path, **ZERO)
    iv = r.results["iv"]
    for q in ("v_th", "v_hold", "r_on", "r_off"):
        assert iv[q]["std"] < 1e-6 * iv[q]["mean"], (q, iv[q])
    for cond in ("s1", "s2", "both"):
        assert r.results["fig3c"][cond]["spike_count"]["std"] == 0
    assert r.results["fig2f"]["spike_count"]["std"] == 0
    # every draw is the undrawn device: its counts are the segmented nominal run's
    assert r.results["fig2f"]["spike_count"]["mean"] == r.results["segmentation"]["fig2f"]["pulse_by_pulse"]
    spread = {c.name: c.passed for c in r.checks}
    assert not spread["Vth spread (std/mean) nonzero and small"]               # the check can fail
    assert spread["pulse-by-pulse run = continuous run (undrawn device)"]
