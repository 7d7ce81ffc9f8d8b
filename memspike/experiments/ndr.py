"""``ndr``: the S-shaped negative differential resistance of the electro-thermal NbOx device, and its
threshold against the ambient temperature (beyond the paper: the physics behind Fig. 2b).

Under a voltage sweep (Fig. 2b) the device jumps on at ``Vth`` and off at ``Vhold``: the branch in
between is never seen, because it is unstable under voltage drive. Under a current drive it is
stable, and the quasi-static I-V is single valued and S-shaped: the voltage rises to the threshold
fold (thermal runaway of the Poole-Frenkel core), falls along the NDR branch as the core heats,
reaches the hold fold and rises again along the series resistance. This experiment drives a PWL
current through the device (both polarities) and overlays the model's quasi-static
:meth:`~pyspice_models.nbox_et.NbOxETParams.steady_curve`; then it moves the ambient temperature
``T0`` and follows the two folds (:meth:`~pyspice_models.nbox_et.NbOxETParams.folds` on a grid,
voltage sweeps in ngspice at a few ``T0``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.iv import thresholds
from circuits.builders import device_model, device_sweep
from circuits.netlist import Netlist
from circuits.stimuli import triangle
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import ParameterError, Params, param

from ..plotting import figure, legend_outside
from .base import Check, Results, experiment

TEMPERATURE = "v(xd.t)"          # the core temperature of the device instance xd (its internal node t), K
HYSTERESIS_FROM = 1e-3           # legs compared from |i| = i_max/1000 (1 uA, 1/24 of the threshold current) up
NO_NDR = 1e-3                    # V: a current sweep whose voltage never falls by this much has no NDR


@dataclass(frozen=True, kw_only=True)
class NDRParams(Params):
    i_max: float = param(1e-3, "A", "peak of the current sweep (each polarity): 4x the hold-fold current "
                         "(0.23 mA), far onto the on branch where V rises again along R_s; the core reaches "
                         "~920 K there, below the metallic transition (T_met = 1070 K)", lo=1e-7, hi=0.1)
    t_sweep: float = param(1e-3, "s", "time of one current leg (0 -> i_max): 4e5 thermal times R_th C_th, "
                           "quasi-static (a 10 us leg already overshoots the threshold fold by 4 mV: the heat "
                           "balance slows down critically at the fold)", lo=1e-8, hi=10)
    n_steps: int = param(2000, "", "largest time step of the current sweep = t_sweep/n_steps: 0.5 uA steps at "
                         "1 mA, fine enough to resolve the 24 uA threshold fold", lo=100, hi=100000,
                         lo_open=False, integer=True)
    T0_min: float = param(250.0, "K", "lowest ambient of the folds() grid (Vth 1.19 V)", lo=1, hi=2000)
    T0_max: float = param(400.0, "K", "highest ambient of the folds() grid: above the temperature where the "
                          "NDR vanishes (about 365 K)", lo=1, hi=2000)
    T0_step: float = param(5.0, "K", "spacing of the folds() grid (quasi-static numpy, no simulation)",
                           lo=0.01, hi=500)
    T0_sim_min: float = param(275.0, "K", "lowest ambient of the simulated voltage sweeps (Vth 0.945 V, "
                              "below the 1.4 V sweep)", lo=1, hi=2000)
    T0_sim_max: float = param(350.0, "K", "highest ambient of the simulated voltage sweeps: still with a fold "
                              "(Vth - Vhold = 14 mV at 350 K)", lo=1, hi=2000)
    n_T0_sim: int = param(4, "", "number of simulated ambients, evenly spaced (275, 300, 325, 350 K)",
                          lo=1, hi=50, lo_open=False, integer=True)
    v_sweep: float = param(1.4, "V", "peak of the triangular voltage sweeps: above Vth at every simulated "
                           "ambient", lo=0.01, hi=20)
    period: float = param(10e-3, "s", "one bipolar voltage sweep (as the iv experiment): quasi-static",
                          lo=1e-7, hi=100)
    R_s: float = param(10.0, "ohm", "series resistor of the voltage sweeps (as iv): the jumps are then within "
                       "1 mV of the folds of the device's own V(I)", lo=1e-3, hi=1e6)
    T0_above: float = param(15.0, "K", "the no-NDR current sweep runs this far above the ambient where the "
                            "NDR vanishes", lo=0.1, hi=500)

    def _check_relations(self):
        if not self.T0_min < self.T0_max:
            raise ParameterError("T0_min", self.T0_min, f"a temperature < T0_max = {self.T0_max:g} K")
        if not self.T0_sim_min <= self.T0_sim_max:
            raise ParameterError("T0_sim_min", self.T0_sim_min, f"a temperature <= T0_sim_max = "
                                 f"{self.T0_sim_max:g} K")
        if self.n_T0_sim > 1 and self.T0_sim_min == self.T0_sim_max:
            raise ParameterError("n_T0_sim", self.n_T0_sim, "1 when T0_sim_min = T0_sim_max")


def require_et(device) -> NbOxETParams:
    """The device, if it is the electro-thermal model; otherwise the error that says so."""
    if not isinstance(device, NbOxETParams):
        raise ParameterError("device", type(device).__name__, "the electro-thermal model nbox_et")
    return device


def current_sweep(device: NbOxETParams, i_max: float, t_sweep: float, n_steps: int) -> tuple[Netlist, np.ndarray]:
    """The device alone, driven by a PWL current 0 -> +i_max -> 0 -> -i_max -> 0 (one leg each ``t_sweep``).

    ::

        (Iin: 0 -> top) --- top --- NbOx (xd: p=top, n=sense) --- (Vsense 0 V) --- 0

    Device voltage ``v(top)``, current ``i(vsense)``, core temperature ``v(xd.t)``.
    """
    pts = np.array([[0, 0], [t_sweep, i_max], [2 * t_sweep, 0], [3 * t_sweep, -i_max], [4 * t_sweep, 0]])
    net = Netlist("memspike NbOx current-driven sweep")
    model = device_model(device)
    net.subckts[model.name] = model.ngspice_subckt()
    net.isource("iin", "0", "top", pwl=pts, comment="current source into the device (PWL), A")
    net.instance("xd", "top", "sense", model.name, device,
                 comment=f"NbOx threshold-switch device (subcircuit {model.name})")
    net.vsource("vsense", "sense", "0", dc=0.0, comment="0 V source: the device's current probe, i(vsense)")
    net.save("v(top)", "i(vsense)", TEMPERATURE)
    net.probes = {"device": {"v": "v(top)", "i": "i(vsense)"}}
    dt = t_sweep / n_steps
    net.tran = (dt, 4 * t_sweep, dt)
    net.options.update({"reltol": 1e-4, "abstol": 1e-10, "vntol": 1e-6})
    net.method = "gear"
    return net, pts


def fold_of(i, v) -> dict:
    """The threshold fold seen along one leg of rising ``|i|``: the NDR as the largest fall of ``|v|`` below
    its running maximum. ``v_peak`` is that maximum (at ``i_peak``), ``v_valley`` the lowest point after it
    (at ``i_valley``), ``depth`` their difference (0 for a monotonic curve)."""
    a, b = np.abs(np.asarray(i, float)), np.abs(np.asarray(v, float))
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    run = np.maximum.accumulate(b)
    drop = run - b
    k = int(np.argmax(drop))
    j = int(np.argmax(b[: k + 1]))
    if drop[k] <= 0:                                # monotonic: no peak, no valley
        nan = float("nan")
        return {"v_peak": nan, "i_peak": nan, "v_valley": nan, "i_valley": nan, "depth": 0.0, "index_peak": 0}
    return {"v_peak": float(b[j]), "i_peak": float(a[j]), "v_valley": float(b[k]), "i_valley": float(a[k]),
            "depth": float(drop[k]), "index_peak": int(order[j])}


def hysteresis(i_up, v_up, i_dn, v_dn, i_min: float) -> float:
    """Largest |v| difference between the rising and falling legs at the same |i|, over |i| >= ``i_min``
    and the legs' common range (below ``i_min`` the off branch is too steep for the legs' time steps)."""
    iu, vu = np.abs(i_up), np.abs(v_up)
    idn, vdn = np.abs(i_dn), np.abs(v_dn)
    o = np.argsort(idn)
    sel = (iu >= max(i_min, idn.min())) & (iu <= idn.max())
    if not sel.any():
        return float("nan")
    return float(np.max(np.abs(np.interp(iu[sel], idn[o], vdn[o]) - vu[sel])))


def _none(x):
    """NaN -> None, for the JSON."""
    return None if x is None or not np.isfinite(x) else float(x)


def json_safe(obj):
    """``obj`` with every non-finite float (a fold that does not exist, a slope of one) replaced by None."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return _none(obj)
    return obj


