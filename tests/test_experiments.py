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
    counts, gaps = res["spike_count"], res["interval"]
    assert counts[-1] >= 2 * counts[0] + 3
    limit = res["spike_count_continuous"]
    assert abs(counts[-1] - limit) <= max(1, 0.05 * limit)
    # the highest frequency is a real train, not the continuous input in disguise: its gaps are two
    # edges long and its deck holds one pulse per period
    p = doc["parameters"]["circuit"]
    assert gaps[-1] >= 2 * p["edge"]
    deck = (tmp_path / doc["netlists"][-2]).read_text()
    n = int(np.ceil(p["window"] / (p["width"] + gaps[-1])))
    pwl = deck.split("PWL(", 1)[1].split(")", 1)[0].split()
    levels = [float(v) for v in pwl[1::2]]
    rises = sum(1 for a, b in zip(levels, levels[1:], strict=False) if a == 0 and b > 0)
    assert rises == n
    assert "continuous" in doc["netlists"][-1]


def test_every_experiment_documents_its_parameters():
    for exp in REGISTRY.values():
        for name, unit, doc, _ in exp.params.table():
            assert len(doc) > 10 and unit is not None, (exp.name, name)

