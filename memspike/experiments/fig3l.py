"""``fig3l``: spatiotemporal summation, spike count against the delay dt between S1 and S2 (Fig. 3j-l)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.fits import fit_lorentz, lorentz, r_squared
from pyspice_models.params import again, param

from ..plotting import PAPER_LINE, PAPER_POINTS, figure, legend_outside
from ._shared import (
    FIG3_IDLE,
    Amplitude,
    Interval,
    Synapses,
    Timing,
    fit_or_reason,
    fit_warnings,
    idle,
    inputs_panel,
    run_dendrite,
    train,
)
from .base import VTH_KNOB, Check, Ref, Results, experiment, synapse_knob

# Eq. 1 with dt in seconds: the paper's A = 10.34 (count x µs) becomes 10.34e-6 (count x s)
PAPER = {"lorentz": Ref({"y0": 6.04, "A": 10.34e-6, "B": 2.15e-6, "tau": 0.05e-6}, "SI", "Fig. 3l, Eq. 1"),
         "counts": Ref({-2.2e-6: 7, 0.0: 11, 2.2e-6: 8}, "spikes at dt (s)", "Fig. 3k", 2),
         "peak_dt": Ref(0.0, "s", "Fig. 3l", 1.1e-6),
         "fit_r2": Ref(0.8, "", "memspike criterion: Eq. 1 describes the data")}


@dataclass(frozen=True, kw_only=True)
class Fig3lParams(Synapses, Interval, Timing, Amplitude):
    amplitude: float = again(0.9, "Fig. 3j-l: 0.9 V on S1 and S2")
    width: float = again(1e-6, "Fig. 3j-l: 1 µs")
    interval: float = again(0.1e-6, "Fig. 3j-l: 0.1 µs")
    n_pulses: int = again(10, "Fig. 3j-l: 10 pulses each")
    dt_max: float = param(6.6e-6, "s", "Fig. 3l: dt from -6.6 to 6.6 µs", lo=0, hi=1e-3)
    dt_step: float = param(1.1e-6, "s", "Fig. 3l: one pulse period per step", lo=1e-9, hi=1e-3)
    R_1: float = again(4.5e3, "Supp. Table 1 stand-in: one input alone fires rarely; coincident inputs give "
                       "~11 spikes in 11 µs (Fig. 3k)")
    R_2: float = again(4.5e3, "equal synapses")
    C_m: float = again(120e-12, "Supp. Table 1 stand-in: sets the coincident-input count")
    idle_grounded: int = again(0, FIG3_IDLE)


def run(ctx) -> Results:
    """Spatiotemporal summation: spike count against the delay dt of S2 after S1, with the Lorentz fit."""
    p = ctx.p
    n = int(round(p.dt_max / p.dt_step))
    dts = np.arange(-n, n + 1) * p.dt_step
    cases = [(f"dt_{k:02d}", [train(p.amplitude, p, delay=max(0.0, -dt)), train(p.amplitude, p, delay=max(0.0, dt))])
             for k, dt in enumerate(dts)]
    runs = run_dendrite(ctx, cases)
    counts = np.array([sp.count for sp, _, _ in runs])
    fit, fit_doc = fit_or_reason(fit_lorentz, dts, counts)
    paper_fit = PAPER["lorentz"].value
    res = {"dt": dts.tolist(), "spike_count": counts.tolist(), "fit": fit_doc,
           "fit_paper": {**paper_fit, "r2_on_simulation": r_squared(counts, lorentz(dts, **paper_fit))},
           "count_definition": "spikes over the whole run (both trains, from the first pulse to 0.3 µs after "
                               "the last); dt > 0: S1 first", "idle": idle(p)}
    checks = []
    ref = PAPER["counts"]
    for dt, target in ref.value.items():
        idx = np.flatnonzero(np.isclose(dts, dt, atol=1e-9))
        sim = int(counts[idx[0]]) if idx.size else None
        checks.append(Check(f"count at dt = {dt * 1e6:+.1f} µs", target, sim, f"+/- {ref.tol:g}",
                            bool(sim is not None and abs(sim - target) <= ref.tol)))
    peak = float(dts[np.argmax(counts)])
    pk = PAPER["peak_dt"]
    checks.append(Check("peak near dt = 0", pk.value, peak, f"within {pk.tol * 1e6:g} µs",
                        bool(abs(peak - pk.value) <= pk.tol + 1e-12)))
    r2 = PAPER["fit_r2"].value
    checks.append(Check("Lorentz fit (Eq. 1) R^2", f">= {r2:g}", fit_doc.get("r2"), f">= {r2:g}",
                        bool(fit and fit.r2 >= r2), fit_warnings(fit, fit_doc)))
    notes = ["Before its first pulse a delayed input's generator is connected and holds 0 V (it is "
             "applied, only later), so it loads the node like a grounded input.",
             "Eq. 1 as printed in the paper, y0 + A (B/(4(dt - tau)^2) + B^2), is a typesetting slip; the "
             "form that reproduces the paper's own numbers (11 spikes at dt = 0 from y0 = 6.04, A = 10.34, "
             "B = 2.15 µs) is y0 + A B/(4(dt - tau)^2 + B^2), used here.",
             "The simulated counts follow the overlap of the two trains (a one-pulse-per-period neuron), so the "
             "curve is closer to a triangle than to the paper's narrow Lorentzian (B = 2.15 µs); Eq. 1 still "
             "fits it, with a width beyond the data.",
             *([f"fitted Eq. 1: y0 = {fit.params['y0']:.3g}, A = {fit.params['A'] * 1e6:.3g} (count µs), "
                f"B = {fit.params['B'] * 1e6:.3g} µs, tau = {fit.params['tau'] * 1e6:.2g} µs, R^2 = {fit.r2:.3f}; "
                "paper: 6.04, 10.34, 2.15 µs, 0.05 µs"] if fit else [])]
    k = int(np.argmin(np.abs(dts - 2.2e-6)))
    return Results(res, checks, notes, data={"fit": fit, "example": (dts[k], runs[k])})


def plot(r: Results):
    dts = np.asarray(r.results["dt"])
    fit = r.data["fit"]
    fig, axes = figure(1, 2, w=4.6, h=3.6)
    ax = axes[0, 0]
    ax.plot(dts * 1e6, r.results["spike_count"], "o", label="simulated")
    xx = np.linspace(dts[0], dts[-1], 300)
    if fit:
        ax.plot(xx * 1e6, fit(xx), lw=1.2, label=f"Eq. 1 fit (R² = {fit.r2:.2f})")
    ax.plot(xx * 1e6, lorentz(xx, **r.paper["lorentz"].value), **PAPER_LINE, label="paper's Eq. 1")
    pts = r.paper["counts"].value
    ax.plot(np.asarray(list(pts)) * 1e6, list(pts.values()), **PAPER_POINTS, label="paper (Fig. 3k)")
    ax.set_xlabel("Δt, S2 after S1 (µs)")
    ax.set_ylabel("spike count")
    legend_outside(ax, ncol=2, title="Fig. 3l: spatiotemporal summation")
    dt, (sp, wf, _) = r.data["example"]
    inputs_panel(axes[0, 1], sp, wf, f"Δt = {dt * 1e6:.1f} µs: {sp.count} spikes")
    return fig


EXPERIMENT = experiment(name="fig3l", figure="Fig. 3j-l", params=Fig3lParams, run=run, plot=plot, paper=PAPER,
                        order=35, keys=("dt", "spike_count", "fit"), headline=("dt", "spike_count"),
                        quick={"dt_step": 2.2e-6},
                        margins=(VTH_KNOB, synapse_knob("R_1", "R_2")))
