"""Scale-out: the same simulations on a Dask `distributed` cluster give the same results."""

from __future__ import annotations

import numpy as np
import pytest

from circuits.builders import lif_neuron
from circuits.executor import simulate_many
from circuits.netlist import write
from circuits.stimuli import PulseTrain
from memspike.experiments import execute

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    # one thread per worker: libngspice is one global instance per process
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c.scheduler_address


@pytest.mark.ngspice
def test_dask_runs_match_local_runs(cluster):
    texts = [write(lif_neuron(train=PulseTrain(amplitude=a, n_pulses=3))) for a in (0.5, 1.1, 1.3, -1.3)]
    remote = simulate_many(texts, scheduler=cluster)
    local = simulate_many(texts, workers=2)
    for r, loc in zip(remote, local, strict=True):
        assert np.array_equal(r.time, loc.time)
        assert np.allclose(r["i(vsense)"], loc["i(vsense)"])


@pytest.mark.ngspice
def test_experiment_on_dask_reports_the_same(cluster, tmp_path):
    remote = execute("fig3c", tmp_path / "remote", scheduler=cluster)
    local = execute("fig3c", tmp_path / "local")
    assert remote["results"] == local["results"]
    assert [c["pass"] for c in remote["checks"]] == [c["pass"] for c in local["checks"]]
