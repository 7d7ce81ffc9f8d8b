"""``fig5fg``: pattern recognition in the 4 x 4 NbOx/TaOx crossbar with programmed weights (Fig. 5f-g).

Each of the four column neurons is programmed for one two-hot input pattern (neuron 1 for 0101,
neuron 2 for 1100 as in the paper; neurons 3 and 4 for 1010 and 0011): the synapses of its pattern's
rows to ``g_high``, the others to ``g_low``, by SET/RESET pulses with a verify read after each
(:func:`circuits.programming.program_many`, from a seeded random as-fabricated state). Then every
4-bit input pattern is presented (1 V, 1 us, 0.1 us, 10 pulses on the rows of its 1 bits; the rows of
its 0 bits held at 0 V) and each neuron's spikes are counted.

Why the neuron separates the patterns: with the unselected rows at 0 V a column is a divider. Its
node settles near ``V (sum of g on active rows) / (sum of all g)``: 0.89 V for its own pattern
(two ``g_high`` driven, two ``g_low`` at 0 V), 0.5 V for a pattern sharing one row, both against the
device's 0.77 V threshold.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from circuits.crossbar import crossbar
from circuits.programming import program_many
from pyspice_models.params import ParameterError, again, param

from ..plotting import PAPER_LINE, figure, legend_outside, value_map
from ..text import value_text
from ._shared import Amplitude, Interval, Membrane, Timing, idle, train
from .base import Check, Ref, Results, experiment


def bits(value) -> str:
    """A 4-bit pattern parameter (stored as the number with those decimal digits: 0101 -> 101) as text."""
    return value_text(value, "4 bits")


def check_bits(name: str, value) -> None:
    if not set(bits(value)) <= {"0", "1"} or len(bits(value)) != 4 or "1" not in bits(value):
        raise ParameterError(name, value, "a pattern of 4 bits with at least one 1, e.g. 0101")


PAPER = {"neuron_1": Ref("0101", "", "Fig. 5f"), "neuron_2": Ref("1100", "", "Fig. 5g"),
         "stimulus": Ref({"amplitude": 1.0, "width": 1e-6, "interval": 0.1e-6, "n_pulses": 10}, "SI", "Fig. 5f-g")}
TAIL = 0.3e-6


@dataclass(frozen=True, kw_only=True)
class Fig5fgParams(Membrane, Interval, Timing, Amplitude):
    amplitude: float = again(1.0, "Fig. 5f-g: 1 V input pulses (far below the TaOx SET threshold: reads)")
    width: float = again(1e-6, "Fig. 5f-g: 1 µs")
    interval: float = again(0.1e-6, "Fig. 5f-g: 0.1 µs")
    n_pulses: int = again(10, "Fig. 5f-g: 10 pulses")
    C_m: float = again(100e-12, "membrane capacitor on every column: with the column's 2 g_high + 2 g_low = "
                       "350 µS to the rows the node charges in ~0.3 µs, so a matched pattern fires within each 1 µs "
                       "pulse")
    g_high: float = param(160e-6, "S", "programmed conductance of a synapse in its neuron's pattern: two of them "
                          "at 1 V against two g_low at 0 V would hold the node near 0.91 V; at the 0.77 V threshold "
                          "they still deliver 2 x 160 µS x 0.23 V - 2 x 15 µS x 0.77 V = 51 µA, well above the "
                          "device's 23.9 µA there; one of them against three g_low (a pattern sharing one input) "
                          "delivers 160 µS x 0.23 V - 3 x 15 µS x 0.77 V = 2 µA there, far below it: silent",
                          lo=1e-9, hi=1)
    g_low: float = param(15e-6, "S", "programmed conductance of a synapse outside the pattern: near g_min "
                         "(programming stops within about half a pulse step of a target, ~4.5 µS at g_min)",
                         lo=1e-9, hi=1)
    seed: int = param(2020, "", "seed of the as-fabricated (random) states the programming starts from",
                      lo=0, hi=2**31, lo_open=False, integer=True)
    idle_grounded: int = param(1, "", "rows of 0 bits: 1 = held at 0 V (a crossbar's unselected rows), 0 = floating",
                               lo=0, hi=1, lo_open=False, integer=True)
    pattern_1: int = param(101, "4 bits", "the pattern neuron 1 is programmed for (inputs S1..S4): Fig. 5f's 0101",
                           lo=0, hi=1111, lo_open=False, integer=True)
    pattern_2: int = param(1100, "4 bits", "neuron 2's pattern: Fig. 5g's 1100", lo=0, hi=1111, lo_open=False,
                           integer=True)
    pattern_3: int = param(1010, "4 bits", "neuron 3's pattern (the paper shows two neurons; the array has four)",
                           lo=0, hi=1111, lo_open=False, integer=True)
    pattern_4: int = param(11, "4 bits", "neuron 4's pattern: 0011", lo=0, hi=1111, lo_open=False, integer=True)

    def patterns(self) -> tuple[str, ...]:
        return tuple(bits(getattr(self, f"pattern_{j}")) for j in range(1, 5))

    def _check_relations(self):
        for j in range(1, 5):
            check_bits(f"pattern_{j}", getattr(self, f"pattern_{j}"))
        if not self.g_low < self.g_high:
            raise ParameterError("g_low", self.g_low, f"a conductance < g_high = {self.g_high:g} S")


def targets(p) -> np.ndarray:
    """The programming targets: rows x columns, g_high where the column's pattern has a 1."""
    return np.array([[p.g_high if pat[i] == "1" else p.g_low for pat in p.patterns()] for i in range(4)])


