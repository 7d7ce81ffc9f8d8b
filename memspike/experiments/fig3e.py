"""``fig3e``: the AND gate of Fig. 3e (and OR from the same runs), read from the firing rate."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.logic import truth_table
from pyspice_models.params import param

from ..plotting import legend_outside
from ._shared import gate_rates, idle, truth_figure
from .base import VTH_KNOB, Check, Ref, Results, experiment, synapse_knob
from .fig3c import Fig3cParams

PAPER = {"truth_and": Ref([0, 0, 0, 1], "", "Fig. 3e"), "threshold": Ref(1.5e6, "Hz", "Fig. 3e"),
         "truth_or": Ref([0, 1, 1, 1], "", "Fig. 3e text (OR with a lower threshold)")}


@dataclass(frozen=True, kw_only=True)
class Fig3eParams(Fig3cParams):
    threshold: float = param(1.5e6, "Hz", "Fig. 3e: output 1 above 1.5 MHz", lo=0, hi=1e9, lo_open=False)
    threshold_or: float = param(0.2e6, "Hz", "Fig. 3e text: OR from the same neuron with a threshold "
                                "below one input's rate", lo=0, hi=1e9, lo_open=False)


def run(ctx) -> Results:
    """AND gate: logic 1 = 0.9 V on an input, logic 0 = not applied; output = rate above 1.5 MHz."""
    p = ctx.p
    levels = ((0.0, p.amplitude), (0.0, p.amplitude))
    tt = truth_table(gate_rates(ctx, "and"), levels, p.threshold)
    tt_or = truth_table(lambda pairs: tt.rates, levels, p.threshold_or)     # same runs, other threshold
    res = {"truth": list(tt.outputs), **tt.as_dict(), "truth_or": list(tt_or.outputs), "idle": idle(p)}
    checks = [Check("AND truth table", PAPER["truth_and"].value, list(tt.outputs), "exact", tt.implements("AND")),
              Check("OR with a lower threshold", PAPER["truth_or"].value, list(tt_or.outputs), "exact",
                    tt_or.implements("OR"))]
    return Results(res, checks, ["The AND gate uses the circuit of Fig. 3c (same neuron, same inputs)."],
                   data={"tt": tt})


def plot(r: Results):
    fig = truth_figure(r.data["tt"], f"Fig. 3e AND: 0 / {r.params.amplitude:g} V inputs",
                       r.paper["truth_and"].value)
    ax = fig.axes[0]
    ax.axhline(r.params.threshold_or / 1e6, color="tab:purple", ls=":", lw=1.2,
               label=f"OR threshold {r.params.threshold_or / 1e6:g} MHz: {r.results['truth_or']}")
    legend_outside(ax, ncol=2, title=ax.get_title())
    return fig


EXPERIMENT = experiment(name="fig3e", figure="Fig. 3e", params=Fig3eParams, run=run, plot=plot, paper=PAPER,
                        engines=("ngspice", "vector"),
                        order=32, keys=("truth",), headline=("truth", "rates", "truth_or"),
                        margins=(VTH_KNOB, synapse_knob("R_1", "R_2")))
