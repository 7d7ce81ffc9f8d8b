"""The circuits the vector engine solves, read from the typed elements of a netlist.

A *star* circuit: one membrane node ``mem`` with a capacitance to ground and one compact-model
device (an NbOx neuron) between ``mem`` and a driven node (ground, or a 0 V probe source), fed
through branches from driven nodes::

    s1 ---[R, gate ...]---+
    s2 ---[R ...]---------+--- mem ---+-----------+
    i-sources ------------+           |           |
                                     C_m       device (x: p=mem, n=sense)
                                      |           |
                                      0       (Vsense 0 V) --- 0

* A *driven* node is ground or a node a voltage source holds against ground (DC or PWL).
* A *branch* is a chain of resistors and at most one gated conductance
  (:class:`~circuits.netlist.GatedConductance`, whose gate is a driven node) from a driven node
  to ``mem``, through internal nodes that join exactly two of these elements (nothing else).
  It carries ``G(t) (V_s(t) - v)`` with ``1/G = sum R + 1/(g_on v_gate + g_off)``.
* Current sources between ``mem`` and a driven node inject their current.
* Capacitors run from ``mem`` to ground (their sum is ``C_m``).
* *Synapse devices*: instances of one other compact model (the TaOx synapse of a crossbar column),
  each from a driven node to ``mem``, with their own states (Fig. 7a's 2 x 1 array).

That is every circuit of ``neuron``, ``dendrite``, Figs. 2e-f, Supp. Fig. 7, Figs. 3-4 (each
input's source through its synaptic resistor, Fig. 3l's gate in series) and of ``fig7bcd`` (two TaOx
synapses on one neuron). Anything else (a second neuron, synapse devices of two models, a device
between two internal nodes, a capacitor elsewhere, a resistor between two driven nodes, ``.ic``) is refused by
:func:`extract` with a :class:`UnsupportedCircuit` that names the element.

The saved vectors a run returns (:meth:`Star.vectors`) use ngspice's names: ``v(node)`` of every
node, ``i(vsource)`` of every voltage source (current into its ``+`` terminal, through it), and
``v(x.state)`` of the devices' states (``v(xn1.t)``, the electro-thermal core temperature; ``v(xs1_1.dw)``,
a TaOx synapse's drift).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from circuits.netlist import Capacitor, GatedConductance, Instance, ISource, Netlist, Resistor, VSource
from pyspice_models import MODELS, NEURON_DEVICES
from pyspice_models.equations import CompactModel

GROUND = "0"
_VEC = re.compile(r"^([vi])\((.+)\)$")


class UnsupportedCircuit(ValueError):
    """A netlist the vector engine cannot solve (it says which element or vector, and why)."""


@dataclass(frozen=True)
class Branch:
    """A series chain from a driven node to the membrane node."""

    start: str                                   # the driven node it leaves
    elements: tuple[str, ...]                    # element names, from ``start`` to mem
    nodes: tuple[str, ...]                       # the nodes after each element (the last is mem)
    ohms: tuple[float, ...]                      # each element's resistance (0 for the gate)
    gate: tuple[int, str, float, float] | None   # (element index, gate node, g_on, g_off)

    @property
    def R(self) -> float:
        return float(sum(self.ohms))


@dataclass(frozen=True)
class SynapseDevice:
    """A device of the synapse model between a driven node and the membrane node."""

    name: str                                    # instance name (lower case)
    start: str                                   # the driven node
    sign: float                                  # +1: its p terminal is at ``start``, -1: at mem
    params: dict                                 # every parameter, by field name


@dataclass(frozen=True)
class Star:
    """A star circuit (see the module docstring), everything a run needs, in SI units."""

    title: str
    mem: str
    C: float
    model: CompactModel
    device: str                                  # instance name (lower case)
    params: dict                                 # every device parameter, by field name
    sign: float                                  # +1: the device's p is mem, -1: its n is
    device_node: str                             # the driven node at its other terminal
    driven: dict                                 # node -> (time, volts) points (ground: absent)
    sources: dict                                # voltage source name -> (p, n)
    branches: tuple[Branch, ...]
    injections: tuple[tuple[str, str, float, np.ndarray], ...]   # (source, its other node, +1: into mem, points)
    tstop: float
    tmax: float
    saves: tuple[str, ...]
    synapse_model: CompactModel | None = None
    synapses: tuple[SynapseDevice, ...] = ()

    @property
    def key(self) -> tuple:
        """What the compiled kernel depends on: the neuron's model, the synapse model and their number."""
        return (self.model.name, self.synapse_model.name if self.synapses else None, len(self.synapses))

    def breakpoints(self) -> np.ndarray:
        """Every time at which a source's slope changes, within (0, tstop], and tstop."""
        ts = [pts[:, 0] for pts in self.driven.values()] + [pts[:, 0] for *_, pts in self.injections]
        t = np.unique(np.concatenate([*ts, [self.tstop]]))
        return t[(t > 0) & (t <= self.tstop)]

    # ------------------------------------------------------------------ results
    def vectors(self, t: np.ndarray, y: np.ndarray, current: np.ndarray,
                syn_current: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The saved vectors of a run: ``y[:, 0]`` the membrane voltage, ``y[:, 1 + j]`` the neuron's state
        ``j`` (then each synapse device's states), ``current`` the neuron's current (p to n) and
        ``syn_current[:, s]`` synapse device ``s``'s current into the membrane, all at times ``t``."""
        v = y[:, 0]
        cache: dict[str, np.ndarray] = {}

        def volts(node: str) -> np.ndarray:
            if node == self.mem:
                return v
            if node == GROUND:
                return np.zeros_like(t)
            if node not in cache:
                if node in self.driven:
                    cache[node] = _pwl(self.driven[node], t)
                else:                                              # inside a branch: follow its current
                    br = next(b for b in self.branches if node in b.nodes)
                    i = branch_current(br)
                    vn = volts(br.start)
                    for g, nd in zip(self._conductances(br, volts, t), br.nodes, strict=False):
                        vn = vn - i / g
                        cache[nd] = vn
            return cache[node]

        def branch_current(br: Branch) -> np.ndarray:
            g = self._conductances(br, volts, t)
            total = 1.0 / np.sum([1.0 / gi for gi in g], axis=0) if len(g) > 1 else g[0]
            return total * (volts(br.start) - v)                   # from its driven node to mem

        def into(node: str) -> np.ndarray:
            """Current from the circuit's elements into ``node`` (KCL: what its source takes)."""
            total = np.zeros_like(t)
            for br in self.branches:
                if br.start == node:
                    total = total - branch_current(br)
            if self.device_node == node:
                total = total + self.sign * current
            for s, sd in enumerate(self.synapses):
                if sd.start == node:
                    total = total - syn_current[:, s]
            for _, other, sign, pts in self.injections:
                if other == node:
                    total = total - sign * _pwl(pts, t)
            return total

        out = {}
        columns = self.state_columns()
        for name in self.saves:
            kind, arg = _VEC.match(name).groups()
            if kind == "v" and "." in arg:
                out[name] = y[:, columns[arg]].copy()
            elif kind == "v":
                out[name] = np.array(volts(arg), dtype=float, copy=True)
            else:
                p, n = self.sources[arg]
                out[name] = into(p) if n == GROUND else -into(n)
        return out

    def state_columns(self) -> dict[str, int]:
        """``instance.state`` (lower case) -> its column in ``y``: the neuron's states, then each synapse's."""
        return _state_columns(self.device, self.model, self.synapses, self.synapse_model)

    def _conductances(self, br: Branch, volts, t) -> list:
        g = [np.full_like(t, 1.0 / r) if r > 0 else np.full_like(t, np.inf) for r in br.ohms]
        if br.gate is not None:
            k, node, g_on, g_off = br.gate
            g[k] = np.maximum(g_on * volts(node) + g_off, 1e-300)
        return g


def _state_columns(device: str, model: CompactModel, synapses, synapse_model) -> dict[str, int]:
    cols = {f"{device}.{s.name.lower()}": 1 + j for j, s in enumerate(model.states)}
    base = 1 + len(model.states)
    for k, sd in enumerate(synapses):
        nb = len(synapse_model.states)
        cols.update({f"{sd.name}.{s.name.lower()}": base + k * nb + j for j, s in enumerate(synapse_model.states)})
    return cols


def _defaults(model: CompactModel) -> dict[str, float]:
    if model.name not in _DEFAULTS:
        _DEFAULTS[model.name] = dict(model.params().as_dict())
    return dict(_DEFAULTS[model.name])


_DEFAULTS: dict[str, dict[str, float]] = {}


def _pwl(pts: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.interp(t, pts[:, 0], pts[:, 1], left=pts[0, 1], right=pts[-1, 1])


def _points(src) -> np.ndarray:
    return np.array(src.pwl, dtype=float) if src.pwl is not None else np.array([[0.0, src.dc]])


def _instance_params(inst: Instance, model: CompactModel, refuse) -> dict[str, float]:
    names = {k.lower(): k for k in model.params.names()}
    params = _defaults(model)
    for k, v in inst.params:
        if k.lower() not in names:
            refuse(f"instance {inst.name}: {k!r} is not a parameter of {model.name}")
        params[names[k.lower()]] = float(v)
    return params


def extract(net: Netlist) -> Star:
    """The star circuit of ``net``; :class:`UnsupportedCircuit` for anything the engine cannot solve."""
    def refuse(msg: str):
        raise UnsupportedCircuit(f"vector engine, netlist {net.title!r}: {msg}")

    if net.tran is None:
        refuse("no transient analysis (.tran)")
    if net.ics:
        refuse(f"initial conditions (.ic {', '.join(net.ics)}) are not supported: the run starts at the "
               "operating point of t = 0")
    _, tstop, tmax = net.tran
    elements = list(net.elements)
    used: set[str] = set()
    # ---- driven nodes: voltage sources against ground
    driven: dict[str, np.ndarray] = {}
    sources: dict[str, tuple[str, str]] = {}
    for e in elements:
        if not isinstance(e, VSource):
            continue
        p, n = (x.lower() for x in e.nodes)
        if (p == GROUND) == (n == GROUND):
            refuse(f"voltage source {e.name} ({p}, {n}): only sources with one terminal at ground are supported")
        node, sign = (p, 1.0) if n == GROUND else (n, -1.0)
        if node in driven:
            refuse(f"node {node} is driven by two voltage sources")
        pts = _points(e)
        pts[:, 1] *= sign
        driven[node] = pts
        sources[e.name.lower()] = (p, n)
        used.add(e.name)
    known = set(driven) | {GROUND}
    # ---- the devices: one neuron, and synapse devices of one other model from driven nodes to mem
    insts = [e for e in elements if isinstance(e, Instance)]
    for e in insts:
        if e.model not in MODELS:
            refuse(f"instance {e.name}: unknown model {e.model!r} (have {', '.join(MODELS)})")
    neurons = [e for e in insts if e.model in NEURON_DEVICES]
    if len(neurons) != 1:
        refuse(f"{len(neurons)} neuron device instances ({', '.join(e.name for e in neurons) or 'none'}): exactly "
               f"one ({', '.join(NEURON_DEVICES)}) is supported")
    inst = neurons[0]
    model = MODELS[inst.model]
    p, n = (x.lower() for x in inst.nodes)
    if (p in known) == (n in known):
        refuse(f"instance {inst.name} ({p}, {n}): one terminal must be the membrane node and the other a driven "
               "node (ground or a voltage source)")
    mem, sign, dev_node = (p, 1.0, n) if n in known else (n, -1.0, p)
    used.add(inst.name)
    params = _instance_params(inst, model, refuse)
    syn_insts = [e for e in insts if e is not inst]
    syn_model = MODELS[syn_insts[0].model] if syn_insts else None
    synapses = []
    for e in syn_insts:
        if e.model != syn_model.name:
            refuse(f"instance {e.name}: synapse devices of two models ({syn_model.name}, {e.model}); one model "
                   "is supported")
        a, b = (x.lower() for x in e.nodes)
        if mem not in (a, b) or (a if b == mem else b) not in known:
            refuse(f"instance {e.name} ({a}, {b}): a synapse device must join a driven node (a voltage source or "
                   f"ground) and the membrane node {mem}")
        synapses.append(SynapseDevice(e.name.lower(), a if b == mem else b, 1.0 if b == mem else -1.0,
                                      _instance_params(e, syn_model, refuse)))
        used.add(e.name)
    # ---- capacitors
    C = 0.0
    for e in elements:
        if isinstance(e, Capacitor):
            a, b = (x.lower() for x in e.nodes)
            if {a, b} != {mem, GROUND}:
                refuse(f"capacitor {e.name} ({a}, {b}): only capacitors from the membrane node {mem} to ground "
                       "are supported")
            C += e.farads
            used.add(e.name)
    if not C > 0:
        refuse(f"no capacitance from the membrane node {mem} to ground")
    # ---- current sources into mem
    injections = []
    for e in elements:
        if isinstance(e, ISource):
            a, b = (x.lower() for x in e.nodes)
            if mem not in (a, b) or (a if b == mem else b) not in known:
                refuse(f"current source {e.name} ({a}, {b}): only current sources between the membrane node "
                       f"{mem} and a driven node are supported")
            injections.append((e.name.lower(), a if b == mem else b, 1.0 if b == mem else -1.0, _points(e)))
            used.add(e.name)
    # ---- branches: series chains of resistive elements from mem to driven nodes
    resistive = [e for e in elements if isinstance(e, Resistor | GatedConductance)]
    incident: dict[str, list] = {}
    for e in resistive:
        for x in e.nodes:
            incident.setdefault(x.lower(), []).append(e)
    other = {x.lower() for e in elements if not isinstance(e, Resistor | GatedConductance) for x in e.nodes}
    branches = []
    for first in incident.get(mem, []):
        chain, node = [], mem
        e = first
        while True:
            a, b = (x.lower() for x in e.nodes)
            if node not in (a, b) or a == b:
                refuse(f"element {e.name} ({a}, {b}) connects a node to itself")
            nxt = b if a == node else a
            chain.append((e, nxt))
            used.add(e.name)
            if nxt in known:
                break
            if nxt == mem:
                refuse(f"element {e.name} closes a loop through the membrane node {mem}")
            here = [x for x in incident.get(nxt, []) if x is not e]
            if len(here) != 1 or nxt in other:
                refuse(f"node {nxt} (after {e.name} from {mem}) joins {len(here) + 1} resistive elements"
                       f"{' and other elements' if nxt in other else ''}: only series chains from {mem} to a "
                       "driven node are supported")
            node, e = nxt, here[0]
        chain.reverse()                          # from the driven node to mem
        start = chain[0][1]
        elems = tuple(x.name for x, _ in chain)
        nodes = tuple(nd for _, nd in chain[1:]) + (mem,)
        ohms, gate = [], None
        for k, (x, _) in enumerate(chain):
            if isinstance(x, GatedConductance):
                if gate is not None:
                    refuse(f"branch {' - '.join(elems)}: more than one gated conductance")
                if x.gate.lower() not in known:
                    refuse(f"gated conductance {x.name}: its gate node {x.gate} is not driven by a voltage source")
                gate = (k, x.gate.lower(), x.g_on, x.g_off)
                ohms.append(0.0)
            else:
                ohms.append(x.ohms)
        if gate is None and not sum(ohms) > 0:
            refuse(f"branch {' - '.join(elems)}: zero resistance from a driven node to the membrane node")
        branches.append(Branch(start, elems, nodes, tuple(ohms), gate))
    left = [e.name for e in elements if e.name not in used]
    if left:
        refuse(f"element(s) {', '.join(left)} are not part of a supported star circuit (a resistor between two "
               "driven nodes, a chain that does not reach the membrane node, ...)")
    # ---- what to return
    chain_nodes = {nd for br in branches for nd in br.nodes}
    nodes = known | chain_nodes | {mem}
    columns = _state_columns(inst.name.lower(), model, synapses, syn_model)
    saves = []
    for name in [*net.saves, *(pr[k] for pr in net.probes.values() for k in ("v", "i") if k in pr)]:
        name = name.lower()
        m = _VEC.match(name)
        ok = False
        if m and m.group(1) == "v":
            arg = m.group(2)
            if "." in arg:
                ok = arg in columns
            else:
                ok = arg in nodes and arg != GROUND
        elif m:
            ok = m.group(2) in sources
        if not ok:
            refuse(f"saved vector {name}: not a node voltage, a voltage source current or a device state "
                   f"({', '.join(sorted(columns))})")
        if name not in saves:
            saves.append(name)
    return Star(net.title, mem, C, model, inst.name.lower(), params, sign, dev_node, driven, sources,
                tuple(branches), tuple(injections), float(tstop), float(tmax), tuple(saves), syn_model,
                tuple(synapses))
