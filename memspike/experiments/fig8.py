"""``fig8``: receptive-field remapping by gain modulation in a chain of 200 rate neurons (Fig. 8, Eq. 5).

The network is the paper's: neuron ``i`` receives ``W [f(d_{i-1}, m) - theta]_+`` from its left
neighbour, ``f`` is Eq. 2 (the neuron's spike count against drive frequency ``d`` in MHz, shifted by
the modulation ``m`` through Eq. 3), and the visual input ``I_ext`` reaches neuron 0 (the future
receptive field) for the first 300 ms; the modulatory signal ``m`` reaches every neuron from 300 ms.
It is integrated with the Methods' Euler form, ``dt`` = 1 ms.

Two things the paper leaves open are run side by side, so that the output shows which reading gives
Fig. 8:

* ``f``: the paper's printed Eq. 2-3 parameters, and memspike's own fit of them to the Fig. 4 IO
  curves simulated in this very run (the NbOx neuron of ``fig4``, same circuit values);
* how ``I_ext`` enters the Euler step. Read literally, ``x(t+1) = (1 - a) x + a (W[..]_+ + I_ext)``
  with ``a = dt/tau = 0.1`` holds neuron 0 at ``I_ext = 0.09`` MHz, where Eq. 2 is zero for any ``m``
  up to 1 V (half maximum needs ``d a(m) = d50 = 0.35`` MHz): nothing ever propagates, with or
  without ``m``. With ``I_ext`` added per step (``... + a W[..]_+ + I_ext``, i.e. Eq. 5 with the
  input in units of ``tau/dt``) neuron 0 settles at ``I_ext/a = 0.9`` MHz and Fig. 8 appears: a weak
  local response without ``m``, a wave that travels while ``m`` lasts and fades when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import MaxNLocator

from analysis.fits import hill_io
from pyspice_models.params import ParameterError, param

from ..plotting import figure, legend_outside
from . import fig4
from .base import Check, Ref, Results, experiment

PAPER = {"network": Ref({"n_neurons": 200, "theta": 0.41, "W": 0.095, "tau": 10e-3, "dt": 1e-3, "I_ext": 0.09,
                         "input": "0-300 ms", "m": 0.8, "m_on": "300-1000 ms"}, "", "Fig. 8 caption, Methods"),
         "hill": fig4.PAPER["hill"],
         "behaviour": Ref("weak, local response without m; activity travels with m; distance grows with the "
                          "duration of m; fades when m ends", "", "Fig. 8b, d")}
LOCAL = 5          # neurons: "local" response without m
TRAVEL = 20        # neurons: "travels" with m


@dataclass(frozen=True, kw_only=True)
class Fig8Params(fig4.Fig4Params):
    """Fig. 4's circuit (for memspike's own Eq. 2-3 fit) and the network of Fig. 8."""

    n_neurons: int = param(200, "", "Fig. 8: 200 neurons in a one-directional chain", lo=3, hi=100000,
                           lo_open=False, integer=True)
    t_end: float = param(1.0, "s", "Fig. 8: 1000 ms simulated", lo=1e-3, hi=100)
    dt: float = param(1e-3, "s", "Methods: Euler step 1 ms", lo=1e-6, hi=1)
    tau: float = param(10e-3, "s", "Fig. 8: tau = 10 ms", lo=1e-6, hi=100)
    theta: float = param(0.41, "", "Fig. 8: threshold theta_thr (spikes) above which activity propagates",
                         lo=0, hi=1e3, lo_open=False)
    W: float = param(0.095, "", "Fig. 8: connection strength W_{i,i-1} (MHz of drive per spike)", lo=0, hi=1e3,
                     lo_open=False)
    I_ext: float = param(0.09, "", "Fig. 8: visual input I_ext,0 to neuron 0 (the future receptive field)",
                         lo=0, hi=1e3, lo_open=False)
    t_input: float = param(0.3, "s", "Fig. 8: the visual input lasts 0-300 ms", lo=0, hi=100, lo_open=False)
    m_amp: float = param(0.8, "V", "Fig. 8: modulatory signal m = 0.8 (beyond Fig. 4's 0.7 V: Eq. 3 extrapolated)",
                         lo=0, hi=5, lo_open=False)
    m_on: float = param(0.3, "s", "Fig. 8: m from 300 ms ...", lo=0, hi=100, lo_open=False)
    m_off: float = param(1.0, "s", "... to 1000 ms", lo=0, hi=100, lo_open=False)
    n_durations: int = param(7, "", "durations of m for the remapping distance, evenly from t_end/10 to "
                             "m_off - m_on", lo=3, hi=100, lo_open=False, integer=True)
    per_step_input: int = param(1, "", "1: I_ext added per Euler step (the reading that gives Fig. 8); 0: inside "
                                "the a = dt/tau factor as the Methods print it (nothing propagates); both "
                                "are always run and reported", lo=0, hi=1, lo_open=False, integer=True)

    def _check_relations(self):
        super()._check_relations()
        if not self.m_on < self.m_off <= self.t_end:
            raise ParameterError("m_off", self.m_off, f"a time in (m_on, t_end] = ({self.m_on:g}, {self.t_end:g}] s")
        if not self.dt < self.tau:
            raise ParameterError("dt", self.dt, f"a step < tau = {self.tau:g} s (Euler)")
        if not self.t_end / self.dt <= 1e6:
            raise ParameterError("dt", self.dt, f"a step >= t_end/1e6 = {self.t_end / 1e6:g} s")


def simulate_chain(p: Fig8Params, hill: dict, *, m_amp: float, m_on: float, m_off: float,
                   per_step_input: bool) -> np.ndarray:
    """Activity f(x_i(t), m(t)) (spikes) of every neuron at every step: array (n_neurons, n_steps)."""
    n_steps = int(round(p.t_end / p.dt))
    a = p.dt / p.tau
    x = np.zeros(p.n_neurons)
    act = np.empty((p.n_neurons, n_steps))
    for k in range(n_steps):
        t = k * p.dt
        m = m_amp if m_on <= t < m_off else 0.0
        f = hill_io(x * 1e6, m, **hill)              # d in MHz in Fig. 8, in Hz in the fit
        act[:, k] = f
        drive = np.zeros(p.n_neurons)
        drive[1:] = p.W * np.maximum(f[:-1] - p.theta, 0.0)
        inp = np.zeros(p.n_neurons)
        if t < p.t_input:
            inp[0] = p.I_ext
        x = (1 - a) * x + a * drive + (inp if per_step_input else a * inp)
    return act


def reach(act: np.ndarray, theta: float) -> int:
    """The remapping distance: the farthest neuron (from neuron 0) whose activity passed theta; -1: none."""
    on = np.flatnonzero((act > theta).any(axis=1))
    return int(on.max()) if on.size else -1


def propagation_threshold(p: Fig8Params, hill: dict, per_step_input: bool) -> float | None:
    """The smallest m (V, 0.05 V grid up to 1.5 V) at which activity travels >= TRAVEL neurons."""
    for m in np.arange(0.0, 1.5001, 0.05):
        act = simulate_chain(p, hill, m_amp=float(m), m_on=p.m_on, m_off=p.m_off, per_step_input=per_step_input)
        if reach(act, p.theta) >= TRAVEL:
            return round(float(m), 2)
    return None


def _m0_note(p: Fig8Params, hill: dict, r4) -> list[str]:
    """Where memspike's fitted m = 0 curve passes theta, against the simulated m = 0 IO curve (fig4)."""
    io = r4.results["io"]
    sim0 = max(io["spike_count"][0])
    d = np.linspace(1e3, 2 * max(io["frequency"]), 4000)
    above = np.flatnonzero(hill_io(d, 0.0, **hill) > p.theta)
    paper = np.flatnonzero(hill_io(d, 0.0, **PAPER["hill"].value) > p.theta)
    if sim0 > 0 or not above.size:
        return []
    return [f"memspike's fitted m = 0 curve (n = k3 = {hill['k3']:.3g}) passes theta = {p.theta:g} from "
            f"{d[above[0]] / 1e6:.2f} MHz on, while the simulated m = 0 neuron fires no spike at any drive up to "
            f"{max(io['frequency']) / 1e6:.2f} MHz (fig4): Eq. 3's forms cannot make that curve flat and the "
            "others steep at once (fig4's fit_per_m)."
            + (f" The paper's f passes theta at m = 0 from {d[paper[0]] / 1e6:.2f} MHz." if paper.size else "")]


