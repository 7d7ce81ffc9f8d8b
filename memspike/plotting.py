"""Shared figure style: labelled axes with units, paper values marked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PAPER = dict(color="tab:red", ls="--", lw=1.2)


def figure(nrows=1, ncols=1, w=4.2, h=3.2, **kw):
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows), squeeze=False,
                             constrained_layout=True, **kw)
    return fig, axes


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
    for ts in spikes_t:
        ax_i.axvline(ts * us, color="tab:orange", alpha=0.15, lw=0.6)
    if title:
        ax_v.set_title(title, fontsize=9)
    lines = ax_v.get_lines()[:2] + ax_i.get_lines()[:1]
    ax_v.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="upper right")
    return ax_i
