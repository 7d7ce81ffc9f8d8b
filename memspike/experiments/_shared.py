"""What several experiments share: parameter fields declared once, dendrite runs, fits, panels.

Parameter fields are declared once here, each with a generic meaning; a
figure's parameter class inherits the groups it uses and redeclares a field
with :func:`~pyspice_models.params.again` to give its own default and reason.
The groups are small mixins (a pulse amplitude, pulse timing, a gap, a load,
synapses) so that no figure carries a key it does not use.

Dendritic circuits (Figs. 3-4): one NbOx neuron, two synaptic inputs (Fig.
3a). What an input that is "not applied" is (``idle``): disconnected in Fig.
3 - a grounded branch would hold the node at most at V R_2/(R_1 + R_2), and
XOR needs each input to fire the neuron alone; connected and held at 0 V in
Fig. 4 - otherwise no modulation m below Vth could raise the node.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.fits import FitError
from circuits.builders import dendrite as dendrite_circuit
from circuits.stimuli import PulseTrain
from pyspice_models.params import Params, param

from ..plotting import legend_outside, trace_panel

TAIL = 0.3e-6     # simulated after the last pulse, so that a spike at the very end is counted


# --------------------------------------------------------------------------- parameter groups
@dataclass(frozen=True, kw_only=True)
class Amplitude(Params):
    amplitude: float = param(1.3, "V", "pulse amplitude (either sign)", lo=-20, hi=20, lo_open=False)


@dataclass(frozen=True, kw_only=True)
class Timing(Params):
    width: float = param(1e-6, "s", "pulse width", lo=1e-9, hi=1e-3)
    n_pulses: int = param(10, "", "number of pulses per input", lo=1, hi=10000, lo_open=False, integer=True)


@dataclass(frozen=True, kw_only=True)
class Interval(Params):
    interval: float = param(0.1e-6, "s", "gap between pulses", lo=0, hi=1e-3, lo_open=False)


@dataclass(frozen=True, kw_only=True)
class Membrane(Params):
    C_m: float = param(30e-12, "F", "membrane capacitor, parallel to the NbOx device", lo=1e-15, hi=1e-6)


@dataclass(frozen=True, kw_only=True)
class Load(Membrane):
    R_L: float = param(3.6e3, "ohm", "load resistor between the input and the membrane node", lo=1, hi=1e8)


@dataclass(frozen=True, kw_only=True)
class Synapses(Membrane):
    R_1: float = param(5e3, "ohm", "synaptic resistor of input S1", lo=1, hi=1e8)
    R_2: float = param(5e3, "ohm", "synaptic resistor of input S2", lo=1, hi=1e8)
    idle_grounded: int = param(0, "", "an input not applied: 0 = disconnected, 1 = connected and held at 0 V",
                               lo=0, hi=1, lo_open=False, integer=True)


FIG3_IDLE = ("an input not applied is disconnected (Fig. 3: a grounded one would clamp the node to at most "
             "V R_2/(R_1 + R_2); XOR needs each input to fire alone)")


# --------------------------------------------------------------------------- dendrite runs
def train(amplitude: float, p, *, delay: float = 0.0, interval: float | None = None) -> PulseTrain | None:
    """A pulse train with ``p``'s timing, or None (input not applied) for a 0 V amplitude."""
    if amplitude == 0:
        return None
    return PulseTrain(amplitude=amplitude, width=p.width, interval=p.interval if interval is None else interval,
                      n_pulses=p.n_pulses, delay=delay)


def idle(p) -> str:
    return "ground" if p.idle_grounded else "open"


def duration(p) -> float:
    """The stimulus duration of ``n_pulses`` periods: the denominator of every rate."""
    return p.n_pulses * (p.width + p.interval)


