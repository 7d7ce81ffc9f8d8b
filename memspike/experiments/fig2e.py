"""``fig2e``: the LIF neuron under a 1.3 V pulse train for a 3 x 3 grid of (R_L, C_m) (Fig. 2e, Supp. Fig. 6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuits.builders import lif_neuron
from pyspice_models.params import again, param

from ..plotting import figure, trace_panel
from ._shared import Amplitude, Interval, Timing
from .base import Check, Results, experiment
from .neuron import pulse_train


@dataclass(frozen=True, kw_only=True)
class Fig2eParams(Interval, Timing, Amplitude):
    amplitude: float = again(1.3, "Fig. 2e: 1.3 V pulses")
    width: float = again(1e-6, "Fig. 2e: 1 µs")
    interval: float = again(0.1e-6, "Fig. 2e: 0.1 µs")
    n_pulses: int = again(20, "Fig. 2e: 20 pulses")
    R_L_low: float = param(3.3e3, "ohm", "grid of R_L around the paper's 3.6 kΩ: low. Below ~3.0 kΩ the 1.3 V "
                           "input could hold the device on (the load line crosses the on branch: (1.3 V - Vhold)/R_L "
                           "> i_hold = 0.23 mA) and the neuron would latch instead of spiking", lo=1, hi=1e8)
    R_L_mid: float = param(3.6e3, "ohm", "grid middle: the paper's 3.6 kΩ (Methods)", lo=1, hi=1e8)
    R_L_high: float = param(5.1e3, "ohm", "grid high: firing slows markedly but does not stop", lo=1, hi=1e8)
    C_m_low: float = param(15e-12, "F", "grid of C_m around the paper's 30 pF: low. With 10 pF at 3.3 kΩ the node "
                           "charges so fast that the operating point settles on the NDR branch (a damped "
                           "oscillation: the Hopf point of the relaxation oscillator), so the grid stays above "
                           "~12 pF", lo=1e-15, hi=1e-6)
    C_m_mid: float = param(30e-12, "F", "grid middle: the paper's 30 pF (Methods)", lo=1e-15, hi=1e-6)
    C_m_high: float = param(100e-12, "F", "grid high: ~3x the paper's value, slower charging", lo=1e-15, hi=1e-6)


def run(ctx) -> Results:
    """LIF neuron under a 1.3 V pulse train for a 3 x 3 grid of (R_L, C_m)."""
    p = ctx.p
    tr = pulse_train(p)
    rls = [p.R_L_low, p.R_L_mid, p.R_L_high]
    cms = [p.C_m_low, p.C_m_mid, p.C_m_high]
    items = [(f"rl{i}_cm{j}", lif_neuron(train=tr, R_L=rl, C_m=cm, device=ctx.device))
             for i, rl in enumerate(rls) for j, cm in enumerate(cms)]
    wfs = ctx.simulate(items)
    spikes = [ctx.spikes(wf, net) for (_, net), wf in zip(items, wfs, strict=True)]
    counts = np.array([s.count for s in spikes]).reshape(3, 3)
    res = {"cases": [{"R_L": rl, "C_m": cm, "spike_count": int(counts[i, j])}
                     for i, rl in enumerate(rls) for j, cm in enumerate(cms)],
           "R_L": rls, "C_m": cms, "spike_count": counts.tolist()}
    checks = [Check("spikes appear", "> 0 at 3.6 kΩ, 30 pF", int(counts[1, 1]), "> 0", bool(counts[1, 1] > 0))]
    for j, cm in enumerate(cms):
        col = counts[:, j]
        checks.append(Check(f"count falls with R_L (C_m = {cm * 1e12:g} pF)", "falls", col.tolist(),
                            "non-increasing, first > last", bool(np.all(np.diff(col) <= 0) and col[0] > col[-1])))
    for i, rl in enumerate(rls):
        row = counts[i, :]
        checks.append(Check(f"count falls with C_m (R_L = {rl / 1e3:g} kΩ)", "falls", row.tolist(),
                            "non-increasing, first > last", bool(np.all(np.diff(row) <= 0) and row[0] > row[-1])))
    return Results(res, checks, data={"spikes": spikes, "wf_mid": wfs[4], "duration": tr.duration})


def plot(r: Results):
    p, res = r.params, r.results
    counts = np.asarray(res["spike_count"])
    fig, axes = figure(1, 3, w=4.2, h=3.6)
    ax = axes[0, 0]
    im = ax.imshow(counts.T, origin="lower", cmap="viridis")
    for i in range(3):
        for j in range(3):
            ax.text(i, j, str(counts[i, j]), ha="center", va="center",
                    color="w" if counts[i, j] < counts.max() / 2 else "k")
    ax.set_xticks(range(3), [f"{x / 1e3:g}" for x in res["R_L"]])
    ax.set_yticks(range(3), [f"{x * 1e12:g}" for x in res["C_m"]])
    ax.set_xlabel("R_L (kΩ)")
    ax.set_ylabel("C_m (pF)")
    ax.set_title(f"spike count in {p.n_pulses} pulses")
    fig.colorbar(im, ax=ax, shrink=0.8, label="spike count")
    ax = axes[0, 1]
    for k, sp in enumerate(r.data["spikes"]):
        ax.plot(sp.times * 1e6, np.full(sp.count, k), "|", ms=7, mew=0.4, color=f"C{k // 3}")
    ax.set_yticks(range(9), [f"{c['R_L'] / 1e3:g} kΩ, {c['C_m'] * 1e12:g} pF" for c in res["cases"]])
    ax.set_xlim(0, r.data["duration"] * 1e6)
    ax.set_xlabel("time (µs)")
    ax.set_title("spike raster per (R_L, C_m)")
    sp_mid = r.data["spikes"][4]
    wf = r.data["wf_mid"]
    zoom = wf.time <= 2 * (p.width + p.interval)
    trace_panel(axes[0, 2], wf.time[zoom], wf["v(in)"][zoom], wf["v(mem)"][zoom], wf["i(vsense)"][zoom],
                sp_mid.times[sp_mid.times <= wf.time[zoom][-1]],
                f"{res['R_L'][1] / 1e3:g} kΩ, {res['C_m'][1] * 1e12:g} pF: first two pulses")
    fig.suptitle(f"Fig. 2e: {p.amplitude:g} V, {p.width * 1e6:g} µs pulses, {p.interval * 1e6:g} µs gap, "
                 f"{p.n_pulses} pulses")
    return fig


EXPERIMENT = experiment(name="fig2e", figure="Fig. 2e, Supp. Fig. 6", params=Fig2eParams, run=run, plot=plot,
                        engines=("ngspice", "vector"),
                        order=20, keys=("cases",), headline=("spike_count",), quick={"n_pulses": 2})
