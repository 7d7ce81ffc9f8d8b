"""``dendrite``: the two-input NbOx neuron of Fig. 3a with any amplitudes, polarity, delay and circuit."""

from __future__ import annotations

from dataclasses import dataclass

from pyspice_models.params import again, param

from ..plotting import figure
from ._shared import Interval, Synapses, Timing, duration, idle, inputs_panel, run_dendrite, train
from .base import Results, experiment


@dataclass(frozen=True, kw_only=True)
class DendriteParams(Synapses, Interval, Timing):
    amplitude_1: float = param(0.9, "V", "S1 pulse amplitude (0: not applied); Fig. 3c value", lo=-20, hi=20,
                               lo_open=False)
    amplitude_2: float = param(0.9, "V", "S2 pulse amplitude (0: not applied); Fig. 3c value", lo=-20, hi=20,
                               lo_open=False)
    delay: float = param(0.0, "s", "S2 starts this long after S1 (negative: before); Fig. 3l's dt",
                         lo=-1e-3, hi=1e-3, lo_open=False)
    width: float = again(1e-6, "pulse width (both inputs); Fig. 3 value")
    interval: float = again(0.1e-6, "gap between pulses; Fig. 3 value")
    n_pulses: int = again(10, "pulses per input; Fig. 3 value")
    R_1: float = again(5.2e3, "synaptic resistor of S1; Fig. 3c circuit")
    R_2: float = again(5.2e3, "synaptic resistor of S2; Fig. 3c circuit")
    C_m: float = again(115e-12, "membrane capacitor; Fig. 3c circuit")
    idle_grounded: int = again(0, "an input at 0 V: 0 = disconnected (Fig. 3), 1 = held at 0 V (Fig. 4)")


def run(ctx) -> Results:
    """Two-input NbOx neuron (Fig. 3a) with any amplitudes, polarity, delay and circuit."""
    p = ctx.p
    trains = [train(p.amplitude_1, p, delay=max(0.0, -p.delay)), train(p.amplitude_2, p, delay=max(0.0, p.delay))]
    applied = [t for t in trains if t is not None]
    span = (max(t.delay + t.duration for t in applied) - min(t.delay for t in applied)) if applied else duration(p)
    ((sp, wf, _),) = run_dendrite(ctx, [("dendrite", trains)], empty_duration=span)
    res = {"spike_count": sp.count, "spike_times": sp.times.tolist(), "rate": sp.count / span,
           "rate_definition": "spike count / span of the applied trains (first pulse start to last "
                              "pulse end + interval)",
           "idle": idle(p), "spike_threshold_A": sp.threshold}
    return Results(res, data={"spikes": sp, "wf": wf})


def plot(r: Results):
    p, sp = r.params, r.data["spikes"]
    fig, ax = figure(1, 1, w=7, h=3.4)
    inputs_panel(ax[0, 0], sp, r.data["wf"], f"dendrite: S1 {p.amplitude_1:g} V, S2 {p.amplitude_2:g} V, "
                 f"delay {p.delay * 1e6:g} µs: {sp.count} spikes (S2 dotted)")
    return fig


EXPERIMENT = experiment(name="dendrite", figure="Fig. 3a (generic)", params=DendriteParams, run=run, plot=plot,
                        order=11, keys=("spike_count", "spike_times", "rate"), headline=("spike_count", "rate"),
                        engines=("ngspice", "vacask", "vector"))
