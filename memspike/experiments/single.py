"""Single LIF neuron experiments (Fig. 2d-f, Supp. Fig. 7) and the generic ``neuron``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuits.builders import lif_neuron
from circuits.stimuli import PulseTrain
from pyspice_models.params import ParameterError, Params, param

from ..plotting import PAPER, figure, trace_panel
from .base import Check, Outcome, register, trend


def _train(p, **kw) -> PulseTrain:
    args = dict(amplitude=p.amplitude, width=p.width, interval=p.interval, n_pulses=p.n_pulses)
    args.update(kw)
    return PulseTrain(**args)


@dataclass(frozen=True, kw_only=True)
class NeuronParams(Params):
    amplitude: float = param(1.3, "V", "pulse amplitude; Fig. 2e value", lo=-20, hi=20, lo_open=False)
    width: float = param(1e-6, "s", "pulse width; Fig. 2e value", lo=1e-9, hi=1e-3)
    interval: float = param(0.1e-6, "s", "gap between pulses; Fig. 2e value", lo=0, hi=1e-3, lo_open=False)
    n_pulses: int = param(20, "", "number of pulses; Fig. 2e-f value", lo=1, hi=10000, lo_open=False,
                                integer=True)
    R_L: float = param(3.6e3, "ohm", "load resistor; Fig. 2f (Methods) value", lo=1, hi=1e8)
    C_m: float = param(30e-12, "F", "membrane capacitor; Fig. 2f (Methods) value", lo=1e-15, hi=1e-6)





def _count_all(ctx, cases):
    """cases: list of (tag, train, R_L, C_m) -> (spike list, waveforms, nets)."""
    items = [(tag, lif_neuron(train=tr, R_L=rl, C_m=cm, device=ctx.device)) for tag, tr, rl, cm in cases]
    wfs = ctx.simulate(items)
    spikes = [ctx.spikes(wf, net) for (_, net), wf in zip(items, wfs, strict=True)]
    return spikes, wfs, [net for _, net in items]


@register("neuron", "Fig. 2d (generic)", NeuronParams, engines=("ngspice", "vacask"))
def neuron(ctx) -> Outcome:
    """Single LIF neuron (Fig. 2d) driven by a pulse train; any parameters."""
    p = ctx.p
    tr = _train(p)
    (sp,), (wf,), (net,) = _count_all(ctx, [("neuron", tr, p.R_L, p.C_m)])
    res = {"spike_count": sp.count, "spike_times": sp.times.tolist(), "rate": sp.count / tr.duration,
           "rate_definition": "spike count / stimulus duration (n_pulses * (width + interval))",
           "spike_threshold_A": sp.threshold}
    fig, ax = figure(1, 1, w=7, h=3.2)
    trace_panel(ax[0, 0], wf.time, wf["v(in)"], wf["v(mem)"], wf["i(vsense)"], sp.times,
                f"LIF neuron: {p.amplitude:g} V, R_L={p.R_L:g} Ω, C_m={p.C_m * 1e12:g} pF: {sp.count} spikes")
    return Outcome(res, [], fig)


@dataclass(frozen=True, kw_only=True)
class Fig2eParams(Params):
    amplitude: float = param(1.3, "V", "Fig. 2e: 1.3 V pulses", lo=0, hi=20)
    width: float = param(1e-6, "s", "Fig. 2e: 1 µs", lo=1e-9, hi=1e-3)
    interval: float = param(0.1e-6, "s", "Fig. 2e: 0.1 µs", lo=0, hi=1e-3, lo_open=False)
    n_pulses: int = param(20, "", "Fig. 2e: 20 pulses", lo=1, hi=10000, lo_open=False, integer=True)
    R_L_low: float = param(2.0e3, "ohm", "grid of R_L around the paper's 3.6 kΩ: low", lo=1, hi=1e8)
    R_L_mid: float = param(3.6e3, "ohm", "grid middle: the paper's 3.6 kΩ (Methods)", lo=1, hi=1e8)
    R_L_high: float = param(5.1e3, "ohm", "grid high: firing slows markedly but does not stop", lo=1, hi=1e8)
    C_m_low: float = param(10e-12, "F", "grid of C_m around the paper's 30 pF: low", lo=1e-15, hi=1e-6)
    C_m_mid: float = param(30e-12, "F", "grid middle: the paper's 30 pF (Methods)", lo=1e-15, hi=1e-6)
    C_m_high: float = param(100e-12, "F", "grid high: ~3x the paper's value, slower charging", lo=1e-15, hi=1e-6)


@register("fig2e", "Fig. 2e, Supp. Fig. 6", Fig2eParams)
def fig2e(ctx) -> Outcome:
    """LIF neuron under a 1.3 V pulse train for a 3 x 3 grid of (R_L, C_m)."""
    p = ctx.p
    tr = _train(p)
    rls = [p.R_L_low, p.R_L_mid, p.R_L_high]
    cms = [p.C_m_low, p.C_m_mid, p.C_m_high]
    cases = [(f"rl{i}_cm{j}", tr, rl, cm) for i, rl in enumerate(rls) for j, cm in enumerate(cms)]
    spikes, wfs, _ = _count_all(ctx, cases)
    counts = np.array([s.count for s in spikes]).reshape(3, 3)
    res = {"cases": [{"R_L": rl, "C_m": cm, "spike_count": int(counts[i, j])}
                     for i, rl in enumerate(rls) for j, cm in enumerate(cms)]}
    checks = [Check("spikes appear", "> 0 at 3.6 kΩ, 30 pF", int(counts[1, 1]), "> 0", bool(counts[1, 1] > 0))]
    for j, cm in enumerate(cms):
        checks.append(Check(f"count falls with R_L (C_m={cm * 1e12:g} pF)", "falls", counts[:, j].tolist(),
                            "non-increasing, first > last", bool(np.all(np.diff(counts[:, j]) <= 0)
                                                                 and counts[0, j] > counts[-1, j])))
    for i, rl in enumerate(rls):
        checks.append(Check(f"count falls with C_m (R_L={rl:g} Ω)", "falls", counts[i, :].tolist(),
                            "non-increasing, first > last", bool(np.all(np.diff(counts[i, :]) <= 0)
                                                                 and counts[i, 0] > counts[i, -1])))
    fig, axes = figure(3, 3, w=4.0, h=2.4)
    for k, ((_tag, _, rl, cm), wf, sp) in enumerate(zip(cases, wfs, spikes, strict=True)):
        ax = axes[k // 3, k % 3]
        ax.plot(wf.time * 1e6, wf["i(vsense)"] * 1e3, lw=0.7, color="tab:orange")
        ax.set_title(f"R_L={rl / 1e3:g} kΩ, C_m={cm * 1e12:g} pF: {sp.count} spikes", fontsize=8)
        ax.set_xlabel("time (µs)")
        ax.set_ylabel("device current (mA)")
    fig.suptitle(f"Fig. 2e: {p.amplitude:g} V, {p.width * 1e6:g} µs, {p.interval * 1e6:g} µs gap, "
                 f"{p.n_pulses} pulses")
    return Outcome(res, checks, fig)


@dataclass(frozen=True, kw_only=True)
class Fig2fParams(Params):
    amplitude: float = param(1.3, "V", "Methods: 1.3 V default", lo=0, hi=20)
    width: float = param(1e-6, "s", "Methods: 1 µs default", lo=1e-9, hi=1e-3)
    interval: float = param(0.1e-6, "s", "Methods: 0.1 µs default", lo=0, hi=1e-3, lo_open=False)
    n_pulses: int = param(20, "", "Methods: 20 pulse cycles", lo=1, hi=10000, lo_open=False, integer=True)
    R_L: float = param(3.6e3, "ohm", "Methods: 3.6 kΩ default", lo=1, hi=1e8)
    C_m: float = param(30e-12, "F", "Methods: 30 pF default", lo=1e-15, hi=1e-6)


FIG2F_SWEEPS = {
    "amplitude": ([1.0, 1.1, 1.2, 1.3, 1.4], "V", "pulse amplitude (V)"),
    "width": ([0.5e-6, 0.6e-6, 0.7e-6, 0.8e-6, 0.9e-6, 1.0e-6, 1.5e-6], "s", "pulse width (µs)"),
    "interval": ([0.05e-6, 0.1e-6, 0.2e-6, 0.4e-6, 0.8e-6, 1.6e-6], "s", "pulse interval (µs)"),
    "R_L": ([1e3, 2e3, 3.6e3, 5.1e3, 6.8e3], "ohm", "R_L (kΩ)"),
    "C_m": ([10e-12, 20e-12, 30e-12, 50e-12, 100e-12], "F", "C_m (pF)"),
}


@register("fig2f", "Fig. 2f", Fig2fParams)
def fig2f(ctx) -> Outcome:
    """Spike count vs amplitude, width, interval, R_L and C_m (20 pulses)."""
    p = ctx.p
    cases, index = [], []
    for key, (values, _, _) in FIG2F_SWEEPS.items():
        for k, v in enumerate(values):
            kw = {"amplitude": p.amplitude, "width": p.width, "interval": p.interval, "R_L": p.R_L, "C_m": p.C_m}
            kw[key] = v
            tr = _train(p, amplitude=kw["amplitude"], width=kw["width"], interval=kw["interval"])
            cases.append((f"{key}_{k}", tr, kw["R_L"], kw["C_m"]))
            index.append((key, v, tr.duration))
    spikes, _, _ = _count_all(ctx, cases)
    res: dict = {}
    for (key, v, dur), sp in zip(index, spikes, strict=True):
        d = res.setdefault(key, {"x": [], "spike_count": [], "rate": []})
        d["x"].append(v)
        d["spike_count"].append(sp.count)
        d["rate"].append(sp.count / dur)
    res["rate_definition"] = "spike count / stimulus duration (n_pulses * (width + interval))"
    checks = [
        trend("count rises with amplitude", res["amplitude"]["x"], res["amplitude"]["spike_count"], "rises", 3),
        trend("count rises with width", res["width"]["x"], res["width"]["spike_count"], "rises", 3),
        trend("count falls with R_L", res["R_L"]["x"], res["R_L"]["spike_count"], "falls", 3),
        trend("count falls with C_m", res["C_m"]["x"], res["C_m"]["spike_count"], "falls", 3),
        trend("rate falls with interval", res["interval"]["x"], res["interval"]["rate"], "falls"),
    ]
    ic = np.asarray(res["interval"]["spike_count"])
    checks.append(Check("count does not rise with interval", "non-increasing", ic.tolist(),
                        "non-increasing", bool(np.all(np.diff(ic) <= 0))))
    fig, axes = figure(1, 5, w=2.9, h=2.8)
    scale = {"amplitude": 1, "width": 1e6, "interval": 1e6, "R_L": 1e-3, "C_m": 1e12}
    default = {"amplitude": p.amplitude, "width": p.width, "interval": p.interval, "R_L": p.R_L, "C_m": p.C_m}
    for ax, (key, (_, _, label)) in zip(axes[0], FIG2F_SWEEPS.items(), strict=True):
        x = np.asarray(res[key]["x"]) * scale[key]
        ax.plot(x, res[key]["spike_count"], "o-", color="tab:blue", label="simulated")
        ax.axvline(default[key] * scale[key], **PAPER, label="paper's default")
        ax.set_xlabel(label)
        ax.set_ylabel(f"spike count ({p.n_pulses} pulses)")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Fig. 2f: firing response vs input and circuit parameters")
    return Outcome(res, checks, fig)


@dataclass(frozen=True, kw_only=True)
class Supp7Params(Params):
    amplitude: float = param(1.2, "V", "Supp. Fig. 7: 1.2 V", lo=0, hi=20)
    width: float = param(1e-6, "s", "Supp. Fig. 7: 1 µs", lo=1e-9, hi=1e-3)
    R_L: float = param(3.6e3, "ohm", "Supp. Fig. 7: 3.6 kΩ", lo=1, hi=1e8)
    C_m: float = param(30e-12, "F", "Supp. Fig. 7: 30 pF", lo=1e-15, hi=1e-6)
    window: float = param(20e-6, "s", "fixed counting window; the train fills it at every frequency",
                          lo=1e-8, hi=1e-2)
    interval_max: float = param(10e-6, "s", "longest gap (0.1 MHz): pulses far apart, no integration",
                                lo=1e-10, hi=1e-2)
    interval_min: float = param(2e-9, "s", "shortest gap (500 MHz): far below R_L*C_m, where the count "
                                "must plateau; still two edges long, so a real gap", lo=1e-10, hi=1e-2)
    edge: float = param(1e-9, "s", "fast pulse edges (1 ns), so that ns gaps are real gaps", lo=1e-12, hi=1e-6)
    n_freq: int = param(12, "", "number of frequencies (gaps log-spaced)", lo=4, hi=200,
                        lo_open=False, integer=True)
    plateau_gap: float = param(0.1, "", "gaps shorter than this fraction of R_L*C_m (<< the "
                               "discharge time) count as 'very high frequency' for the saturation "
                               "check", lo=0, hi=10)

    def _check_relations(self):
        if not self.interval_min < self.interval_max:
            raise ParameterError("interval_min", self.interval_min,
                                 f"a gap < interval_max = {self.interval_max:g} s")
        if not self.interval_min >= 2 * self.edge:
            raise ParameterError("interval_min", self.interval_min,
                                 f"a gap >= 2 edges = {2 * self.edge:g} s (shorter ones are not gaps)")
        if not self.width + self.interval_max < self.window:
            raise ParameterError("window", self.window,
                                 f"a window > width + interval_max = {self.width + self.interval_max:g} s")


@register("supp7", "Supp. Fig. 7", Supp7Params, quick={"n_freq": 7})
def supp7(ctx) -> Outcome:
    """Spike count in a fixed window vs input pulse frequency (1/interval), with the continuous limit."""
    p = ctx.p
    gaps = np.geomspace(p.interval_max, p.interval_min, p.n_freq)
    freqs = 1 / gaps
    rep = 1 / (p.width + gaps)
    items = []
    for k, gap in enumerate(gaps):
        n = int(np.ceil(p.window / (p.width + gap)))
        tr = PulseTrain(amplitude=p.amplitude, width=p.width, interval=gap, n_pulses=n, edge=p.edge)
        items.append((f"f_{k}", lif_neuron(train=tr, R_L=p.R_L, C_m=p.C_m, device=ctx.device,
                                           tail=0.2e-6)))
    # the limit of the sweep: no gaps at all, one pulse as long as the window
    dc = PulseTrain(amplitude=p.amplitude, width=p.window, interval=p.width, n_pulses=1, edge=p.edge)
    items.append(("continuous", lif_neuron(train=dc, R_L=p.R_L, C_m=p.C_m, device=ctx.device, tail=0.2e-6)))
    wfs = ctx.simulate(items)
    counts = np.asarray([ctx.spikes(wf, net, t_stop=p.window).count
                         for (_, net), wf in zip(items, wfs, strict=True)])
    counts, limit = counts[:-1], int(counts[-1])
    res = {"frequency": freqs.tolist(), "repetition_frequency": rep.tolist(), "interval": gaps.tolist(),
           "spike_count": counts.tolist(), "window": p.window, "spike_count_continuous": limit,
           "frequency_definition": "1/interval (the pulse width is fixed at 1 µs, so only the gaps can make "
                                   "the input faster); repetition_frequency = 1/(width + interval); counts "
                                   "in [0, window]"}
    top = gaps <= p.plateau_gap * p.R_L * p.C_m
    top_counts = counts[top]
    # slope per decade of frequency: the plateau's against the steepest
    slope = np.diff(counts) / np.diff(np.log10(freqs))
    top_slope = float((counts[top][-1] - counts[top][0]) / np.log10(freqs[top][-1] / freqs[top][0])) \
        if top.sum() >= 2 else float("nan")
    slack = max(1, int(0.05 * limit))
    sat_ok = bool(top.sum() >= 2 and np.ptp(top_counts) <= slack and np.all(np.abs(top_counts - limit) <= slack)
                  and top_slope < 0.25 * slope.max())
    checks = [
        trend("count rises with frequency", freqs, counts, "rises", min_span=3),
        Check("count saturates at high frequency",
              "flat once the gaps are << R_L*C_m, at the continuous-input count",
              {"gaps_s": gaps[top].tolist(), "spike_count": top_counts.tolist(), "continuous": limit,
               "slope_per_decade_top": top_slope, "slope_per_decade_max": float(slope.max())},
              f">= 2 points with gap <= {p.plateau_gap:g} R_L C_m; spread <= {slack}; within {slack} of the "
              "continuous count; slope there < 1/4 of the steepest", sat_ok),
    ]
    notes = ["Reading of Supp. Fig. 7: with the width fixed at 1 µs, the input can only get faster by "
             "shortening the gaps, so the swept frequency is 1/interval. The count rises once the gaps are "
             "short enough for charge to carry from one pulse to the next, and saturates at the "
             "continuous-input count once they are much shorter than the node's discharge time R_L*C_m "
             f"({p.R_L * p.C_m * 1e9:.0f} ns). Against the repetition frequency 1/(width + interval) the "
             "same counts grow about in proportion to the duty cycle up to the continuous limit at 1 MHz, "
             "without a plateau before it (also in the JSON)."]
    fig, axs = figure(1, 2, w=4.2, h=3.4)
    ax = axs[0, 0]
    ax.semilogx(freqs / 1e6, counts, "o-", label="simulated")
    ax.axhline(limit, color="0.5", ls="--", lw=0.8, label=f"continuous input ({limit})")
    ax.axvline(1e-6 / (p.R_L * p.C_m), color="C3", ls=":", lw=0.8, label="1/(R_L C_m)")
    ax.set_xlabel("input frequency 1/interval (MHz)")
    ax.set_ylabel(f"spike count in {p.window * 1e6:g} µs")
    ax.set_title(f"Supp. Fig. 7: {p.amplitude:g} V, {p.width * 1e6:g} µs, {p.R_L / 1e3:g} kΩ, "
                 f"{p.C_m * 1e12:g} pF", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax = axs[0, 1]
    ax.plot(rep / 1e6, counts, "o-")
    ax.axhline(limit, color="0.5", ls="--", lw=0.8)
    ax.set_xlabel("repetition frequency 1/(width + interval) (MHz)")
    ax.set_ylabel("spike count")
    ax.set_title("the same counts against 1/(width + interval)", fontsize=9)
    ax.grid(alpha=0.3)
    return Outcome(res, checks, fig, notes)
