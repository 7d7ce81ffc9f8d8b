"""Engines behind one protocol: registered in one place, rendered and run alike, mapped by one executor."""

from __future__ import annotations

import pytest

from circuits import engines
from circuits.builders import lif_neuron
from circuits.executor import simulate_many
from circuits.stimuli import PulseTrain
from memspike.experiments.base import ENGINES


def test_registry_lists_the_engines_once():
    found = engines.engines()
    assert {"ngspice", "vacask"} <= set(found) and set(ENGINES) == set(found)
    for name, eng in found.items():
        assert eng.name == name and eng.deck_suffix.startswith(".")
    with pytest.raises(KeyError, match="no engine"):
        engines.get("spectre")
    with pytest.raises(ValueError, match="twice"):
        engines.register(engines.NgspiceEngine(backend="subprocess"))


def test_render_writes_the_deck_under_the_stem():
    net = lif_neuron(train=PulseTrain(n_pulses=1))
    files = engines.get("ngspice").render(net, "run1")
    assert list(files) == ["run1.cir"] and files["run1.cir"].startswith(net.title)
    files = engines.get("vacask").render(net, "run1")
    assert "run1.sim" in files and "nbox_et.va" in files
    assert engines.get("vacask").command("run1.sim").startswith("vacask run1.sim")


@pytest.mark.ngspice
@pytest.mark.vacask
def test_executor_maps_any_engine():
    nets = [lif_neuron(train=PulseTrain(n_pulses=2, amplitude=a)) for a in (1.3, 0.5)]
    by = {e: simulate_many(nets, engine=e, workers=2) for e in ("ngspice", "vacask")}
    for e, wfs in by.items():
        assert [w.time[-1] for w in wfs] == pytest.approx([nets[0].tran[1], nets[1].tran[1]], rel=1e-6), e
        assert wfs[0]["i(vsense)"].max() > 1e-4 > wfs[1]["i(vsense)"].max(), e     # 1.3 V fires, 0.5 V does not
