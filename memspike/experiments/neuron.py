"""``neuron``: the single LIF neuron of Fig. 2d with any stimulus and circuit.

Besides the spikes, a run reports what a spike costs and how soon the neuron can fire again
(:func:`spike_metrics`, for either NbOx model), and, with the electro-thermal device, how hot its core
gets: the core temperature is the device instance's internal node ``t`` (``v(xn1.t)``, in K), saved
by ngspice on request and by VACASK with every node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuits.builders import lif_neuron
from circuits.stimuli import PulseTrain
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import again

from ..plotting import figure, legend_outside, trace_panel
from ._shared import Amplitude, Interval, Load, Timing
from .base import Results, experiment

RATE_DEFINITION = "spike count / stimulus duration (n_pulses * (width + interval))"
TEMPERATURE = "v(xn1.t)"        # core temperature (K) of the neuron's device instance xn1 (electro-thermal model)
DEFINITIONS = {
    "spike_window": "the on-phase of a spike: the contiguous stretch around its current peak where |i(vsense)| "
                    "stays at or above the spike detection current (spike_threshold_A)",
    "energy_per_spike": "energy delivered to the NbOx device during a spike: integral of v(mem) i(vsense) over the "
                        "spike window, mean over the spikes (J)",
    "energy_device_per_spike": "all the energy the device dissipates during the run (spikes and the sub-threshold "
                               "leakage between them) / spike count (J)",
    "energy_source_per_spike": "energy drawn from the input source during the run, integral of "
                               "v(in) (v(in) - v(mem))/R_L, / spike count (J): the device's share, R_L's losses "
                               "and the charge left on C_m",
    "refractory_time": "the shortest interval between two consecutive spikes within one input period (s): after "
                       "a spike the neuron cannot fire again until the spike is over (the device switches off, "
                       "spike_duration) and C_m has recharged through R_L back to threshold (recharge_time); "
                       "None when no input period holds two spikes",
    "spike_duration": "mean length of the spike windows (s)",
    "recharge_time": "mean time from the end of a spike window to the start of the next one within the same input "
                     "period (s)",
    "recharge_rc_estimate": "R_L C_m ln((A - v_reset)/(A - v_fire)), mean over the same pairs: the recharge of "
                            "C_m from the membrane voltage at the end of one spike (v_reset) to that at the start "
                            "of the next (v_fire) with the device's leakage neglected (s)",
    "T_peak": "peak core temperature of the device within each spike window, mean over the spikes (K)",
    "T_max": "highest core temperature of the run (K)",
    "T_rest": "lowest core temperature between two consecutive spikes, median over all consecutive pairs (K): "
              "how far the core cools before the neuron fires again",
}


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


def spike_windows(t, i, spikes) -> list[tuple[int, int]]:
    """(first, last) sample index of each spike's window: the contiguous run of ``|i| >= threshold`` around
    its peak (one window per spike; spikes sharing a run share it)."""
    on = np.abs(np.asarray(i, float)) >= spikes.threshold
    starts = np.flatnonzero(on & ~np.concatenate(([False], on[:-1])))
    ends = np.flatnonzero(on & ~np.concatenate((on[1:], [False])))
    out = []
    for ts in spikes.times:
        k = int(np.searchsorted(t, ts))
        r = int(np.searchsorted(starts, k, side="right")) - 1
        out.append((int(starts[r]), int(ends[r])) if r >= 0 and ends[r] >= k else (k, k))
    return out


def _integral(y, t, a: int, b: int) -> float:
    return float(np.trapezoid(y[a:b + 1], t[a:b + 1])) if b > a else 0.0


def _none(x):
    return None if x is None or not np.isfinite(x) else float(x)


def spike_metrics(wf, spikes, train: PulseTrain, R_L: float, C_m: float, temperature: str | None = None) -> dict:
    """Energy per spike, refractory time and (with ``temperature``, the core temperature vector) the core's
    peak and rest temperatures of one LIF run; definitions in :data:`DEFINITIONS`. Missing values are None."""
    t, vin, v, i = wf.time, wf["v(in)"], wf["v(mem)"], wf["i(vsense)"]
    n = spikes.count
    win = spike_windows(t, i, spikes)
    p_dev = v * i
    e_spike = [_integral(p_dev, t, a, b) for a, b in win]
    e_dev = float(np.trapezoid(p_dev, t))
    e_src = float(np.trapezoid(vin * (vin - v) / R_L, t))
    period = np.floor((spikes.times - train.delay) / train.period + 1e-9).astype(int)
    pairs = [k for k in range(n - 1) if period[k] == period[k + 1] and win[k] != win[k + 1]]
    isi = [float(spikes.times[k + 1] - spikes.times[k]) for k in pairs]
    recharge = [float(t[win[k + 1][0]] - t[win[k][1]]) for k in pairs]
    A = abs(train.amplitude)
    rc = []
    for k in pairs:
        v_reset, v_fire = abs(v[win[k][1]]), abs(v[win[k + 1][0]])
        if A > v_fire:
            rc.append(R_L * C_m * float(np.log((A - v_reset) / (A - v_fire))))
    out = {
        "energy_per_spike": _none(np.mean(e_spike)) if n else None,
        "energy_device_per_spike": e_dev / n if n else None,
        "energy_source_per_spike": e_src / n if n else None,
        "energy_device_total": e_dev, "energy_source_total": e_src,
        "refractory_time": min(isi) if isi else None,
        "spike_duration": _none(np.mean([t[b] - t[a] for a, b in win])) if n else None,
        "recharge_time": _none(np.mean(recharge)) if recharge else None,
        "recharge_rc_estimate": _none(np.mean(rc)) if rc else None,
        "R_L_C_m": R_L * C_m,
    }
    if temperature is not None:
        T = wf[temperature]
        rest = [float(T[win[k][1]:win[k + 1][0] + 1].min()) for k in range(n - 1) if win[k] != win[k + 1]]
        out.update({
            "T_peak": _none(np.mean([T[a:b + 1].max() for a, b in win])) if n else None,
            "T_max": float(T.max()),
            "T_rest": _none(np.median(rest)) if rest else None,
        })
    return out


def run(ctx) -> Results:
    """Single LIF neuron (Fig. 2d) driven by a pulse train; any parameters."""
    p = ctx.p
    tr = pulse_train(p)
    net = lif_neuron(train=tr, R_L=p.R_L, C_m=p.C_m, device=ctx.device)
    et = isinstance(ctx.device, NbOxETParams)
    if et:
        net.save(TEMPERATURE)
    (wf,) = ctx.simulate([("neuron", net)])
    sp = ctx.spikes(wf, net)
    notes = []
    has_T = et and TEMPERATURE in wf.vectors
    if et and not has_T:
        notes.append(f"the core temperature ({TEMPERATURE}) is not among this engine's vectors: T_peak, T_max and "
                     "T_rest are left out")
    elif not et:
        notes.append("the behavioural device (nbox_ts) has no temperature: T_peak, T_max and T_rest are left out")
    m = spike_metrics(wf, sp, tr, p.R_L, p.C_m, TEMPERATURE if has_T else None)
    res = {"spike_count": sp.count, "spike_times": sp.times.tolist(), "rate": sp.count / tr.duration,
           "rate_definition": RATE_DEFINITION, "spike_threshold_A": sp.threshold, **m,
           "definitions": {k: d for k, d in DEFINITIONS.items() if k in m or k == "spike_window"}}
    if has_T:
        res["T0"] = ctx.device.T0
    return Results(res, notes=notes, data={"wf": wf, "spikes": sp, "T": wf[TEMPERATURE] if has_T else None})


def plot(r: Results):
    p, wf, sp, T, res = r.params, r.data["wf"], r.data["spikes"], r.data["T"], r.results
    title = (f"LIF neuron: {p.amplitude:g} V, R_L = {p.R_L / 1e3:g} kΩ, C_m = {p.C_m * 1e12:g} pF: "
             f"{sp.count} spikes")
    if res["energy_per_spike"] is not None:
        title += f", {res['energy_per_spike'] * 1e12:.3g} pJ in the device per spike"
    if res["refractory_time"] is not None:
        title += f", refractory (shortest interval) {res['refractory_time'] * 1e9:.0f} ns"
    if T is None:
        fig, ax = figure(1, 1, w=7, h=3.4)
        trace_panel(ax[0, 0], wf.time, wf["v(in)"], wf["v(mem)"], wf["i(vsense)"], sp.times, title)
        return fig
    fig, ax = figure(3, 1, w=7.4, h=2.8)
    trace_panel(ax[0, 0], wf.time, wf["v(in)"], wf["v(mem)"], wf["i(vsense)"], sp.times, title)
    ax_T = ax[1, 0]
    ax_T.plot(wf.time * 1e6, T, color="tab:red", lw=0.8, label="core temperature T")
    ax_T.axhline(res["T0"], color="0.4", ls=":", lw=1, label=f"ambient T0 = {res['T0']:g} K")
    if res["T_peak"] is not None:
        ax_T.axhline(res["T_peak"], color="tab:red", ls="--", lw=0.8, label=f"T_peak = {res['T_peak']:.0f} K")
    if res["T_rest"] is not None:
        ax_T.axhline(res["T_rest"], color="tab:blue", ls="--", lw=0.8, label=f"T_rest = {res['T_rest']:.0f} K")
    ax_T.set_xlim(ax[0, 0].get_xlim())
    ax_T.set_xlabel("time (µs)")
    ax_T.set_ylabel("core temperature (K)")
    ax_T.grid(alpha=0.3)
    legend_outside(ax_T, ncol=4, title="electro-thermal device: core temperature (internal node v(xn1.t))")
    # zoom on two consecutive spikes (the first pair within one input period, else the first spike)
    ax_z = ax[2, 0]
    k = 1 if sp.count > 2 else 0
    t_a = sp.times[k] - 60e-9 if sp.count else 0.0
    t_b = (sp.times[k + 1] if sp.count > k + 1 else t_a + 60e-9) + 60e-9
    sel = (wf.time >= t_a) & (wf.time <= t_b)
    ns = wf.time[sel] * 1e9
    ax_z.plot(ns, wf["i(vsense)"][sel] * 1e3, color="tab:orange", lw=1, label="device current")
    ax_z.plot(ns, wf["v(mem)"][sel], color="tab:blue", lw=1, label="membrane v (V)")
    ax_z.set_xlabel("time (ns)")
    ax_z.set_ylabel("current (mA), voltage (V)")
    ax_z.grid(alpha=0.3)
    ax_zT = ax_z.twinx()
    ax_zT.plot(ns, T[sel], color="tab:red", lw=1, label="core temperature")
    ax_zT.set_ylabel("core temperature (K)", color="tab:red")
    zoom = f"zoom on two spikes: spike window {res['spike_duration'] * 1e9:.0f} ns" if res["spike_duration"] else "zoom"
    if res["recharge_time"] is not None:
        zoom += f", recharge {res['recharge_time'] * 1e9:.0f} ns (R_L C_m = {res['R_L_C_m'] * 1e9:.0f} ns)"
    lines = ax_z.get_lines() + ax_zT.get_lines()
    legend_outside(ax_z, lines, [ln.get_label() for ln in lines], ncol=3, title=zoom)
    return fig


EXPERIMENT = experiment(name="neuron", figure="Fig. 2d (generic)", params=NeuronParams, run=run, plot=plot,
                        order=10, keys=("spike_count", "spike_times", "rate", "energy_per_spike", "refractory_time"),
                        headline=("spike_count", "rate", "energy_per_spike", "refractory_time"),
                        engines=("ngspice", "vacask", "vector"), quick={"n_pulses": 4})
