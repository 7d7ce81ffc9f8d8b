"""``thermal_gap``: pulse trains whose gaps are shorter or longer than the device's thermal time
(beyond the paper).

The electro-thermal device remembers only its core temperature, for ``R_th C_th`` (2.5 ns by
default); the Fig. 2d neuron remembers its membrane charge, for ``R_L C_m`` (108 ns). A pulse train
with gaps swept from well below to well above the thermal time is applied twice, with the same total
on-time at every gap:

* to the Fig. 2d neuron (``lif_neuron``): the spike count against the gap;
* to the bare device behind a small series resistor (``device_sweep``), with pulses each too short
  to switch it alone: whether, and after how much on-time, the train switches it on.

What the physics says, and the checks test: the bare device sees every gap, cools in it as
``exp(-gap / R_th C_th)`` and is switched on by a train only while its gaps are shorter than about
the thermal time (the train then acts as one long pulse); each longer gap resets it to ``T0``. In the
neuron, ``C_m`` holds the device voltage through a gap: the device hardly sees the gaps, its core
follows the membrane, and the count changes on the membrane's scales: the mean drive (duty cycle)
for gaps short against ``R_L C_m``, then ``R_L C_m`` itself; the thermal time does not appear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuits.builders import device_sweep, lif_neuron
from circuits.stimuli import PulseTrain
from pyspice_models.params import ParameterError, param

from ..plotting import figure, legend_outside
from ._shared import Amplitude, Load
from .base import Check, Results, experiment
from .ndr import require_et

T_NEURON = "v(xn1.t)"            # core temperature of the neuron's device instance xn1 (K)
T_DEVICE = "v(xd.t)"             # core temperature of the bare device instance xd (K)
FIT_MIN_GAP = 10                 # cooling time fitted on gaps >= this many pulse edges (the edge ramps blur shorter)
FIT_FLOOR = 0.05                 # K: excess temperatures below this are at the integrator's noise: not fitted


@dataclass(frozen=True, kw_only=True)
class ThermalGapParams(Load, Amplitude):
    amplitude: float = param(1.3, "V", "neuron's pulse amplitude: Fig. 2d-e's 1.3 V", lo=-20, hi=20, lo_open=False)
    n_pulses: int = param(50, "", "neuron: pulses per train; the total on-time is fixed (on_time), so every train "
                          "delivers the same input charge at zero gap; 50 makes each pulse (20 ns) shorter than "
                          "the inter-spike interval (~90 ns), so gaps fall between and inside spikes alike",
                          lo=1, hi=10000, lo_open=False, integer=True)
    on_time: float = param(1e-6, "s", "neuron: total on-time of every train = Fig. 2d's one 1 us pulse, cut into "
                           "n_pulses pieces; also the length of the continuous reference pulse", lo=1e-9, hi=1e-3)
    R_L: float = param(3.6e3, "ohm", "Fig. 2d/2f load: R_L C_m = 108 ns, 43 thermal times", lo=1, hi=1e8)
    C_m: float = param(30e-12, "F", "Fig. 2d/2f membrane capacitor", lo=1e-15, hi=1e-6)
    gap_min: float = param(0.2e-9, "s", "shortest gap: 1/12 of the thermal time R_th C_th (2.5 ns)", lo=1e-12, hi=1e-3)
    gap_max: float = param(200e-9, "s", "longest gap: 80 thermal times and ~2 R_L C_m (the membrane empties)",
                           lo=1e-12, hi=1e-3)
    n_gaps: int = param(10, "", "gaps, log-spaced from gap_min to gap_max (a factor 2.15 apart)", lo=2, hi=200,
                        lo_open=False, integer=True)
    edge: float = param(0.05e-9, "s", "rise and fall time of every pulse: at most half the shortest gap, so that "
                        "even it is a gap (0 V for gap - edge); far below the thermal time", lo=1e-13, hi=1e-6)
    tail: float = param(0.3e-6, "s", "neuron: simulated after the last pulse, so that a late spike is counted",
                        lo=0, hi=1e-3, lo_open=False)
    dev_amplitude: float = param(1.2, "V", "bare device: pulse amplitude, 0.43 V above Vth: a continuous pulse "
                                 "switches it on within ~3 ns (about one thermal time)", lo=0.01, hi=20)
    dev_width: float = param(1e-9, "s", "bare device: pulse width, a third of the continuous switching delay: one "
                             "pulse alone cannot switch the device", lo=1e-12, hi=1e-3)
    dev_n_pulses: int = param(20, "", "bare device: pulses per train (20 ns of on-time, ~7 continuous switching "
                              "delays)", lo=1, hi=10000, lo_open=False, integer=True)
    R_s: float = param(100.0, "ohm", "bare device: series resistor (as the switching experiment)", lo=1e-3, hi=1e6)

    def _check_relations(self):
        if not self.gap_min < self.gap_max:
            raise ParameterError("gap_min", self.gap_min, f"a gap < gap_max = {self.gap_max:g} s")
        if not 2 * self.edge <= self.gap_min:
            raise ParameterError("edge", self.edge, f"an edge <= gap_min/2 = {self.gap_min / 2:g} s (every gap must "
                                 "reach 0 V)")
        if not (self.width >= self.edge and self.dev_width >= self.edge):
            raise ParameterError("edge", self.edge,
                                 f"an edge <= the pulse widths ({self.width:g}, {self.dev_width:g} s)")

    @property
    def width(self) -> float:
        """The neuron's pulse width: on_time / n_pulses."""
        return self.on_time / self.n_pulses


