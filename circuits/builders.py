"""Circuit builders: one function per circuit, returning a :class:`~circuits.netlist.Netlist`.

Node names are deterministic; each builder's docstring draws its nodes.
Every builder sets ``net.probes``: for each neuron, the vectors holding its
membrane voltage (``v``) and device current (``i``). Every element carries a
comment saying what it is; the model ``.subckt`` keeps its class defaults and
an instance lists only the device parameters that differ from them.
"""

from __future__ import annotations

import numpy as np

from pyspice_models.equations import CompactModel
from pyspice_models.nbox import NBOX, NbOxParams
from pyspice_models.nbox_et import NBOX_ET, NbOxETParams
from pyspice_models.params import ParameterError, check_range

from .format import spice_number
from .netlist import Netlist
from .stimuli import PulseTrain

NEURON = "NbOx threshold-switch neuron"
PROBE = "0 V source: the neuron's current probe, i(vsense)"


def device_model(device) -> CompactModel:
    """The NbOx compact model whose parameter set ``device`` is (behavioural or electro-thermal)."""
    if isinstance(device, NbOxETParams):
        return NBOX_ET
    if isinstance(device, NbOxParams):
        return NBOX
    raise ParameterError("device", type(device).__name__, "NbOxParams or NbOxETParams")


def _timing(net: Netlist, tstop: float, tmax: float) -> None:
    net.tran = (min(tmax, tstop / 100), tstop, tmax)
    # tight enough for 10 ns current spikes; the states live on 1 F capacitors
    net.options.update({"reltol": 1e-4, "abstol": 1e-10, "vntol": 1e-6})
    net.method = "gear"


def lif_neuron(*, train: PulseTrain = PulseTrain(), R_L: float = 3.6e3, C_m: float = 30e-12,
               device: NbOxParams | NbOxETParams = NbOxETParams(), tail: float = 0.5e-6, tmax: float = 2e-9,
               title: str = "memspike LIF neuron (Fig. 2d)") -> Netlist:
    """Single LIF neuron of Duan et al. Fig. 2d.

    ::

        in ---[R_L]--- mem ---+---------+
        |                     |         |
       (Vin)                 C_m      NbOx (xn1: p=mem, n=sense)
        |                     |         |
        0                     0       (Vsense 0 V) --- 0

    ``R_L`` ohm, ``C_m`` F; ``train`` drives ``in``. The device current is
    ``i(vsense)`` (positive from ``mem`` into the device).
    """
    R_L = check_range("R_L", R_L, "ohm", lo=0, hi=1e9)
    C_m = check_range("C_m", C_m, "F", lo=0, hi=1e-3)
    net = Netlist(title)
    model = device_model(device)
    net.subckts[model.name] = model.ngspice_subckt()
    net.vsource("vin", "in", "0", pwl=train.breakpoints(), comment="input pulse train (PWL), V")
    net.resistor("rl", "in", "mem", R_L, comment="load resistor R_L")
    net.capacitor("cm", "mem", "0", C_m, comment="membrane capacitor C_m")
    net.instance("xn1", "mem", "sense", model.name, device, comment=f"{NEURON} (subcircuit {model.name})")
    net.vsource("vsense", "sense", "0", dc=0.0, comment=PROBE)
    net.save("v(in)", "v(mem)", "i(vsense)")
    net.probes = {"n1": {"v": "v(mem)", "i": "i(vsense)"}}
    _timing(net, train.delay + train.duration + tail, tmax)
    return net


def device_sweep(*, points: np.ndarray, R_s: float = 100.0, device: NbOxParams | NbOxETParams = NbOxETParams(),
                 tmax: float = 1e-9, title: str = "memspike NbOx device sweep") -> Netlist:
    """The NbOx device alone behind a small series resistor (instrument/contacts).

    ::

        in ---[R_s]--- top --- NbOx (xd: p=top, n=sense) --- (Vsense 0 V) --- 0
        |
       (Vin: PWL points)
        0

    Used for I-V sweeps (Fig. 2b) and switching-time steps (Supp. Fig. 3).
    Device voltage is ``v(top)``, current ``i(vsense)``.
    """
    R_s = check_range("R_s", R_s, "ohm", lo=0, hi=1e9)
    net = Netlist(title)
    model = device_model(device)
    net.subckts[model.name] = model.ngspice_subckt()
    net.vsource("vin", "in", "0", pwl=points, comment="applied voltage: sweep or steps (PWL), V")
    net.resistor("rs", "in", "top", R_s, comment="series resistor R_s (instrument and contacts)")
    net.instance("xd", "top", "sense", model.name, device,
                 comment=f"NbOx threshold-switch device (subcircuit {model.name})")
    net.vsource("vsense", "sense", "0", dc=0.0, comment="0 V source: the device's current probe, i(vsense)")
    net.save("v(in)", "v(top)", "i(vsense)")
    net.probes = {"device": {"v": "v(top)", "i": "i(vsense)"}}
    _timing(net, float(points[-1, 0]), tmax)
    return net


IDLE_MODES = ("open", "ground")
OUTSIDE_MODES = ("ground", "open")
GATE_G_ON = 1.0          # S: the closed gate (1 ohm, an output relay's contact; 0.1 % of a 1 kOhm synapse)
GATE_G_OFF = 1e-12       # S: the open gate (1 Tohm)
GATE_RAMP = 5e-9         # s: the gate's linear ramps, taken while the source holds 0 V


