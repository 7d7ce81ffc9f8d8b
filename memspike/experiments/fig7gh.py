"""``fig7gh``: coincidence detection by one NbOx neuron among 5,000 Poisson inputs (Fig. 7e-h).

The paper simulated this in Brian2 with "neuronal parameters extracted from electrical measurements"
(Supp. Fig. 15). memspike does the same with its own device: each run first extracts the point neuron
(:mod:`networks.point`: leaky integrate-and-fire with threshold, reset, membrane time constant,
refractory time and input gain) from ngspice runs of the Fig. 2d neuron circuit (``R_L``, ``C_m``;
the decks are this run's netlists), then drives it with 4,000 excitatory and 1,000 inhibitory
independent Poisson trains at 10 kHz: once alone (Fig. 7e, g), once with synchronous events, an
independent 400 kHz Poisson process each firing 15 excitatory trains picked at random, the
excitatory trains' background rate lowered so that each keeps 10 kHz in all (Fig. 7f, h).

What an input's "amplitude" is. Each input spike is a voltage pulse of amplitude ``A`` (0.136 V,
-0.134 V) and width ``width`` applied through the neuron's synapse: on the point neuron it raises
the membrane by ``gain A tau_m (1 - exp(-width/tau_m))`` (:func:`networks.point.pulse_increment`,
``gain = 1/(R_L C_m)`` as extracted: 0.081 V for 0.136 V at 100 ns), applied as one increment at the
pulse's step (the pulse's charge arrives at once; the increment is the LIF's value at the pulse's
end). The synapses inject into the membrane: they do not load it. A resistive synapse per input would:
5,000 resistors to sources at 0 or 0.136 V hold the node at a weighted mean of the sources, never
above 0.136 V, far below any threshold: no neuron could fire. So each input is a charge (current)
input of the strength the extracted synapse gives one pulse, as in the paper's Brian2 model, where an
input spike is a membrane jump.

Which neuron. By default the point neuron is extracted in every run (10-30 short ngspice runs, about a
second or two), so it follows the device model and ``--set R_L=.. C_m=..`` or ``device.NAME``. A file
written by ``memspike extract`` (or edited by hand) runs instead with ``memspike run fig7gh --neuron
FILE`` (``benchmarks/brian2_fig7.py --neuron`` takes the same file): nothing is extracted, the JSON
records the file (path, sha256, values, provenance), and the neuron is checked against the ngspice levels
its extraction recorded (``fit_errors.levels``), so an edit that breaks the agreement shows as a failed
check; a file without levels (written from scratch) has no such check, and the notes say so.

Input trains are never held at full time resolution: events are drawn chunk by chunk (Poisson counts,
uniform steps, summed per step), the trains' identities only for the plotted window's raster. The
peak memory of the network run (``tracemalloc``) is in the results, beside what all the trains at full
resolution would take.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from networks.point import (
    Extraction,
    NeuronCircuit,
    PointNeuron,
    PoissonInputs,
    level_agreement,
    provenance,
    pulse_increment,
    recorded_levels,
    run_poisson,
)
from pyspice_models import device_name
from pyspice_models.params import ParameterError, again, param

from .. import __version__
from ..plotting import PAPER_LINE, figure, legend_outside
from ._shared import Load
from .base import Check, Ref, Results, experiment

PAPER = {
    "spike_count_background": Ref(2, "spikes", "Fig. 7g (inputs of Fig. 7e: the neuron fires 2 spikes)"),
    "spike_count_sync": Ref(21, "spikes", "Fig. 7h (with the synchronous events of Fig. 7f: 21 spikes)"),
    "ratio": Ref(10, "", "Fig. 7g-h: 'increased by over 10 times' (21 / 2); target: at least 10"),
    "inputs": Ref({"n_exc": 4000, "n_inh": 1000, "rate": 10e3, "amp_exc": 0.136, "amp_inh": -0.134,
                   "sync_rate": 400e3, "sync_size": 15}, "", "Fig. 7e-f caption, Methods"),
}
WIDTHS = (60e-9, 80e-9, 100e-9, 120e-9, 140e-9)      # input pulse widths of the ratio's sensitivity
MEMORY_LIMIT = 64 * 2**20                            # bytes: the network run's peak, at any duration


@dataclass(frozen=True, kw_only=True)
class Fig7ghParams(Load):
    R_L: float = again(3.6e3, "the extracted neuron's circuit (Fig. 2d): the Methods' load resistor, which is "
                       "also each input's synapse")
    C_m: float = again(30e-12, "the extracted neuron's circuit (Fig. 2d): the Methods' 30 pF")
    n_exc: int = param(4000, "", "Fig. 7e: 4,000 excitatory Poisson trains", lo=0, hi=10**6, lo_open=False,
                       integer=True)
    n_inh: int = param(1000, "", "Fig. 7e: 1,000 inhibitory Poisson trains", lo=0, hi=10**6, lo_open=False,
                       integer=True)
    rate: float = param(10e3, "Hz", "Fig. 7e / Methods: every train at 10 kHz on average", lo=0, hi=1e8,
                        lo_open=False)
    amp_exc: float = param(0.136, "V", "Fig. 7e: excitatory input pulses of 0.136 V", lo=-20, hi=20)
    amp_inh: float = param(-0.134, "V", "Fig. 7e: inhibitory input pulses of -0.134 V", lo=-20, hi=20)
    width: float = param(100e-9, "s", "input pulse width (the paper gives none): 100 ns, about the neuron's "
                         "own time scales (tau_m ~ 106 ns, spike plus refractory ~ 70 ns); a 0.136 V pulse then "
                         "raises the membrane by ~0.08 V and the inputs hold it at ~0.26 +/- 0.13 V, 4 sigma "
                         "under threshold: the fluctuation-driven regime Fig. 7g shows (2 spikes). The ratio at "
                         "other widths is reported (ratio_vs_width)", lo=1e-12, hi=1e-3)
    sync_rate: float = param(400e3, "Hz", "Fig. 7f / Methods: synchronous events, a 400 kHz Poisson process",
                             lo=0, hi=1e9, lo_open=False)
    sync_size: int = param(15, "", "Fig. 7f: each synchronous event fires 15 excitatory trains (0.3 %)", lo=0,
                           hi=10**6, lo_open=False, integer=True)
    t_end: float = param(1e-3, "s", "simulated time of each run: 1 ms (about 400 synchronous events) so that the "
                         "background count is not 0-2 by chance; the plots show the first t_plot", lo=1e-7, hi=100)
    t_plot: float = param(50e-6, "s", "window of the rasters and membrane traces: 50 µs, the paper's 21 spikes "
                          "at ~400 kHz", lo=1e-8, hi=100)
    dt: float = param(20e-9, "s", "time step: 20 ns (the Brian2 benchmark's; refractory 3 steps)", lo=1e-12,
                      hi=1e-5)
    seed: int = param(2020, "", "seed of every input draw (both runs)", lo=0, hi=2**31, lo_open=False,
                      integer=True)

    def _check_relations(self):
        if not self.sync_size <= self.n_exc:
            raise ParameterError("sync_size", self.sync_size, f"at most n_exc = {self.n_exc}")
        if not self.sync_rate * self.sync_size <= self.rate * self.n_exc:
            raise ParameterError("sync_rate", self.sync_rate, "at most rate n_exc / sync_size = "
                                 f"{self.rate * self.n_exc / max(self.sync_size, 1):g} Hz (the trains keep their rate)")
        if not self.dt <= self.t_end / 10:
            raise ParameterError("dt", self.dt, f"a step <= t_end/10 = {self.t_end / 10:g} s")
        if not self.t_end / self.dt <= 1e9:
            raise ParameterError("dt", self.dt, f"a step >= t_end/1e9 = {self.t_end / 1e9:g} s")
        if not self.t_plot <= self.t_end:
            raise ParameterError("t_plot", self.t_plot, f"a window <= t_end = {self.t_end:g} s")


def extract_neuron(ctx) -> PointNeuron:
    """The point neuron of the Fig. 2d circuit (R_L, C_m) with ``ctx``'s device, from ngspice runs made
    (and staged as this run's netlists) through ``ctx``; or the neuron file's (``--neuron``), re-checked on
    the ngspice levels it records (its ``count_max_rel_error`` recomputed for the values as they are now)."""
    if ctx.neuron is not None:
        neuron = ctx.neuron
        levels = recorded_levels(neuron)
        fit = {**neuron.fit}
        if levels is not None:
            levels = [dict(d) for d in levels]
            fit.update(level_agreement(neuron, levels), levels=levels)
        else:
            fit.pop("count_max_rel_error", None)
        return PointNeuron(**neuron.values(), fit=fit, provenance=neuron.provenance)
    circuit = NeuronCircuit(R=(ctx.p.R_L,), C_m=ctx.p.C_m)
    ex = Extraction(circuit, ctx.device, quick=ctx.quick,
                    provenance=provenance(circuit, ctx.device, __version__, device_name(ctx.device)))
    while items := ex.pending():
        ex.add(ctx.simulate(items))
    return ex.result()


def inputs(p: Fig7ghParams, neuron: PointNeuron, sync: bool, width: float | None = None) -> PoissonInputs:
    w = p.width if width is None else width
    return PoissonInputs(n_exc=p.n_exc, n_inh=p.n_inh, rate=p.rate, dv_exc=pulse_increment(neuron, p.amp_exc, w),
                         dv_inh=pulse_increment(neuron, p.amp_inh, w), sync_rate=p.sync_rate if sync else 0.0,
                         sync_size=p.sync_size)


def simulate(p: Fig7ghParams, neuron: PointNeuron, sync: bool, *, record: bool = True, width: float | None = None):
    seed = (p.seed, 1 if sync else 0)            # independent draws for the two runs, both from the seed
    return run_poisson(neuron, inputs(p, neuron, sync, width), t_end=p.t_end, dt=p.dt, seed=seed,
                       record_v=p.t_plot if record else 0.0, raster=(p.n_exc, p.n_inh) if record else (0, 0),
                       raster_until=p.t_plot if record else 0.0)


def _ratio(sync: int, background: int) -> float | None:
    return sync / background if background else None


def run(ctx) -> Results:
    """Point neuron extracted from ngspice, 4,000 + 1,000 Poisson inputs, with and without synchronous events."""
    p = ctx.p
    neuron = extract_neuron(ctx)
    simulate(p, neuron, False, record=False, width=p.width)          # numba compiles outside the timing
    tracemalloc.start()
    t0 = time.perf_counter()
    runs = {"background": simulate(p, neuron, False), "sync": simulate(p, neuron, True)}
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    again_ = {k: simulate(p, neuron, k == "sync", record=False) for k in runs}     # no raster: same inputs
    same = all(np.array_equal(runs[k].spike_times, again_[k].spike_times) for k in runs)
    n_bg, n_sy = (int(runs[k].spike_times.size) for k in ("background", "sync"))
    ratio = _ratio(n_sy, n_bg)
    n_steps = int(round(p.t_end / p.dt))
    full = (p.n_exc + p.n_inh) * n_steps                      # bytes: every train as one bool per step
    sweep = []
    for w in WIDTHS:
        counts = [int(simulate(p, neuron, s, record=False, width=w).spike_times.size) for s in (False, True)]
        sweep.append({"width": w, "dv_exc": pulse_increment(neuron, p.amp_exc, w), "spike_count_background": counts[0],
                      "spike_count_sync": counts[1], "ratio": _ratio(counts[1], counts[0])})
    dv_e, dv_i = pulse_increment(neuron, p.amp_exc, p.width), pulse_increment(neuron, p.amp_inh, p.width)
    r_e = inputs(p, neuron, True).exc_background_rate
    # the free membrane (no threshold) under the background inputs: shot-noise mean and standard deviation
    mean = neuron.tau_m * p.rate * (p.n_exc * dv_e + p.n_inh * dv_i)
    std = math.sqrt(neuron.tau_m / 2 * p.rate * (p.n_exc * dv_e ** 2 + p.n_inh * dv_i ** 2))
    in_window = {k: int((r.spike_times < p.t_plot).sum()) for k, r in runs.items()}
    f = neuron.fit
    res = {
        "spike_count_background": n_bg, "spike_count_sync": n_sy, "ratio": ratio,
        "rate_background": n_bg / p.t_end, "rate_sync": n_sy / p.t_end,
        "spike_count_in_plot_window": in_window,
        "psp_exc": dv_e, "psp_inh": dv_i,
        "exc_background_rate_with_sync": r_e,
        "free_membrane_background": {"mean": mean, "std": std, "sigmas_below_threshold": (neuron.v_th - mean) / std},
        "input_events": {k: r.events for k, r in runs.items()},
        "ratio_vs_width": sweep,
        "reproducible": same,
        "network_wall_s": wall,
        "peak_memory_bytes": int(peak),
        "full_resolution_bytes": int(full),
        "neuron": neuron.values(),
        "neuron_source": "file (--neuron)" if ctx.neuron is not None else "extracted in this run (ngspice)",
        "extraction": {k: f.get(k) for k in ("sub_rms_V", "tau_m_rel_se", "gains_rel_se", "v_th_se", "t_ref_se",
                                             "v_reset_se", "v_min_measured", "isi_rms_rel", "isi_max_rel", "onset",
                                             "latch_bracket", "count_max_rel_error", "count_mismatch_drives")},
        "extraction_levels": f.get("levels") or [],
        "definitions": {
            "spike_count_*": "output spikes of the point neuron in t_end (threshold crossings)",
            "ratio": "spike_count_sync / spike_count_background (null when the background count is 0)",
            "psp_*": "membrane increment of one input pulse: gain A tau_m (1 - exp(-width/tau_m)) (V)",
            "peak_memory_bytes": "tracemalloc peak of the two network runs (inputs drawn per 65,536-step chunk)",
            "full_resolution_bytes": "(n_exc + n_inh) x steps: every train as one byte per step, not made",
        },
    }
    paper = PAPER["ratio"].value
    checks = [
        Check("rate ratio, synchronous / background", f">= {paper}", ratio, f">= {paper}",
              ratio is not None and ratio >= paper if n_bg else n_sy > 0),
        Check("reproducible from the seed", "same spikes", same, "identical spike times on a rerun", same),
        Check("memory stays bounded", f"<= {MEMORY_LIMIT // 2**20} MiB", round(peak / 2**20, 2),
              f"peak of the network runs <= {MEMORY_LIMIT // 2**20} MiB and < 10 % of the full-resolution trains "
              f"({full / 2**20:.0f} MiB)", peak <= MEMORY_LIMIT and peak < 0.1 * full),
    ]
    err = f.get("count_max_rel_error")
    if err is not None:
        what = "extracted neuron" if ctx.neuron is None else "neuron file"
        checks.append(Check(f"{what}: spike counts on the ngspice levels", "within 15 %", err,
                            "largest relative count error over the constant drives that keep firing in ngspice "
                            "(sustained; latched levels, which fire a few spikes and stop, are left out: "
                            "count_mismatch_drives lists where only the point neuron fires) <= 15 %",
                            bool(math.isfinite(err) and err <= 0.15)))
    if ctx.neuron is None:
        source = f"Extracted point neuron (ngspice, {device_name(ctx.device)}, R_L = {p.R_L:g} ohm, C_m = {p.C_m:g} F)"
    else:
        pr = neuron.provenance
        circ = pr.get("circuit") if isinstance(pr.get("circuit"), dict) else {}
        source = (f"Point neuron from the neuron file (--neuron; extracted from {pr.get('device_model', 'an unnamed')} "
                  f"device, circuit {circ.get('kind', '?')} R = {circ.get('R', '?')} ohm, C_m = {circ.get('C_m', '?')} "
                  f"F, as its provenance says; R_L and C_m of this run are not used)")
        if err is None:
            source += ("; the file records no extraction levels, so nothing checks it against ngspice here "
                       "(memspike extract writes them)")
    notes = [source + ": " + "; ".join(" ".join(x.split()) for x in neuron.summary()),
             f"One {p.amp_exc:g} V input pulse of {p.width * 1e9:g} ns raises the membrane {dv_e * 1e3:.1f} mV "
             f"(inhibitory {dv_i * 1e3:.1f} mV); the background inputs alone hold the free membrane at "
             f"{mean:.3f} +/- {std:.3f} V, {(neuron.v_th - mean) / std:.1f} sigma below v_th = {neuron.v_th:.3f} V; "
             f"a synchronous event adds {p.sync_size * dv_e:.2f} V at once.",
             f"Network runs: {2 * n_steps:,} steps of {p.dt * 1e9:g} ns in {wall:.2f} s; peak memory "
             f"{peak / 2**20:.2f} MiB against {full / 2**20:.0f} MiB for all trains at full resolution.",
             "Ratio against the input pulse width: " + ", ".join(
                 f"{s['width'] * 1e9:g} ns: {s['spike_count_sync']}/{s['spike_count_background']}" for s in sweep)
             + " (sync/background spikes)."]
    onset = f.get("onset") if isinstance(f.get("onset"), dict) else {}
    if ctx.neuron is None and onset.get("lowest_firing_drive") is not None:
        silent = onset.get("highest_silent_drive")
        notes.append(f"v_th = {neuron.v_th:.3f} V is the point neuron's fitted threshold, not the device's "
                     f"quasi-static "
                     f"threshold ({ctx.device.threshold():.3f} V, the fold of its I-V): it is fitted to where and how "
                     f"fast the circuit fires on constant drives, and the circuit starts firing between the drives "
                     f"{'(none silent)' if silent is None else f'{silent:.3f} V (silent)'} and "
                     f"{onset['lowest_firing_drive']:.3f} V (fires), above the fold.")
    return Results(res, checks, notes, data={"runs": runs, "neuron": neuron})


def _raster(ax, r, p, title):
    t_e, id_e = r.raster["exc"]
    t_i, id_i = r.raster["inh"]
    sel = t_e < p.t_plot
    ax.plot(t_e[sel] * 1e6, id_e[sel], "|", color="tab:blue", ms=2.5, mew=0.6, label="excitatory")
    sel = t_i < p.t_plot
    ax.plot(t_i[sel] * 1e6, p.n_exc + id_i[sel], "|", color="tab:green", ms=2.5, mew=0.6, label="inhibitory")
    t_s, id_s = r.raster["sync"]
    if t_s.size:
        sel = t_s < p.t_plot
        ax.plot(t_s[sel] * 1e6, id_s[sel], "|", color="tab:red", ms=4, mew=1.0,
                label=f"synchronous events ({p.sync_size} trains each)")
    ax.set_xlim(0, p.t_plot * 1e6)
    ax.set_ylim(-10, p.n_exc + p.n_inh + 10)
    ax.set_xlabel("time (µs)")
    ax.set_ylabel("input train")
    legend_outside(ax, ncol=3, title=title)


def _membrane(ax, r, neuron, p, title):
    t = (np.arange(r.v.size) + 1) * r.dt * 1e6
    sp = r.spike_times[r.spike_times < p.t_plot]
    # the record holds the membrane after each step's reset: draw each spike as a stroke up to threshold at
    # its step, so that a spike shows where it happened (as Fig. 7g-h draw them)
    k = np.searchsorted(t, sp * 1e6)
    t = np.insert(t, k, sp * 1e6)
    v = np.insert(r.v, k, neuron.v_th)
    ax.plot(t, v, color="tab:blue", lw=0.6, label="membrane v (spikes drawn up to v_th)")
    ax.plot(sp * 1e6, np.full(sp.size, neuron.v_th * 1.08), "v", color="tab:orange", ms=5,
            label=f"spikes ({sp.size} in {p.t_plot * 1e6:g} µs)")
    ax.axhline(neuron.v_th, color="k", ls="--", lw=0.8, label=f"v_th = {neuron.v_th:.3f} V")
    ax.set_xlim(0, p.t_plot * 1e6)
    ax.set_xlabel("time (µs)")
    ax.set_ylabel("membrane voltage (V)")
    legend_outside(ax, ncol=2, title=title)


def plot(r: Results):
    p, res = r.params, r.results
    runs, neuron = r.data["runs"], r.data["neuron"]
    fig, axes = figure(3, 2, w=5.4, h=3.3)
    _raster(axes[0, 0], runs["background"], p, f"Fig. 7e: {p.n_exc} excitatory + {p.n_inh} inhibitory Poisson "
            f"trains, {p.rate / 1e3:g} kHz")
    _raster(axes[0, 1], runs["sync"], p, f"Fig. 7f: with synchronous events ({p.sync_rate / 1e3:g} kHz, "
            f"{p.sync_size} trains each)")
    _membrane(axes[1, 0], runs["background"], neuron, p, f"Fig. 7g: {res['spike_count_background']} spikes in "
              f"{p.t_end * 1e3:g} ms (paper: 2 in its window)")
    ratio = "n/a (no background spike)" if res["ratio"] is None else f"{res['ratio']:.1f}"
    _membrane(axes[1, 1], runs["sync"], neuron, p, f"Fig. 7h: {res['spike_count_sync']} spikes in "
              f"{p.t_end * 1e3:g} ms (paper: 21); ratio {ratio} (paper: 10.5)")
    ax = axes[2, 0]
    sw = res["ratio_vs_width"]
    w = [s["width"] * 1e9 for s in sw]
    ax.semilogy(w, [max(s["spike_count_background"], 0.5) for s in sw], "o-", label="background (0 drawn at 0.5)")
    ax.semilogy(w, [s["spike_count_sync"] for s in sw], "s-", label="with synchronous events")
    ax.axvline(p.width * 1e9, color="0.5", ls=":", lw=1, label=f"this run: {p.width * 1e9:g} ns")
    ax.set_xlabel("input pulse width (ns)")
    ax.set_ylabel(f"spikes in {p.t_end * 1e3:g} ms")
    legend_outside(ax, ncol=2, title="output against the input pulse width (PSP = gain A tau (1 - exp(-w/tau)))")
    ax = axes[2, 1]
    lv = [d for d in res["extraction_levels"]]
    D = np.array([d["drive"] for d in lv])
    ax.plot(D, [d["count"] for d in lv], "o", mfc="none", color="tab:red", label="ngspice (Fig. 2d circuit)")
    ax.plot(D, [d["count_point"] for d in lv], "x", color="tab:blue",
            label="extracted point neuron" if res["neuron_source"].startswith("extracted") else "the neuron file's")
    if not lv:
        ax.text(0.5, 0.5, "the neuron file records no extraction levels:\nnot checked against ngspice here",
                transform=ax.transAxes, ha="center", va="center")
    ax.axvline(neuron.v_th, **{**PAPER_LINE, "color": "k"}, label=f"v_th {neuron.v_th:.3f} V")
    if neuron.v_latch is not None:
        ax.axvline(neuron.v_latch, color="0.4", ls=":", lw=1, label=f"v_latch {neuron.v_latch:.2f} V")
    ax.set_xlabel("constant drive D = tau_m gain u (V)")
    ax.set_ylabel("spikes in the long pulse")
    legend_outside(ax, ncol=2, title=f"extraction: tau_m {neuron.tau_m * 1e9:.1f} ns, t_ref {neuron.t_ref * 1e9:.1f} "
                   f"ns, v_reset {neuron.v_reset:.3f} V")
    return fig


EXPERIMENT = experiment(name="fig7gh", figure="Fig. 7e-h", params=Fig7ghParams, run=run, plot=plot, paper=PAPER,
                        order=56, keys=("spike_count_background", "spike_count_sync", "ratio"),
                        headline=("spike_count_background", "spike_count_sync", "ratio", "peak_memory_bytes"),
                        quick={"t_plot": 40e-6}, point_neuron=("R_L", "C_m"))
