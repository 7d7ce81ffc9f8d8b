"""``supp7``: spike count in a fixed window against the frequency of a burst of pulses (Supp. Fig. 7)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuits.builders import lif_neuron
from circuits.stimuli import PulseTrain
from pyspice_models.params import ParameterError, again, param

from ..plotting import figure, legend_outside
from ._shared import Amplitude, Load, Timing
from .base import Check, Results, experiment, trend

SPAN = 0.3   # below the knee the count grows with the pulses in the window: by far more than 30 % of the top


@dataclass(frozen=True, kw_only=True)
class Supp7Params(Load, Timing, Amplitude):
    amplitude: float = again(1.2, "Supp. Fig. 7: 1.2 V")
    width: float = again(1e-6, "Supp. Fig. 7: 1 µs")
    n_pulses: int = again(10, "a burst of 10 pulses, as in the paper's other pulse experiments")
    R_L: float = again(3.6e3, "Supp. Fig. 7: 3.6 kΩ")
    C_m: float = again(30e-12, "Supp. Fig. 7: 30 pF")
    window: float = param(20e-6, "s", "fixed counting window from the first pulse (the scope screen): it "
                          "holds the whole burst from n_pulses/window = 0.5 MHz up", lo=1e-8, hi=1e-2)
    f_min: float = param(0.05e6, "Hz", "lowest frequency: one pulse in the window", lo=1, hi=1e9)
    f_max: float = param(0.98e6, "Hz", "highest frequency: a 20 ns gap", lo=1, hi=1e9)
    n_freq: int = param(12, "", "number of frequencies (log-spaced)", lo=4, hi=200, lo_open=False, integer=True)
    edge: float = param(5e-9, "s", "pulse edges", lo=1e-12, hi=1e-6)

    def _check_relations(self):
        if not self.f_min < self.f_max:
            raise ParameterError("f_min", self.f_min, f"a frequency < f_max = {self.f_max:g} Hz")
        gap = 1 / self.f_max - self.width
        if not gap >= 2 * self.edge:
            raise ParameterError("f_max", self.f_max, f"a frequency <= 1/(width + 2 edge) = "
                                 f"{1 / (self.width + 2 * self.edge):g} Hz (the gap must be a real gap)")
        if not self.f_max * self.window >= self.n_pulses + 1:
            raise ParameterError("window", self.window, f"a window >= (n_pulses + 1)/f_max = "
                                 f"{(self.n_pulses + 1) / self.f_max:g} s, so the whole burst fits at the top")


def run(ctx) -> Results:
    """Spike count in a fixed window vs the frequency of a burst of pulses."""
    p = ctx.p
    freqs = np.geomspace(p.f_min, p.f_max, p.n_freq)
    gaps = 1 / freqs - p.width
    items = []
    for k, gap in enumerate(gaps):
        tr = PulseTrain(amplitude=p.amplitude, width=p.width, interval=gap, n_pulses=p.n_pulses, edge=p.edge)
        tail = max(0.2e-6, p.window - tr.duration + 0.2e-6)
        items.append((f"f_{k:02d}", lif_neuron(train=tr, R_L=p.R_L, C_m=p.C_m, device=ctx.device, tail=tail)))
    wfs = ctx.simulate(items)
    counts = np.asarray([ctx.spikes(wf, net, t_stop=p.window).count
                         for (_, net), wf in zip(items, wfs, strict=True)])
    in_window = np.minimum(p.n_pulses, np.ceil(p.window * freqs - 1e-9)).astype(int)
    fits = in_window >= p.n_pulses
    res = {"frequency": freqs.tolist(), "interval": gaps.tolist(), "spike_count": counts.tolist(),
           "pulses_in_window": in_window.tolist(), "window": p.window, "n_pulses": p.n_pulses,
           "frequency_definition": "1/(width + interval) of a burst of n_pulses; spikes counted in "
                                   "[0, window] from the first pulse"}
    top = counts[fits]
    spread = float(np.ptp(top) / top.max()) if top.size >= 2 and top.max() > 0 else float("nan")
    checks = [
        trend("count rises with frequency", freqs, counts, "rises", SPAN),
        Check("count saturates once the burst fits the window", "saturates",
              {"frequencies_Hz": freqs[fits].tolist(), "spike_count": top.tolist(), "relative_spread": spread},
              ">= 2 frequencies with the whole burst in the window; their counts within 10 % of each other",
              bool(top.size >= 2 and spread <= 0.10)),
    ]
    per_pulse = counts[fits] / p.n_pulses if fits.any() else np.array([])
    notes = ["Reading of Supp. Fig. 7 (protocol not in the text): a burst of pulses at each frequency, spikes "
             "counted in a fixed window. Below n_pulses/window only part of the burst falls in the window, so the "
             "count rises with frequency; above it the count saturates at the burst's own count, unless the "
             "neuron carries charge or heat from pulse to pulse (then it would keep rising - the check can fail).",
             "With the one device set of all figures the neuron fires within each 1.2 V pulse (R_L C_m = "
             f"{p.R_L * p.C_m * 1e9:.0f} ns), about {per_pulse.mean():.1f} spikes per pulse once the burst fits; "
             "the count creeps up by a few % only when the gaps fall below ~R_L C_m."
             if per_pulse.size else "No frequency held the whole burst."]
    return Results(res, checks, notes)


def plot(r: Results):
    p, res = r.params, r.results
    freqs = np.asarray(res["frequency"])
    fig, axs = figure(1, 1, w=5.2, h=3.6)
    ax = axs[0, 0]
    ax.semilogx(freqs / 1e6, res["spike_count"], "o-", label="simulated")
    ax.axvline(p.n_pulses / p.window / 1e6, color="0.5", ls=":", lw=0.8,
               label=f"whole burst in the window ({p.n_pulses / p.window / 1e6:g} MHz)")
    ax.set_xlabel("input frequency 1/(width + interval) (MHz)")
    ax.set_ylabel(f"spike count in {p.window * 1e6:g} µs")
    ax.grid(alpha=0.3, which="both")
    legend_outside(ax, ncol=2, title=f"Supp. Fig. 7: {p.n_pulses} pulses, {p.amplitude:g} V, {p.width * 1e6:g} µs, "
                 f"{p.R_L / 1e3:g} kΩ, {p.C_m * 1e12:g} pF")
    return fig


EXPERIMENT = experiment(name="supp7", figure="Supp. Fig. 7", params=Supp7Params, run=run, plot=plot, order=22,
                        engines=("ngspice", "vector"),
                        keys=("frequency", "spike_count"), quick={"n_freq": 6, "n_pulses": 4, "window": 8e-6})
