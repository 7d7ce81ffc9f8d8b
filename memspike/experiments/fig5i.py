"""``fig5i``: online learning with the simplified delta rule on one NbOx neuron with four TaOx synapses
(Fig. 5h-i, Supp. Fig. 13).

The neuron starts programmed for 0110 (S2, S3 at ``g_high``, S1, S4 at ``g_low``, by the verify loop
of :mod:`circuits.programming`). The pattern 1010 is then presented again and again, as the paper
describes, with the expected output "the neuron fires for it": at least ``target`` spikes in the
``n_pulses`` of a presentation. After each presentation the output ``y`` (the simulated spike count,
an ngspice run of the 4 x 1 crossbar) is compared with the target and, while it falls short, every
synapse is updated by programming pulses (TaOx transients):

    n = ceil(eta (target - y)) pulses;  x_i = 1: SET, x_i = 0: RESET

the simplified (sign, "Manhattan") delta rule Delta w_i ~ (t - y) x_i with the inputs coded
x_i = +1 (pulsed) / -1 (not pulsed): the synapses of the presented pattern grow while the others
shrink, which is what turns 0110 into 1010 in Fig. 5i (a rule that touched only the pulsed
synapses, with x_i in {0, 1}, could never lower S2, which 1010 never pulses). The expected output
is a lower bound, not a count to hit: the neuron's count jumps from 0 to about one spike per pulse
once the node passes threshold (all or nothing), so a two-sided target inside that jump would make
the rule overshoot back and forth forever. Learning stops when the output has met the target for
``settle`` presentations in a row. A synapse already at a bound (S4 at g_min, RESET) just stays
there: the bounded pulse response makes the rule safe without clipping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from circuits.programming import apply_pulses_many
from pyspice_models.params import ParameterError, again, param

from ..plotting import figure, legend_outside
from ._shared import Amplitude, Interval, Membrane, Timing
from .base import Check, Ref, Results, experiment
from .fig5fg import bits, check_bits, n_hot, present, program_array

PAPER = {"initial": Ref("0110", "", "Fig. 5i"), "trained": Ref("1010", "", "Fig. 5i, Supp. Fig. 13c")}


@dataclass(frozen=True, kw_only=True)
class Fig5iParams(Membrane, Interval, Timing, Amplitude):
    amplitude: float = again(1.0, "Fig. 5: 1 V input pulses")
    width: float = again(1e-6, "Fig. 5: 1 µs")
    interval: float = again(0.1e-6, "Fig. 5: 0.1 µs")
    n_pulses: int = again(10, "Fig. 5: 10 pulses per presentation")
    C_m: float = again(100e-12, "as Fig. 5f-g's neurons")
    g_high: float = param(160e-6, "S", "initial high conductance (S2, S3 of 0110), as Fig. 5f-g", lo=1e-9, hi=1)
    g_low: float = param(15e-6, "S", "initial low conductance (S1, S4), as Fig. 5f-g", lo=1e-9, hi=1)
    target: int = param(8, "", "expected output for 1010: at least this many spikes per presentation (the "
                        "neuron fires on most pulses, as a neuron programmed for its pattern does in Fig. 5f-g)",
                        lo=1, hi=10000, lo_open=False, integer=True)
    eta: float = param(0.5, "", "learning rate: programming pulses per spike of error (at least one)",
                       lo=0, hi=100)
    max_steps: int = param(40, "", "presentations at most", lo=1, hi=1000, lo_open=False, integer=True)
    settle: int = param(2, "", "learning stops after this many presentations in a row on target",
                        lo=1, hi=100, lo_open=False, integer=True)
    seed: int = param(2020, "", "seed of the as-fabricated states the initial programming starts from",
                      lo=0, hi=2**31, lo_open=False, integer=True)
    initial: int = param(110, "4 bits", "the pattern the neuron is programmed for first: Fig. 5i's 0110",
                         lo=0, hi=1111, lo_open=False, integer=True)
    trained: int = param(1010, "4 bits", "the pattern presented again and again: Fig. 5i's 1010", lo=0, hi=1111,
                         lo_open=False, integer=True)

    def _check_relations(self):
        check_bits("initial", self.initial)
        check_bits("trained", self.trained)
        if not self.g_low < self.g_high:
            raise ParameterError("g_low", self.g_low, f"a conductance < g_high = {self.g_high:g} S")
        if not self.target <= self.n_pulses * 3:
            raise ParameterError("target", self.target, f"a count <= 3 n_pulses = {3 * self.n_pulses}")


@dataclass(frozen=True)
class _Grounded:
    """The read configuration of Fig. 5f-g (unselected rows at 0 V), for :func:`present`."""

    amplitude: float
    width: float
    interval: float
    n_pulses: int
    C_m: float
    idle_grounded: int = 1


def pattern_of(g, g_mid: float) -> str:
    return "".join("1" if x > g_mid else "0" for x in g)


def delta_rule(shortfall: int, pattern: str, eta: float) -> tuple[int, list[str]]:
    """Pulses per synapse and each synapse's polarity for an output ``shortfall = target - y`` (<= 0: none)."""
    if shortfall <= 0:
        return 0, []
    n = max(1, math.ceil(eta * shortfall))
    return n, ["set" if bit == "1" else "reset" for bit in pattern]


