"""``fig2f``: spike count against amplitude, width, interval, R_L and C_m (Fig. 2f)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import MaxNLocator

from circuits.builders import lif_neuron
from pyspice_models.params import again

from ..plotting import figure
from .base import Check, Ref, Results, experiment, trend
from .neuron import RATE_DEFINITION, NeuronParams, pulse_train

# the paper's sweeps (Fig. 2f) around its Methods defaults
SWEEPS = {
    "amplitude": ([1.0, 1.1, 1.2, 1.3, 1.4], 1, "pulse amplitude (V)"),
    "width": ([0.5e-6, 0.6e-6, 0.7e-6, 0.8e-6, 0.9e-6, 1.0e-6, 1.5e-6], 1e6, "pulse width (µs)"),
    "interval": ([0.05e-6, 0.1e-6, 0.2e-6, 0.4e-6, 0.8e-6, 1.6e-6], 1e6, "pulse interval (µs)"),
    # from 3.3 kOhm: at 1.3 V an R_L below ~3.0 kOhm holds the device on (latch-up: one long current pulse per
    # input pulse), which the paper's Fig. 2f does not show
    "R_L": ([3.3e3, 3.6e3, 5.1e3, 6.8e3, 10e3], 1e-3, "R_L (kΩ)"),
    "C_m": ([10e-12, 20e-12, 30e-12, 50e-12, 100e-12], 1e12, "C_m (pF)"),
}
METHODS = dict(color="0.45", ls=":", lw=1.2)     # a fixed value of the protocol, not a result to match
SPAN = 0.3   # each sweep moves the count by >= 30 % of its largest value (Fig. 2f's curves change severalfold)
PAPER = {"defaults": Ref({"amplitude": 1.3, "width": 1e-6, "interval": 0.1e-6, "R_L": 3.6e3, "C_m": 30e-12},
                         "SI", "Methods (Fig. 2f's fixed values)")}


@dataclass(frozen=True, kw_only=True)
class Fig2fParams(NeuronParams):
    amplitude: float = again(1.3, "Methods: 1.3 V default")
    width: float = again(1e-6, "Methods: 1 µs default")
    interval: float = again(0.1e-6, "Methods: 0.1 µs default")
    n_pulses: int = again(20, "Methods: 20 pulse cycles")
    R_L: float = again(3.6e3, "Methods: 3.6 kΩ default")
    C_m: float = again(30e-12, "Methods: 30 pF default")


def run(ctx) -> Results:
    """Spike count vs amplitude, width, interval, R_L and C_m (20 pulses)."""
    p = ctx.p
    items, index = [], []
    for key, (values, _, _) in SWEEPS.items():
        for k, v in enumerate(values):
            kw = {**p.as_dict(), key: v}
            tr = pulse_train(p, amplitude=kw["amplitude"], width=kw["width"], interval=kw["interval"])
            items.append((f"{key}_{k}", lif_neuron(train=tr, R_L=kw["R_L"], C_m=kw["C_m"], device=ctx.device)))
            index.append((key, v, tr.duration))
    wfs = ctx.simulate(items)
    res: dict = {}
    for (key, v, dur), (_, net), wf in zip(index, items, wfs, strict=True):
        n = ctx.spikes(wf, net).count
        d = res.setdefault(key, {"x": [], "spike_count": [], "rate": []})
        d["x"].append(v)
        d["spike_count"].append(n)
        d["rate"].append(n / dur)
    res["rate_definition"] = RATE_DEFINITION
    checks = [
        trend("count rises with amplitude", res["amplitude"]["x"], res["amplitude"]["spike_count"], "rises", SPAN),
        trend("count rises with width", res["width"]["x"], res["width"]["spike_count"], "rises", SPAN),
        trend("count falls with R_L", res["R_L"]["x"], res["R_L"]["spike_count"], "falls", SPAN),
        trend("count falls with C_m", res["C_m"]["x"], res["C_m"]["spike_count"], "falls", SPAN),
    ]
    # The rate's denominator grows with the interval, so a rate that falls says nothing by itself: the
    # check that can fail is that the gaps add no spikes (the count does not rise), with the rate falling.
    ic = np.asarray(res["interval"]["spike_count"])
    rate = trend("", res["interval"]["x"], res["interval"]["rate"], "falls")
    checks.append(Check("rate falls with interval, the count does not rise", "rate falls, count non-increasing",
                        {"spike_count": ic.tolist(), "rate": res["interval"]["rate"]},
                        "count non-increasing (the gaps add no spikes) and rate falling",
                        bool(np.all(np.diff(ic) <= 0) and rate.passed)))
    notes = []
    if np.ptp(ic) == 0:
        notes.append(f"The count is {int(ic[0])} at every interval: the gaps neither add spikes nor lose any (the "
                     "membrane does not leak enough in 1.6 µs to matter at these drives), so the rate falls with "
                     "the interval only through the stimulus duration it is divided by.")
    return Results(res, checks, notes)


def plot(r: Results):
    p, res = r.params, r.results
    fig, axes = figure(2, 3, w=3.4, h=2.7)
    defaults = r.paper["defaults"].value
    for ax, (key, (_, scale, label)) in zip(axes.flat, SWEEPS.items(), strict=False):
        x = np.asarray(res[key]["x"]) * scale
        ax.plot(x, res[key]["spike_count"], "o-", color="tab:blue", label="simulated")
        ax.axvline(defaults[key] * scale, **METHODS, label="the paper's fixed value (Methods)")
        ax.set_xlabel(label)
        ax.set_ylabel(f"spike count ({p.n_pulses} pulses)")
        ax.set_ylim(0, max(res[key]["spike_count"] + [1]) * 1.12)       # room for the markers at the top
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax = axes[1, 2]
    x = np.asarray(res["interval"]["x"]) * 1e6
    ax.plot(x, np.asarray(res["interval"]["rate"]) / 1e6, "o-", color="tab:green", label="simulated")
    ax.axvline(defaults["interval"] * 1e6, **METHODS)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("pulse interval (µs)")
    ax.set_ylabel("firing rate (MHz)")
    ax.set_title("rate = count / (n (width + interval))")
    ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncol=2, frameon=False)
    fig.suptitle("Fig. 2f: firing response vs input and circuit parameters", x=0.02, ha="left")
    return fig


EXPERIMENT = experiment(name="fig2f", figure="Fig. 2f", params=Fig2fParams, run=run, plot=plot, paper=PAPER,
                        engines=("ngspice", "vector"),
                        order=21, keys=tuple(SWEEPS), quick={"n_pulses": 2})
