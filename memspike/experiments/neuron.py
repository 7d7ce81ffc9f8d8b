"""``neuron``: the single LIF neuron of Fig. 2d with any stimulus and circuit."""

from __future__ import annotations

from dataclasses import dataclass

from circuits.builders import lif_neuron
from circuits.stimuli import PulseTrain
from pyspice_models.params import again

from ..plotting import figure, trace_panel
from ._shared import Amplitude, Interval, Load, Timing
from .base import Results, experiment

RATE_DEFINITION = "spike count / stimulus duration (n_pulses * (width + interval))"


@dataclass(frozen=True, kw_only=True)
class NeuronParams(Load, Interval, Timing, Amplitude):
    """Generic: every value is the Fig. 2e / Methods default, to be changed at will."""

    amplitude: float = again(1.3, "pulse amplitude; Fig. 2e value")
    width: float = again(1e-6, "pulse width; Fig. 2e value")
    interval: float = again(0.1e-6, "gap between pulses; Fig. 2e value")
    n_pulses: int = again(20, "number of pulses; Fig. 2e-f value")
    R_L: float = again(3.6e3, "load resistor; Fig. 2f (Methods) value")
    C_m: float = again(30e-12, "membrane capacitor; Fig. 2f (Methods) value")


def pulse_train(p, **changes) -> PulseTrain:
    """The pulse train of ``p`` (amplitude, width, interval, n_pulses), with ``changes``."""
    args = dict(amplitude=p.amplitude, width=p.width, interval=p.interval, n_pulses=p.n_pulses)
    args.update(changes)
    return PulseTrain(**args)


def run(ctx) -> Results:
    """Single LIF neuron (Fig. 2d) driven by a pulse train; any parameters."""
    p = ctx.p
    tr = pulse_train(p)
    net = lif_neuron(train=tr, R_L=p.R_L, C_m=p.C_m, device=ctx.device)
    (wf,) = ctx.simulate([("neuron", net)])
    sp = ctx.spikes(wf, net)
    res = {"spike_count": sp.count, "spike_times": sp.times.tolist(), "rate": sp.count / tr.duration,
           "rate_definition": RATE_DEFINITION, "spike_threshold_A": sp.threshold}
    return Results(res, data={"wf": wf, "spikes": sp})


def plot(r: Results):
    p, wf, sp = r.params, r.data["wf"], r.data["spikes"]
    fig, ax = figure(1, 1, w=7, h=3.4)
    trace_panel(ax[0, 0], wf.time, wf["v(in)"], wf["v(mem)"], wf["i(vsense)"], sp.times,
                f"LIF neuron: {p.amplitude:g} V, R_L = {p.R_L / 1e3:g} kΩ, C_m = {p.C_m * 1e12:g} pF: "
                f"{sp.count} spikes")
    return fig


EXPERIMENT = experiment(name="neuron", figure="Fig. 2d (generic)", params=NeuronParams, run=run, plot=plot,
                        order=10, keys=("spike_count", "spike_times", "rate"), headline=("spike_count", "rate"),
                        engines=("ngspice", "vacask"), quick={"n_pulses": 4})
