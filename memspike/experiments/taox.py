"""``taox``: the TaOx synapse alone: potentiation and depression curves, reads, programming (Supp. Figs. 9, 14a).

What is simulated, each a transient of one synapse driven by a PWL source (:mod:`circuits.programming`):

* the curves of Supp. Fig. 9 / 14a: ``n_pulses`` SET pulses then ``n_pulses`` RESET pulses, a 1 V read
  after each (and one before the first), all in one transient; the conductance is each read's I/V;
* the same train on ``n_devices`` devices drawn device-to-device (:class:`TaOxVariation`) and on the
  nominal device over ``n_cycles`` cycles drawn cycle-to-cycle (each cycle its own transient, starting
  from the state the previous one ended in: the state is carried as ``w0``);
* a read I-V: a triangular sweep within +/- ``iv_peak`` at three programmed states (0.1, 0.5, 0.9 of the
  window): a line through the origin, the same conductance at every voltage;
* read disturbance: ``n_reads`` reads of 1 V from the middle of the window;
* programming: ``n_targets`` synapses programmed to targets evenly spread over [g_min, g_max] (both ends
  included), each from the mirror state (target fraction f of the window: start at 1 - f), by the verify loop of
  :func:`circuits.programming.program_many` (default tolerance: the tightest band fixed pulses land in
  without overshoot, about half the model's resolution, the step one pulse makes at the target).

Every draw comes from its own generator seeded by ``(seed, stream, index)``: the same seed gives the same
JSON, and adding devices or cycles does not change the draws already made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from circuits.programming import (
    PulseScheme,
    check_scheme,
    end_state,
    factors,
    program_many,
    read_g,
    schedule,
    steps,
    synapse_netlist,
    tmax_for,
)
from circuits.stimuli import triangle
from pyspice_models.params import again, param
from pyspice_models.taox import TaOxParams, TaOxVariation, sample_taox

from ..plotting import figure, legend_outside
from .base import Check, Ref, Results, below, experiment, trend

IV_STATES = (0.1, 0.5, 0.9)
DISTURB_STATE = 0.5
N_CMP = 10            # the first and last this many pulses are compared (nonlinearity)

PAPER = {
    "bounded": Ref("g_min <= g <= g_max", "S", "Supp. Figs. 9, 14a (the curves saturate at both ends)"),
    "monotonic": Ref("rises under SET, falls under RESET", "", "Supp. Figs. 9, 14a"),
    "nonlinearity": Ref(2.0, "", "Supp. Figs. 9, 14a (saturating curves); memspike criterion: the first 10 pulses "
                        "move g at least twice as much as the last 10"),
    "read_disturb": Ref(1e-3, "of one pulse's step", "Fig. 5 (1 V reads must not program); memspike criterion: "
                        "all the reads together move g by < 1/1000 of what one programming pulse does"),
    "iv_linear": Ref(1e-3, "relative", "memspike criterion: a read within +/- 1 V sees one conductance"),
    "programming": Ref("every target within its tolerance (~half a pulse's step)", "", "Fig. 5f-g (weights "
                       "programmed to targets); memspike criterion"),
    "model": Ref(0.01, "relative", "memspike criterion: the simulated curves follow the model's per-pulse law"),
}


@dataclass(frozen=True, kw_only=True)
class TaoxParams(PulseScheme):
    """The programming pulses (:class:`~circuits.programming.PulseScheme`, with this experiment's reasons) and
    the experiment's own trains, sweeps and draws."""

    set_amplitude: float = again(1.7, "SET pulse, 0.1 V above the model's 1.6 V SET threshold: a 500 ns pulse "
                                 "moves w by ~5 % of what is left, so 50 pulses span the window with the saturating "
                                 "curve of Supp. Fig. 9 (the paper gives no amplitude)")
    reset_amplitude: float = again(-1.7, "RESET pulse, the mirror of the SET pulse (symmetric thresholds of the "
                                   "model)")
    width: float = again(500e-9, "programming pulse width; with the amplitude it sets the step per pulse (~5 % of "
                         "the remaining window)")
    gap: float = again(0.5e-6, "0 V between a pulse and its read (and before the next pulse)")
    read_amplitude: float = again(1.0, "read voltage: 1 V, the paper's read and input amplitude (Fig. 5), below "
                                  "both thresholds")
    read_width: float = again(1e-6, "read pulse width (the paper's 1 us input pulses)")
    n_pulses: int = param(50, "", "SET pulses, then as many RESET pulses (Supp. Fig. 9: 50 of each)", lo=2 * N_CMP,
                          hi=2000, lo_open=False, integer=True)
    n_reads: int = param(1000, "", "reads of the read-disturbance train (20 times the reads of a curve)", lo=2,
                         hi=100000, lo_open=False, integer=True)
    iv_peak: float = param(1.0, "V", "read I-V sweeps 0 -> +peak -> 0 -> -peak -> 0: within +/- 1 V, the read range",
                           lo=0.01, hi=20)
    iv_period: float = param(1e-3, "s", "one read I-V sweep (quasi-static; the model has no dynamics below "
                             "threshold)", lo=1e-6, hi=10)
    n_devices: int = param(4, "", "devices drawn device-to-device, each given the same train", lo=0, hi=100,
                           lo_open=False, integer=True)
    n_cycles: int = param(3, "", "cycles of the nominal device, each drawn cycle-to-cycle", lo=0, hi=100,
                          lo_open=False, integer=True)
    spread: float = param(1.0, "", "scale of TaOxVariation's spreads (1: 10 % g_min, 5 % g_max, 20 % tau, 2 % "
                          "thresholds device-to-device, about a third of that cycle-to-cycle; 0: none)", lo=0, hi=5,
                          lo_open=False)
    seed: int = param(2020, "", "random seed of the draws", lo=0, hi=2**31, lo_open=False, integer=True)
    n_targets: int = param(4, "", "synapses programmed, to targets evenly spread over [g_min, g_max] (both ends)",
                           lo=2, hi=50, lo_open=False, integer=True)
    max_pulses: int = param(100, "", "pulses a verify loop may apply before giving up (from one end of the window "
                            "to the other takes ~80)", lo=1, hi=10000, lo_open=False, integer=True)

def scheme_of(p: TaoxParams) -> PulseScheme:
    return PulseScheme(**{k: getattr(p, k) for k in PulseScheme.names()})


def train(p: TaoxParams):
    """The segments of one cycle (a read, then SET + read pairs, then RESET + read pairs) and the index of
    each read among them."""
    read = (p.read_amplitude, p.read_width)
    segs = [read]
    for amp in (p.set_amplitude, p.reset_amplitude):
        segs += [(amp, p.width), read] * p.n_pulses
    reads = [0] + list(range(2, len(segs), 2))
    return segs, reads


def train_netlist(syn: TaOxParams, p: TaoxParams):
    segs, reads = train(p)
    points, starts = schedule(segs, gap=p.gap, edge=p.edge)
    return synapse_netlist(syn, points, tmax=tmax_for(segs, p.gap), title="memspike TaOx SET and RESET trains"), \
        starts[reads]


def curve(wf, starts, p: TaoxParams) -> np.ndarray:
    return np.array([read_g(wf, t, p.read_width, p.read_amplitude) for t in starts])


def iv_netlist(syn: TaOxParams, p: TaoxParams):
    pts = triangle(p.iv_peak, p.iv_period, 1)
    return synapse_netlist(syn, pts, tmax=p.iv_period / 400, title="memspike TaOx read I-V")


def disturb_netlist(syn: TaOxParams, p: TaoxParams):
    segs = [(p.read_amplitude, p.read_width)] * p.n_reads
    points, starts = schedule(segs, gap=p.gap, edge=p.edge)
    return synapse_netlist(syn, points, tmax=tmax_for(segs, p.gap), title="memspike TaOx read disturbance"), starts


def step_ratio(g: np.ndarray) -> float:
    """How much the first N_CMP pulses of a curve move g, over how much the last N_CMP do."""
    first, last = abs(g[N_CMP] - g[0]), abs(g[-1] - g[-1 - N_CMP])
    return float(first / last) if last > 0 else float("inf")


def law(syn: TaOxParams, p: TaoxParams) -> dict:
    """The model's per-pulse factors (from its equations): 1 - w shrinks by q_set per SET pulse, w by q_reset
    per RESET pulse; the curves they predict from the synapse's start state."""
    q_set, q_reset = factors(syn, scheme_of(p))
    n = np.arange(p.n_pulses + 1)
    w_set = 1 - (1 - syn.w0) * q_set ** n
    w_reset = w_set[-1] * q_reset ** n
    return {"q_set": q_set, "q_reset": q_reset, "set": syn.conductance(w_set), "reset": syn.conductance(w_reset)}


def monotonic(g: np.ndarray, direction: str) -> bool:
    d = np.diff(g)
    return bool(np.all(d > 0) if direction == "rises" else np.all(d < 0))


def run(ctx) -> Results:
    """TaOx synapse alone: SET/RESET curves with reads, read I-V, read disturbance, verify-loop programming."""
    p, syn = ctx.p, ctx.synapse
    scheme = scheme_of(p)
    check_scheme(syn, scheme)            # pulses that do not program this synapse: refused before any simulation
    N = p.n_pulses
    d2d = TaOxVariation.device_to_device().scaled(p.spread)
    c2c = TaOxVariation.cycle_to_cycle().scaled(p.spread)
    devices = [sample_taox(syn, np.random.default_rng([p.seed, 0, k]), d2d) for k in range(p.n_devices)]
    cycle_devs = [sample_taox(syn, np.random.default_rng([p.seed, 1, k]), c2c) for k in range(p.n_cycles)]

    # --- batch 1: nominal train, device trains, first cycle, read I-V, read disturbance
    nom_net, read_t = train_netlist(syn, p)
    items = [("train", nom_net)] + [(f"device{k}", train_netlist(d, p)[0]) for k, d in enumerate(devices)]
    if cycle_devs:
        items.append(("cycle0", train_netlist(cycle_devs[0], p)[0]))
    iv_syns = [syn.replace(w0=w) for w in IV_STATES]
    items += [(f"iv_w{round(w * 10)}", iv_netlist(s, p)) for w, s in zip(IV_STATES, iv_syns, strict=True)]
    dist_syn = syn.replace(w0=DISTURB_STATE)
    dist_net, dist_t = disturb_netlist(dist_syn, p)
    items.append(("reads", dist_net))
    wfs = dict(zip([t for t, _ in items], ctx.simulate(items), strict=True))

    g_nom = curve(wfs["train"], read_t, p)
    g_dev = [curve(wfs[f"device{k}"], read_t, p) for k in range(p.n_devices)]
    # --- cycles: each starts where the previous ended
    g_cyc, cyc_wf, end = [], wfs.get("cycle0"), None
    for k, dev in enumerate(cycle_devs):
        if end is not None:
            dev = dev.replace(w0=end.w0)
            (cyc_wf,) = ctx.simulate([(f"cycle{k}", train_netlist(dev, p)[0])])
        g_cyc.append(curve(cyc_wf, read_t, p))
        end = end_state(dev, cyc_wf)

    # --- programming: targets evenly over [g_min, g_max]; each synapse starts at the mirror state 1 - f (the ends
    # from the far end, in both polarities), a central target (within 1/6 of the middle) from 0.3 below it
    fractions = np.linspace(0.0, 1.0, p.n_targets)
    targets = [float(syn.g_min + f * (syn.g_max - syn.g_min)) for f in fractions]
    starts = [syn.replace(w0=float(1 - f if abs(f - 0.5) >= 1 / 6 else f - 0.3)) for f in fractions]
    targets[-1] = syn.g_max                     # exactly, not by rounding
    progs = program_many(starts, targets, scheme=scheme, max_pulses=p.max_pulses, simulate=ctx.simulate, tag="prog")

    # --- measures
    g_set, g_reset = g_nom[:N + 1], g_nom[N:]
    model = law(syn, p)
    model_err = float(max(np.max(np.abs(g_set - model["set"])), np.max(np.abs(g_reset - model["reset"])))
                      / (syn.g_max - syn.g_min))
    ratio_set, ratio_reset = step_ratio(g_set), step_ratio(g_reset)
    # bounds: every read of every run within its own device's window
    runs = [(syn, g_nom)] + list(zip(devices, g_dev, strict=True)) + list(zip(cycle_devs, g_cyc, strict=True))
    slack = 1e-6
    outside = sum(int(np.sum((g < d.g_min * (1 - slack)) | (g > d.g_max * (1 + slack)))) for d, g in runs)
    drawn_bad = sum(not (monotonic(g[:N + 1], "rises") and monotonic(g[N:], "falls")) for _, g in runs[1:])
    # read I-V
    iv = []
    for w, s in zip(IV_STATES, iv_syns, strict=True):
        wf = wfs[f"iv_w{round(w * 10)}"]
        v, i = wf["v(in)"], -wf["i(vin)"]
        sel = np.abs(v) >= 0.1 * p.iv_peak
        g_iv = i[sel] / v[sel]
        iv.append({"w0": w, "g_model": s.conductance(w), "g_mean": float(g_iv.mean()),
                   "rel_dev": float(np.max(np.abs(g_iv / g_iv.mean() - 1))),
                   "state_change": float(np.max(np.abs(wf["v(x1.dw)"]))), "wf": wf})
    iv_dev = max(x["rel_dev"] for x in iv)
    # read disturbance: the reads' g against the first, and the state, bounded by one pulse's step
    wf_d = wfs["reads"]
    g_reads = np.array([read_g(wf_d, t, p.read_width, p.read_amplitude) for t in dist_t])
    one_step = min(steps(syn, syn.conductance(DISTURB_STATE), scheme))
    dg_reads = float(max(np.max(np.abs(g_reads - g_reads[0])),
                         np.max(np.abs(wf_d["v(x1.dw)"])) * (syn.g_max - syn.g_min)))
    disturb_rel = dg_reads / one_step
    conv = [r.converged and abs(r.error) <= r.tolerance for r in progs]

    res = {
        "conductance": {"pulse": list(range(2 * N + 1)), "g": g_nom.tolist(),
                        "set": g_set.tolist(), "reset": g_reset.tolist(),
                        "definition": "read I/V (1 V) before the first pulse and after each: pulses 1..N SET, "
                                      "N+1..2N RESET"},
        "g_initial": float(g_nom[0]), "g_after_set": float(g_set[-1]), "g_after_reset": float(g_reset[-1]),
        "step_ratio_set": ratio_set, "step_ratio_reset": ratio_reset,
        "step_ratio_definition": f"change of g over the first {N_CMP} pulses / over the last {N_CMP}",
        "per_pulse_factor": {"set": model["q_set"], "reset": model["q_reset"],
                             "definition": "model: 1 - w shrinks by this per SET pulse, w per RESET pulse"},
        "model_deviation": model_err,
        "read_iv": [{k: v for k, v in x.items() if k != "wf"} for x in iv],
        "read_disturbance": {"n_reads": p.n_reads, "w0": DISTURB_STATE, "dg": dg_reads, "one_pulse_step": one_step,
                             "relative": disturb_rel},
        "programming": [r.as_dict() for r in progs],
        "variation": {"device_to_device": asdict(d2d), "cycle_to_cycle": asdict(c2c),
                      "devices": [{"params": {k: getattr(d, k) for k in asdict(d2d)}, "g": g.tolist()}
                                  for d, g in zip(devices, g_dev, strict=True)],
                      "cycles": [{"params": {k: getattr(d, k) for k in asdict(c2c)}, "g": g.tolist()}
                                 for d, g in zip(cycle_devs, g_cyc, strict=True)],
                      "g_after_set": [float(g[N]) for _, g in runs[1:]],
                      "g_after_reset": [float(g[-1]) for _, g in runs[1:]]},
    }
    window = f"[{syn.g_min:g}, {syn.g_max:g}] S (each drawn device: its own)"
    checks = [
        Check("bounded in [g_min, g_max] (every read, every device and cycle)", window,
              {"min": float(min(g.min() for _, g in runs)), "max": float(max(g.max() for _, g in runs)),
               "outside": outside}, "0 reads outside (1e-6 relative slack)", outside == 0),
        trend("potentiation monotonic (SET)", range(N + 1), g_set, "rises", 0.5),
        trend("depression monotonic (RESET)", range(N + 1), g_reset, "falls", 0.5),
        Check("every drawn device and cycle monotonic per polarity", "all", drawn_bad, "0 not monotonic",
              drawn_bad == 0),
        Check("nonlinear potentiation (first 10 vs last 10 pulses)", f">= {PAPER['nonlinearity'].value:g}",
              ratio_set, f">= {PAPER['nonlinearity'].value:g}", ratio_set >= PAPER["nonlinearity"].value),
        Check("nonlinear depression (first 10 vs last 10 pulses)", f">= {PAPER['nonlinearity'].value:g}",
              ratio_reset, f">= {PAPER['nonlinearity'].value:g}", ratio_reset >= PAPER["nonlinearity"].value),
        below(f"{p.n_reads} reads change nothing (|dg| / one pulse's step)", PAPER["read_disturb"], disturb_rel),
        below("read I-V linear (max |I/V / mean - 1|)", PAPER["iv_linear"], iv_dev),
        Check("programming converges for every target", "all within tolerance",
              [{"target": r.g_target, "error": r.error, "tolerance": r.tolerance, "resolution": r.resolution,
                "pulses": r.n_pulses} for r in progs],
              f"|g - target| <= tolerance, within {p.max_pulses} pulses", all(conv)),
        below("curves follow the model's per-pulse law (max |dg| / window)", PAPER["model"], model_err),
    ]
    notes = [f"programming: {sum(conv)}/{len(conv)} targets within tolerance; pulses {[r.n_pulses for r in progs]}"]
    return Results(res, checks, notes, data={"g_dev": g_dev, "g_cyc": g_cyc, "iv": iv, "g_reads": g_reads,
                                             "progs": progs, "model": model, "syn": syn})


def plot(r: Results):
    p, res, d = r.params, r.results, r.data
    syn, N = d["syn"], p.n_pulses
    uS = 1e6
    fig, axes = figure(2, 3, w=4.6, h=3.5)
    n = np.arange(2 * N + 1)
    g = np.array(res["conductance"]["g"])
    bounds = dict(color="0.5", ls=":", lw=1)

    def curves(ax, extra, label, title):
        for k, ge in enumerate(extra):
            ax.plot(n, ge * uS, lw=0.7, color="0.55", label=label if k == 0 else None)
        ax.plot(n[:N + 1], g[:N + 1] * uS, "o-", ms=2.5, lw=1, color="tab:blue", label="nominal, SET")
        ax.plot(n[N:], g[N:] * uS, "o-", ms=2.5, lw=1, color="tab:red", label="nominal, RESET")
        ax.axhline(syn.g_min * uS, **bounds)
        ax.axhline(syn.g_max * uS, **bounds, label="g_min, g_max")
        ax.axvline(N, color="0.8", lw=0.8)
        ax.set_xlabel("pulse number")
        ax.set_ylabel("conductance (µS), read at 1 V")
        ax.grid(alpha=0.3)
        legend_outside(ax, ncol=2, title=title)

    curves(axes[0, 0], d["g_dev"], f"{len(d['g_dev'])} devices (device-to-device)",
           f"(a) Supp. Fig. 9: {N} SET ({p.set_amplitude:g} V) then {N} RESET ({p.reset_amplitude:g} V), "
           f"{p.width * 1e9:g} ns")
    curves(axes[0, 1], d["g_cyc"], f"{len(d['g_cyc'])} cycles (cycle-to-cycle)",
           f"(b) cycle-to-cycle: g after SET {res['g_after_set'] * uS:.1f} µS, after RESET "
           f"{res['g_after_reset'] * uS:.1f} µS")

    ax = axes[0, 2]
    k = np.arange(1, N + 1)
    ax.semilogy(k, np.abs(np.diff(g[:N + 1])) * uS, "o-", ms=2.5, color="tab:blue",
                label=f"SET (first/last 10: {res['step_ratio_set']:.1f}x)")
    ax.semilogy(k, np.abs(np.diff(g[N:])) * uS, "s-", ms=2.5, color="tab:red",
                label=f"RESET (first/last 10: {res['step_ratio_reset']:.1f}x)")
    ax.semilogy(k, np.abs(np.diff(d["model"]["set"])) * uS, color="k", lw=0.8, ls="--", label="model's law")
    ax.semilogy(k, np.abs(np.diff(d["model"]["reset"])) * uS, color="k", lw=0.8, ls="--")
    ax.set_xlabel("pulse number within its train")
    ax.set_ylabel("|step| per pulse (µS)")
    ax.grid(alpha=0.3, which="both")
    legend_outside(ax, ncol=1, title="(c) nonlinearity: the step shrinks as g saturates")

    ax = axes[1, 0]
    for x, c in zip(d["iv"], ("tab:green", "tab:purple", "tab:orange"), strict=True):
        wf = x["wf"]
        ax.plot(wf["v(in)"], -wf["i(vin)"] * uS, color=c, lw=1.2,
                label=f"w0 = {x['w0']:g}: {x['g_mean'] * uS:.1f} µS")
    ax.axhline(0, color="0.7", lw=0.6)
    ax.axvline(0, color="0.7", lw=0.6)
    ax.set_xlabel("read voltage (V)")
    ax.set_ylabel("current (µA)")
    ax.grid(alpha=0.3)
    legend_outside(ax, ncol=2, title=f"(d) read I-V within ±{p.iv_peak:g} V: linear "
                                     f"(max dev. {max(x['rel_dev'] for x in d['iv']):.1e})")

    ax = axes[1, 1]
    rd = res["read_disturbance"]
    gr = d["g_reads"]
    ax.plot(np.arange(1, len(gr) + 1), (gr - gr[0]) * 1e9, color="tab:blue", lw=1, label="g - g(first read)")
    bound = r.paper["read_disturb"].value * rd["one_pulse_step"] * 1e9
    for s in (1, -1):
        ax.axhline(s * bound, color="tab:red", ls="--", lw=1, label="bound: 1/1000 of one pulse's step" if s > 0
                   else None)
    ax.set_ylim(-1.5 * bound, 1.5 * bound)
    ax.set_xlabel("read number (1 V)")
    ax.set_ylabel("conductance change (nS)")
    ax.grid(alpha=0.3)
    legend_outside(ax, ncol=1, title=f"(e) read disturbance: {rd['n_reads']} reads move g by {rd['dg'] * 1e9:.2g} nS")

    ax = axes[1, 2]
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for j, pr in enumerate(d["progs"]):
        c = colors[j % len(colors)]
        gs = np.array([s.g for s in pr.history]) * uS
        ax.plot(np.arange(len(gs)), gs, "o-", ms=2, lw=0.9, color=c,
                label=f"{pr.g_target * uS:.0f} µS: {pr.n_pulses} pulses, err {pr.error * uS:+.1f} µS")
        ax.axhspan((pr.g_target - pr.tolerance) * uS, (pr.g_target + pr.tolerance) * uS, color=c, alpha=0.12, lw=0)
        ax.axhline(pr.g_target * uS, color=c, ls="--", lw=0.7)
    ax.set_xlabel("programming pulse (verify read after each)")
    ax.set_ylabel("conductance (µS)")
    ax.grid(alpha=0.3)
    legend_outside(ax, ncol=1, title="(f) program-and-verify (bands: ± tolerance, ~half a pulse's step)")
    return fig


EXPERIMENT = experiment(name="taox", figure="Supp. Figs. 9, 14a", params=TaoxParams, run=run, plot=plot, paper=PAPER,
                        order=12, synapse=True, engines=("ngspice", "vacask"),
                        keys=("conductance", "g_after_set", "g_after_reset", "step_ratio_set", "step_ratio_reset",
                              "read_iv", "read_disturbance", "programming", "variation"),
                        headline=("g_initial", "g_after_set", "g_after_reset", "step_ratio_set", "step_ratio_reset",
                                  "model_deviation"),
                        quick={"n_devices": 2, "n_cycles": 2, "n_reads": 200, "n_targets": 3})