def run(ctx) -> Results:
    """Online learning (simplified delta rule): a neuron programmed for 0110 is shown 1010 until it fires for it."""
    p = ctx.p
    rng = np.random.default_rng(p.seed)
    start, train = bits(p.initial), bits(p.trained)
    initial = np.array([[p.g_high if b == "1" else p.g_low] for b in start])
    weights, prog = program_array(ctx, initial, rng, "init")
    syn = [row[0] for row in weights]
    read = _Grounded(p.amplitude, p.width, p.interval, p.n_pulses, p.C_m)
    g_mid = (ctx.synapse.g_min + ctx.synapse.g_max) / 2
    history = {"conductance": [[s.conductance(s.w0) for s in syn]], "output": [], "pulses": [], "polarity": []}
    on_target = 0
    for step in range(p.max_steps):
        counts, _ = present(ctx, [[s] for s in syn], [train], read, f"s{step:03d}_")
        y = counts[0][0]
        history["output"].append(y)
        on_target = on_target + 1 if y >= p.target else 0
        if on_target >= p.settle:
            break
        n, pols = delta_rule(p.target - y, train, p.eta)
        history["pulses"].append(n)
        history["polarity"].append(pols)
        if n:
            syn = apply_pulses_many([(s, n, pol) for s, pol in zip(syn, pols, strict=True)], simulate=ctx.simulate,
                                    tag=f"u{step:03d}_")
        history["conductance"].append([s.conductance(s.w0) for s in syn])
    final = pattern_of(history["conductance"][-1], g_mid)
    patterns = n_hot(train.count("1"))
    counts, runs = present(ctx, [[s] for s in syn], patterns, read, "test")
    row = dict(zip(patterns, counts[0], strict=True))
    g = np.array(history["conductance"])
    learned = on_target >= p.settle
    checks = [
        Check(f"initial weights {start}", start, pattern_of(g[0], g_mid), "programmed",
              pattern_of(g[0], g_mid) == start),
        Check(f"the neuron learns to fire for {train}", f">= {p.target} spikes", history["output"][-1],
              f"on target for {p.settle} presentations within {p.max_steps}", learned),
        Check(f"final weights {train}", train, final, "conductances above/below (g_min + g_max)/2", final == train),
        Check(f"trained neuron fires most for {train} among patterns with as many ones", f"{train} first", row,
              "more spikes than for any other such pattern",
              bool(row[train] > max((v for q, v in row.items() if q != train), default=-1))),
    ]
    res = {"conductance": g.tolist(), "steps": list(range(len(g))), "final_pattern": final,
           "output": history["output"], "pulses": history["pulses"], "polarity": history["polarity"],
           "test": {"patterns": patterns, "spike_count": counts[0]}, "initial_programming": [r.as_dict() for r in prog],
           "rule": "while y < target: n = ceil(eta (target - y)) pulses per synapse, SET where the pattern has a 1, "
                   "RESET where it has a 0; stop after `settle` presentations with y >= target",
           "conductance_definition": "simulated state of each synapse after each update (w0 + dw at the end of "
                                     "its programming transient)"}
    notes = [f"{len(history['output'])} presentations of {train}, {sum(history['pulses'])} programming pulses per "
             f"synapse in all; output {history['output']}."]
    return Results(res, checks, notes, data={"g": g, "row": row, "runs": runs, "patterns": patterns})


def plot(r: Results):
    p, d, res = r.params, r.data, r.results
    fig, axes = figure(1, 3, w=4.3, h=3.5)
    ax = axes[0, 0]
    for i in range(4):
        ax.plot(res["steps"], d["g"][:, i] * 1e6, "o-", ms=3, label=f"S{i + 1}")
    ax.set_xlabel("update step (presentations of 1010)")
    ax.set_ylabel("conductance (µS)")
    legend_outside(ax, ncol=4, title=f"Fig. 5i: {bits(p.initial)} -> {res['final_pattern']} (trained on "
                   f"{bits(p.trained)})")
    ax = axes[0, 1]
    ax.plot(range(len(res["output"])), res["output"], "s-", color="k", ms=3, label="output y (spikes)")
    ax.axhline(p.target, color="tab:green", ls="--", label=f"target (at least {p.target})")
    ax.set_xlabel("presentation")
    ax.set_ylabel(f"spikes in {p.n_pulses} pulses")
    legend_outside(ax, ncol=2, title=f"output for {bits(p.trained)} during learning")
    ax = axes[0, 2]
    pats = d["patterns"]
    ax.bar(range(len(pats)), [d["row"][q] for q in pats],
           color=["tab:red" if q == bits(p.trained) else "0.6" for q in pats])
    ax.set_xticks(range(len(pats)), pats)
    ax.set_xlabel("input pattern (S1..S4)")
    ax.set_ylabel("spike count")
    legend_outside(ax, [], [], title="Supp. Fig. 13c: the trained neuron")
    return fig


EXPERIMENT = experiment(name="fig5i", figure="Fig. 5h-i", params=Fig5iParams, run=run, plot=plot, paper=PAPER,
                        order=51, keys=("conductance", "steps", "final_pattern"), headline=("final_pattern", "output"),
                        synapse=True, engines=("ngspice", "vacask"), quick={"n_pulses": 5, "target": 4})
