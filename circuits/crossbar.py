"""The M x N NbOx/TaOx crossbar: TaOx synapses at every crossing, an NbOx neuron on every column.

The fully memristive network of Duan et al. Fig. 5a (4 x 4) and Fig. 7a (2 x 1)
as one builder: M input rows driven by pulse sources, N columns each ending in
an NbOx neuron (membrane capacitor ``C_m`` and the threshold switch), and a
programmed TaOx synapse between row ``i`` and column ``j`` at every crossing.
A column sums the currents ``g_ij (v(row i) - v(column j))`` of its synapses
on its membrane node: the weighted sum of the network is Ohm's and Kirchhoff's
laws, not a model of them.

References:
  Duan et al., Nat. Commun. 11, 3399 (2020), Figs. 5a, 5f-g, 7a-d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pyspice_models.nbox import NbOxParams
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import ParameterError, check_range, spice_number
from pyspice_models.taox import TAOX, TaOxParams

from .builders import IDLE_MODES, NEURON, _timing, device_model
from .netlist import Netlist
from .stimuli import PulseTrain

MAX_SIZE = 128          # rows and columns: 16k crossings (a 128 x 128 deck renders in about a second)


def _end_time(stimulus) -> float:
    """When a row's stimulus is over: the end of a train's last period, or a PWL's last breakpoint."""
    if isinstance(stimulus, PulseTrain):
        return stimulus.delay + stimulus.duration
    return float(stimulus[-1, 0])


def _check_inputs(inputs) -> list:
    """Each row: a PulseTrain, an (K, 2) array of PWL points (time s, volts), or None."""
    if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence | np.ndarray):
        raise ParameterError("inputs", inputs, "a list of M row stimuli (PulseTrain, (K, 2) PWL points or None)")
    out = []
    for i, s in enumerate(inputs, start=1):
        if s is None or isinstance(s, PulseTrain):
            out.append(s)
            continue
        try:
            pts = np.asarray(s, dtype=float)
        except (TypeError, ValueError):
            pts = None
        if pts is None or pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 1 or not np.all(np.isfinite(pts)) \
                or np.any(np.diff(pts[:, 0]) <= 0) or pts[0, 0] < 0:
            raise ParameterError(f"inputs[{i - 1}]", s, "None, a PulseTrain or (K, 2) PWL points (time s, "
                                 "volts) with finite values and strictly increasing times from t >= 0")
        out.append(pts)
    return out


def _check_weights(weights, M: int, N: int, synapse: TaOxParams) -> list[list[tuple[dict, float, float]]]:
    """Every crossing's synapse as (instance parameters, conductance S, w0).

    A conductance ``g`` (S) programs ``synapse`` to it (``w0`` as ``synapse.with_conductance(g)`` sets it); a
    :class:`TaOxParams` is that crossing's own device. Only parameters that differ from the model's defaults
    are kept (the deck's ``params:``); the shared ones are worked out once, not per crossing (64 x 64 = 4096).
    """
    rows = list(weights) if not isinstance(weights, str | bytes) else None
    if rows is None or len(rows) != M:
        raise ParameterError("weights", weights if rows is None else f"{len(rows)} rows",
                             f"an M x N array: {M} rows (one per input), each of N >= 1 columns")
    allowed = (f"a conductance in [g_min, g_max] = [{synapse.g_min:g}, {synapse.g_max:g}] S, "
               "or a TaOxParams")
    shared = {k: v for k, v in synapse.non_defaults().items() if k != "w0"}
    w0_default = spice_number(TaOxParams().w0)
    out = []
    for i, row in enumerate(rows):
        row = [row] if isinstance(row, TaOxParams) else list(np.atleast_1d(np.asarray(row, dtype=object)))
        if len(row) != N:
            raise ParameterError("weights", f"row {i + 1} of {len(row)} columns",
                                 f"an M x N array: every row of N = {N} columns")
        cells = []
        for j, w in enumerate(row):
            if isinstance(w, TaOxParams):
                cells.append((w.non_defaults(), w.conductance(w.w0), w.w0))
                continue
            if isinstance(w, bool) or not isinstance(w, int | float | np.integer | np.floating) \
                    or not math.isfinite(float(w)) or not synapse.g_min <= float(w) <= synapse.g_max:
                raise ParameterError(f"weights[{i}][{j}]", w, allowed)
            w0 = synapse.state_for(float(w))
            params = dict(shared)
            if spice_number(w0) != w0_default:
                params["w0"] = w0
            cells.append((params, float(w), w0))
        out.append(cells)
    return out