def run(ctx) -> Results:
    """Chain of 200 rate neurons (Eq. 5, Euler) with f from Eq. 2: remapping distance against m's duration."""
    p = ctx.p
    r4 = fig4.run(ctx)                                # Fig. 4's IO curves in this run: memspike's own f
    fits = {"paper": dict(PAPER["hill"].value)}
    if r4.data["fit"]:
        fits["memspike"] = dict(r4.data["fit"].params)
    durations = np.linspace(p.t_end / 10, p.m_off - p.m_on, p.n_durations)
    readings = {"per_step": True, "literal": False}
    chosen = "per_step" if p.per_step_input else "literal"
    out: dict = {}
    maps: dict = {}
    for fname, hill in fits.items():
        for rname, per_step in readings.items():
            with_m = simulate_chain(p, hill, m_amp=p.m_amp, m_on=p.m_on, m_off=p.m_off, per_step_input=per_step)
            without = simulate_chain(p, hill, m_amp=0.0, m_on=p.m_on, m_off=p.m_off, per_step_input=per_step)
            dist = []
            faded = []
            for dur in durations:
                act = simulate_chain(p, hill, m_amp=p.m_amp, m_on=p.m_on, m_off=p.m_on + dur,
                                     per_step_input=per_step)
                dist.append(reach(act, p.theta))
                k_end = int(round((p.m_on + dur + 0.1) / p.dt))          # 100 ms after m ends
                faded.append(None if k_end >= act.shape[1] else bool((act[:, k_end:] <= p.theta).all()))
            out[f"{fname}/{rname}"] = {
                "distance": {"with_m": reach(with_m, p.theta), "without_m": reach(without, p.theta)},
                "distance_vs_duration": {"duration": durations.tolist(), "distance": dist},
                "faded_100ms_after_m": faded,
                "peak_activity": float(with_m.max()),
                "m_needed_to_travel": propagation_threshold(p, hill, per_step),
            }
            maps[f"{fname}/{rname}"] = (with_m, without)
    main = out[f"paper/{chosen}"]
    with_m, without = maps[f"paper/{chosen}"]
    d = main["distance_vs_duration"]["distance"]
    ended = [f for f in main["faded_100ms_after_m"] if f is not None]
    wd = main["distance"]["without_m"]
    tag = " (paper's Eq. 2-3)"
    checks = [
        Check("weak, local response without m" + tag, f"<= {LOCAL} neurons", wd,
              f"activity above theta reaches at most {LOCAL} neurons", 0 <= wd <= LOCAL),
        Check("activity travels with m" + tag, f">= {TRAVEL} neurons", main["distance"]["with_m"],
              f">= {TRAVEL} neurons by the end of m", main["distance"]["with_m"] >= TRAVEL),
        Check("distance grows with m's duration" + tag, "rises",
              {"duration_s": durations.tolist(), "distance": d}, "strictly increasing", bool(np.all(np.diff(d) > 0))),
        Check("activity fades when m ends" + tag, "fades", ended,
              "no neuron above theta 100 ms after m ends (every duration that ends inside the run)",
              bool(ended) and all(ended)),
    ]
    res = {"activity": np.round(with_m, 4).tolist(), "activity_without_m": np.round(without, 4).tolist(),
           "distance": main["distance"], "distance_vs_duration": main["distance_vs_duration"],
           "reading": {"f": "paper's Eq. 2-3 parameters", "input": chosen},
           "readings": out, "fits": fits, "fig4_counts": r4.results["spike_count"],
           "activity_definition": "f(x_i(t), m(t)) of Eq. 2 (spikes per drive burst), one row per neuron, one "
                                  "column per ms; distance: the farthest neuron whose activity passed theta"}
    own = out.get(f"memspike/{chosen}")
    notes = [f"Read literally (I_ext inside the dt/tau factor) neuron 0 settles at I_ext = {p.I_ext:g} MHz, where "
             f"Eq. 2 is zero for every m up to 1.5 V: distances {out['paper/literal']['distance']} (paper's f). Adding "
             "I_ext per Euler step (neuron 0 at I_ext tau/dt) gives Fig. 8: that reading is the default."]
    if own:
        notes.append(f"With memspike's own fit of Eq. 2-3 to the simulated Fig. 4 IO curves (k2 = "
                     f"{fits['memspike']['k2']:.3g}, k3 = {fits['memspike']['k3']:.3g}: a gentler Hill slope than "
                     f"the paper's 100 m + 50) the wave travels {own['distance']['with_m']} neurons at m = "
                     f"{p.m_amp:g}; it needs m >= {own['m_needed_to_travel']} V to travel (paper's f: "
                     f"{main['m_needed_to_travel']} V). m = 0.8 V lies beyond Fig. 4's 0.7 V: Eq. 3 extrapolated.")
        notes.extend(_m0_note(p, fits["memspike"], r4))
    return Results(res, checks, notes, data={"with_m": with_m, "without": without, "out": out, "chosen": chosen,
                                             "r4": r4})


