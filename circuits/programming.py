"""Programming a TaOx synapse as on the bench: pulses, verify reads, a target conductance.

Every pulse and every read is a transient of the synapse alone (a PWL source
across one :data:`~pyspice_models.taox.TAOX` instance): ngspice (or VACASK)
computes what the pulse did, and the state is carried from one transient to
the next as the ``w0`` of the next netlist (``w0 + dw`` at the end of the
last one), exactly as a programmed weight is written in every netlist. One
programming step is one transient, a programming pulse followed by its
verify read, so a loop of ``n`` steps is ``n + 1`` transients (the first
reads the start state).

The verify loop (:func:`program`, :func:`program_many`): read the
conductance at ``read_amplitude`` (1 V, 1 us: the paper's read, below both
thresholds) as ``g = I / V``; below the target apply a SET pulse (positive,
above ``v_set``), above it a RESET pulse (negative, beyond ``-v_reset``);
stop when ``|g - g_target| <= tolerance`` (converged) or after
``max_pulses`` pulses (not converged).

The model's **resolution** at a conductance (:func:`resolution`) is the
larger of the steps one SET and one RESET pulse of the scheme make there,
computed from the model's own equations (the numpy rendering of the same
equations the simulators run, integrated exactly over the pulse's
trapezoid). The steps are geometric: one SET pulse leaves ``1 - w`` times
``q_set``, one RESET pulse leaves ``w`` times ``q_reset``, so the step
toward a bound shrinks near it (and vanishes at it), the step away from it
does not.

The default tolerance (:func:`tolerance_for`) is the tightest band a loop of
fixed pulses is guaranteed to land in without overshooting past it, about
half a step: ``max(up / (1 + q_set), down / (1 + q_reset))`` with ``up``
and ``down`` the SET and RESET steps at the target. Proof for an approach
from below (above is the mirror): the last pulse starts at some ``g' <
g_t - tol`` and ends at ``g_max - (g_max - g') q_set < g_t + tol`` exactly
when ``(g_max - g_t)(1 - q_set) = up <= tol (1 + q_set)``. So the loop
never reverses, applies the fewest pulses a fixed pulse allows, and ends
within half a step (within one step, the resolution, a fortiori). At g_min
and g_max the step toward the bound vanishes and the other polarity's step
sets the band, so both bounds are reachable (each in ~80 pulses from the
far end, with the default pulses).

A finer tolerance is allowed: the loop then halves the pulse width at each
reversal of polarity (an overshoot), down to two edge times, so the step
shrinks geometrically until the band is hit (the "adaptive width" verify
scheme). With the default tolerance no reversal happens (the halving is a
safeguard against the simulator's 1e-3-of-a-step differences from the
model's law at the band's very edge).

For learning rules (Fig. 5i, the simplified delta rule: "update each active
synapse by programming pulses") :func:`apply_pulses` applies ``n`` SET or
RESET pulses (no reads) and returns the new :class:`TaOxParams`; the model's
windows ``(1 - w)`` and ``w`` stop the state at its bounds, and the carried
state is clipped into [0, 1] against numerical overshoot, so pulses on a
saturated synapse are safe.

``simulate`` is any callable taking ``[(tag, Netlist), ...]`` and returning
the Waveforms in order: :meth:`memspike.experiments.base.Context.simulate`
(writes the decks, runs them in the pool, in ngspice or VACASK), or
:func:`simulator` ``("ngspice" | "vacask")`` for a local run. Several
synapses are programmed in lockstep (one batch of transients per step), so a
pool runs them side by side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from pyspice_models.params import ParameterError, Params, param
from pyspice_models.taox import TAOX, TaOxParams

from .format import check_name
from .netlist import Netlist
from .runner import Waveforms

TITLE = "memspike TaOx synapse programming"
Simulate = Callable[[list[tuple[str, Netlist]]], list[Waveforms]]
MIN_MOVE = 1e-4      # a programming pulse must move w by at least this from the far bound, else it is refused


@dataclass(frozen=True, kw_only=True)
class PulseScheme(Params):
    """The pulses of a programming loop: SET and RESET pulses, verify reads, the gap between them."""

    set_amplitude: float = param(1.7, "V", "SET (potentiating) pulse, 0.1 V above the model's 1.6 V SET threshold: "
                                 "one 500 ns pulse moves w by ~5 % of what is left to g_max, so about 50 pulses "
                                 "span the window with the saturating curve of Supp. Fig. 9", lo=0, hi=20)
    reset_amplitude: float = param(-1.7, "V", "RESET (depressing) pulse, negative, mirror of the SET pulse "
                                   "(symmetric thresholds)", lo=-20, hi=0, lo_open=False)
    width: float = param(500e-9, "s", "programming pulse width (50 % to 50 %); with the amplitude it sets the "
                         "step per pulse", lo=1e-9, hi=1e-2)
    read_amplitude: float = param(1.0, "V", "verify read: 1 V as in the paper, below both thresholds",
                                  lo=-20, hi=20, lo_open=False)
    read_width: float = param(1e-6, "s", "verify read width (a short read, as on the bench)", lo=1e-9, hi=1e-2)
    gap: float = param(0.5e-6, "s", "0 V between pulses and reads (and before the first)", lo=1e-9, hi=1e-2)
    edge: float = param(5e-9, "s", "rise and fall time of every pulse (fast pulse generator)", lo=1e-12, hi=1e-6)

    def _check_relations(self):
        if self.reset_amplitude == 0:
            raise ParameterError("reset_amplitude", self.reset_amplitude, "a negative voltage (RESET)")
        if self.read_amplitude == 0:
            raise ParameterError("read_amplitude", self.read_amplitude, "a non-zero read voltage (I/V needs V)")
        for name in ("width", "read_width"):
            if getattr(self, name) < 2 * self.edge:
                raise ParameterError(name, getattr(self, name), f"a width >= 2 edges = {2 * self.edge:g} s")
        if self.gap < self.edge:
            raise ParameterError("gap", self.gap, f"a gap >= edge = {self.edge:g} s")

    def amplitude(self, polarity: str) -> float:
        return self.set_amplitude if polarity == "set" else self.reset_amplitude


class Step(NamedTuple):
    """One entry of a programming history: the pulse (``read`` for the first, verify-only transient), its
    amplitude (V) and width (s), and the conductance read after it (S)."""

    kind: str
    amplitude: float
    width: float
    g: float


@dataclass
class ProgramResult:
    """The outcome of :func:`program`: the programmed synapse (its ``w0`` the state after the last pulse),
    the last verify read, every step, and whether the read fell within ``tolerance`` of ``g_target``."""

    synapse: TaOxParams
    g_read: float
    history: list[Step]
    converged: bool
    g_target: float
    tolerance: float
    resolution: float
    transients: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n_pulses(self) -> int:
        return sum(1 for s in self.history if s.kind != "read")

    @property
    def error(self) -> float:
        return self.g_read - self.g_target

    def as_dict(self) -> dict:
        return {"g_target": self.g_target, "g_read": self.g_read, "error": self.error, "tolerance": self.tolerance,
                "resolution": self.resolution, "converged": self.converged, "n_pulses": self.n_pulses,
                "w0": self.synapse.w0,
                "history": [{"kind": s.kind, "amplitude": s.amplitude, "width": s.width, "g": s.g}
                            for s in self.history]}


# --------------------------------------------------------------------------- simulators
def simulator(engine: str = "ngspice") -> Simulate:
    """A local ``simulate`` for this module: each netlist run in turn, in ngspice (libngspice in this
    process) or VACASK."""
    if engine == "ngspice":
        from .runner import simulate as run
    elif engine == "vacask":
        from .vacask import simulate as run
    else:
        raise ParameterError("engine", engine, "ngspice or vacask")

    def simulate(items: list[tuple[str, Netlist]]) -> list[Waveforms]:
        return [run(net) for _, net in items]

    return simulate


# --------------------------------------------------------------------------- netlists
def schedule(segments: Sequence[tuple[float, float]], *, gap: float, edge: float) -> tuple[np.ndarray, np.ndarray]:
    """PWL breakpoints for ``segments`` ((amplitude V, width s), ...) one after another, ``gap`` of 0 V
    before each and after the last; returns (points (N, 2), the start time (50 % point) of each segment)."""
    pts, starts, t = [(0.0, 0.0)], [], gap
    for amp, width in segments:
        starts.append(t)
        pts += [(t - edge / 2, 0.0), (t + edge / 2, amp), (t + width - edge / 2, amp), (t + width + edge / 2, 0.0)]
        t += width + gap
    pts.append((t, 0.0))
    return np.array(pts), np.array(starts)


def synapse_netlist(synapse: TaOxParams, points: np.ndarray, *, tmax: float, title: str = TITLE) -> Netlist:
    """The synapse alone, driven by the PWL ``points`` from source ``vin`` (node ``in``): instance ``x1``
    with its programmed ``w0``; saves ``v(in)``, ``i(vin)`` (ngspice's sign: minus the device current) and
    ``v(x1.dw)`` (the change of the state during this transient); ``net.probes["synapse"]`` names them."""
    net = Netlist(title)
    net.subckts[TAOX.name] = TAOX.ngspice_subckt()
    net.vsource("vin", "in", "0", pwl=points, comment="programming pulses and verify reads")
    net.instance("x1", "in", "0", TAOX.name, synapse, comment=f"TaOx synapse programmed to w0 = {synapse.w0:.6g}")
    net.save("v(in)", "i(vin)", "v(x1.dw)")
    net.probes = {"synapse": {"v": "v(in)", "i": "i(vin)", "dw": "v(x1.dw)"}}
    net.tran = (tmax / 10, float(points[-1, 0]), tmax)
    net.options = {"reltol": 1e-5}
    return net


def tmax_for(segments: Sequence[tuple[float, float]], gap: float) -> float:
    """The largest time step: a fifth of the shortest pulse or gap (the PWL corners are breakpoints anyway)."""
    return min([gap] + [w for _, w in segments]) / 5


def read_g(wf: Waveforms, start: float, width: float, amplitude: float) -> float:
    """The conductance read in the middle of the read pulse that starts at ``start``: I / V."""
    i = -float(np.interp(start + width / 2, wf.time, wf["i(vin)"]))
    return i / amplitude


def end_state(synapse: TaOxParams, wf: Waveforms) -> TaOxParams:
    """``synapse`` carrying the state at the end of ``wf`` as its ``w0`` (clipped into [0, 1])."""
    w = synapse.w0 + float(wf["v(x1.dw)"][-1])
    return synapse.replace(w0=min(max(w, 0.0), 1.0))


# --------------------------------------------------------------------------- the model's step
def after_pulse(synapse: TaOxParams, w: float, amplitude: float, width: float, edge: float) -> float:
    """The state after one trapezoidal pulse (50 % width ``width``, edges ``edge``) from state ``w``, from the
    model's equations (numpy rendering): the state equation is linear in the state, so it is integrated
    exactly on each sub-interval of constant voltage (the flat top is one interval; each edge 64)."""
    _, ddt = TAOX.numpy_functions(synapse.replace(w0=w))
    f = ddt["dw"]
    n = 64
    rise = np.linspace(0.0, edge, n + 1)
    flat_end = width                              # from edge (t=edge) the flat top lasts width - edge
    t = np.concatenate([rise, [flat_end], flat_end + rise[1:]])
    tm = 0.5 * (t[1:] + t[:-1])
    v = np.interp(tm, [0.0, edge, width, width + edge], [0.0, amplitude, amplitude, 0.0])
    a = np.asarray(f(v, dw=0.0), float) * np.ones_like(tm)
    b = a - np.asarray(f(v, dw=1.0), float)
    dw = 0.0
    for ak, bk, h in zip(a, b, np.diff(t), strict=True):
        target = ak / bk
        dw = target + (dw - target) * math.exp(-bk * h)
    return min(max(w + dw, 0.0), 1.0)


def steps(synapse: TaOxParams, g: float, scheme: PulseScheme = PulseScheme(), width: float | None = None
          ) -> tuple[float, float]:
    """(up, down): the conductance change (S, both >= 0) of one SET and of one RESET pulse at ``g``."""
    w = synapse.state_for(g)
    width = scheme.width if width is None else width
    g0 = synapse.conductance(w)
    up = synapse.conductance(after_pulse(synapse, w, scheme.set_amplitude, width, scheme.edge)) - g0
    down = g0 - synapse.conductance(after_pulse(synapse, w, scheme.reset_amplitude, width, scheme.edge))
    return max(up, 0.0), max(down, 0.0)


def resolution(synapse: TaOxParams, g: float, scheme: PulseScheme = PulseScheme()) -> float:
    """The model's resolution at ``g``: the larger of the steps one SET and one RESET pulse make there (S)."""
    return max(steps(synapse, g, scheme))


def factors(synapse: TaOxParams, scheme: PulseScheme = PulseScheme()) -> tuple[float, float]:
    """(q_set, q_reset): one SET pulse multiplies ``1 - w`` by q_set, one RESET pulse ``w`` by q_reset."""
    q_set = 1 - after_pulse(synapse, 0.0, scheme.set_amplitude, scheme.width, scheme.edge)
    q_reset = after_pulse(synapse, 1.0, scheme.reset_amplitude, scheme.width, scheme.edge)
    return q_set, q_reset


def tolerance_for(synapse: TaOxParams, g: float, scheme: PulseScheme = PulseScheme()) -> float:
    """The default tolerance of the verify loop at target ``g`` (S): the tightest band that fixed pulses land in
    from either side without overshooting past it, ``max(up / (1 + q_set), down / (1 + q_reset))``, about half
    the resolution (see the module's doc)."""
    up, down = steps(synapse, g, scheme)
    q_set, q_reset = factors(synapse, scheme)
    return max(up / (1 + q_set), down / (1 + q_reset))


def check_scheme(synapse: TaOxParams, scheme: PulseScheme) -> None:
    """Refuse pulses that do not program this synapse (below its threshold): they would never converge."""
    window = synapse.g_max - synapse.g_min
    up, _ = steps(synapse, synapse.g_min, scheme)
    _, down = steps(synapse, synapse.g_max, scheme)
    if up < MIN_MOVE * window:
        raise ParameterError("set_amplitude", scheme.set_amplitude,
                             f"a SET pulse that programs this synapse (v_set = {synapse.v_set:g} V; one pulse from "
                             f"g_min moves it by {up:.3g} S, < {MIN_MOVE:g} of its window)")
    if down < MIN_MOVE * window:
        raise ParameterError("reset_amplitude", scheme.reset_amplitude,
                             f"a RESET pulse that programs this synapse (v_reset = {synapse.v_reset:g} V; one pulse "
                             f"from g_max moves it by {down:.3g} S, < {MIN_MOVE:g} of its window)")


def _polarity(polarity) -> str:
    if polarity in ("set", 1, +1.0):
        return "set"
    if polarity in ("reset", -1, -1.0):
        return "reset"
    raise ParameterError("polarity", polarity, "'set' (or +1) or 'reset' (or -1)")


# --------------------------------------------------------------------------- verify loop
class _Loop:
    """One synapse's verify loop, one transient at a time (so that many run in lockstep)."""

    def __init__(self, synapse, g_target, tolerance, scheme, max_pulses, tag, res):
        self.syn, self.g_target, self.tol, self.scheme = synapse, g_target, tolerance, scheme
        self.max_pulses, self.tag, self.res = max_pulses, tag, res
        self.width = scheme.width
        self.history: list[Step] = []
        self.g: float | None = None
        self.last: str | None = None
        self.done = False
        self.converged = False
        self.pending: tuple[str, float, float, float] | None = None     # kind, amplitude, width, read start

    def next_item(self) -> tuple[str, Netlist] | None:
        s = self.scheme
        read = (s.read_amplitude, s.read_width)
        if self.g is None:
            segments, kind = [read], "read"
        else:
            err = self.g - self.g_target
            if abs(err) <= self.tol:
                self.done, self.converged = True, True
                return None
            if len(self.history) - 1 >= self.max_pulses:
                self.done = True
                return None
            kind = "set" if err < 0 else "reset"
            if self.last is not None and kind != self.last:
                self.width = max(self.width / 2, 2 * s.edge)
            segments = [(s.amplitude(kind), self.width), read]
        points, starts = schedule(segments, gap=s.gap, edge=s.edge)
        amp = segments[0][0] if kind != "read" else s.read_amplitude
        self.pending = (kind, amp, self.width if kind != "read" else s.read_width, float(starts[-1]))
        net = synapse_netlist(self.syn, points, tmax=tmax_for(segments, s.gap))
        return f"{self.tag}_{len(self.history):03d}", net

    def feed(self, wf: Waveforms) -> None:
        kind, amp, width, t_read = self.pending
        self.g = read_g(wf, t_read, self.scheme.read_width, self.scheme.read_amplitude)
        self.syn = end_state(self.syn, wf)
        self.history.append(Step(kind, amp, width, self.g))
        if kind != "read":
            self.last = kind

    def result(self) -> ProgramResult:
        return ProgramResult(synapse=self.syn, g_read=float(self.g), history=self.history, converged=self.converged,
                             g_target=self.g_target, tolerance=self.tol, resolution=self.res,
                             transients=len(self.history))


def program_many(synapses: Sequence[TaOxParams], g_targets: Sequence[float], *, scheme: PulseScheme = PulseScheme(),
                 tolerance: float | None = None, max_pulses: int = 200, simulate: Simulate | None = None,
                 tag: str = "prog") -> list[ProgramResult]:
    """Program each synapse to its target with the verify loop, all in lockstep: each round is one batch of
    transients (one per synapse still programming) handed to ``simulate``. Validates everything first."""
    synapses, g_targets = list(synapses), list(g_targets)
    if len(synapses) != len(g_targets):
        raise ParameterError("g_targets", len(g_targets), f"one target per synapse ({len(synapses)})")
    check_name(f"{tag}{len(synapses)}_000", "tag")
    if isinstance(max_pulses, bool) or not isinstance(max_pulses, int) or max_pulses < 0:
        raise ParameterError("max_pulses", max_pulses, "an integer >= 0")
    if tolerance is not None and not (isinstance(tolerance, int | float) and math.isfinite(tolerance)
                                      and tolerance > 0):
        raise ParameterError("tolerance", tolerance, "a finite conductance > 0 S (or None: tolerance_for the target)")
    loops = []
    for k, (syn, g) in enumerate(zip(synapses, g_targets, strict=True)):
        if not (isinstance(g, int | float) and not isinstance(g, bool) and math.isfinite(g)
                and syn.g_min <= g <= syn.g_max):
            raise ParameterError("g_target", g, f"a conductance in [g_min, g_max] = [{syn.g_min:g}, {syn.g_max:g}] S")
        check_scheme(syn, scheme)
        res = resolution(syn, g, scheme)
        tol = tolerance_for(syn, g, scheme) if tolerance is None else float(tolerance)
        name = tag if len(synapses) == 1 else f"{tag}{k}"
        loops.append(_Loop(syn, float(g), tol, scheme, max_pulses, name, res))
    simulate = simulate or simulator("ngspice")
    while True:
        batch = [(loop, item) for loop in loops if not loop.done and (item := loop.next_item()) is not None]
        if not batch:
            break
        for (loop, _), wf in zip(batch, simulate([item for _, item in batch]), strict=True):
            loop.feed(wf)
    return [loop.result() for loop in loops]


def program(synapse: TaOxParams, g_target: float, *, scheme: PulseScheme = PulseScheme(),
            tolerance: float | None = None, max_pulses: int = 200, simulate: Simulate | None = None,
            tag: str = "prog") -> ProgramResult:
    """Program ``synapse`` to ``g_target`` (S) with SET/RESET pulses and a verify read after each, until the read
    is within ``tolerance`` (default: :func:`tolerance_for` the target, about half the model's resolution) or
    ``max_pulses`` pulses were applied (then ``converged`` is False). A target outside [g_min, g_max] raises
    :class:`ParameterError` before anything is simulated."""
    return program_many([synapse], [g_target], scheme=scheme, tolerance=tolerance, max_pulses=max_pulses,
                        simulate=simulate, tag=tag)[0]


# --------------------------------------------------------------------------- pulses and reads
def apply_pulses_many(requests: Sequence[tuple[TaOxParams, int, object]], *, scheme: PulseScheme = PulseScheme(),
                      amplitude: float | None = None, width: float | None = None, simulate: Simulate | None = None,
                      tag: str = "pulses") -> list[TaOxParams]:
    """For each ``(synapse, n, polarity)``: ``n`` SET (``'set'``/+1) or RESET (``'reset'``/-1) pulses of the
    scheme (or of ``amplitude`` V, its sign following the polarity, and ``width`` s), ``scheme.gap`` apart, one
    transient per synapse, all in one batch; returns the synapses with their new state as ``w0``. ``n = 0``
    returns the synapse unchanged, without simulating. Bounded: the state stays in [0, 1]."""
    width = scheme.width if width is None else width
    check_name(f"{tag}{len(requests)}", "tag")
    plan = []
    for k, (syn, n, pol) in enumerate(requests):
        pol = _polarity(pol)
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ParameterError("n", n, "an integer number of pulses >= 0")
        amp = scheme.amplitude(pol) if amplitude is None else (abs(amplitude) if pol == "set" else -abs(amplitude))
        if amp == 0 or not math.isfinite(amp):
            raise ParameterError("amplitude", amplitude, "a finite, non-zero pulse amplitude (V)")
        if not (math.isfinite(width) and width >= 2 * scheme.edge):
            raise ParameterError("width", width, f"a pulse width >= 2 edges = {2 * scheme.edge:g} s")
        plan.append((k, syn, int(n), amp))
    items, index = [], []
    for k, syn, n, amp in plan:
        if n == 0:
            continue
        segments = [(amp, width)] * n
        points, _ = schedule(segments, gap=scheme.gap, edge=scheme.edge)
        items.append((f"{tag}{k}" if len(requests) > 1 else tag,
                      synapse_netlist(syn, points, tmax=tmax_for(segments, scheme.gap))))
        index.append(k)
    out = [syn for syn, _, _ in requests]
    if items:
        for k, wf in zip(index, (simulate or simulator("ngspice"))(items), strict=True):
            out[k] = end_state(out[k], wf)
    return out


def apply_pulses(synapse: TaOxParams, n: int, polarity, *, scheme: PulseScheme = PulseScheme(),
                 amplitude: float | None = None, width: float | None = None, simulate: Simulate | None = None,
                 tag: str = "pulses") -> TaOxParams:
    """``n`` SET (``'set'``/+1) or RESET (``'reset'``/-1) pulses on ``synapse``; the synapse with its new state
    as ``w0`` (see :func:`apply_pulses_many`)."""
    return apply_pulses_many([(synapse, n, polarity)], scheme=scheme, amplitude=amplitude, width=width,
                             simulate=simulate, tag=tag)[0]


def read_many(synapses: Sequence[TaOxParams], *, scheme: PulseScheme = PulseScheme(),
              simulate: Simulate | None = None, tag: str = "read") -> list[float]:
    """The conductance (S) each synapse reads at ``scheme.read_amplitude``: one read transient each."""
    check_name(f"{tag}{len(synapses)}", "tag")
    segments = [(scheme.read_amplitude, scheme.read_width)]
    points, starts = schedule(segments, gap=scheme.gap, edge=scheme.edge)
    items = [(f"{tag}{k}" if len(synapses) > 1 else tag,
              synapse_netlist(syn, points, tmax=tmax_for(segments, scheme.gap))) for k, syn in enumerate(synapses)]
    wfs = (simulate or simulator("ngspice"))(items)
    return [read_g(wf, float(starts[0]), scheme.read_width, scheme.read_amplitude) for wf in wfs]


def read(synapse: TaOxParams, *, scheme: PulseScheme = PulseScheme(), simulate: Simulate | None = None,
         tag: str = "read") -> float:
    """The conductance (S) ``synapse`` reads at ``scheme.read_amplitude`` (one read transient)."""
    return read_many([synapse], scheme=scheme, simulate=simulate, tag=tag)[0]


__all__ = ["PulseScheme", "ProgramResult", "Step", "after_pulse", "apply_pulses", "apply_pulses_many", "check_scheme",
           "end_state", "factors", "program", "program_many", "read", "read_g", "read_many", "resolution", "schedule",
           "simulator", "steps", "synapse_netlist", "tmax_for", "tolerance_for"]