def program_array(ctx, target: np.ndarray, rng: np.random.Generator, tag: str):
    """Program a rows x columns array from random states with the verify loop; (synapses, results)."""
    syn = ctx.synapse
    for name, g in (("g_high", target.max()), ("g_low", target.min())):
        if not syn.g_min <= g <= syn.g_max:
            raise ParameterError(name, g, f"a conductance in [g_min, g_max] = [{syn.g_min:g}, {syn.g_max:g}] S "
                                 "of the synapse")
    start = [syn.replace(w0=float(w)) for w in rng.uniform(0, 1, target.size)]
    results = program_many(start, target.ravel().tolist(), simulate=ctx.simulate, tag=tag)
    cells = [r.synapse for r in results]
    return [cells[i * target.shape[1]:(i + 1) * target.shape[1]] for i in range(target.shape[0])], results


def array_net(p, weights, pattern: str, **kw):
    """The crossbar of ``weights`` presented with ``pattern``: ``p``'s pulse train on the rows of its 1 bits, the
    rows of its 0 bits held at 0 V or floating (``p.idle_grounded``); ``kw`` to :func:`circuits.crossbar.crossbar`
    (device, synapse, title)."""
    tr = train(p.amplitude, p)
    return crossbar(inputs=[tr if b == "1" else None for b in pattern], weights=weights, C_m=p.C_m, tail=TAIL,
                    idle=idle(p), **kw)


def present(ctx, weights, patterns, p, tag: str):
    """Run the crossbar once per pattern; spike counts [neuron][pattern] and the runs."""
    items = [(f"{tag}{pat}", array_net(p, weights, pat, device=ctx.device, synapse=ctx.synapse)) for pat in patterns]
    wfs = ctx.simulate(items)
    n_cols = len(weights[0])
    counts = [[ctx.spikes(wf, net, f"n{j + 1}").count for (_, net), wf in zip(items, wfs, strict=True)]
              for j in range(n_cols)]
    return counts, list(zip(items, wfs, strict=True))


def n_hot(k: int = 2) -> list[str]:
    """The 4-bit patterns with ``k`` ones (two-hot: the six of Fig. 5f-g)."""
    return ["".join("1" if i in ones else "0" for i in range(4)) for ones in itertools.combinations(range(4), k)]


def recognition_checks(counts, patterns, wanted) -> list[Check]:
    """Each neuron fires for its pattern and most for it among the patterns with as many ones (two-hot)."""
    checks = []
    for j, pat in enumerate(wanted):
        row = dict(zip(patterns, counts[j], strict=True))
        same = n_hot(pat.count("1"))
        others = {q: row[q] for q in same if q != pat}
        kind = "two-hot" if pat.count("1") == 2 else f"{pat.count('1')}-hot"
        checks.append(Check(f"neuron {j + 1} fires for {pat}", "> 0", row[pat], "> 0 spikes", row[pat] > 0))
        checks.append(Check(f"neuron {j + 1} fires most for {pat} among {kind} patterns", f"{pat} first",
                            {q: row[q] for q in same}, f"more spikes than for any other {kind} pattern",
                            bool(not others or row[pat] > max(others.values()))))
    return checks


