"""Run a batch of netlists in the vector engine: extract, pack into flat arrays, integrate, unpack.

:func:`simulate` takes netlists (any mix of circuits and device models), reads each one's star
circuit (:func:`networks.circuit.extract`), packs every circuit of one model into the flat arrays
the compiled integrator reads (:mod:`networks.kernel`; one parameter row per circuit, so every
circuit may have its own device), runs them all in one call spread over the cores, and returns
one :class:`~circuits.runner.Waveforms` per netlist, in order, with ngspice's vector names on the
engine's own (adaptive) time grid.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from circuits.runner import SimulationError, Waveforms

from .circuit import GROUND, Star, extract

log = logging.getLogger(__name__)
OK, FULL = 0, 2          # the kernel's status codes (networks.kernel)
CHUNK = 4096             # output rows per circuit and round; a circuit that needs more is resumed
SLOTS = 256              # circuits per round (the output buffer is SLOTS x CHUNK rows)


@dataclass(frozen=True)
class Tolerances:
    """Error control of the integrator (per step: local truncation error, Newton convergence, step changes).

    The error of each component is weighed against ``atol + rtol |y - y_rest|``: for a device state its
    excursion from rest (``T - T0`` for the core temperature: a few kelvin of it decide whether a neuron
    held near threshold runs away before its input ends, and 0.05 % of 300 K would be too loose there).
    The defaults are set against ngspice and against ngspice run to convergence, on the experiments' decks
    and on seeded random conditions (``benchmarks/vector.py``): at ``rtol`` 1e-3 an oscillating neuron
    gains a spike every other pulse (the core temperature's error shifts its period by 0.5 %); at 5e-4
    weighed from rest the counts match the converged ones."""

    rtol: float = 5e-4          # relative, of every component (of a state: of its excursion from rest)
    rtol_state: float | None = None   # relative, of the device states (None: rtol)
    atol_v: float = 1e-6        # V, absolute, of the membrane voltage
    atol_state: float = 1e-6    # absolute, of each device state, times max(1, |its rest value|)
    from_rest: bool = True      # weigh a state's error against its excursion from rest, not its value
    newton_tol: float = 3.0     # a Newton update below this many error tolerances has converged (the error
                                # left after it is second order in the update: a few % of the tolerance)
    grow_max: float = 2.0       # largest step growth from one step to the next (BDF2 is stable below 2.4)
    safety: float = 0.8         # factor on the step the error estimate allows
    hmax: float | None = None   # s, longest step; None: the run's length / 50
    max_steps: int = 20_000_000  # per circuit (accepted, rejected and failed): the engine's timeout


DEFAULT = Tolerances()


def simulate(nets, tol: Tolerances = DEFAULT, threads: int | None = None) -> list[Waveforms]:
    """Simulate every netlist of ``nets``; results in input order. Raises
    :class:`~networks.circuit.UnsupportedCircuit` (a ``ValueError``) for a netlist it cannot solve and
    :class:`~circuits.runner.SimulationError` when a run fails."""
    stars = [extract(net) for net in nets]
    out: list[Waveforms | None] = [None] * len(stars)
    groups: dict[tuple, list[int]] = {}
    for k, s in enumerate(stars):
        groups.setdefault(s.key, []).append(k)
    for idx in groups.values():
        for k, wf in zip(idx, _run_group([stars[k] for k in idx], tol, threads), strict=True):
            out[k] = wf
    return out


class _Pack:
    """The flat arrays of one batch of circuits of one model."""

    def __init__(self, stars: list[Star], comp, tol: Tolerances):
        self.stars = stars
        n_c = len(stars)
        model = stars[0].model
        n = comp.n
        self.n = n
        self.n_syn = comp.n_syn
        syn = comp.synapse
        self.PS = np.zeros((n_c, max(1, comp.n_syn), comp.n_syn_params))
        self.syn_src = np.zeros((n_c, max(1, comp.n_syn)), np.int64)
        self.syn_sgn = np.zeros((n_c, max(1, comp.n_syn)))
        self.pwl: list[np.ndarray] = []
        self.P = np.zeros((n_c, comp.n_params))
        self.C = np.zeros(n_c)
        self.sgn = np.zeros(n_c)
        self.ref = np.full(n_c, -1, np.int64)
        self.tstop = np.zeros(n_c)
        self.hmax = np.zeros(n_c)
        self.y0 = np.zeros((n_c, n))
        br, bps = [], []
        self.br_off = np.zeros(n_c + 1, np.int64)
        self.bp_off = np.zeros(n_c + 1, np.int64)
        zero = self._add(np.array([[0.0, 0.0]]))
        names = model.params.names()
        for c, s in enumerate(stars):
            self.P[c, :len(names)] = [s.params[k] for k in names]
            self.C[c] = s.C
            self.sgn[c] = s.sign
            if s.device_node != GROUND:
                self.ref[c] = self._add(s.driven[s.device_node])
            for b in s.branches:
                src = zero if b.start == GROUND else self._add(s.driven[b.start])
                gate, g_on, g_off = -1, 0.0, 0.0
                if b.gate is not None:
                    _, node, g_on, g_off = b.gate
                    gate = zero if node == GROUND else self._add(s.driven[node])
                br.append((src, b.R, gate, g_on, g_off, 0))
            for _, _, sign, pts in s.injections:
                q = pts.copy()
                q[:, 1] *= sign
                br.append((self._add(q), 1.0, -1, 0.0, 0.0, 1))
            self.br_off[c + 1] = len(br)
            t_b = s.breakpoints()
            bps.append(t_b)
            self.bp_off[c + 1] = self.bp_off[c] + t_b.size
            self.tstop[c] = s.tstop
            self.hmax[c] = tol.hmax if tol.hmax else s.tstop / 50
            self.y0[c, 1:1 + len(model.states)] = [st.initial for st in model.states]
            for k, sd in enumerate(s.synapses):
                nb = len(syn.states)
                o = 1 + len(model.states) + k * nb
                self.y0[c, o:o + nb] = [st.initial for st in syn.states]
                self.PS[c, k, :len(syn.params.names())] = [sd.params[x] for x in syn.params.names()]
                self.syn_src[c, k] = zero if sd.start == GROUND else self._add(s.driven[sd.start])
                self.syn_sgn[c, k] = sd.sign
        comp.prepare(self.P)                                             # derived constants, every row
        comp.prepare_synapses(self.PS)
        self.br_src = np.array([b[0] for b in br], np.int64)
        with np.errstate(divide="ignore"):                               # a gate alone: 0 ohm in series
            self.br_G = 1.0 / np.array([b[1] for b in br], float)
        self.br_gate = np.array([b[2] for b in br], np.int64)
        self.br_gon = np.array([b[3] for b in br], float)
        self.br_goff = np.array([b[4] for b in br], float)
        self.br_kind = np.array([b[5] for b in br], np.int64)
        self.bp = np.concatenate(bps)
        lens = [len(x) for x in self.pwl]
        self.pwl_off = np.concatenate(([0], np.cumsum(lens))).astype(np.int64)
        self.pwl_t = np.concatenate([x[:, 0] for x in self.pwl])
        self.pwl_v = np.concatenate([x[:, 1] for x in self.pwl])
        states = list(model.states) + (list(syn.states) * comp.n_syn if syn is not None else [])
        atol = [tol.atol_v] + [tol.atol_state * max(1.0, abs(st.initial)) for st in states]
        rs = tol.rtol if tol.rtol_state is None else tol.rtol_state
        ref = [0.0] + [st.initial if tol.from_rest else 0.0 for st in states]
        self.tolv = np.array([atol, [tol.rtol] + [rs] * len(states), ref])

    def _add(self, pts: np.ndarray) -> int:
        self.pwl.append(np.asarray(pts, float))
        return len(self.pwl) - 1



def _run_group(stars: list[Star], tol: Tolerances, threads: int | None) -> list[Waveforms]:
    from .compile import compiled

    t_start = time.perf_counter()
    st0 = stars[0]
    comp = compiled(st0.model, st0.synapse_model, len(st0.synapses))
    pk = _Pack(stars, comp, tol)
    n_c, n, n_syn = len(stars), pk.n, pk.n_syn
    counts = np.zeros(n_c, np.int64)
    stats = np.zeros((n_c, 5))
    state = np.zeros((n_c, 6 + 3 * n))
    wv, wm = np.zeros((n_c, 10, max(n, n_syn))), np.zeros((n_c, 3, n, n + 1))     # each circuit's scratch
    cursors = pk.pwl_off[:-1].copy()                                   # each PWL's current segment
    status = np.full(n_c, -1, np.int64)
    ctl = np.array([tol.rtol, tol.newton_tol, tol.grow_max, tol.safety])
    start = np.zeros(n_c, np.int64)
    slots = min(SLOTS, n_c)
    workers = _threads(threads)
    wfs: list[Waveforms | None] = [None] * n_c
    earlier: list[list[np.ndarray]] = [[] for _ in range(n_c)]      # rows of a paused circuit's earlier rounds
    # rounds: up to SLOTS circuits at a time, CHUNK output rows each; a circuit that fills its rows is
    # paused (the kernel keeps its state) and resumed in a later round, so memory stays bounded
    pending = deque(np.argsort(-pk.tstop, kind="stable").tolist())      # longest runs first
    integrating = 0.0
    with _SCRATCH_LOCK, ThreadPoolExecutor(workers) as pool:
        out = _scratch(slots * CHUNK, n + 2 + n_syn)

        def run(circuits: np.ndarray) -> None:
            comp.run_list(circuits, pk.P, pk.C, pk.sgn, pk.ref, pk.br_off, pk.br_src, pk.br_G, pk.br_gate,
                          pk.br_gon, pk.br_goff, pk.br_kind, pk.pwl_off, pk.pwl_t, pk.pwl_v, cursors, pk.bp_off, pk.bp,
                          pk.tstop, pk.hmax, pk.y0, pk.tolv, ctl, tol.max_steps, out, start, CHUNK, counts, stats,
                          state, wv, wm, status, pk.PS, pk.syn_src, pk.syn_sgn)

        while pending:
            batch = np.array([pending.popleft() for _ in range(min(slots, len(pending)))], np.int64)
            start[batch] = np.arange(batch.size) * CHUNK
            t0 = time.perf_counter()
            if workers == 1:
                run(batch)
            else:
                # small lists handed out as threads free up: circuits differ a hundredfold in cost
                size = max(1, batch.size // (8 * workers))
                list(pool.map(run, [batch[k:k + size] for k in range(0, batch.size, size)]))
            integrating += time.perf_counter() - t0
            for c in batch:
                rows = out[start[c]:start[c] + counts[c]]
                if status[c] == FULL:
                    earlier[c].append(rows.copy())
                    pending.append(c)
                elif status[c] == OK:                # read out now: the next round reuses ``out``
                    if earlier[c]:
                        rows = np.concatenate([*earlier[c], rows])
                        earlier[c] = []
                    wfs[c] = _waveforms(stars[c], rows, n, stats[c], tol)
                else:
                    _fail(stars[c], status[c], stats[c], tol)
    total = time.perf_counter() - t_start
    log.info("vector engine: %d circuit(s) of %s in %.3g s (%.3g s integrating)", n_c, comp.model.name, total,
             integrating)
    for wf in wfs:
        wf.meta.update(batch_size=n_c, batch_seconds=total, integration_seconds=integrating)
        wf.log += f"; batch of {n_c} in {total:.3g} s ({integrating:.3g} s integrating)"
    return wfs


def _waveforms(star: Star, rows: np.ndarray, n: int, stats, tol: Tolerances) -> Waveforms:
    """A circuit's results: its rows ``(t, y..., device current)`` as ngspice-named vectors."""
    t = rows[:, 0].copy()
    meta = {"engine": "vector", "steps": int(stats[1]), "rejected": int(stats[2]), "newton_failures": int(stats[3]),
            "newton_iterations": int(stats[4]), "rtol": tol.rtol}
    text = (f"vector engine: {star.title}: {int(stats[1])} steps ({int(stats[2])} rejected, {int(stats[3])} "
            f"Newton failures) to {star.tstop:g} s")
    return Waveforms(t, star.vectors(t, rows[:, 1:1 + n], rows[:, 1 + n], rows[:, 2 + n:]), text, meta)


_SCRATCH_LOCK = threading.Lock()
_SCRATCH: list[np.ndarray] = []


def _scratch(rows: int, cols: int) -> np.ndarray:
    """The output buffer, kept between calls (its pages are touched once per process, not once per batch)."""
    if not _SCRATCH or _SCRATCH[0].shape[0] < rows * cols:
        _SCRATCH[:] = [np.empty(rows * cols)]
    return _SCRATCH[0][: rows * cols].reshape(rows, cols)


def _fail(star: Star, status: int, stats, tol: Tolerances):
    why = {1: f"time step too small at t = {stats[0]:.6g} s",
           3: f"more than {tol.max_steps} steps (the engine's limit)",
           4: "no operating point at t = 0 (pseudo-transient did not settle)"}.get(int(status), f"status {status}")
    raise SimulationError(f"vector engine failed on {star.title!r}", why)


def _threads(threads: int | None) -> int:
    """Threads to run circuits on: ``threads``, else ``MEMSPIKE_WORKERS``, else one per core."""
    from circuits.executor import workers_default

    return max(1, int(threads or workers_default()))