def gaps_of(p) -> np.ndarray:
    return np.geomspace(p.gap_min, p.gap_max, p.n_gaps)


def gap_spans(tr: PulseTrain) -> list[tuple[float, float]]:
    """(start, end) of the 0 V part of every gap of ``tr``: from the end of a falling edge to the start of the
    next rising one."""
    starts = tr.starts()
    return [(s + tr.width + tr.edge / 2, n - tr.edge / 2) for s, n in zip(starts[:-1], starts[1:], strict=True)]


def retained(wf, T_name: str, spans, T0: float, quiet=None) -> list[tuple[float, float]]:
    """(excess at the gap's start, excess at its end) of the core temperature over ``T0`` for every gap, leaving
    out gaps where ``quiet(a, b)`` is False (a spike under way)."""
    t, T = wf.time, wf[T_name]
    out = []
    for a, b in spans:
        if quiet is not None and not quiet(a, b):
            continue
        out.append((float(np.interp(a, t, T) - T0), float(np.interp(b, t, T) - T0)))
    return out


def on_time_to_switch(wf, tr: PulseTrain, T_on: float) -> float | None:
    """Input on-time (summed over pulses, 50 % points) until the core first reaches ``T_on``; None if never."""
    T = wf[T_DEVICE]
    hot = np.flatnonzero(T >= T_on)
    if not hot.size:
        return None
    ts = float(wf.time[hot[0]]) - tr.delay
    k = int(np.floor(ts / tr.period))
    return k * tr.width + min(max(ts - k * tr.period, 0.0), tr.width)