def t0_critical(device: NbOxETParams, grid: np.ndarray, vth: np.ndarray) -> float:
    """The ambient above which the steady curve has no fold (no NDR): bisection between the grid points
    that bracket it; NaN if the whole grid has folds or none has."""
    has = np.isfinite(vth)
    if has.all() or not has.any() or not has[0]:
        return float("nan")
    k = int(np.flatnonzero(~has)[0])
    lo, hi = float(grid[k - 1]), float(grid[k])
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if np.isfinite(device.replace(T0=mid).folds()["v_th"]):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def run(ctx) -> Results:
    """S-shaped NDR under a current sweep, against the quasi-static curve; Vth and Vhold against the ambient T0."""
    p = ctx.p
    dev = require_et(ctx.device)
    folds = dev.folds()
    grid = np.arange(p.T0_min, p.T0_max + 1e-9 * p.T0_max, p.T0_step)
    fgrid = [dev.replace(T0=float(T)).folds() for T in grid]
    vth_grid = np.array([f["v_th"] for f in fgrid])
    vhold_grid = np.array([f["v_hold"] for f in fgrid])
    T0c = t0_critical(dev, grid, vth_grid)
    T0_sim = np.linspace(p.T0_sim_min, p.T0_sim_max, p.n_T0_sim)

    net, pts = current_sweep(dev, p.i_max, p.t_sweep, p.n_steps)
    items = [("current_sweep", net)]
    hot = None
    if np.isfinite(T0c):
        hot = dev.replace(T0=T0c + p.T0_above)
        items.append(("current_sweep_no_ndr", current_sweep(hot, p.i_max, p.t_sweep, p.n_steps)[0]))
    vshape = triangle(p.v_sweep, p.period, 1)
    for k, T0 in enumerate(T0_sim):
        sweep = device_sweep(points=vshape, R_s=p.R_s, device=dev.replace(T0=float(T0)), tmax=p.period / 4000)
        items.append((f"voltage_sweep_{k}_T0_{round(T0)}K", sweep))
    wfs = ctx.simulate(items)

    # ---- current drive: the S curve
    wf = wfs[0]
    t, v, i, T = wf.time, wf["v(top)"], wf["i(vsense)"], wf[TEMPERATURE]
    leg = np.floor(t / p.t_sweep * (1 - 1e-12)).astype(int).clip(0, 3)
    legs = {k: leg == k for k in range(4)}
    pos, neg = fold_of(i[legs[0]], v[legs[0]]), fold_of(i[legs[2]], v[legs[2]])
    T_at_peak = float(T[legs[0]][pos["index_peak"]]) if pos["depth"] > 0 else float("nan")
    i_min = HYSTERESIS_FROM * p.i_max
    hyst = max(hysteresis(i[legs[0]], v[legs[0]], i[legs[1]], v[legs[1]], i_min),
               hysteresis(i[legs[2]], v[legs[2]], i[legs[3]], v[legs[3]], i_min))
    no_ndr = None
    if hot is not None:
        wh = wfs[1]
        up = wh.time < p.t_sweep
        no_ndr = fold_of(wh["i(vsense)"][up], wh["v(top)"][up])

    # ---- voltage sweeps at several ambients
    sims = []
    for T0, w in zip(T0_sim, wfs[len(wfs) - len(T0_sim):], strict=True):
        th = thresholds(w.time, w["v(in)"], w["v(top)"], w["i(vsense)"])
        f = dev.replace(T0=float(T0)).folds()
        sims.append({"T0": float(T0),
                     "v_th": float(np.nanmean(th["v_th_pos"] + th["v_th_neg"])),
                     "v_hold": float(np.nanmean(th["v_hold_pos"] + th["v_hold_neg"])),
                     "v_th_polarity_difference": float(abs(th["v_th_pos"][0] - th["v_th_neg"][0])),
                     "v_th_folds": f["v_th"], "v_hold_folds": f["v_hold"]})
    sim_vth = np.array([s["v_th"] for s in sims])
    dev_vth = np.array([s["v_th"] - s["v_th_folds"] for s in sims])
    dev_vhold = np.array([s["v_hold"] - s["v_hold_folds"] for s in sims])

    # slope of Vth(T0) at the device's own ambient (central difference of the folds, +/- 1 K)
    dvdT = (dev.replace(T0=dev.T0 + 1).folds()["v_th"] - dev.replace(T0=dev.T0 - 1).folds()["v_th"]) / 2
    chords = [{"T0": [a["T0"], b["T0"]], "simulated": (b["v_th"] - a["v_th"]) / (b["T0"] - a["T0"]),
               "folds": (b["v_th_folds"] - a["v_th_folds"]) / (b["T0"] - a["T0"])}
              for a, b in zip(sims, sims[1:], strict=False)]

    finite = np.isfinite(vth_grid)
    res = {
        "v_peak": pos["v_peak"], "i_peak": pos["i_peak"], "ndr_depth": pos["depth"],
        "v_valley": pos["v_valley"], "i_valley": pos["i_valley"], "T_at_peak": T_at_peak,
        "v_peak_neg": neg["v_peak"], "ndr_depth_neg": neg["depth"],
        "hysteresis_current_drive": hyst,
        "T_max_current_sweep": float(T.max()),
        "folds": folds,
        "peak_minus_folds_v_th": pos["v_peak"] - folds["v_th"],
        "valley_minus_folds_v_hold": pos["v_valley"] - folds["v_hold"],
        "dvth_dT0": dvdT, "T0": dev.T0,
        "dvth_dT0_chords": chords,
        "T0_critical": _none(T0c),
        "no_ndr_sweep": None if no_ndr is None else {"T0": hot.T0, "depth": no_ndr["depth"]},
        "v_th_vs_T0": {"T0": grid.tolist(), "v_th": [_none(x) for x in vth_grid],
                       "v_hold": [_none(x) for x in vhold_grid]},
        "simulated_vs_T0": sims,
        "definitions": {
            "v_peak": "current drive, rising leg: the largest |V| before the deepest fall of |V| below its "
                      "running maximum (the threshold fold); i_peak its current",
            "ndr_depth": "v_peak minus the lowest |V| after it on the rising leg (v_valley: the hold fold)",
            "hysteresis_current_drive": "largest |V| difference between the rising and falling legs at equal |I|, "
                                        "over |I| >= i_max/1000",
            "dvth_dT0": "d Vth / d T0 of folds() at the device's ambient, central difference +/- 1 K (V/K)",
            "T0_critical": "the ambient above which folds() finds no fold: no NDR, no threshold switching",
            "simulated_vs_T0": "Vth and Vhold (mean of both polarities) of one triangular voltage sweep through "
                               "R_s per ambient, analysis.iv.thresholds, against folds() at that ambient",
        },
    }
    sim_falls = bool(np.all(np.diff(sim_vth) < 0)) if sim_vth.size > 1 else True
    checks = [
        Check("S-shaped NDR under current drive", "NDR", json_safe({"v_peak": pos["v_peak"],
                                                                     "v_valley": pos["v_valley"],
                                                                     "depth": pos["depth"]}),
              "|V| falls by > 50 mV after the peak as the current rises", pos["depth"] > 0.05),
        Check("current-driven peak at the quasi-static threshold fold", _none(folds["v_th"]), _none(pos["v_peak"]),
              "+/- 10 mV of folds()['v_th']", bool(abs(pos["v_peak"] - folds["v_th"]) <= 0.01)),
        Check("current-driven valley at the quasi-static hold fold", _none(folds["v_hold"]), _none(pos["v_valley"]),
              "+/- 10 mV of folds()['v_hold']", bool(abs(pos["v_valley"] - folds["v_hold"]) <= 0.01)),
        Check("polarities symmetric (current drive)", _none(pos["v_peak"]), _none(neg["v_peak"]),
              "negative peak and depth within 5 mV of the positive ones",
              bool(abs(pos["v_peak"] - neg["v_peak"]) <= 5e-3 and abs(pos["depth"] - neg["depth"]) <= 5e-3)),
        Check("no hysteresis under current drive", "single-valued V(I)", hyst,
              "rising and falling legs within 5 mV (|I| >= i_max/1000)", bool(hyst <= 5e-3)),
        Check("Vth falls as T0 rises", "falls",
              {"folds": [round(x, 4) for x in vth_grid[finite]], "simulated": sim_vth.round(4).tolist()},
              "strictly, on the folds() grid and in the simulated sweeps",
              bool(finite.sum() > 1 and np.all(np.diff(vth_grid[finite]) < 0) and sim_falls)),
        Check("simulated Vth(T0) at the folds", 0.0, _none(np.max(np.abs(dev_vth))),
              "every simulated ambient within 5 mV of folds()['v_th']", bool(np.max(np.abs(dev_vth)) <= 5e-3)),
        Check("simulated Vhold(T0) at the folds", 0.0, _none(np.max(np.abs(dev_vhold))),
              "every simulated ambient within 5 mV of folds()['v_hold']", bool(np.max(np.abs(dev_vhold)) <= 5e-3)),
        Check("no NDR above the critical ambient", f"depth < {NO_NDR * 1e3:g} mV",
              None if no_ndr is None else no_ndr["depth"],
              f"current sweep at T0_critical + {p.T0_above:g} K: |V| never falls by {NO_NDR * 1e3:g} mV",
              bool(no_ndr is not None and no_ndr["depth"] < NO_NDR)),
    ]
    notes = [
        "Under voltage drive the NDR branch is unstable (the device jumps from Vth to the on branch and back at "
        "Vhold: Fig. 2b's hysteresis); under current drive it is stable and the quasi-static I-V is single valued: "
        f"|V| rises to {pos['v_peak']:.4f} V at {pos['i_peak'] * 1e6:.1f} uA (core {T_at_peak:.0f} K), falls by "
        f"{pos['depth'] * 1e3:.0f} mV to {pos['v_valley']:.4f} V at {pos['i_valley'] * 1e6:.0f} uA and rises again "
        "along R_s.",
        f"Vth falls with the ambient, {dvdT * 1e3:.2f} mV/K at T0 = {dev.T0:g} K: the threshold is the power at "
        "which Joule heating runs away against R_th, and a warmer core needs less of it (Ea/k_B T0 = "
        f"{dev.Ea / (8.617333262e-05 * dev.T0):.1f}). Vhold moves far less. The two folds merge near "
        + (f"{T0c:.1f} K: above it the curve is monotonic and the device no longer switches (a Fig. 2d neuron "
           "would not spike)." if np.isfinite(T0c) else "no ambient of the grid (no critical ambient found)."),
        "No temperature-dependent data in the paper: this experiment checks the model against its own "
        "quasi-static solution, not against a measurement.",
    ]
    data = {"wf": wf, "legs": legs, "curve": dev.steady_curve(), "grid": grid, "vth_grid": vth_grid,
            "vhold_grid": vhold_grid, "sims": sims, "pos": pos, "neg": neg, "T0c": T0c,
            "hot": wfs[1] if hot is not None else None, "T0_hot": None if hot is None else hot.T0}
    return Results(json_safe(res), checks, notes, data)