def crossbar(*, inputs: Sequence[PulseTrain | np.ndarray | None], weights, C_m: float = 100e-12,
             device: NbOxParams | NbOxETParams = NbOxETParams(), synapse: TaOxParams = TaOxParams(),
             wire_r: float = 0.0, idle: str = "open", tail: float = 0.5e-6, tmax: float = 2e-9,
             title: str | None = None) -> Netlist:
    """An M x N crossbar of TaOx synapses with an NbOx neuron on each column (Duan et al. Figs. 5a, 7a).

    ``inputs[i]`` drives row ``i + 1`` (input S<i+1>): a :class:`PulseTrain`, PWL points ``(K, 2)``
    (time s, volts; e.g. pulses at random times from :func:`~circuits.stimuli.pulses_to_pwl`) or
    ``None``, an input *not applied*: ``idle="open"`` leaves its row floating (no driver; its
    synapses still couple the columns through it, as on the chip) and ``idle="ground"`` holds it
    at 0 V (its synapses load the columns). An applied input's source holds 0 V between pulses.
    ``weights[i][j]`` programs the synapse at row ``i + 1``, column ``j + 1``: a conductance (S)
    in [``synapse.g_min``, ``synapse.g_max``] (the instance gets ``w0`` from
    ``synapse.with_conductance``) or a :class:`TaOxParams` of its own (device-to-device variation).
    ``C_m`` F on every column; ``device`` is every neuron's NbOx parameter set. Node layout, drawn for
    M = N = 2 with ``wire_r`` ohm per wire segment (one segment per cell pitch along each line; a column
    passes under the rows and meets row ``i`` only through its synapse)::

        vin1  r1 -[rwr1_1]- r1_c1 -[rwr1_2]- r1_c2                       row 1
                              |                |
                            xs1_1            xs1_2        (TaOx: p = row node, n = column node)
                              |                |
                 c1_r1 -------+   c2_r1 -------+
                   |                |
                [rwc1_1]         [rwc2_1]
                   |                |
        vin2  r2 -[rwr2_1]- r2_c1 -[rwr2_2]- r2_c2                       row 2
                   |          |     |          |
                   |        xs2_1   |        xs2_2
                   |          |     |          |
                 c1_r2 -------+   c2_r2 -------+
                   |                |
                [rwc1_2]         [rwc2_2]
                   |                |
                   c1               c2 (neuron 2: cm2, xn2, vsense2, alike)
                   |
                   +-- cm1 (C_m) -- 0                                     neuron 1 on column 1
                   |
                   +-- xn1 (NbOx: p = c1, n = sense1) -- vsense1 (0 V probe) -- 0

    Row ``i``'s driver ``vin<i>`` sits on pad ``r<i>``; segment ``rwr<i>_<j>`` leads to the crossing
    node ``r<i>_c<j>`` of column ``j`` (from the pad for ``j = 1``, else from ``r<i>_c<j-1>``).
    Column ``j``'s crossing node at row ``i`` is ``c<j>_r<i>``; segment ``rwc<j>_<i>`` leads from it
    down to the next row's (``c<j>_r<i+1>``) or, for ``i = M``, to the neuron's node ``c<j>``.
    With ``wire_r = 0`` there are no wire resistors: every crossing node of row ``i`` is ``r<i>`` and
    of column ``j`` is ``c<j>``. The synapse ``xs<i>_<j>`` runs from row to column (a positive row
    voltage is its SET polarity; the 1 V-range inputs are far below its threshold). Neuron ``n<j>``:
    membrane voltage ``v(c<j>)``, device current ``i(vsense<j>)`` (``net.probes``).

    Everything is validated before an element is built: ``M = len(inputs)`` and ``N`` in
    1..``MAX_SIZE``, ``weights`` M x N within [g_min, g_max], ``wire_r >= 0`` finite; a
    :class:`ParameterError` names the first offence.
    """
    inputs = _check_inputs(inputs)
    M = len(inputs)
    if not 1 <= M <= MAX_SIZE:
        raise ParameterError("inputs", f"{M} rows", f"1 to {MAX_SIZE} rows (one stimulus or None per row)")
    if not isinstance(synapse, TaOxParams):
        raise ParameterError("synapse", type(synapse).__name__, "TaOxParams")
    try:
        first = weights[0]
        N = 1 if isinstance(first, TaOxParams) else len(np.atleast_1d(np.asarray(first, dtype=object)))
    except (TypeError, IndexError, KeyError):
        raise ParameterError("weights", weights, "an M x N array of conductances (S)") from None
    if not 1 <= N <= MAX_SIZE:
        raise ParameterError("weights", f"{N} columns", f"1 to {MAX_SIZE} columns")
    cells = _check_weights(weights, M, N, synapse)
    wire_r = check_range("wire_r", wire_r, "ohm", lo=0, hi=1e9, lo_open=False)
    C_m = check_range("C_m", C_m, "F", lo=0, hi=1e-3)
    tail = check_range("tail", tail, "s", lo=0, hi=1, lo_open=False)
    tmax = check_range("tmax", tmax, "s", lo=0, hi=1)
    if idle not in IDLE_MODES:
        raise ParameterError("idle", idle, "one of " + ", ".join(IDLE_MODES))
    stop = max((_end_time(s) for s in inputs if s is not None), default=0.0)
    if stop + tail <= 0:
        raise ParameterError("tail", tail, "a positive run length when no input is applied")
    model = device_model(device)

    net = Netlist(title or f"memspike crossbar {M}x{N} (TaOx synapses, NbOx neurons)")
    net.subckts[TAOX.name] = TAOX.ngspice_subckt()
    net.subckts[model.name] = model.ngspice_subckt()
    wired = wire_r > 0

    def row_node(i, j):
        return f"r{i}_c{j}" if wired else f"r{i}"

    def col_node(j, i):
        return f"c{j}_r{i}" if wired else f"c{j}"

    for i, s in enumerate(inputs, start=1):
        if s is None:
            if idle == "ground":
                net.vsource(f"vin{i}", f"r{i}", "0", dc=0.0, comment=f"input S{i} not applied: row held at 0 V")
                net.save(f"v(r{i})")
            continue
        pts = s.breakpoints() if isinstance(s, PulseTrain) else s
        net.vsource(f"vin{i}", f"r{i}", "0", pwl=pts, comment=f"input S{i}: row {i} driver (PWL), V")
        net.save(f"v(r{i})")
    if wired:
        drivers = {e.name for e in net.elements}
        seg = spice_number(wire_r)
        for i in range(1, M + 1):
            for j in range(1 if f"vin{i}" in drivers else 2, N + 1):     # an open row has no pad segment
                a = f"r{i}" if j == 1 else f"r{i}_c{j - 1}"
                net.resistor(f"rwr{i}_{j}", a, f"r{i}_c{j}", wire_r,
                             comment=f"row {i} wire segment to column {j}, {seg} ohm")
        for j in range(1, N + 1):
            for i in range(1, M + 1):
                b = f"c{j}_r{i + 1}" if i < M else f"c{j}"
                net.resistor(f"rwc{j}_{i}", f"c{j}_r{i}", b, wire_r,
                             comment=f"column {j} wire segment below row {i}, {seg} ohm")
    for i in range(1, M + 1):
        for j in range(1, N + 1):
            params, g, w0 = cells[i - 1][j - 1]
            net.instance(f"xs{i}_{j}", row_node(i, j), col_node(j, i), TAOX.name, params,
                         comment=f"TaOx synapse row {i} column {j}: {spice_number(g)} S (w0 {spice_number(w0)})")
    probes = {}
    for j in range(1, N + 1):
        net.capacitor(f"cm{j}", f"c{j}", "0", C_m, comment=f"membrane capacitor C_m of neuron {j}")
        net.instance(f"xn{j}", f"c{j}", f"sense{j}", model.name, device,
                     comment=f"{NEURON} {j} on column {j} (subcircuit {model.name})")
        net.vsource(f"vsense{j}", f"sense{j}", "0", dc=0.0, comment=f"0 V source: neuron {j}'s current probe")
        net.save(f"v(c{j})", f"i(vsense{j})")
        probes[f"n{j}"] = {"v": f"v(c{j})", "i": f"i(vsense{j})"}
    net.probes = probes
    _timing(net, stop + tail, tmax)
    return net


__all__ = ["MAX_SIZE", "crossbar"]
