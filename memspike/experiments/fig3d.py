"""``fig3d``: spatial summation over a grid of input amplitudes V1, V2, with a surface fit (Fig. 3d)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.fits import fit_surface, sigmoid_surface
from pyspice_models.params import ParameterError, param

from ..plotting import figure, legend_outside
from ._shared import duration, fit_or_reason, fit_warnings, idle, run_dendrite, train
from .base import VTH_KNOB, Check, Ref, Results, experiment, synapse_knob
from .fig3c import Fig3cParams

PAPER = {"fit_r2": Ref(0.9, "", "memspike criterion: the rate surface of Fig. 3d is described by the fit")}


@dataclass(frozen=True, kw_only=True)
class Fig3dParams(Fig3cParams):
    v_min: float = param(0.6, "V", "Fig. 3d: amplitudes from 0.6 V", lo=0, hi=20)
    v_max: float = param(0.9, "V", "Fig. 3d: to 0.9 V", lo=0, hi=20)
    n_levels: int = param(7, "", "amplitudes per input, evenly from v_min to v_max (7: 0.05 V steps)",
                          lo=3, hi=50, lo_open=False, integer=True)

    def _check_relations(self):
        if not self.v_min < self.v_max:
            raise ParameterError("v_min", self.v_min, f"an amplitude < v_max = {self.v_max:g} V")


MIN_FIRING = 3     # cells with rate > 0: fewer cannot show a rise along both axes


def rises_where_firing(name: str, rate: np.ndarray, axis: int) -> Check:
    """Along ``axis``, every step between neighbouring cells of which at least one fires is non-decreasing,
    and at least two such steps are judged (a grid of zeros, which rises trivially, fails)."""
    d = np.diff(rate, axis=axis)
    lo, hi = np.take(rate, range(rate.shape[axis] - 1), axis=axis), np.take(rate, range(1, rate.shape[axis]), axis=axis)
    judged = (lo > 0) | (hi > 0)
    ok = bool(judged.sum() >= 2 and np.all(d[judged] >= 0) and np.any(d[judged] > 0))
    return Check(name, "rises", {"steps_judged": int(judged.sum()), "steps_falling": int((d[judged] < 0).sum())},
                 "non-decreasing over every step touching a firing cell, >= 2 steps judged, one rising", ok)


def run(ctx) -> Results:
    """Spatial summation over a grid of input amplitudes V1, V2 (Fig. 3c circuit), with a surface fit."""
    p = ctx.p
    levels = np.linspace(p.v_min, p.v_max, p.n_levels)
    cases = [(f"v1_{i}_v2_{j}", [train(v1, p), train(v2, p)])
             for i, v1 in enumerate(levels) for j, v2 in enumerate(levels)]
    runs = run_dendrite(ctx, cases)
    rate = np.array([sp.count / duration(p) for sp, _, _ in runs]).reshape(p.n_levels, p.n_levels)
    V1, V2 = np.meshgrid(levels, levels, indexing="ij")
    fit, fit_doc = fit_or_reason(fit_surface, V1.ravel(), V2.ravel(), rate.ravel())
    res = {"v1": levels.tolist(), "v2": levels.tolist(), "rate": rate.tolist(), "fit": fit_doc,
           "rate_definition": "spike count / (n_pulses * (width + interval)); rate[i][j] at v1[i], v2[j]",
           "idle": idle(p)}
    r2 = PAPER["fit_r2"].value
    firing = int((rate > 0).sum())
    checks = [
        Check("the neuron fires in enough cells to judge", f">= {MIN_FIRING} cells", firing,
              f">= {MIN_FIRING} of {rate.size} cells with rate > 0", firing >= MIN_FIRING),
        rises_where_firing("rate rises with V1 where the neuron fires", rate, axis=0),
        rises_where_firing("rate rises with V2 where the neuron fires", rate, axis=1),
        Check("surface fit R^2", f">= {r2:g}", fit_doc.get("r2"), f">= {r2:g}", bool(fit and fit.r2 >= r2),
              fit_warnings(fit, fit_doc)),
    ]
    notes = ["Fit: rate = R_max / (1 + exp(-(c V1 + (1-c) V2 - v50)/s)), a sigmoid of the weighted input "
             "(c = R_2/(R_1+R_2) for a resistive node). Supplementary Note 3's own fit is not in the text."]
    return Results(res, checks, notes, data={"fit": fit})


def plot(r: Results):
    levels = np.asarray(r.results["v1"])
    rate = np.asarray(r.results["rate"])
    fit = r.data["fit"]
    fig, axes = figure(1, 2, w=4.6, h=3.9)
    ax = axes[0, 0]
    step = levels[1] - levels[0]
    ext = [levels[0] - step / 2, levels[-1] + step / 2] * 2
    im = ax.imshow(rate.T / 1e6, origin="lower", extent=ext, aspect="auto", cmap="viridis")
    fig.colorbar(im, ax=ax, label="firing rate (MHz)")
    fig.get_layout_engine().set(wspace=0.12)        # room between the colourbar's label and the next panel
    ax.set_xlabel("V1 (V)")
    ax.set_ylabel("V2 (V)")
    ax.set_title("Fig. 3d: simulated rate")
    ax = axes[0, 1]
    vv = np.linspace(levels[0], levels[-1], 100)
    for j in range(0, len(levels), max(1, len(levels) // 4)):
        line = ax.plot(levels, rate[:, j] / 1e6, "o", ms=4, label=f"V2 = {levels[j]:.2f} V")[0]
        if fit:
            ax.plot(vv, sigmoid_surface(vv, levels[j], **fit.params) / 1e6, color=line.get_color(), lw=1)
    ax.set_xlabel("V1 (V)")
    ax.set_ylabel("firing rate (MHz)")
    legend_outside(ax, ncol=2, title=f"points: simulation; lines: fit (R² = {fit.r2:.3f})" if fit else "fit failed")
    return fig


EXPERIMENT = experiment(name="fig3d", figure="Fig. 3d", params=Fig3dParams, run=run, plot=plot, paper=PAPER,
                        engines=("ngspice", "vector"),
                        order=31, keys=("v1", "v2", "rate", "fit"), headline=("rate",),
                        quick={"n_pulses": 5},      # the full grid (6 firing cells to judge), half the pulses
                        margins=(VTH_KNOB, synapse_knob("R_1", "R_2")))