def plot(r: Results):
    res, d = r.results, r.data
    wf, legs, c = d["wf"], d["legs"], d["curve"]
    v, i, T = wf["v(top)"], wf["i(vsense)"], wf[TEMPERATURE]
    f = res["folds"]
    i_max = r.params.i_max
    shown = c["I"] <= 1.05 * i_max                       # the steady curve over the swept range
    cV, cI, cT = c["V"][shown], c["I"][shown], c["T"][shown]
    fig, axes = figure(2, 2, w=4.6, h=3.6)
    ax_lin, ax_log = axes[0]
    ax_T, ax_T0 = axes[1]
    polarities = ((0, "tab:blue", "ngspice, current drive, +"), (2, "tab:green", "ngspice, current drive, −"))
    for k, color, label in polarities:
        ax_lin.plot(v[legs[k]], i[legs[k]] * 1e3, color=color, lw=2.2, alpha=0.6, label=label)
        ax_log.semilogy(np.abs(v[legs[k]]), np.abs(i[legs[k]]), color=color, lw=2.2, alpha=0.6, label=label)
        ax_T.semilogx(np.abs(i[legs[k]]), T[legs[k]], color=color, lw=2.2, alpha=0.6, label=label)
    ax_lin.plot(cV, cI * 1e3, "k--", lw=0.9, label="quasi-static steady_curve()")
    ax_lin.plot(-cV, -cI * 1e3, "k--", lw=0.9)
    ax_log.semilogy(cV, cI, "k--", lw=0.9, label="quasi-static steady_curve()")
    ax_T.semilogx(cI, cT, "k--", lw=0.9, label="quasi-static")
    hot = d["hot"]
    if hot is not None:
        up = hot.time < hot.time[-1] / 4
        ax_log.semilogy(hot["v(top)"][up], np.abs(hot["i(vsense)"][up]), color="tab:purple", lw=1,
                        label=f"T0 = {d['T0_hot']:.0f} K: no NDR")
    for key, color in (("v_th", "tab:red"), ("v_hold", "tab:orange")):
        if f[key] is not None:                               # None: no fold at this ambient
            ax_log.axvline(f[key], color=color, ls=":", lw=1, label=f"folds() {key} = {f[key]:.3f} V")
    pos = d["pos"]
    for ax, scale in ((ax_lin, 1e3), (ax_log, 1.0)):
        ax.plot(pos["v_peak"], pos["i_peak"] * scale, "o", mfc="none", color="tab:red", ms=8,
                label=f"peak {pos['v_peak']:.3f} V, {pos['i_peak'] * 1e6:.1f} µA")
        ax.plot(pos["v_valley"], pos["i_valley"] * scale, "s", mfc="none", color="tab:orange", ms=7,
                label=f"valley {pos['v_valley']:.3f} V (NDR {pos['depth'] * 1e3:.0f} mV)")
        ax.grid(alpha=0.3)
    ax_lin.set_xlim(-1.15 * np.abs(v).max(), 1.15 * np.abs(v).max())
    ax_lin.set_xlabel("device voltage (V)")
    ax_lin.set_ylabel("device current (mA)")
    ax_log.set_xlabel("|device voltage| (V)")
    ax_log.set_ylabel("|device current| (A)")
    ax_log.set_ylim(1e-8, 2 * i_max)
    legend_outside(ax_lin, ncol=2, title="(a) S-shaped I-V under a current sweep, both polarities")
    legend_outside(ax_log, ncol=2, title="(b) the same, |I| on a log scale: threshold fold, NDR, hold fold")

    for key, color in (("th", "tab:red"), ("hold", "tab:orange")):
        if f[f"T_{key}"] is None:
            continue
        ax_T.plot(f[f"i_{key}"], f[f"T_{key}"], "o", color=color, label=f"fold {key}: {f[f'T_{key}']:.0f} K")
    ax_T.set_xlim(1e-7, 2 * i_max)
    ax_T.set_xlabel("|device current| (A)")
    ax_T.set_ylabel("core temperature T (K)")
    ax_T.grid(alpha=0.3)
    legend_outside(ax_T, ncol=2, title="(c) core temperature along the current sweep")

    grid, vth, vhold = d["grid"], d["vth_grid"], d["vhold_grid"]
    ax_T0.plot(grid, vth, color="tab:red", label="Vth, folds()")
    ax_T0.plot(grid, vhold, color="tab:orange", label="Vhold, folds()")
    sims = d["sims"]
    ax_T0.plot([s["T0"] for s in sims], [s["v_th"] for s in sims], "o", mfc="none", color="tab:red", ms=7,
               label="Vth, ngspice voltage sweep")
    ax_T0.plot([s["T0"] for s in sims], [s["v_hold"] for s in sims], "s", mfc="none", color="tab:orange", ms=7,
               label="Vhold, ngspice voltage sweep")
    if np.isfinite(d["T0c"]):
        ax_T0.axvspan(d["T0c"], grid[-1], color="0.85", lw=0, label=f"no fold (no NDR) above {d['T0c']:.0f} K")
    ax_T0.axvline(res["T0"], color="0.4", ls=":", lw=1, label=f"device T0 = {res['T0']:g} K")
    ax_T0.set_xlim(grid[0], grid[-1])
    ax_T0.set_xlabel("ambient temperature T0 (K)")
    ax_T0.set_ylabel("voltage (V)")
    ax_T0.grid(alpha=0.3)
    slope = "n/a" if res["dvth_dT0"] is None else f"{res['dvth_dT0'] * 1e3:.2f} mV/K"
    legend_outside(ax_T0, ncol=2, title=f"(d) threshold and hold vs ambient: dVth/dT0 = {slope} at {res['T0']:g} K")
    return fig


EXPERIMENT = experiment(name="ndr", figure="beyond the paper (Fig. 2b physics)", params=NDRParams, run=run,
                        plot=plot, order=2.5,
                        keys=("v_peak", "i_peak", "ndr_depth", "folds", "dvth_dT0", "T0_critical", "v_th_vs_T0",
                              "simulated_vs_T0"),
                        headline=("v_peak", "i_peak", "ndr_depth", "dvth_dT0", "T0_critical"),
                        quick={"n_T0_sim": 2, "T0_step": 10.0, "n_steps": 1000}, devices=("nbox_et",))
