"""``iv``: bipolar I-V sweeps of the NbOx device with cycle-to-cycle variation (Fig. 2b)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import matplotlib
import numpy as np

from analysis.iv import pool_thresholds, thresholds
from circuits.builders import device_sweep
from circuits.stimuli import triangle
from pyspice_models.params import Params, draw, param

from ..plotting import PAPER_LINE, figure, legend_outside
from .base import Check, Ref, Results, experiment, within

PAPER = {"v_th": Ref(0.80, "V", "Fig. 2b", 0.05), "v_hold": Ref(0.60, "V", "Fig. 2b", 0.05),
         "polarity_difference": Ref(0.0, "V", "Fig. 2b (symmetric device)", 0.05)}


@dataclass(frozen=True, kw_only=True)
class IVParams(Params):
    v_peak: float = param(1.2, "V", "sweep to ±1.2 V, well past Vth as in Fig. 2b", lo=0.01, hi=20)
    period: float = param(10e-3, "s", "one bipolar cycle (each polarity takes half); quasi-static (>> t_d0)",
                          lo=1e-7, hi=100)
    n_cycles: int = param(10, "", "Fig. 2b: 10 cycles (of each polarity)", lo=1, hi=1000, lo_open=False, integer=True)
    R_s: float = param(10.0, "ohm", "series resistance of contacts/instrument; << r_on so the "
                       "on state stays above Vhold (no relaxation oscillation during the sweep)",
                       lo=1e-3, hi=1e6)
    spread: float = param(1.0, "", "scale of the device model's cycle-to-cycle spreads, drawn per sweep (1: the "
                          "model's own, e.g. 5 % in G0, 3 % in R_s and R_th, 0.3 % in Ea for nbox_et; 0: no variation)",
                          lo=0, hi=5, lo_open=False)
    seed: int = param(2020, "", "random seed of the cycle-to-cycle draws", lo=0, hi=2**31,
                      lo_open=False, integer=True)


def run(ctx) -> Results:
    """Triangular I-V sweeps of each polarity, each on its own drawn device; Vth and Vhold per branch."""
    p = ctx.p
    rng = np.random.default_rng(p.seed)
    base = ctx.device.cycle_spread()
    var = dataclasses.replace(base, **{f.name: getattr(base, f.name) * p.spread for f in dataclasses.fields(base)})
    varied = [f.name for f in dataclasses.fields(var)]
    # each polarity of each cycle is swept on its own draw, so that the polarity check compares
    # independent devices (one device for both would agree with itself by construction)
    devices = {pol: [draw(ctx.device, rng, var) for _ in range(p.n_cycles)] for pol in ("pos", "neg")}
    up = triangle(p.v_peak, p.period / 2, 1, negative=False)        # 0 -> +v -> 0 at the bipolar sweep rate
    shapes = {"pos": up, "neg": up * np.array([1.0, -1.0])}
    items = [(f"{pol}_{k:02d}", device_sweep(points=shapes[pol], R_s=p.R_s, device=d, tmax=p.period / 4000))
             for pol in ("pos", "neg") for k, d in enumerate(devices[pol])]
    wfs = ctx.simulate(items)
    pooled = pool_thresholds([thresholds(wf.time, wf["v(in)"], wf["v(top)"], wf["i(vsense)"]) for wf in wfs])
    per, m, vth, vhold, missing = (pooled[k] for k in ("per", "mean", "v_th", "v_hold", "missing"))
    res = {"v_th": {"pos": per["v_th_pos"], "neg": per["v_th_neg"]},
           "v_hold": {"pos": per["v_hold_pos"], "neg": per["v_hold_neg"]},
           "mean_abs_v_th": vth, "mean_abs_v_hold": vhold,
           "std_v_th": float(np.nanstd(per["v_th_pos"] + per["v_th_neg"])),
           "cycle_spread": dataclasses.asdict(var),
           "cycle_devices": {pol: [{k: getattr(d, k) for k in varied} for d in devs]
                             for pol, devs in devices.items()}}
    checks = [
        within("mean |Vth|", PAPER["v_th"], vth),
        within("mean |Vhold|", PAPER["v_hold"], vhold),
        within("Vth polarity difference", PAPER["polarity_difference"], abs(m["v_th_pos"] - m["v_th_neg"])),
        within("Vhold polarity difference", PAPER["polarity_difference"], abs(m["v_hold_pos"] - m["v_hold_neg"])),
        Check("every branch switched", "all", missing, "0 missing", missing == 0),
    ]
    return Results(res, checks, data={"wfs": wfs})


def plot(r: Results):
    p, res, wfs = r.params, r.results, r.data["wfs"]
    fig, axes = figure(1, 2, w=4.6, h=3.8)
    ax, axl = axes[0]
    cmap = matplotlib.colormaps["viridis"]
    for k, wf in enumerate(wfs):
        c = cmap(k / max(1, len(wfs) - 1))
        ax.plot(wf["v(top)"], wf["i(vsense)"] * 1e3, lw=0.7, color=c)
        axl.semilogy(wf["v(top)"], np.abs(wf["i(vsense)"]) + 1e-12, lw=0.7, color=c)
    vth, vhold = r.paper["v_th"].value, r.paper["v_hold"].value
    for a in (ax, axl):
        for v in (vth, -vth):
            a.axvline(v, **PAPER_LINE)
            a.axvspan(v - r.paper["v_th"].tol, v + r.paper["v_th"].tol, color="tab:red", alpha=0.08, lw=0)
        for v in (vhold, -vhold):
            a.axvline(v, color="tab:purple", ls=":", lw=1.2)
        a.set_xlabel("device voltage (V)")
        a.grid(alpha=0.3)
    ax.set_ylabel("current (mA)")
    axl.set_ylabel("|current| (A)")
    ax.plot([], [], color=cmap(0.0), label=f"simulated, {p.n_cycles} sweeps per polarity: first")
    ax.plot([], [], color=cmap(1.0), label="... last (cycle-to-cycle draws)")
    ax.plot([], [], **PAPER_LINE, label=f"paper Vth ±{vth:g} V")
    ax.plot([], [], color="tab:purple", ls=":", label=f"paper Vhold ±{vhold:g} V")
    axl.set_ylim(bottom=1e-9)
    legend_outside(ax, ncol=2)
    fig.suptitle(f"Fig. 2b: mean |Vth| = {res['mean_abs_v_th']:.3f} V, |Vhold| = {res['mean_abs_v_hold']:.3f} V")
    return fig


EXPERIMENT = experiment(name="iv", figure="Fig. 2b", params=IVParams, run=run, plot=plot, paper=PAPER, order=1,
                        keys=("v_th", "v_hold"), headline=("mean_abs_v_th", "mean_abs_v_hold", "std_v_th"),
                        quick={"n_cycles": 4})