def gate_points(train: PulseTrain) -> np.ndarray:
    """PWL points (0..1 V) of the gate that connects ``train``'s source only around its pulses."""
    starts = train.starts()
    # as pulses_to_pwl draws them: the first leading edge begins at max(t0, edge/2) - edge/2, the last
    # trailing edge ends at t0 + width + edge/2
    t_on = max(float(starts[0]), train.edge / 2) - train.edge / 2 - GATE_RAMP
    t_off = float(starts[-1]) + train.width + train.edge / 2 + GATE_RAMP
    pts = [(0.0, 1.0)] if t_on - GATE_RAMP <= 0 else [(0.0, 0.0), (t_on - GATE_RAMP, 0.0), (t_on, 1.0)]
    pts += [(t_off, 1.0), (t_off + GATE_RAMP, 0.0)]
    return np.array(pts)


def dendrite(*, trains, R, C_m: float = 30e-12, idle: str = "open", device: NbOxParams | NbOxETParams = NbOxETParams(),
             tail: float = 0.5e-6, tmax: float = 2e-9, outside: str = "ground",
             title: str = "memspike dendritic neuron (Fig. 3a)") -> Netlist:
    """An NbOx neuron with several synaptic inputs (Duan et al. Fig. 3a, any number of inputs).

    ::

        s1 ---[R_1]---+
        s2 ---[R_2]---+--- mem ---+---------+
        ...           |           |         |
                                 C_m      NbOx (xn1: p=mem, n=sense)
                                  |         |
                                  0       (Vsense 0 V) --- 0

    ``trains[k]`` drives input ``s<k+1>`` through ``R[k]`` (ohm). An input
    whose train is ``None`` is *not applied*; ``idle`` says what that means on
    the bench: ``"open"`` (its source is disconnected: the branch is left out)
    or ``"ground"`` (its source stays connected and holds 0 V, so its resistor
    loads the node). Which is right depends on the experiment (README: Experiments).

    ``outside`` says the same for an *applied* input outside its train (before
    its first pulse and after its last, e.g. a delayed train): ``"ground"``
    (the default: its source is connected throughout and holds 0 V there) or
    ``"open"``: a gate ``bg<k>`` in series between the source and ``R_k``
    disconnects it, ::

        s<k> ---[bg<k>: G_ON v(g<k>) + G_OFF]--- o<k> ---[R_k]--- mem

    where ``v(g<k>)`` (source ``vg<k>``, 0..1 V) is 1 from ``GATE_RAMP`` before
    the first pulse's leading edge to ``GATE_RAMP`` after the last pulse's
    trailing edge and 0 elsewhere, with ``GATE_RAMP`` linear ramps while the
    source holds 0 V (continuous, so ngspice converges; a hard switch would be a
    step). Between the pulses of a train the source stays connected at 0 V. The
    gate is an ngspice behavioural source: decks with it have no VACASK rendering.
    """
    trains = list(trains)
    R = list(R)
    if not trains:
        raise ValueError("dendrite needs at least one input")
    if len(R) != len(trains):
        raise ValueError(f"dendrite: {len(trains)} trains but {len(R)} resistors")
    if idle not in IDLE_MODES:
        raise ParameterError("idle", idle, "one of " + ", ".join(IDLE_MODES))
    if outside not in OUTSIDE_MODES:
        raise ParameterError("outside", outside, "one of " + ", ".join(OUTSIDE_MODES))
    R = [check_range(f"R_{k + 1}", r, "ohm", lo=0, hi=1e9) for k, r in enumerate(R)]
    C_m = check_range("C_m", C_m, "F", lo=0, hi=1e-3)
    tail = check_range("tail", tail, "s", lo=0, hi=1, lo_open=False)
    net = Netlist(title)
    model = device_model(device)
    net.subckts[model.name] = model.ngspice_subckt()
    stop = 0.0
    for k, (tr, r) in enumerate(zip(trains, R, strict=True), start=1):
        if tr is None and idle == "open":
            continue
        if tr is None:
            net.vsource(f"v{k}", f"s{k}", "0", dc=0.0, comment=f"input S{k} not applied: held at 0 V")
        else:
            net.vsource(f"v{k}", f"s{k}", "0", pwl=tr.breakpoints(), comment=f"input S{k}: pulse train (PWL), V")
        node = f"s{k}"
        if tr is not None and outside == "open":
            node = f"o{k}"
            net.vsource(f"vg{k}", f"g{k}", "0", pwl=gate_points(tr),
                        comment=f"gate of input S{k}: 1 from just before its first pulse to just after its last")
            net.gate(f"bg{k}", f"s{k}", node, f"g{k}", GATE_G_ON, GATE_G_OFF,
                     comment=f"input S{k} disconnected outside its train: {spice_number(1 / GATE_G_ON)} ohm "
                             f"when the gate is 1, {spice_number(1 / GATE_G_OFF)} ohm when it is 0")
            net.save(f"v(g{k})")
        net.resistor(f"r{k}", node, "mem", r, comment=f"synaptic resistor R_{k} of input S{k}")
        net.save(f"v(s{k})")
        if tr is not None:
            stop = max(stop, tr.delay + tr.duration)
    if stop + tail <= 0:
        raise ValueError("dendrite: no input is applied; give a positive tail to set the run length")
    net.capacitor("cm", "mem", "0", C_m, comment="membrane capacitor C_m")
    net.instance("xn1", "mem", "sense", model.name, device, comment=f"{NEURON} (subcircuit {model.name})")
    net.vsource("vsense", "sense", "0", dc=0.0, comment=PROBE)
    net.save("v(mem)", "i(vsense)")
    net.probes = {"n1": {"v": "v(mem)", "i": "i(vsense)"}}
    _timing(net, stop + tail, tmax)
    return net