def plot(r: Results):
    p, d = r.params, r.data
    fig, axes = figure(2, 2, w=5.2, h=3.4)
    top = max(float(d["with_m"].max()), 1e-9)
    zoom = min(p.n_neurons, 20)
    for ax, act, title, rows in ((axes[0, 0], d["with_m"], f"Fig. 8b: visual input to neuron 0 for 0-"
                                  f"{p.t_input * 1e3:g} ms (gold), m = {p.m_amp:g} V from {p.m_on * 1e3:g}-"
                                  f"{p.m_off * 1e3:g} ms", p.n_neurons),
                                 (axes[0, 1], d["without"], f"Fig. 8d: the same without m (neurons 0-{zoom - 1})",
                                  zoom)):
        im = ax.imshow(act[:rows], aspect="auto", origin="lower", extent=[0, p.t_end * 1e3, -0.5, rows - 0.5],
                       cmap="magma", vmin=0, vmax=top, interpolation="nearest")
        # the input's time span, drawn below the axis so that it hides no neuron
        ax.plot([0, p.t_input * 1e3], [-0.04, -0.04], color="gold", lw=4, transform=ax.get_xaxis_transform(),
                clip_on=False, solid_capstyle="butt")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("neuron (0: future receptive field)")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))           # neurons are whole
        ax.set_title(title)
        fig.colorbar(im, ax=ax, label="activity f (spikes)")
    ax = axes[1, 0]
    for key, res in d["out"].items():
        dv = res["distance_vs_duration"]
        style = "-" if key.endswith(d["chosen"]) else ":"
        paper_f = key.startswith("paper")          # open, larger markers: equal curves stay visible
        ax.plot(np.asarray(dv["duration"]) * 1e3, dv["distance"], ("o" if paper_f else "s") + style,
                ms=7 if paper_f else 4, mfc="none" if paper_f else None,
                label=f"f: {key.split('/')[0]}, I_ext {key.split('/')[1].replace('_', ' ')}")
    ax.set_xlabel("duration of m (ms)")
    ax.set_ylabel("remapping distance (neurons)")
    legend_outside(ax, ncol=2, title="distance against the duration of m (-1: no activity above theta)")
    ax = axes[1, 1]
    fits = r.results["fits"]
    dd = np.linspace(0.0, 1.2, 400)
    for name, hill in fits.items():
        for m, c in ((0.0, "0.5"), (p.m_amp, "tab:red")):
            ax.plot(dd, hill_io(dd * 1e6, m, **hill), color=c, ls="-" if name == "paper" else "--",
                    label=f"{name}, m = {m:g} V")
    ax.axhline(p.theta, color="k", lw=0.8, ls=":", label=f"theta = {p.theta:g}")
    ax.set_xlabel("drive d (MHz)")
    ax.set_ylabel("f(d, m) (spikes)")
    legend_outside(ax, ncol=3, title="Eq. 2: the paper's parameters and memspike's fit (Fig. 4 circuit)")
    return fig


EXPERIMENT = experiment(name="fig8", figure="Fig. 8", params=Fig8Params, run=run, plot=plot, paper=PAPER,
                        order=60, keys=("activity", "distance", "distance_vs_duration"),
                        headline=("distance", "distance_vs_duration"),
                        quick={**fig4.EXPERIMENT.quick, "n_durations": 4})