def run(ctx) -> Results:
    """4 x 4 crossbar: program four neurons for four patterns (verify loop), then count spikes for every pattern."""
    p = ctx.p
    rng = np.random.default_rng(p.seed)
    target = targets(p)
    weights, results = program_array(ctx, target, rng, "prog")
    patterns = ["".join(bits) for bits in itertools.product("01", repeat=4)][1:]       # every non-zero pattern
    counts, runs = present(ctx, weights, patterns, p, "pat")
    g = np.array([[c.conductance(c.w0) for c in row] for row in weights])
    checks = [Check("programming converged", "every synapse", [r.converged for r in results],
                    "within its tolerance of the target", all(r.converged for r in results))]
    checks += recognition_checks(counts, patterns, p.patterns())
    res = {"patterns": patterns, "spike_count": counts, "programmed_for": list(p.patterns()),
           "weights": {"target": target.tolist(), "programmed": g.tolist(),
                       "pulses": [r.n_pulses for r in results], "errors": [r.error for r in results]},
           "idle": "rows of 0 bits held at 0 V" if p.idle_grounded else "rows of 0 bits floating",
           "rate_definition": "spike count / (n_pulses * (width + interval))"}
    notes = [f"Programmed 16 synapses from seeded random states: {sum(r.n_pulses for r in results)} pulses in "
             f"all (at most {max(r.n_pulses for r in results)} for one), largest error "
             f"{max(abs(r.error) for r in results) * 1e6:.2f} µS."]
    return Results(res, checks, notes, data={"runs": runs, "g": g, "patterns": patterns, "counts": counts,
                                             "v_th": ctx.device.threshold()})


def plot(r: Results):
    p, d = r.params, r.data
    fig, axes = figure(2, 2, w=6.2, h=3.8)
    ax = axes[0, 0]
    im = value_map(ax, d["g"] * 1e6, "{:.0f}", cmap="viridis", vmin=0)
    ax.set_xticks(range(4), [f"n{j + 1}\n{pat}" for j, pat in enumerate(p.patterns())])
    ax.set_yticks(range(4), [f"S{i + 1}" for i in range(4)])
    ax.set_title("programmed conductances (µS): neuron j's column holds its pattern")
    fig.colorbar(im, ax=ax)
    ax = axes[0, 1]
    th = n_hot(2)
    idx = [d["patterns"].index(q) for q in th]
    for j, pat in enumerate(p.patterns()[:2]):
        ax.bar(np.arange(len(th)) + 0.4 * j - 0.2, [d["counts"][j][k] for k in idx], width=0.4,
               label=f"neuron {j + 1} (programmed for {pat})")
    ax.set_xticks(range(len(th)), th)
    ax.set_xlabel("input pattern (S1..S4)")
    ax.set_ylabel(f"spike count ({p.n_pulses} pulses)")
    legend_outside(ax, ncol=2, title="Fig. 5f-g: output of neurons 1 and 2 on the two-hot patterns")
    ax = axes[1, 0]
    counts = np.array(d["counts"], float)
    im = value_map(ax, counts, "{:.0f}", cmap="magma", fontsize=7, vmin=0, aspect="auto")
    ax.set_xticks(range(len(d["patterns"])), d["patterns"], rotation=90)
    ax.set_yticks(range(counts.shape[0]), [f"n{j + 1} ({pat})" for j, pat in enumerate(p.patterns())])
    ax.set_xlabel("input pattern (S1..S4)")
    ax.set_title("every neuron on every pattern: spike counts")
    fig.colorbar(im, ax=ax)
    ax = axes[1, 1]
    first = p.patterns()[0]
    (_, net), wf = d["runs"][d["patterns"].index(first)]
    for j, (pat, ls) in enumerate(zip(p.patterns(), ("-", "-", "--", ":"), strict=True)):
        ax.plot(wf.time * 1e6, wf[f"v(c{j + 1})"], lw=0.9 if ls == "-" else 1.3, ls=ls,
                label=f"neuron {j + 1} ({pat})" + (" : its pattern" if pat == first else ""))
    ax.axhline(d["v_th"], **{**PAPER_LINE, "color": "k"}, label=f"device threshold {d['v_th']:.3f} V")
    ax.set_xlabel("time (µs)")
    ax.set_ylabel("membrane voltage (V)")
    legend_outside(ax, ncol=3, title=f"membranes of the four neurons, input {first}")
    return fig


EXPERIMENT = experiment(name="fig5fg", figure="Fig. 5f-g", params=Fig5fgParams, run=run, plot=plot, paper=PAPER,
                        order=50, keys=("patterns", "spike_count"), headline=("spike_count",), synapse=True,
                        engines=("ngspice", "vacask"), quick={"n_pulses": 4})
