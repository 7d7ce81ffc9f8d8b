"""``switching``: step response of the NbOx device, ON and OFF switching times (Supp. Fig. 3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.iv import switching_times
from circuits.builders import device_sweep
from pyspice_models.params import Params, param

from ..plotting import PAPER_LINE, figure, legend_outside
from .base import Ref, Results, below, experiment

PAPER = {"t_on": Ref(50e-9, "s", "Supp. Fig. 3 (upper bound)"), "t_off": Ref(25e-9, "s", "Supp. Fig. 3 (upper bound)")}
T_UP = 50e-9      # the step starts here, after a quiet lead-in


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


def run(ctx) -> Results:
    """Step response of the device: ON (formation) and OFF (relaxation) switching times."""
    p = ctx.p
    t_down = T_UP + p.t_high
    t_end = t_down + p.t_low
    pts = np.array([[0, 0], [T_UP - p.edge / 2, 0], [T_UP + p.edge / 2, p.v_high],
                    [t_down - p.edge / 2, p.v_high], [t_down + p.edge / 2, p.v_low], [t_end, p.v_low]])
    net = device_sweep(points=pts, R_s=p.R_s, device=ctx.device, tmax=0.2e-9)
    (wf,) = ctx.simulate([("step", net)])
    st = switching_times(wf.time, wf["i(vsense)"], T_UP, t_down, t_end)
    res = {"t_on": st["t_on"], "t_off": st["t_off"], "i_on": st["i_on"], "i_off": st["i_off"],
           "definition": "t_on: step edge to 90 % of the on current; t_off: down edge to 10 % "
                         "of the way from the off current to the current right after the edge"}
    checks = [below("t_on", PAPER["t_on"], st["t_on"]), below("t_off", PAPER["t_off"], st["t_off"])]
    return Results(res, checks, data={"wf": wf, "t_down": t_down})


def plot(r: Results):
    res, wf, t_down = r.results, r.data["wf"], r.data["t_down"]
    fig, axes = figure(1, 2, w=4.4, h=3.4)
    for ax, key, edge, span in ((axes[0, 0], "t_on", T_UP, 100e-9), (axes[0, 1], "t_off", t_down, 60e-9)):
        sel = (wf.time >= edge - 20e-9) & (wf.time <= edge + span)
        ax.plot(wf.time[sel] * 1e9, wf["i(vsense)"][sel] * 1e3, color="tab:orange", label="device current")
        ax2 = ax.twinx()
        ax2.plot(wf.time[sel] * 1e9, wf["v(in)"][sel], color="0.5", lw=0.8)
        ax2.set_ylabel("input (V)", color="0.4")
        ax2.set_ylim(0, 1.6 * float(np.max(wf["v(in)"][sel])))     # the input below the on current's plateau
        ax.set_xlabel("time (ns)")
        ax.set_ylabel("current (mA)")
        val, lim = res[key], r.paper[key].value
        ax.axvline((edge + val) * 1e9, color="tab:blue", lw=1, label=f"{key} = {val * 1e9:.1f} ns")
        ax.axvline((edge + lim) * 1e9, **PAPER_LINE, label=f"paper bound: edge + {lim * 1e9:g} ns")
        legend_outside(ax, ncol=1, title=f"{'ON' if key == 't_on' else 'OFF'} switching (grey: input)")
    return fig


EXPERIMENT = experiment(name="switching", figure="Supp. Fig. 3", params=SwitchingParams, run=run, plot=plot,
                        paper=PAPER, order=2, keys=("t_on", "t_off"))
