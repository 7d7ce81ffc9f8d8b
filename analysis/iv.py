"""Threshold-switching I-V analysis: Vth and Vhold per sweep branch, switching times."""

from __future__ import annotations

import numpy as np


def on_state(v, i, r_split: float | None = None) -> tuple[np.ndarray, float]:
    """Boolean on/off state from the chord resistance ``|v/i|``.

    ``r_split`` (ohm) separates the two states; by default the geometric mean of
    the lowest and highest chord resistances seen at ``|v| > 50 mV``.
    """
    v = np.asarray(v, float)
    i = np.asarray(i, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(v) / np.abs(i)
    if r_split is None:
        sel = (np.abs(v) > 0.05) & np.isfinite(r)
        if sel.sum() < 2:
            raise ValueError("not enough points above 50 mV to separate on and off states")
        r_split = float(np.sqrt(r[sel].min() * r[sel].max()))
    return (r < r_split) & (np.abs(v) > 1e-3), r_split


def thresholds(t, v_src, v_dev, i_dev, r_split: float | None = None) -> dict:
    """Vth and Vhold of every branch of a triangular sweep.

    A branch is a monotonic leg of the source from 0 V to its extreme and back.
    ``v_th`` is ``|v_dev|`` at the last off point before the first switch-on,
    ``v_hold`` is ``|v_dev|`` at the last on point before the first switch-off
    after the branch's peak (with a large series resistance the device may
    oscillate between Vhold and Vth on the way; the first release is the hold). Returns lists per
    polarity (``v_th_pos``, ``v_th_neg``, ``v_hold_pos``, ``v_hold_neg``), in
    sweep order, NaN where a branch never switched.
    """
    t = np.asarray(t, float)
    v_src = np.asarray(v_src, float)
    v_dev = np.asarray(v_dev, float)
    on, r_split = on_state(v_dev, i_dev, r_split)
    sign = np.sign(v_src)
    out = {"v_th_pos": [], "v_th_neg": [], "v_hold_pos": [], "v_hold_neg": [], "r_split": r_split}
    # excursions: maximal runs of one sign of the source
    nz = sign != 0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (sign * nz).astype(int), [0]))) != 0)
    for a, b in zip(edges[:-1], edges[1:], strict=False):
        if b - a < 3 or sign[a] == 0:
            continue
        pol = "pos" if sign[a] > 0 else "neg"
        seg_on = on[a:b]
        peak = int(np.argmax(np.abs(v_src[a:b])))
        ups = np.flatnonzero(~seg_on[:-1] & seg_on[1:])
        downs = np.flatnonzero(seg_on[:-1] & ~seg_on[1:])
        downs = downs[downs >= peak]
        out[f"v_th_{pol}"].append(float(abs(v_dev[a + ups[0]])) if ups.size else float("nan"))
        out[f"v_hold_{pol}"].append(float(abs(v_dev[a + downs[0]])) if downs.size else float("nan"))
    return out


BRANCH_KEYS = ("v_th_pos", "v_th_neg", "v_hold_pos", "v_hold_neg")


def pool_thresholds(sweeps: list[dict]) -> dict:
    """Pool the :func:`thresholds` of several sweeps: every branch value per key, the mean of each key,
    the polarity-averaged ``v_th`` and ``v_hold``, and how many branches never switched (``missing``)."""
    per = {k: [x for th in sweeps for x in th[k]] for k in BRANCH_KEYS}
    mean = {k: float(np.nanmean(v)) if v else float("nan") for k, v in per.items()}
    return {"per": per, "mean": mean,
            "v_th": (mean["v_th_pos"] + mean["v_th_neg"]) / 2, "v_hold": (mean["v_hold_pos"] + mean["v_hold_neg"]) / 2,
            "missing": int(sum(np.isnan(v).sum() for v in per.values()))}


def switching_times(t, i, t_up: float, t_down: float, t_end: float) -> dict:
    """ON and OFF switching times of a step response.

    The source steps up at ``t_up`` (above threshold) and down at ``t_down`` to a
    level below hold. ``t_on``: from ``t_up`` until ``|i|`` first reaches 90 % of
    its final on value; ``t_off``: from ``t_down`` until ``|i|`` falls to within
    10 % of the way from its final off value to its value just after the edge.
    """
    t = np.asarray(t, float)
    a = np.abs(np.asarray(i, float))
    hi = (t >= t_up) & (t < t_down)
    lo = (t >= t_down) & (t <= t_end)
    if hi.sum() < 5 or lo.sum() < 5:
        raise ValueError("step windows hold too few samples")
    th, ah = t[hi], a[hi]
    i_on = float(np.mean(ah[th >= t_up + 0.8 * (t_down - t_up)]))
    reach = np.flatnonzero(ah >= 0.9 * i_on)
    t_on = float(th[reach[0]] - t_up) if reach.size else float("nan")
    tl, al = t[lo], a[lo]
    i_off = float(np.mean(al[tl >= t_down + 0.8 * (t_end - t_down)]))
    i_edge = float(al[: max(3, al.size // 200)].max())
    level = i_off + 0.1 * (i_edge - i_off)
    fall = np.flatnonzero(al <= level)
    t_off = float(tl[fall[0]] - t_down) if fall.size else float("nan")
    return {"t_on": t_on, "t_off": t_off, "i_on": i_on, "i_off": i_off}