def run(ctx) -> Results:
    """Spike count (Fig. 2d neuron) and switching (bare device) against the gap between pulses, across R_th C_th."""
    p = ctx.p
    dev = require_et(ctx.device)
    f = dev.folds()
    tau_th, tau_m = dev.R_th * dev.C_th, p.R_L * p.C_m
    gaps = gaps_of(p)
    thr = dev.spike_current()

    # ---- the Fig. 2d neuron: fixed total on-time, n_pulses pieces
    n_trains = [PulseTrain(amplitude=p.amplitude, width=p.width, interval=g, n_pulses=p.n_pulses, edge=p.edge)
                for g in gaps]
    n_cont = PulseTrain(amplitude=p.amplitude, width=p.on_time, interval=0, n_pulses=1, edge=p.edge)
    items = []
    for k, tr in enumerate([n_cont, *n_trains]):
        net = lif_neuron(train=tr, R_L=p.R_L, C_m=p.C_m, device=dev, tail=p.tail)
        net.save(T_NEURON)
        items.append(("neuron_continuous" if k == 0 else f"neuron_gap_{k - 1:02d}", net))
    # ---- the bare device: pulses too short to switch it alone
    d_trains = [PulseTrain(amplitude=p.dev_amplitude, width=p.dev_width, interval=g, n_pulses=p.dev_n_pulses,
                           edge=p.edge, delay=1e-9) for g in gaps]
    d_cont = PulseTrain(amplitude=p.dev_amplitude, width=p.dev_width * p.dev_n_pulses, interval=0, n_pulses=1,
                        edge=p.edge, delay=1e-9)
    for k, tr in enumerate([d_cont, *d_trains]):
        pts = np.vstack([tr.breakpoints(), [tr.delay + tr.duration + 5 * tau_th, 0.0]])
        net = device_sweep(points=pts, R_s=p.R_s, device=dev, tmax=p.dev_width / 5)
        net.save(T_DEVICE)
        items.append(("device_continuous" if k == 0 else f"device_gap_{k - 1:02d}", net))
    wfs = ctx.simulate(items)
    n_wfs, d_wfs = wfs[:len(gaps) + 1], wfs[len(gaps) + 1:]
    n_nets = [net for _, net in items[:len(gaps) + 1]]

    # ---- neuron: counts, and how much of its core's excess temperature a gap leaves
    spikes = [ctx.spikes(wf, net) for wf, net in zip(n_wfs, n_nets, strict=True)]
    counts = [sp.count for sp in spikes]
    count_cont, counts_gap = counts[0], counts[1:]
    n_keep = []
    for wf, tr in zip(n_wfs[1:], n_trains, strict=True):
        t, i = wf.time, np.abs(wf["i(vsense)"])

        def quiet(a, b, t=t, i=i):
            sel = (t >= a) & (t <= b)
            return bool(max(np.interp(a, t, i), np.interp(b, t, i), i[sel].max(initial=0.0)) < thr)

        pairs = retained(wf, T_NEURON, gap_spans(tr), dev.T0, quiet)
        fr = [e / s for s, e in pairs if s > 1.0]
        n_keep.append(float(np.median(fr)) if fr else None)
    # the mean drive through R_L must hold the membrane at threshold against the device's threshold current
    duty_star = (f["v_th"] + p.R_L * f["i_th"]) / abs(p.amplitude)
    g_star = p.width * (1 / duty_star - 1) if duty_star < 1 else 0.0

    # ---- bare device: on-time to switch, cooling in the gaps
    t_cont = on_time_to_switch(d_wfs[0], d_cont, f["T_hold"])
    t_switch = [on_time_to_switch(wf, tr, f["T_hold"]) for wf, tr in zip(d_wfs[1:], d_trains, strict=True)]
    d_keep, T_end_max, tau_fit = [], [], []
    for wf, tr, g in zip(d_wfs[1:], d_trains, gaps, strict=True):
        pairs = retained(wf, T_DEVICE, gap_spans(tr), dev.T0)
        fr = [e / s for s, e in pairs if s > 1.0]
        d_keep.append(float(np.median(fr)) if fr else None)
        T_end_max.append(max(e for _, e in pairs) if pairs else None)
        flat = g - p.edge                                   # the 0 V part of the gap
        fits = [flat / np.log(s / e) for s, e in pairs if s > FIT_FLOOR and e > FIT_FLOOR and s > e]
        tau_fit.append(float(np.median(fits)) if g >= FIT_MIN_GAP * p.edge and fits else None)

    small = 0                                               # the smallest gap: the train as one long pulse
    long_gaps = [k for k, g in enumerate(gaps) if g >= 4 * tau_th]
    taus = [x for x in tau_fit if x is not None]
    res = {
        "gap": gaps.tolist(), "tau_thermal": tau_th, "R_L_C_m": tau_m,
        "spike_count": counts_gap, "spike_count_continuous": count_cont,
        "neuron_width": p.width, "neuron_on_time": p.on_time,
        "duty_limit": {"duty": duty_star, "gap": g_star},
        "neuron_retained_fraction": n_keep,
        "device_on_time_to_switch": t_switch, "device_on_time_to_switch_continuous": t_cont,
        "device_retained_fraction": d_keep, "device_T_excess_gap_end_max": T_end_max,
        "device_cooling_time_fit": tau_fit,
        "design": "fixed total on-time: every train is on_time of input cut into n_pulses pulses of width "
                  "on_time/n_pulses, only the gaps differ, so at zero gap each is the continuous reference pulse "
                  "and every change of the count comes from the gaps (a fixed number of pulses and width would be "
                  "the same here; a fixed train duration would change the on-time with the gap)",
        "definitions": {
            "spike_count": "spikes of the neuron per train, one per gap value",
            "duty_limit": "mean-drive estimate: the membrane holds threshold only while amplitude * duty >= Vth + "
                          "R_L i_th (threshold fold), i.e. for gaps below width (1/duty - 1)",
            "retained_fraction": "(T - T0) at the end of a gap / (T - T0) at its start, median over the gaps of a "
                                 "train (neuron: gaps with no spike under way; starts with > 1 K of excess)",
            "device_on_time_to_switch": "input on-time (50 % points, summed over pulses) until the core first "
                                        "reaches the hold-fold temperature T_hold (on the on branch); None: never",
            "device_cooling_time_fit": "(gap - edge) / ln(excess at start / excess at end) in the 0 V part of "
                                       "every gap, median; gaps >= 10 edges, excess > 0.05 K",
        },
    }
    near = [k for k, g in enumerate(gaps) if g <= g_star / 2]
    far = [k for k, g in enumerate(gaps) if g >= 2 * g_star]
    checks = [
        Check("neuron: the shortest gap is one long pulse", count_cont, counts_gap[small],
              f"spike count at gap {gaps[small] * 1e9:.2g} ns (tau_th/{tau_th / gaps[small]:.0f}) within 1 of the "
              "continuous pulse of the same on-time", abs(counts_gap[small] - count_cont) <= 1),
        Check("neuron: firing ends at the membrane's mean-drive limit gap*", f"gap* = {g_star * 1e9:.3g} ns",
              {"fires_up_to_gap_star/2": [counts_gap[k] for k in near], "silent_from_2_gap_star": [
                  counts_gap[k] for k in far]},
              "spikes at every gap <= gap*/2, none at any gap >= 2 gap* (gap* = width (1/duty* - 1))",
              bool(near and far and all(counts_gap[k] > 0 for k in near) and all(counts_gap[k] == 0 for k in far))),
        Check("bare device: the shortest gap is one long pulse", t_cont, t_switch[small],
              "switches on after an on-time within 30 % of the continuous pulse's",
              bool(t_cont is not None and t_switch[small] is not None and abs(t_switch[small] / t_cont - 1) <= 0.3)),
        Check("bare device: each gap >= 4 tau_th resets it", "T0, never on",
              {"gap_ns": [round(gaps[k] * 1e9, 3) for k in long_gaps],
               "T_excess_gap_end_max_K": [T_end_max[k] for k in long_gaps],
               "on_time_to_switch": [t_switch[k] for k in long_gaps]},
              "core within 1 K of T0 at the end of every such gap, and never switched on",
              bool(long_gaps and all(T_end_max[k] is not None and T_end_max[k] <= 1.0 and t_switch[k] is None
                                     for k in long_gaps))),
        Check("bare device: measured cooling time is R_th C_th", tau_th, taus,
              "every fitted gap within 10 %", bool(taus and all(abs(x / tau_th - 1) <= 0.1 for x in taus))),
    ]
    last_on = max((gaps[k] for k in range(len(gaps)) if t_switch[k] is not None), default=None)
    notes = [
        f"Time scales: thermal R_th C_th = {tau_th * 1e9:.3g} ns; membrane R_L C_m = {tau_m * 1e9:.3g} ns; "
        f"mean-drive gap limit gap* = {g_star * 1e9:.3g} ns for {p.width * 1e9:.3g} ns pulses.",
        "Bare device: the core cools in every gap with the thermal time (fitted: "
        + (", ".join(f"{x * 1e9:.3g}" for x in taus) + " ns" if taus else "none fitted")
        + f"); a train of {p.dev_width * 1e9:.3g} ns pulses switches it on "
        + (f"up to gaps of {last_on * 1e9:.3g} ns" if last_on is not None else "at no gap")
        + ": in gaps up to about the thermal time it keeps enough of its heat for the next pulse to add to, and the "
          "train acts as one long pulse; each gap of several thermal times resets it to T0.",
        "Neuron: C_m holds the device voltage through a gap (the device sees the input only through R_L C_m), so "
        "its core does not cool in the gaps but follows the membrane: it keeps a median "
        + ", ".join("-" if x is None else f"{x:.2f}" for x in n_keep)
        + " of its excess temperature across the gaps, where the bare device keeps "
        + ", ".join("-" if x is None else f"{x:.2g}" for x in d_keep) + ".",
        f"Neuron counts {counts_gap} against {count_cont} for the continuous pulse: the count holds while the mean "
        "drive amplitude * width/(width + gap) keeps the membrane at threshold and ends near gap*, a membrane "
        "(duty-cycle) limit; with gaps short against R_L C_m the membrane integrates the train as one pulse of "
        "lower amplitude. The thermal time enters only through the spike itself (the core must heat for each "
        "spike), not as memory across the gaps, as long as R_th C_th is short against the pulses.",
    ]
    data = {"n_wfs": n_wfs, "d_wfs": d_wfs, "d_trains": d_trains, "spikes": spikes, "T_hold": f["T_hold"],
            "T0": dev.T0}
    return Results(res, checks, notes, data)


