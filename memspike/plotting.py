"""Shared figure style: labelled axes with units, paper values marked, legends off the data."""

from __future__ import annotations

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PAPER_LINE = dict(color="tab:red", ls="--", lw=1.2)          # a paper value drawn as a line
PAPER_POINTS = dict(marker="s", mfc="none", color="tab:red", ls="none", ms=7)   # ... as points
plt.rcParams.update({"font.size": 9, "axes.titlesize": 9, "legend.fontsize": 7.5, "axes.labelsize": 9})


def figure(nrows=1, ncols=1, w=4.2, h=3.2, **kw):
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows), squeeze=False,
                             layout="constrained", **kw)
    return fig, axes


def legend_outside(ax, handles=None, labels=None, ncol=3, title: str = ""):
    """A legend above the axes, where it cannot hide data, and the title above the legend."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.01, 1, 0.2), mode="expand", ncol=ncol,
              frameon=False, borderaxespad=0)
    if title:
        rows = -(-len(handles) // ncol)
        ax.set_title(title, pad=6 + 12 * rows)


def trace_panel(ax_v, t, vin, vmem, i, spikes_t=(), title=""):
    """Input and membrane voltage (left axis) and device current (right axis)."""
    us = 1e6
    ax_v.plot(t * us, vin, color="0.6", lw=0.8, label="input")
    ax_v.plot(t * us, vmem, color="tab:blue", lw=0.9, label="membrane v")
    ax_v.set_xlabel("time (µs)")
    ax_v.set_ylabel("voltage (V)")
    ax_i = ax_v.twinx()
    ax_i.plot(t * us, i * 1e3, color="tab:orange", lw=0.8, label="device current")
    ax_i.set_ylabel("device current (mA)")
    ima = np.asarray(i, float) * 1e3
    if ima.size and np.all(np.isfinite(ima)):
        lo, hi = min(0.0, float(ima.min())), max(0.0, float(ima.max()))
        pad = 0.08 * (hi - lo) or 1e-6
        ax_i.set_ylim(lo - (pad if lo < 0 else 0.02 * (hi - lo)), hi + pad)   # spike peaks clear of the frame
    for ts in spikes_t:
        ax_i.axvline(ts * us, color="tab:orange", alpha=0.15, lw=0.6)
    lines = ax_v.get_lines()[:2] + ax_i.get_lines()[:1]
    legend_outside(ax_v, lines, [ln.get_label() for ln in lines], title=title)
    return ax_i


def value_map(ax, values, fmt: str, *, cmap: str, dark: str = "low", fontsize=None, skip_below=None, **imshow_kw):
    """``values`` (rows x columns) as an image with each cell's value written on it (``fmt``, e.g. ``"{:.0f}"``)
    in white on the colormap's dark end (``dark``: ``"low"`` for viridis/magma, ``"high"`` for Blues) and black
    elsewhere; cells below ``skip_below`` stay unwritten. Returns the image (for a colorbar)."""
    values = np.asarray(values, float)
    im = ax.imshow(values, cmap=cmap, **imshow_kw)
    half = max(float(values.max()), 1.0) / 2 if values.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if skip_below is not None and v < skip_below:
            continue
        on_dark = v < half if dark == "low" else v > half
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize, color="w" if on_dark else "k")
    return im