def run_dendrite(ctx, cases, empty_duration: float = 0.0):
    """cases: (tag, trains) on the circuit of ``ctx.p`` -> list of (spikes, waveforms, netlist).

    A case with no applied input is simulated for ``empty_duration`` (the stimulus time).
    """
    p = ctx.p
    items = []
    for tag, trains in cases:
        tail = TAIL if any(t is not None for t in trains) else empty_duration + TAIL
        items.append((tag, dendrite_circuit(trains=trains, R=[p.R_1, p.R_2], C_m=p.C_m, idle=idle(p),
                                            device=ctx.device, tail=tail)))
    wfs = ctx.simulate(items)
    return [(ctx.spikes(wf, net), wf, net) for (_, net), wf in zip(items, wfs, strict=True)]


# --------------------------------------------------------------------------- fits
def fit_or_reason(fn, *args, **kw):
    """(fit, its JSON dict), or (None, {'converged': False, 'message': ...}) when the data cannot be fitted."""
    try:
        r = fn(*args, **kw)
    except FitError as e:
        return None, {"converged": False, "message": str(e)}
    return r, {"converged": True, **r.as_dict()}


def fit_warnings(fit, doc) -> list[str]:
    """A fit's warnings, or why it failed: shown beside every check that reads the fit."""
    if fit is None:
        return [f"fit failed: {doc['message']}"]
    return list(fit.warnings)


# --------------------------------------------------------------------------- panels
def inputs_panel(ax, sp, wf, title):
    """Membrane voltage, every input and the device current of one dendrite run."""
    vin = sorted(k for k in wf.vectors if k.startswith("v(s"))
    ax_i = trace_panel(ax, wf.time, wf[vin[0]] if vin else 0 * wf.time, wf["v(mem)"], wf["i(vsense)"],
                       sp.times, title)
    if len(vin) > 1:
        ax.get_lines()[0].set_label(f"input {vin[0][2:-1].upper()}")
        for k in vin[1:]:
            ax.plot(wf.time * 1e6, wf[k], color="0.3", lw=0.6, ls=":", label=f"input {k[2:-1].upper()}")
        lines = ax.get_lines() + ax_i.get_lines()[:1]
        legend_outside(ax, lines, [ln.get_label() for ln in lines], ncol=4, title=title)
    return ax_i


# --------------------------------------------------------------------------- logic gates (Figs. 3e, 3i)
def gate_rates(ctx, tag: str):
    """A ``rates_of`` for :func:`analysis.logic.truth_table` that simulates the dendrite of ``ctx.p``."""
    p = ctx.p
    dur = duration(p)

    def rates_of(pairs):
        cases = [(f"{tag}_{int(v1 != 0)}{int(v2 != 0)}", [train(v1, p), train(v2, p)]) for v1, v2 in pairs]
        return [sp.count / dur for sp, _, _ in run_dendrite(ctx, cases, empty_duration=dur)]

    return rates_of


def truth_figure(tt, title: str, paper_truth):
    """Rates of the four input combinations against the gate's threshold; output and paper's output."""
    import numpy as np

    from ..plotting import PAPER_LINE, figure, legend_outside

    fig, axes = figure(1, 1, w=5.0, h=3.6)
    ax = axes[0, 0]
    colors = ["tab:blue" if o else "0.6" for o in tt.outputs]
    rates = np.asarray(tt.rates) / 1e6
    ax.bar(["00", "01", "10", "11"], rates, color=colors)
    ax.axhline(tt.threshold / 1e6, **PAPER_LINE, label=f"threshold {tt.threshold / 1e6:g} MHz (paper)")
    for k, (r, o, po) in enumerate(zip(rates, tt.outputs, paper_truth, strict=True)):
        ax.text(k, r, f"out {o}\n(paper {po})", ha="center", va="bottom", fontsize=8,
                bbox={"fc": "white", "ec": "none", "pad": 1.0})          # legible over the threshold line
    ax.set_ylim(0, max(rates.max(), tt.threshold / 1e6) * 1.35 + 1e-9)
    ax.set_xlabel("inputs (S1 S2)")
    ax.set_ylabel("firing rate (MHz)")
    ax.plot([], [], "s", color="tab:blue", label="output 1")
    ax.plot([], [], "s", color="0.6", label="output 0")
    legend_outside(ax, title=title)
    return fig