def plot(r: Results):
    res, d = r.results, r.data
    gaps = np.asarray(res["gap"]) * 1e9
    tau, tau_m, g_star = res["tau_thermal"] * 1e9, res["R_L_C_m"] * 1e9, res["duty_limit"]["gap"] * 1e9
    fig, axes = figure(2, 2, w=4.6, h=3.5)
    ax_n, ax_d = axes[0]
    ax_f, ax_T = axes[1]

    def scales(ax, membrane=True):
        ax.axvline(tau, color="tab:red", ls="--", lw=1, label=f"R_th C_th = {tau:.3g} ns")
        if membrane:
            ax.axvline(tau_m, color="tab:blue", ls="--", lw=1, label=f"R_L C_m = {tau_m:.3g} ns")
            ax.axvline(g_star, color="tab:purple", ls=":", lw=1.2, label=f"mean-drive limit gap* = {g_star:.3g} ns")
        ax.set_xscale("log")
        ax.set_xlabel("gap between pulses (ns)")
        ax.grid(alpha=0.3)

    ax_n.plot(gaps, res["spike_count"], "o-", color="k", label="spike count")
    ax_n.axhline(res["spike_count_continuous"], color="0.5", ls="-", lw=3, alpha=0.4,
                 label=f"one continuous {res['neuron_on_time'] * 1e6:g} µs pulse")
    scales(ax_n)
    ax_n.set_ylabel("spikes per train")
    ax_n.set_ylim(bottom=-0.5)
    p = r.params
    legend_outside(ax_n, ncol=2, title=f"(a) Fig. 2d neuron: {p.n_pulses} × {p.width * 1e9:.3g} ns at "
                                       f"{p.amplitude:g} V (fixed on-time)")

    t_sw = [np.nan if x is None else x * 1e9 for x in res["device_on_time_to_switch"]]
    ax_d.plot(gaps, t_sw, "s-", color="tab:orange", label="on-time until switched on")
    never = [g for g, x in zip(gaps, res["device_on_time_to_switch"], strict=True) if x is None]
    if never:
        # drawn at the train's whole on-time (above it: the train ended first), not at 0, which would read as
        # instant switching
        top = p.dev_width * p.dev_n_pulses * 1e9
        ax_d.plot(never, [top * 1.04] * len(never), "x", color="tab:orange", ms=8,
                  label="never switched on (top)")
    ax_d.axhline(res["device_on_time_to_switch_continuous"] * 1e9, color="0.5", lw=3, alpha=0.4,
                 label="continuous pulse")
    ax_d.axhline(p.dev_width * p.dev_n_pulses * 1e9, color="0.3", ls=":", lw=1, label="on-time of the train")
    scales(ax_d, membrane=False)
    ax_d.set_ylabel("input on-time (ns)")
    ax_d.set_ylim(bottom=-1)
    legend_outside(ax_d, ncol=2, title=f"(b) bare device: {p.dev_n_pulses} × {p.dev_width * 1e9:.3g} ns at "
                                       f"{p.dev_amplitude:g} V through {p.R_s:g} Ω")

    g_fine = np.geomspace(gaps[0], gaps[-1], 200)
    ax_f.plot(g_fine, np.exp(-g_fine / tau), color="tab:red", lw=1, label="exp(−gap / R_th C_th)")
    for key, marker, color, label in (("device_retained_fraction", "s", "tab:orange", "bare device"),
                                      ("neuron_retained_fraction", "o", "k", "neuron")):
        y = [np.nan if x is None else x for x in res[key]]
        ax_f.plot(gaps, y, marker, color=color, mfc="none", ms=7, label=label)
    scales(ax_f)
    ax_f.set_yscale("log")
    ax_f.set_ylim(1e-3, 2)
    ax_f.set_ylabel("excess core temperature kept across a gap")
    legend_outside(ax_f, ncol=2, title="(c) what a gap leaves of the core's heat (median over gaps)")

    k_short = int(np.argmin(np.abs(gaps - tau / 3)))
    k_long = int(np.argmin(np.abs(gaps - 4 * tau)))
    for k, color in ((k_short, "tab:green"), (k_long, "tab:brown")):
        wf, tr = d["d_wfs"][k + 1], d["d_trains"][k]
        sel = wf.time <= tr.delay + tr.duration + 5e-9
        ax_T.plot(wf.time[sel] * 1e9, wf["v(xd.t)"][sel], color=color, lw=1, label=f"gap {gaps[k]:.3g} ns")
    ax_T.axhline(d["T_hold"], color="0.4", ls=":", lw=1, label=f"T_hold = {d['T_hold']:.0f} K (on)")
    ax_T.axhline(d["T0"], color="0.4", ls="-", lw=0.6, label=f"T0 = {d['T0']:g} K")
    ax_T.set_xlim(0, 60)
    ax_T.set_xlabel("time (ns)")
    ax_T.set_ylabel("core temperature (K)")
    ax_T.grid(alpha=0.3)
    legend_outside(ax_T, ncol=2, title="(d) bare device, core temperature: a gap < and one > the thermal time")
    return fig


EXPERIMENT = experiment(name="thermal_gap", figure="beyond the paper", params=ThermalGapParams, run=run, plot=plot,
                        order=13,
                        keys=("gap", "tau_thermal", "R_L_C_m", "spike_count", "spike_count_continuous",
                              "device_on_time_to_switch"),
                        headline=("tau_thermal", "R_L_C_m", "gap", "spike_count", "spike_count_continuous"),
                        quick={"n_gaps": 5}, devices=("nbox_et",))
