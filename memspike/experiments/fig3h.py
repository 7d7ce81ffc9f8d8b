"""``fig3h``: spatial summation against the pulse interval, one input vs both at 0.8 V (Fig. 3f-h)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.fits import fit_rate_vs_interval
from circuits.stimuli import PulseTrain
from pyspice_models.params import ParameterError, again, param

from ..plotting import figure, legend_outside
from ._shared import (
    FIG3_IDLE,
    Amplitude,
    Synapses,
    Timing,
    fit_or_reason,
    fit_warnings,
    idle,
    inputs_panel,
    run_dendrite,
)
from .base import VTH_KNOB, Check, Results, experiment, synapse_knob, trend


@dataclass(frozen=True, kw_only=True)
class Fig3hParams(Synapses, Timing, Amplitude):
    amplitude: float = again(0.8, "Fig. 3g-h: 0.8 V on S1 and S2")
    width: float = again(1e-6, "Fig. 3g-h: 1 µs")
    n_pulses: int = again(10, "Fig. 3g-h: 10 pulses")
    interval_min: float = param(0.05e-6, "s", "Fig. 3h: intervals from 0.05 µs", lo=0, hi=1e-3)
    interval_max: float = param(0.4e-6, "s", "Fig. 3h: to 0.4 µs", lo=0, hi=1e-3)
    n_intervals: int = param(8, "", "intervals, evenly spaced", lo=5, hi=100, lo_open=False, integer=True)
    R_1: float = again(1.8e3, "Supp. Table 1 stand-in: 0.8 V inputs are only 30 mV above Vth: both inputs "
                       "(R/2 = 0.9 kΩ) deliver 33 µA at threshold and fire (R/2 must be < 1.26 kΩ), one alone "
                       "(17 µA) cannot; R/2 must stay above (0.8 V - Vhold)/i_hold = 0.85 kΩ or both inputs "
                       "latch the device on")
    R_2: float = again(1.8e3, "equal synapses")
    C_m: float = again(50e-12, "Supp. Table 1 stand-in: MHz-range firing as in Fig. 3g")
    idle_grounded: int = again(0, FIG3_IDLE)

    def _check_relations(self):
        if not self.interval_min < self.interval_max:
            raise ParameterError("interval_min", self.interval_min,
                                 f"a gap < interval_max = {self.interval_max:g} s")


def run(ctx) -> Results:
    """Spatial summation against the pulse interval: one input vs both, 0.8 V."""
    p = ctx.p
    ints = np.linspace(p.interval_min, p.interval_max, p.n_intervals)
    cases = []
    for k, iv in enumerate(ints):
        tr = PulseTrain(amplitude=p.amplitude, width=p.width, interval=iv, n_pulses=p.n_pulses)
        cases += [(f"single_{k}", [tr, None]), (f"both_{k}", [tr, tr])]
    runs = run_dendrite(ctx, cases)
    durs = p.n_pulses * (p.width + ints)
    single = np.array([runs[2 * k][0].count for k in range(len(ints))]) / durs
    both = np.array([runs[2 * k + 1][0].count for k in range(len(ints))]) / durs
    fit_b, fit_b_doc = fit_or_reason(fit_rate_vs_interval, ints, both)
    fit_s, fit_s_doc = fit_or_reason(fit_rate_vs_interval, ints, single)
    res = {"interval": ints.tolist(), "rate_single": single.tolist(), "rate_both": both.tolist(),
           "fit": {"both": fit_b_doc, "single": fit_s_doc},
           "rate_definition": "spike count / (n_pulses * (width + interval))", "idle": idle(p)}
    falls = trend("rate (both) falls with interval", ints, both, "falls")
    checks = [
        falls,
        Check("both > single at every interval", "both > single", {"both": both.tolist(), "single": single.tolist()},
              "every interval", bool(np.all(both > single))),
    ]
    notes = ["Fit: rate = r_inf + A exp(-interval/tau) for each curve (Supplementary Note 3's own form "
             "is not in the text); the checks read the simulated rates, the fits are descriptive.",
             *[f"fit ({name}): {w}" for name, f, d in (("both", fit_b, fit_b_doc), ("single", fit_s, fit_s_doc))
               for w in fit_warnings(f, d)]]
    k = len(ints) // 2
    nb = np.array([runs[2 * k + 1][0].count for k in range(len(ints))])
    if np.ptp(nb) == 0:
        notes.append(f"With both inputs the count is {int(nb[0])} at every interval: the rate falls only through "
                     "the stimulus duration it is divided by (no leak between pulses shows at these intervals), so "
                     "the fit's tau describes 1/(width + interval), not a membrane time.")
    if not single.any():
        notes.append("One 0.8 V input alone never fires (it cannot lift the node past threshold through its "
                     "synapse), so 'both > single' compares with zero; see the reason of R_1.")
    return Results(res, checks, notes, data={"fits": (fit_s, fit_b), "example": (ints[k], runs[2 * k + 1])})


def plot(r: Results):
    p, res = r.params, r.results
    ints = np.asarray(res["interval"])
    fig, axes = figure(1, 2, w=4.6, h=3.6)
    ax = axes[0, 0]
    xx = np.linspace(ints[0], ints[-1], 100)
    for key, f, lab, c in (("rate_single", r.data["fits"][0], "S1 only", "tab:blue"),
                           ("rate_both", r.data["fits"][1], "S1 and S2", "tab:red")):
        ax.plot(ints * 1e6, np.asarray(res[key]) / 1e6, "o", color=c, label=lab)
        if f:
            ax.plot(xx * 1e6, f(xx) / 1e6, color=c, lw=1, label=f"fit, τ = {f.params['tau'] * 1e6:.2g} µs")
    ax.set_xlabel("pulse interval (µs)")
    ax.set_ylabel("firing rate (MHz)")
    legend_outside(ax, ncol=2, title=f"Fig. 3h: {p.amplitude:g} V inputs")
    iv, (sp, wf, _) = r.data["example"]
    inputs_panel(axes[0, 1], sp, wf, f"both, interval {iv * 1e6:.3g} µs: {sp.count} spikes")
    return fig


EXPERIMENT = experiment(name="fig3h", figure="Fig. 3f-h", params=Fig3hParams, run=run, plot=plot, order=33,
                        engines=("ngspice", "vector"),
                        keys=("interval", "rate_single", "rate_both", "fit"), headline=("rate_single", "rate_both"),
                        quick={"n_intervals": 5, "n_pulses": 5},
                        margins=(VTH_KNOB, synapse_knob("R_1", "R_2")))
