"""Device-level experiments: I-V hysteresis (Fig. 2b) and switching speed (Supp. Fig. 3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.iv import switching_times, thresholds
from circuits.builders import device_sweep
from circuits.stimuli import triangle
from pyspice_models.nbox import Variation, sample
from pyspice_models.params import Params, param

from ..plotting import PAPER, figure
from .base import Check, Outcome, register, within


@dataclass(frozen=True, kw_only=True)
class IVParams(Params):
    v_peak: float = param(1.2, "V", "sweep to ±1.2 V, well past Vth as in Fig. 2b", lo=0.01, hi=20)
    period: float = param(10e-3, "s", "one bipolar cycle; quasi-static (>> incubation time t_d0)",
                          lo=1e-7, hi=100)
    n_cycles: int = param(10, "", "Fig. 2b: 10 cycles", lo=1, hi=1000, lo_open=False, integer=True)
    R_s: float = param(10.0, "ohm", "series resistance of contacts/instrument; << r_on so the "
                       "on state stays above Vhold (no relaxation oscillation during the sweep)",
                       lo=1e-3, hi=1e6)
    sigma_v: float = param(0.02, "", "cycle-to-cycle relative spread of v_th and v_hold (1 sigma)",
                           lo=0, hi=0.2, lo_open=False)
    sigma_r: float = param(0.05, "", "cycle-to-cycle relative spread of r_on and r_off (1 sigma)",
                           lo=0, hi=0.5, lo_open=False)
    seed: int = param(2020, "", "random seed of the cycle-to-cycle draws", lo=0, hi=2**31,
                      lo_open=False, integer=True)


@register("iv", "Fig. 2b", IVParams, quick={"n_cycles": 4})
def iv(ctx) -> Outcome:
    """Bipolar triangular I-V sweeps with cycle-to-cycle variation; Vth and Vhold per branch."""
    p = ctx.p
    rng = np.random.default_rng(p.seed)
    var = Variation(v_th=p.sigma_v, v_hold=p.sigma_v, r_on=p.sigma_r, r_off=p.sigma_r)
    devices = [sample(ctx.device, rng, var) for _ in range(p.n_cycles)]
    pts = triangle(p.v_peak, p.period, 1)
    items = [(f"cycle_{k:02d}", device_sweep(points=pts, R_s=p.R_s, device=d, tmax=p.period / 4000))
             for k, d in enumerate(devices)]
    wfs = ctx.simulate(items)
    per = {"v_th_pos": [], "v_th_neg": [], "v_hold_pos": [], "v_hold_neg": []}
    for wf in wfs:
        th = thresholds(wf.time, wf["v(in)"], wf["v(top)"], wf["i(vsense)"])
        for k in per:
            per[k] += th[k]
    m = {k: float(np.nanmean(v)) for k, v in per.items()}
    vth = (m["v_th_pos"] + m["v_th_neg"]) / 2
    vhold = (m["v_hold_pos"] + m["v_hold_neg"]) / 2
    res = {"v_th": {"pos": per["v_th_pos"], "neg": per["v_th_neg"]},
           "v_hold": {"pos": per["v_hold_pos"], "neg": per["v_hold_neg"]},
           "mean_abs_v_th": vth, "mean_abs_v_hold": vhold,
           "std_v_th": float(np.nanstd(per["v_th_pos"] + per["v_th_neg"])),
           "cycle_devices": [{"v_th": d.v_th, "v_hold": d.v_hold, "r_on": d.r_on, "r_off": d.r_off}
                             for d in devices]}
    missing = int(np.isnan(sum(per.values(), [])).sum())
    checks = [
        within("mean |Vth|", 0.80, vth, 0.05, "V"),
        within("mean |Vhold|", 0.60, vhold, 0.05, "V"),
        within("Vth polarity difference", 0.0, abs(m["v_th_pos"] - m["v_th_neg"]), 0.05, "V"),
        within("Vhold polarity difference", 0.0, abs(m["v_hold_pos"] - m["v_hold_neg"]), 0.05, "V"),
        Check("every branch switched", "all", missing, "0 missing", missing == 0),
    ]
    fig, axes = figure(1, 2, w=4.6, h=3.6)
    ax, axl = axes[0]
    cmap = __import__("matplotlib").colormaps["viridis"]
    for k, wf in enumerate(wfs):
        c = cmap(k / max(1, len(wfs) - 1))
        ax.plot(wf["v(top)"], wf["i(vsense)"] * 1e3, lw=0.7, color=c)
        axl.semilogy(wf["v(top)"], np.abs(wf["i(vsense)"]) + 1e-12, lw=0.7, color=c)
    for a in (ax, axl):
        for v in (0.8, -0.8):
            a.axvline(v, **PAPER)
        for v in (0.6, -0.6):
            a.axvline(v, color="tab:purple", ls=":", lw=1.2)
        a.set_xlabel("device voltage (V)")
        a.grid(alpha=0.3)
    ax.set_ylabel("current (mA)")
    axl.set_ylabel("|current| (A)")
    ax.plot([], [], **PAPER, label="paper Vth ±0.8 V")
    ax.plot([], [], color="tab:purple", ls=":", label="paper Vhold ±0.6 V")
    ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Fig. 2b: {p.n_cycles} cycles; Vth={vth:.3f} V, Vhold={vhold:.3f} V")
    return Outcome(res, checks, fig)


@dataclass(frozen=True, kw_only=True)
class SwitchingParams(Params):
    v_high: float = param(2.0, "V", "step well above Vth: the incubation delay shrinks "
                          "exponentially with overdrive (Supp. Fig. 3 used a large pulse)", lo=0.01, hi=20)
    v_low: float = param(0.3, "V", "read level below Vhold after the step, to see the current fall",
                         lo=0, hi=20, lo_open=False)
    t_high: float = param(300e-9, "s", "duration of the high step", lo=1e-9, hi=1e-3)
    t_low: float = param(300e-9, "s", "duration of the low level", lo=1e-9, hi=1e-3)
    edge: float = param(2e-9, "s", "pulse edges (fast pulse generator)", lo=1e-12, hi=1e-6)
    R_s: float = param(100.0, "ohm", "series resistance; keeps the on-state device above Vhold",
                       lo=1e-3, hi=1e6)


@register("switching", "Supp. Fig. 3", SwitchingParams)
def switching(ctx) -> Outcome:
    """Step response of the device: ON (formation) and OFF (relaxation) switching times."""
    p = ctx.p
    t_up = 50e-9
    t_down = t_up + p.t_high
    t_end = t_down + p.t_low
    pts = np.array([[0, 0], [t_up - p.edge / 2, 0], [t_up + p.edge / 2, p.v_high],
                    [t_down - p.edge / 2, p.v_high], [t_down + p.edge / 2, p.v_low], [t_end, p.v_low]])
    net = device_sweep(points=pts, R_s=p.R_s, device=ctx.device, tmax=0.2e-9)
    (wf,) = ctx.simulate([("step", net)])
    st = switching_times(wf.time, wf["i(vsense)"], t_up, t_down, t_end)
    res = {"t_on": st["t_on"], "t_off": st["t_off"], "i_on": st["i_on"], "i_off": st["i_off"],
           "definition": "t_on: step edge to 90 % of the on current; t_off: down edge to 10 % "
                         "of the way from the off current to the current right after the edge"}
    checks = [
        Check("t_on", "< 50 ns", st["t_on"], "< 5e-08 s", bool(st["t_on"] < 50e-9)),
        Check("t_off", "< 25 ns", st["t_off"], "< 2.5e-08 s", bool(st["t_off"] < 25e-9)),
    ]
    fig, axes = figure(1, 2, w=4.4, h=3.2)
    for ax, (lo, hi, lab) in zip(axes[0], [(t_up - 20e-9, t_up + 100e-9, "ON"),
                                           (t_down - 20e-9, t_down + 60e-9, "OFF")], strict=True):
        sel = (wf.time >= lo) & (wf.time <= hi)
        ax.plot(wf.time[sel] * 1e9, wf["i(vsense)"][sel] * 1e3, color="tab:orange", label="device current")
        ax2 = ax.twinx()
        ax2.plot(wf.time[sel] * 1e9, wf["v(in)"][sel], color="0.5", lw=0.8, label="input")
        ax2.set_ylabel("input (V)")
        ax.set_xlabel("time (ns)")
        ax.set_ylabel("current (mA)")
        edge = t_up if lab == "ON" else t_down
        val = st["t_on"] if lab == "ON" else st["t_off"]
        lim = 50e-9 if lab == "ON" else 25e-9
        ax.axvline((edge + val) * 1e9, color="tab:blue", ls="-", lw=1, label=f"t_{lab.lower()} = {val * 1e9:.1f} ns")
        ax.axvline((edge + lim) * 1e9, **PAPER, label=f"paper bound {lim * 1e9:g} ns")
        ax.set_title(f"{lab} switching", fontsize=9)
        ax.legend(fontsize=7, loc="center right")
    return Outcome(res, checks, fig)
