"""Experiment targets of TARGETS.md (quick variants), through the results contract."""

import json

import numpy as np
import pytest

from memspike.experiments import REGISTRY, execute

pytestmark = pytest.mark.ngspice


KEYS = {"iv": {"v_th", "v_hold"}, "switching": {"t_on", "t_off"}, "fig2e": {"cases"},
        "fig2f": {"amplitude", "width", "interval", "R_L", "C_m"},
        "fig3c": {"rate_s1", "rate_s2", "rate_both"}, "fig3l": {"dt", "spike_count", "fit"},
        "fig4": {"m", "spike_count", "io", "fit", "gain"}, "fig3e": {"truth"}, "fig3i": {"truth"},
        "fig3h": {"interval", "rate_single", "rate_both", "fit"}, "fig3d": {"v1", "v2", "rate", "fit"}}
FIT_KEYS = {"fig3l": {"y0", "A", "B", "tau", "r2"}, "fig4": {"k0", "k1", "k2", "k3", "R_max", "d50", "r2"},
            "fig3d": {"r2"}}


@pytest.mark.parametrize("name", ["iv", "switching", "fig2e", "fig2f", "fig3c", "fig3d", "fig3e", "fig3h",
                                  "fig3i", "fig3l", "fig4"])
def test_targets_met(name, tmp_path):
    doc = execute(name, tmp_path, quick=True)
    failed = [c for c in doc["checks"] if not c["pass"]]
    assert doc["checks"] and not failed, failed
    assert KEYS[name] <= set(doc["results"]), set(doc["results"])
    if name in FIT_KEYS:
        assert doc["results"]["fit"]["converged"] and FIT_KEYS[name] <= set(doc["results"]["fit"])
    on_disk = json.loads((tmp_path / f"{name}.json").read_text())
    assert on_disk["results"] == json.loads(json.dumps(doc["results"]))
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    for rel in doc["netlists"]:
        assert (tmp_path / rel).is_file()
    assert not list(tmp_path.glob(".*")), "staging left behind"


def test_supp7_count_rises_then_saturates(tmp_path):
    doc = execute("supp7", tmp_path, quick=True)
    assert all(c["pass"] for c in doc["checks"]), doc["checks"]
    res = doc["results"]
    counts, inw = np.array(res["spike_count"]), np.array(res["pulses_in_window"])
    # below the knee the count follows the pulses that fall in the window ...
    assert counts[0] > 0 and counts[-1] >= 3 * counts[0]
    assert np.all(np.diff(inw) >= 0) and inw[0] < res["n_pulses"] == inw[-1]
    # ... above it, the burst's own count (about the same number of spikes per pulse)
    full = counts[inw == res["n_pulses"]]
    assert full.size >= 2 and np.ptp(full) <= 0.1 * full.max()


def test_supp7_saturation_check_can_fail(tmp_path):
    """A device that carries heat from pulse to pulse keeps adding spikes: the check says so."""
    doc = execute("supp7", tmp_path, quick=True,
                  sets={"device.t_d0": "10u", "device.v_d": "0.15", "device.v_th": "0.8"})
    sat = next(c for c in doc["checks"] if c["name"].startswith("count saturates"))
    assert not sat["pass"], sat


def test_every_experiment_documents_its_parameters():
    for exp in REGISTRY.values():
        for name, unit, doc, _ in exp.params.table():
            assert len(doc) > 10 and unit is not None, (exp.name, name)

