"""``fig3i``: the XOR gate of Fig. 3i from inputs of opposite polarity (Supp. Fig. 8)."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.logic import truth_table
from pyspice_models.params import again, param

from ._shared import FIG3_IDLE, Interval, Synapses, Timing, gate_rates, idle, truth_figure
from .base import VTH_KNOB, Check, Ref, Results, experiment, synapse_knob

PAPER = {"truth": Ref([0, 1, 1, 0], "", "Fig. 3i"), "threshold": Ref(0.3e6, "Hz", "Fig. 3i")}


@dataclass(frozen=True, kw_only=True)
class Fig3iParams(Synapses, Interval, Timing):
    amplitude_1: float = param(0.9, "V", "Fig. 3i: logic 1 on S1 is +0.9 V", lo=-20, hi=20)
    amplitude_2: float = param(-0.9, "V", "Fig. 3i: logic 1 on S2 is -0.9 V", lo=-20, hi=20)
    width: float = again(1e-6, "Fig. 3i: 1 µs (as Fig. 3c)")
    interval: float = again(0.1e-6, "Fig. 3i: 0.1 µs (as Fig. 3c)")
    n_pulses: int = again(10, "Fig. 3i: 10 pulses (as Fig. 3c)")
    R_1: float = again(4.9e3, "a little below Fig. 3c's 5.2 kΩ so that one 0.9 V input alone fires clearly above "
                       "the 0.3 MHz threshold (Supp. Fig. 8 used its own device)")
    R_2: float = again(4.9e3, "equal to R_1: opposite inputs cancel at the node")
    C_m: float = again(115e-12, "as Fig. 3c (same neuron)")
    threshold: float = param(0.3e6, "Hz", "Fig. 3i: output 1 above 0.3 MHz", lo=0, hi=1e9, lo_open=False)
    idle_grounded: int = again(0, FIG3_IDLE)


def run(ctx) -> Results:
    """XOR gate: +0.9 V on S1, -0.9 V on S2; the polarity-symmetric device fires for either, not both."""
    p = ctx.p
    tt = truth_table(gate_rates(ctx, "xor"), ((0.0, p.amplitude_1), (0.0, p.amplitude_2)), p.threshold)
    res = {"truth": list(tt.outputs), **tt.as_dict(), "idle": idle(p)}
    checks = [Check("XOR truth table", PAPER["truth"].value, list(tt.outputs), "exact", tt.implements("XOR"))]
    notes = ["Either input alone drives the node past |Vth| (the device switches in both polarities); "
             "together, equal and opposite currents through R_1 = R_2 hold the node near 0 V."]
    return Results(res, checks, notes, data={"tt": tt})


def plot(r: Results):
    p = r.params
    return truth_figure(r.data["tt"], f"Fig. 3i XOR: S1 0 / {p.amplitude_1:g} V, S2 0 / {p.amplitude_2:g} V",
                        r.paper["truth"].value)


EXPERIMENT = experiment(name="fig3i", figure="Fig. 3i, Supp. Fig. 8", params=Fig3iParams, run=run, plot=plot,
                        engines=("ngspice", "vector"),
                        paper=PAPER, order=34, keys=("truth",), headline=("truth", "rates"),
                        margins=(VTH_KNOB, synapse_knob("R_1", "R_2")))
