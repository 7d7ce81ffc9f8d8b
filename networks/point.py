"""The NbOx neuron circuit reduced to a point neuron (leaky integrate-and-fire), and a fast simulator for it.

The model (one membrane voltage ``v``, volts; inputs ``u_k(t)``, the voltages applied to the synapses)::

    dv/dt = -v / tau_m + sum_k gain_k u_k(t)                 (while not refractory)
    |v| >= v_th  ->  a spike; v held at sign(v) v_reset for t_ref
    a spike does not end while the drive D(t) = tau_m sum_k gain_k u_k(t), in the spike's polarity, is >= v_latch

What each value stands for in the circuit of Fig. 2d / 3a (``C_m dv/dt = sum_k (u_k - v)/R_k - i_dev``):

* ``tau_m``: the membrane time constant, ``C_m`` over everything that discharges it below threshold
  (every synaptic resistor, their sources holding 0 V between pulses, and the NbOx device's off-state
  leak): about ``C_m (R_1 || R_2 || ... || R_off)``;
* ``gain_k``: the input gain of synapse ``k``, ``1/(R_k C_m)``: an input held at ``u`` moves ``v`` at
  ``gain_k u`` volts per second, so a rectangular pulse of amplitude ``A`` and width ``w`` raises ``v`` by
  :func:`pulse_increment` ``= gain_k A tau_m (1 - exp(-w/tau_m))`` (``gain_k A w`` for ``w << tau_m``);
* ``v_th``: the membrane voltage at which the device runs away (thermal runaway in ``nbox_et``): a spike;
* ``v_reset``, ``t_ref``: where the spike leaves the membrane and how long it takes from crossing
  ``v_th`` (the device switches on, discharges ``C_m`` and switches off again; the membrane does not
  integrate meanwhile);
* ``v_latch``: the drive above which the input supplies the device's hold current, so that it stays on
  once it has fired (no more spikes until the drive falls), ``None`` if no drive tried latched it.
  Both polarities fire alike (the device is symmetric: Fig. 3i's XOR), hence ``|v|``.

``v_th`` and ``v_reset`` are effective values of this linear membrane, fitted to the circuit's spike
intervals (below): the real membrane also leaks through the device, more steeply near threshold, so
they are not the voltages a probe on ``mem`` reads at switching (``fit["v_min_measured"]`` is the
membrane minimum after a spike, for comparison).

Extraction (:func:`extract`, or :class:`Extraction` driven by an experiment's own simulate): ngspice
runs of the circuit itself, nothing taken from the circuit values but where to put the stimuli:

1. ``sub``: each synapse alone, two long sub-threshold pulses apiece (membrane up to ~0.8 of the
   device threshold); ``tau_m`` and every ``gain_k`` by least squares on ``v(mem)``;
2. ``level<j>``: every synapse held at one voltage for one long pulse, a ladder of drives from just
   below the device threshold to past the latch, then two rounds of levels inside the brackets where
   firing starts (onset) and where the device latches: per level the spike count, whether firing
   lasts to the pulse's end, the steady inter-spike interval;
3. ``v_th``, ``v_reset``, ``t_ref`` by least squares on the intervals of the levels that keep firing,
   ``ISI = t_ref + tau_m ln((D - v_reset)/(D - v_th))``; ``v_latch`` halfway (geometric) between the
   highest level that kept firing and the next one, which did not.

Every fitted value comes with its error (``PointNeuron.fit``): the RMS residual of the membrane fit,
standard errors from the Jacobians, the interval residuals, and the spike counts of the point neuron
against ngspice's on every level. The file (:meth:`PointNeuron.save`, JSON) holds the values with units
and meanings, the fit errors and the provenance (device model and parameters, circuit, date, memspike
version); a user may edit it and pass it back (:meth:`PointNeuron.load` validates it).

Where the point neuron departs from the device (so from ngspice):

* onset: the device starts oscillating abruptly (a Hopf-like onset: the first drive that fires gives
  intervals of a few tau_m) while a LIF fires at any drive above ``v_th`` with intervals that grow
  without bound; the fit puts ``v_th`` a little below the device's onset (``fit["onset"]``): between
  the two (a few % of drive, ``fit["count_mismatch_drives"]``) the point neuron fires and the circuit
  does not;
* latch: the point neuron latches at its first spike; the device rings through 2 to 9 spikes before
  it settles on, so past ``v_latch`` counts differ by that much (not a neuron's regime);
* the spike itself is a clamp of ``t_ref``; what happens inside it (current peak, heating) is not modelled.

Large populations (:func:`run_poisson`, Fig. 7e-h): thousands of Poisson trains onto one point neuron
on a fixed step ``dt``. Input events are drawn chunk by chunk from a seeded generator: per chunk the
number of events of each population (Poisson), their steps (uniform), summed into one increment per
step; single trains are drawn only for the few a raster shows. No train is ever held at full time
resolution: memory is O(chunk), not O(trains x steps).

References:
  Duan et al., Nat. Commun. 11, 3399 (2020): Figs. 2d, 3a, 7e-h, Supp. Fig. 15 (LIF parameters extracted
  from measurements for the Brian2 simulation of Fig. 7e-h), Methods.
  Gerstner et al., Neuronal Dynamics (2014), ch. 1.3 (LIF), ch. 8 (Poisson input, free membrane potential).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
from scipy.optimize import least_squares
from scipy.signal import lfilter

from analysis.fits import jacobian_errors
from analysis.spikes import detect_spikes
from circuits.builders import dendrite, lif_neuron
from circuits.netlist import Netlist
from circuits.stimuli import PulseTrain, evaluate
from pyspice_models.params import ParameterError, Params, check_value, describe_range, param

log = logging.getLogger(__name__)

FORMAT = "memspike point neuron"
FORMAT_VERSION = 1
MODEL = ("leaky integrate-and-fire: dv/dt = -v/tau_m + sum_k gain_k u_k(t); |v| >= v_th -> spike, v held at "
         "sign(v) v_reset for t_ref; a spike lasts while tau_m sum_k gain_k u_k(t) >= v_latch")

# name -> metadata (the same form as pyspice_models.params.param's)
FIELDS: dict[str, dict] = {
    "v_th": {"unit": "V", "doc": "threshold: membrane voltage at which the NbOx device switches on (a spike)",
             "lo": 0.0, "hi": 10.0, "lo_open": True, "integer": False},
    "v_reset": {"unit": "V", "doc": "reset: membrane voltage where a spike leaves it (device off again)",
                "lo": -10.0, "hi": 10.0, "lo_open": False, "integer": False},
    "tau_m": {"unit": "s", "doc": "membrane time constant below threshold (C_m over synapses and device leak)",
              "lo": 0.0, "hi": 1.0, "lo_open": True, "integer": False},
    "t_ref": {"unit": "s", "doc": "refractory time: from crossing v_th to the end of the spike (no integration)",
              "lo": 0.0, "hi": 1e-3, "lo_open": False, "integer": False},
    "gains": {"unit": "1/(V s)", "doc": "input gain per synapse: dv/dt per volt held on that input, 1/(R_k C_m)",
              "lo": 0.0, "hi": 1e15, "lo_open": True, "integer": False},
    "v_latch": {"unit": "V", "doc": "drive tau_m sum_k gain_k u_k above which a spike does not end (the input "
                "supplies the device's hold current); null: no latch seen",
                "lo": 0.0, "hi": 1e3, "lo_open": True, "integer": False},
}
MAX_SYNAPSES = 10000


# --------------------------------------------------------------------------- the point neuron
@dataclass(frozen=True, kw_only=True)
class PointNeuron:
    """A LIF description of one NbOx neuron circuit (see the module docstring); SI units, validated."""

    v_th: float
    v_reset: float
    tau_m: float
    t_ref: float
    gains: tuple[float, ...]
    v_latch: float | None = None
    fit: dict = field(default_factory=dict, compare=False)          # fit errors (what extraction measured)
    provenance: dict = field(default_factory=dict, compare=False)   # device, circuit, date, version

    def __post_init__(self):
        for name in ("v_th", "v_reset", "tau_m", "t_ref"):
            object.__setattr__(self, name, check_value(name, getattr(self, name), FIELDS[name]))
        gains = self.gains
        if isinstance(gains, str | bytes) or not isinstance(gains, Sequence) or not 1 <= len(gains) <= MAX_SYNAPSES:
            raise ParameterError("gains", gains, f"a list of 1 to {MAX_SYNAPSES} gains, each "
                                 + describe_range(FIELDS["gains"]))
        object.__setattr__(self, "gains", tuple(check_value(f"gains[{k}]", g, FIELDS["gains"])
                                                for k, g in enumerate(gains)))
        if self.v_latch is not None:
            object.__setattr__(self, "v_latch", check_value("v_latch", self.v_latch, FIELDS["v_latch"]))
        if not self.v_reset < self.v_th:
            raise ParameterError("v_reset", self.v_reset, f"a voltage below v_th = {self.v_th:g} V (a reset at or "
                                 "above threshold fires for ever)")
        if self.v_latch is not None and not self.v_latch > self.v_th:
            raise ParameterError("v_latch", self.v_latch, f"a drive above v_th = {self.v_th:g} V, or null")

    # ------------------------------------------------------------ what it means
    def drive(self, inputs: Sequence[float]) -> float:
        """The drive ``D = tau_m sum_k gain_k u_k`` (V): where ``v`` settles with inputs ``u_k`` held."""
        if len(inputs) != len(self.gains):
            raise ValueError(f"{len(inputs)} inputs for {len(self.gains)} synapses")
        return self.tau_m * float(np.dot(self.gains, inputs))

    def isi(self, drive: float) -> float:
        """Inter-spike interval (s) at a constant drive ``D`` (V); inf where it never fires or latches."""
        if drive <= self.v_th or (self.v_latch is not None and drive >= self.v_latch):
            return math.inf
        return self.t_ref + self.tau_m * math.log((drive - self.v_reset) / (drive - self.v_th))

    def values(self) -> dict:
        return {"v_th": self.v_th, "v_reset": self.v_reset, "tau_m": self.tau_m, "t_ref": self.t_ref,
                "gains": list(self.gains), "v_latch": self.v_latch}

    def replace(self, **changes) -> PointNeuron:
        unknown = set(changes) - set(FIELDS)
        if unknown:
            name = sorted(unknown)[0]
            raise ParameterError(name, changes[name], "one of " + ", ".join(FIELDS))
        return PointNeuron(**{**self.values(), **changes}, fit=self.fit, provenance=self.provenance)

    # ------------------------------------------------------------ the file
    def as_json(self) -> dict:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "model": MODEL,
                "neuron": self.values(),
                "units": {k: m["unit"] for k, m in FIELDS.items()},
                "meaning": {k: m["doc"] for k, m in FIELDS.items()},
                "fit_errors": _finite(self.fit), "provenance": _finite(self.provenance)}

    def save(self, path) -> Path:
        """Write the neuron as JSON (atomically: the file is complete or absent)."""
        from memspike.io import write_json_atomic

        write_json_atomic(path, self.as_json(), allow_nan=False)
        return Path(path)

    @classmethod
    def from_json(cls, doc, source: str = "neuron") -> PointNeuron:
        """A neuron from the JSON object :meth:`as_json` writes; :class:`ParameterError` on anything else."""
        what = f"a {FORMAT} file (JSON with 'format': '{FORMAT}' and a 'neuron' object)"
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("neuron"), dict):
            raise ParameterError("--neuron", source, what)
        if doc.get("format_version") != FORMAT_VERSION:
            raise ParameterError("--neuron", source, f"{what}, format_version {FORMAT_VERSION} "
                                 f"(this file: {doc.get('format_version')!r})")
        values = doc["neuron"]
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ParameterError(f"neuron.{unknown[0]}", values[unknown[0]], "one of the keys " + ", ".join(FIELDS))
        missing = [k for k in FIELDS if k not in values and k != "v_latch"]
        if missing:
            raise ParameterError("--neuron", source, f"{what}; its 'neuron' lacks {', '.join(missing)}")
        fit = doc.get("fit_errors") or {}
        prov = doc.get("provenance") or {}
        if not isinstance(fit, dict) or not isinstance(prov, dict):
            raise ParameterError("--neuron", source, f"{what}; fit_errors and provenance are objects")
        try:
            return cls(**{k: values.get(k) for k in FIELDS}, fit=fit, provenance=prov)
        except ParameterError as e:
            raise ParameterError(f"neuron.{e.name}", e.value, e.allowed) from None

    @classmethod
    def load(cls, path) -> PointNeuron:
        """Read and validate a neuron file; :class:`ParameterError` (one line) for a missing, malformed or
        out-of-range file."""
        return cls.read(path)[0]

    @classmethod
    def read(cls, path) -> tuple[PointNeuron, str]:
        """:meth:`load`, and the sha256 of the bytes it read (what a run records of the file)."""
        path = Path(path)
        try:
            raw = path.read_bytes()
            text = raw.decode()
        except OSError as e:
            raise ParameterError("--neuron", str(path), f"a readable file ({e.strerror or e})") from None
        except UnicodeDecodeError:
            raise ParameterError("--neuron", str(path), "a UTF-8 JSON text file") from None
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError) as e:
            msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
            where = f" (line {e.lineno}: {msg})" if isinstance(e, json.JSONDecodeError) else f" ({msg})"
            raise ParameterError("--neuron", str(path), f"a JSON file{where}") from None
        return cls.from_json(doc, str(path)), hashlib.sha256(raw).hexdigest()

    def summary(self) -> list[str]:
        """Lines a person reads: every value with its unit, and the headline fit errors."""
        gains = ", ".join(f"{g:.4g}" for g in self.gains)
        lines = [f"v_th    = {self.v_th:.4g} V", f"v_reset = {self.v_reset:.4g} V",
                 f"tau_m   = {self.tau_m * 1e9:.4g} ns", f"t_ref   = {self.t_ref * 1e9:.4g} ns",
                 f"gains   = [{gains}] 1/(V s)",
                 "v_latch = " + ("none seen" if self.v_latch is None else f"{self.v_latch:.4g} V (drive)")]
        f = self.fit
        parts = [fmt.format(f[k] * scale) for k, fmt, scale in (
            ("sub_rms_V", "membrane RMS {:.3g} mV", 1e3), ("isi_rms_rel", "intervals RMS {:.2f} %", 100),
            ("count_max_rel_error", "largest spike-count error on the sustained firing levels {:.1f} % (vs ngspice)",
             100))
            if isinstance(f.get(k), int | float)]
        if parts:
            lines.append("fit: " + "; ".join(parts))
        return lines


def _finite(o):
    """``o`` with every non-finite float replaced by None (JSON has no NaN; a missing error is null)."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    if isinstance(o, float | np.floating):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, np.integer | np.bool_):
        return o.item()
    return o


def _reject_constant(name):
    raise ValueError(f"{name} is not a number a neuron can have")


def pulse_increment(neuron: PointNeuron, amplitude: float, width: float, synapse: int = 0) -> float:
    """Membrane increment (V) of one rectangular input pulse of ``amplitude`` (V) and ``width`` (s) through
    ``synapse``, from rest: ``gain A tau_m (1 - exp(-w/tau_m))``, the LIF's response at the pulse's end."""
    g = neuron.gains[synapse]
    return g * amplitude * neuron.tau_m * -math.expm1(-width / neuron.tau_m)


# --------------------------------------------------------------------------- the circuit extracted
@dataclass(frozen=True)
class NeuronCircuit:
    """The circuit a point neuron describes: Fig. 2d (one synapse, ``R = (R_L,)``) or Fig. 3a (several).

    Every synapse's source is connected throughout and holds 0 V between its pulses (the membrane leaks
    through all of them: one ``tau_m``)."""

    R: tuple[float, ...]
    C_m: float

    def __post_init__(self):
        object.__setattr__(self, "R", tuple(float(r) for r in self.R))
        if not 1 <= len(self.R) <= 16:
            raise ParameterError("R", self.R, "1 to 16 synaptic resistors")
        for k, r in enumerate(self.R):
            check_value(f"R_{k + 1}", r, {"unit": "ohm", "lo": 1.0, "hi": 1e8, "lo_open": False, "integer": False})
        check_value("C_m", self.C_m, {"unit": "F", "lo": 1e-15, "hi": 1e-6, "lo_open": False, "integer": False})

    @property
    def R_par(self) -> float:
        return 1.0 / sum(1.0 / r for r in self.R)

    def netlist(self, trains: Sequence[PulseTrain | None], device, tail: float = 0.3e-6) -> Netlist:
        """The circuit with ``trains[k]`` on synapse ``k`` (None: held at 0 V)."""
        if len(trains) != len(self.R):
            raise ValueError(f"{len(trains)} trains for {len(self.R)} synapses")
        if len(self.R) == 1 and trains[0] is not None:
            return lif_neuron(train=trains[0], R_L=self.R[0], C_m=self.C_m, device=device, tail=tail)
        return dendrite(trains=list(trains), R=list(self.R), C_m=self.C_m, idle="ground", outside="ground",
                        device=device, tail=tail)

    def as_dict(self) -> dict:
        kind = "Fig. 2d LIF neuron (lif_neuron)" if len(self.R) == 1 else "Fig. 3a dendritic neuron (dendrite)"
        return {"kind": kind, "R": list(self.R), "C_m": self.C_m,
                "inputs": "every source connected, 0 V between its pulses"}


# --------------------------------------------------------------------------- extraction
@dataclass(frozen=True, kw_only=True)
class ExtractParams(Params):
    """The circuit ``memspike extract`` reduces to a point neuron: Fig. 2d, or Fig. 3a with ``R_2``."""

    R_L: float = param(3.6e3, "ohm", "load resistor: the neuron's (first) synapse (Methods, Fig. 2f: 3.6 kohm)",
                       lo=1, hi=1e8)
    C_m: float = param(30e-12, "F", "membrane capacitor (Methods, Fig. 2f: 30 pF)", lo=1e-15, hi=1e-6)
    R_2: float = param(0.0, "ohm", "a second synaptic resistor on the membrane (Fig. 3a's dendritic neuron); "
                       "0: none (Fig. 2d)", lo=0, hi=1e8, lo_open=False)

    def circuit(self) -> NeuronCircuit:
        return NeuronCircuit(R=(self.R_L,) if not self.R_2 else (self.R_L, self.R_2), C_m=self.C_m)


@dataclass
class ExtractionRun:
    tag: str
    net: Netlist
    kind: str                       # "sub" or "level"
    amplitudes: tuple[float, ...]   # per synapse (V)
    t_on: float                     # s: the long pulse's window (level runs)
    t_off: float
    stats: dict | None = None       # level runs: what ngspice did (see _level_stats)


def device_estimates(device, R_par: float) -> tuple[float, float]:
    """(threshold, latch) input-voltage estimates (V) from the device's quasi-static curve: they only
    place the first stimulus levels; the levels themselves find both."""
    v_th = float(device.threshold())
    latch = 3 * v_th
    folds = getattr(device, "folds", None)
    if folds is not None:
        f = folds()
        if np.isfinite(f["v_hold"]) and np.isfinite(f["i_hold"]):
            latch = f["v_hold"] + f["i_hold"] * R_par
    return v_th, max(latch, 1.3 * v_th)


REPEAT = 3          # spikes in a level's long pulse that make it "firing" (an interval past the first)
MAX_LEVEL = 15.0    # V: the highest constant drive tried (pulse sources stop at 20 V)
MAX_TAU = 20e-6     # s: the longest membrane time constant extracted (runs of ~30 tau at ns steps)


class Extraction:
    """The ngspice runs of one circuit and the fit of its point neuron, in rounds.

    ::

        ex = Extraction(circuit, device)
        while items := ex.pending():          # [(tag, netlist), ...]
            ex.add(simulate(items))           # their waveforms, in order
        neuron = ex.result()

    Round 1: the sub-threshold run and a geometric ladder of constant drives (every synapse at one
    voltage, one long pulse) from just below the device threshold to past the estimated latch; later
    rounds: levels inside the brackets where the circuit starts firing (onset) and where it latches,
    until each is 1 % wide (2 rounds with ``quick``, else 3). ``onset_bound``: keep ``v_th`` inside the
    onset bracket (no drive where the point neuron fires and the circuit does not, at the price of
    intervals near onset; ``benchmarks/point_agreement.py --onset-bound`` compares the two).
    """

    def __init__(self, circuit: NeuronCircuit, device, *, quick: bool = False, provenance: dict | None = None,
                 onset_bound: bool = False):
        self.onset_bound = onset_bound
        self.circuit = circuit
        self.device = device
        self.quick = quick
        self.provenance = dict(provenance or {})
        self.runs: list[ExtractionRun] = []
        self._sub_wf = None
        self._batch: list[ExtractionRun] = []
        self._round = 0
        self._rounds = 2 if quick else 3
        self._v_th0, self._latch0 = device_estimates(device, circuit.R_par)
        self._tau0 = circuit.C_m * circuit.R_par
        if not self._tau0 <= MAX_TAU:
            raise ParameterError("R C_m", self._tau0, f"a membrane time constant (synapses in parallel, times C_m) "
                                 f"<= {MAX_TAU * 1e6:g} µs: the extraction's ngspice runs last ~30 of them")
        self._width = max(2e-6, 25 * self._tau0)

    # ------------------------------------------------------------ runs
    def _sub_run(self) -> ExtractionRun:
        """Each synapse alone: two pulses of 3 tau, to ~0.8 of the device threshold."""
        c = self.circuit
        seg = 12 * self._tau0
        w = max(3 * self._tau0, 10e-9)
        trains, amps = [], []
        for k, r in enumerate(c.R):
            a = 0.8 * self._v_th0 * r / c.R_par
            amps.append(a)
            trains.append(PulseTrain(amplitude=a, width=w, interval=w, n_pulses=2, delay=k * seg,
                                     edge=min(5e-9, w / 4)))
        return ExtractionRun("sub", c.netlist(trains, self.device), "sub", tuple(amps), 0.0, len(c.R) * seg)

    def _level_run(self, a: float) -> ExtractionRun:
        tr = PulseTrain(amplitude=a, width=self._width, interval=0.0, n_pulses=1)
        tag = f"level{sum(r.kind == 'level' for r in self.runs) + len(self._batch):02d}"
        return ExtractionRun(tag, self.circuit.netlist([tr] * len(self.circuit.R), self.device), "level",
                             (a,) * len(self.circuit.R), tr.delay, tr.delay + self._width)

    def _levels(self) -> list[ExtractionRun]:
        return sorted((r for r in self.runs if r.kind == "level"), key=lambda r: r.amplitudes[0])

    def brackets(self) -> dict:
        """Input voltages (V, every synapse) bracketing the onset of firing and the latch, from the levels
        run so far: {"onset": (lo, hi) or None, "latch": (lo, hi) or None}."""
        lv = self._levels()
        firing = [r.amplitudes[0] for r in lv if r.stats["sustained"]]
        out = {"onset": None, "latch": None}
        if not firing:
            return out
        lo_f, hi_f = min(firing), max(firing)
        below = [r.amplitudes[0] for r in lv if r.amplitudes[0] < lo_f]
        above = [r.amplitudes[0] for r in lv if r.amplitudes[0] > hi_f]
        if below:
            out["onset"] = (max(below), lo_f)
        if above:
            out["latch"] = (hi_f, min(above))
        return out

    def pending(self) -> list[tuple[str, Netlist]]:
        """The next batch of (tag, netlist) to simulate; empty when the extraction needs no more."""
        if self._batch:
            raise RuntimeError("add() the waveforms of the previous batch first")
        if self._round == 0:
            hi = min(1.25 * self._latch0, MAX_LEVEL)
            lo = 0.95 * self._v_th0
            n = 7 if self.quick else 10
            amps = lo * (hi / lo) ** np.linspace(0, 1, n)
            self._batch = [self._sub_run()]
            for a in amps:
                self._batch.append(self._level_run(round(float(a), 5)))
        elif self._round < self._rounds:
            for lo_hi in self.brackets().values():
                if lo_hi is None or lo_hi[1] / lo_hi[0] < 1.01:
                    continue
                lo, hi = lo_hi
                for f in (0.25, 0.5, 0.75):
                    self._batch.append(self._level_run(round(float(lo * (hi / lo) ** f), 5)))
        self._round += 1
        return [(r.tag, r.net) for r in self._batch]

    def add(self, waveforms: Sequence) -> None:
        """The waveforms of the batch :meth:`pending` returned, in its order."""
        if len(waveforms) != len(self._batch):
            raise ValueError(f"{len(waveforms)} waveforms for {len(self._batch)} runs")
        thr = self.device.spike_current()
        for r, wf in zip(self._batch, waveforms, strict=True):
            if r.kind == "sub":
                self._sub_wf = wf
            else:
                r.stats = _level_stats(wf, r, thr)
            r.net = None                     # the netlist was staged by the caller; keep memory small
            self.runs.append(r)
        self._batch = []

    # ------------------------------------------------------------ the fit
    def result(self) -> PointNeuron:
        """The fitted point neuron. :class:`ParameterError` when the runs do not define one (the circuit
        never fires repeatedly on a constant drive, or a value comes out non-finite or out of range)."""
        if self._sub_wf is None:
            raise RuntimeError("no runs yet: call pending() and add() first")
        tau, gains, info = _fit_sub(self.circuit, self._sub_wf)
        lv = self._levels()
        levels = [{"amplitude": r.amplitudes[0], "amplitudes": list(r.amplitudes), "width": r.t_off - r.t_on,
                   "drive": tau * float(np.dot(gains, r.amplitudes)), **r.stats} for r in lv]
        firing = [d for d in levels if d["sustained"]]
        if len(firing) < 3:
            tried = ", ".join(f"{d['amplitude']:.3g}" for d in levels)
            raise ParameterError("extraction", f"{len(firing)} firing level(s)",
                                 f"a circuit that fires repeatedly on at least three constant drives (tried {tried} V)")
        D = np.array([d["drive"] for d in firing])
        isi = np.array([d["isi"] for d in firing])
        silent_below = [d["drive"] for d in levels if d["drive"] < D.min()]
        lo_th = max(silent_below, default=0.0) if self.onset_bound else 1e-3
        hi_th = float(D.min()) * (1 - 1e-6)
        v_min = float(np.median([d["v_min"] for d in firing]))

        def model(x):
            v_th, t_ref, f = x
            return t_ref + tau * np.log((D - f * v_th) / np.maximum(D - v_th, 1e-12))

        x0 = [0.5 * (lo_th + hi_th) if self.onset_bound else 0.98 * hi_th, 0.3 * float(isi.min()),
              min(v_min / hi_th, 0.9)]
        sol = least_squares(lambda x: (model(x) - isi) / isi, x0,
                            bounds=([lo_th, 0.0, 0.0], [hi_th, float(isi.min()), 0.999]),
                            x_scale=[0.05, float(isi.min()), 0.1])
        v_th, t_ref, f = (float(x) for x in sol.x)
        v_reset = f * v_th
        se = _std_errors(sol) if len(firing) > 3 else np.full(3, np.nan)
        top = max(d["drive"] for d in firing)
        above = [d["drive"] for d in levels if d["drive"] > top]
        v_latch = float(math.sqrt(top * min(above))) if above else None
        fit_errors = {
            **info,
            "v_th_se": float(se[0]), "t_ref_se": float(se[1]), "v_reset_se": float(se[2] * v_th),
            "v_min_measured": v_min,
            "v_min_spread": float(np.std([d["v_min"] for d in firing])),
            "isi_rms_rel": float(np.sqrt(np.mean(sol.fun ** 2))),
            "isi_max_rel": float(np.max(np.abs(sol.fun))),
            "onset": {"highest_silent_drive": max(silent_below) if silent_below else None,
                      "lowest_firing_drive": float(D.min()),
                      "note": "constant drives (V): the circuit starts firing between these two; the point neuron "
                              "fires from v_th (count_mismatch_drives: where it fires and the circuit does not)"},
            "latch_bracket": [top, min(above)] if above else None,
            "levels": levels,
        }
        try:
            neuron = PointNeuron(v_th=v_th, v_reset=v_reset, tau_m=tau, t_ref=t_ref, gains=tuple(gains),
                                 v_latch=v_latch, fit=fit_errors, provenance=self.provenance)
        except ParameterError as e:
            raise ParameterError(f"extracted {e.name}", e.value, e.allowed) from None
        # the point neuron on the same levels: its spike counts against ngspice's
        neuron.fit.update(level_agreement(neuron, levels))
        return neuron


def level_agreement(neuron: PointNeuron, levels: list[dict]) -> dict:
    """``neuron`` on the constant-drive levels of an extraction (``fit_errors.levels`` of a neuron file:
    each level's input amplitudes, pulse width and ngspice's spike count): each level's ``count_point``
    (set in place), the largest relative count error over the levels that keep firing in ngspice
    (``count_max_rel_error``) and the drives where only the point neuron fires (``count_mismatch_drives``).
    This is how an edited neuron file is checked against the ngspice runs it was extracted from."""
    errs, mismatch = [], []
    for d in levels:
        amps = d.get("amplitudes") or [d["amplitude"]]
        amps = amps * len(neuron.gains) if len(amps) == 1 else amps
        width = float(d["width"])
        trains = [PulseTrain(amplitude=a, width=width, interval=0.0, n_pulses=1) for a in amps]
        n = int(simulate_trains(neuron, trains, t_stop=trains[0].delay + width).size)
        d["count_point"] = n
        if d["sustained"]:
            errs.append(abs(n - d["count"]) / d["count"])
        elif n >= REPEAT:
            mismatch.append(d["drive"])
    return {"count_max_rel_error": float(max(errs)) if errs else float("nan"), "count_mismatch_drives": mismatch}


def recorded_levels(neuron: PointNeuron, source: str = "neuron") -> list[dict] | None:
    """The extraction's levels a neuron file carries (``fit_errors.levels``), checked for what
    :func:`level_agreement` reads; None when the file has none (written by hand).
    :class:`ParameterError` (naming ``source``) when they are there but malformed."""
    lv = neuron.fit.get("levels")
    if lv is None:
        return None

    def bad(what: str):
        return ParameterError("--neuron", source, f"a neuron file whose fit_errors.levels {what}")

    if not isinstance(lv, list) or not lv:
        raise bad("is a non-empty list")
    for k, d in enumerate(lv):
        if not isinstance(d, dict) or not {"width", "count", "sustained", "drive", "amplitude"} <= d.keys():
            raise bad(f"[{k}] has width, count, sustained, drive and amplitude")
        amps = d.get("amplitudes", [d["amplitude"]])
        nums = [d["width"], d["drive"], *(amps if isinstance(amps, list) else [None])]
        if not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in nums):
            raise bad(f"[{k}] has finite numbers for width, drive and amplitudes")
        if not 0 < d["width"] <= 1e-3:
            raise bad(f"[{k}].width is a pulse width in (0, 1 ms]")
        if not (isinstance(d["count"], int) and not isinstance(d["count"], bool) and d["count"] >= 0
                and isinstance(d["sustained"], bool)):
            raise bad(f"[{k}] has a spike count >= 0 and sustained true or false")
        if len(amps) not in (1, len(neuron.gains)):
            raise bad(f"[{k}].amplitudes has one amplitude per synapse ({len(neuron.gains)})")
    return lv


def _uniform(wf, dt: float):
    t = np.arange(0.0, float(wf.time[-1]), dt)
    return t, np.interp(t, wf.time, wf["v(mem)"])


def _filtered(u: np.ndarray, dt: float, tau: float) -> np.ndarray:
    """y with ``dy/dt = -y/tau + u`` (u piecewise linear on the grid: midpoint rule), y(0) = 0."""
    a = math.exp(-dt / tau)
    um = 0.5 * (u + np.concatenate((u[1:], u[-1:])))
    y = lfilter([tau * (1 - a)], [1.0, -a], um)
    return np.concatenate(([0.0], y[:-1]))


def _fit_sub(c: NeuronCircuit, wf) -> tuple[float, np.ndarray, dict]:
    """tau_m and the gains by least squares on the sub-threshold membrane voltage."""
    tau0 = c.C_m * c.R_par
    dt = tau0 / 200
    t, v = _uniform(wf, dt)
    names = ["v(in)"] if len(c.R) == 1 else [f"v(s{k + 1})" for k in range(len(c.R))]
    u = np.array([np.interp(t, wf.time, wf[n]) for n in names])
    g0 = np.array([1.0 / (r * c.C_m) for r in c.R])

    def resid(x):
        tau = tau0 * x[0]
        return sum(g0[k] * x[1 + k] * _filtered(u[k], dt, tau) for k in range(len(c.R))) - v

    sol = least_squares(resid, np.ones(1 + len(c.R)), bounds=(1e-3, 1e3))
    se = _std_errors(sol)
    info = {"sub_rms_V": float(np.sqrt(np.mean(sol.fun ** 2))), "sub_v_max": float(v.max()),
            "tau_m_rel_se": float(se[0] / sol.x[0]),
            "gains_rel_se": [float(s / x) for s, x in zip(se[1:], sol.x[1:], strict=True)],
            "tau_m_circuit": tau0, "gains_circuit": g0.tolist()}
    return float(tau0 * sol.x[0]), g0 * sol.x[1:], info


def _std_errors(sol) -> np.ndarray:
    """Standard errors of a least-squares solution from its Jacobian (residual variance times (J'J)^-1)."""
    return jacobian_errors(sol.jac, sol.fun)[0]


def _level_stats(wf, run: ExtractionRun, thr: float) -> dict:
    """Spikes within the long pulse; steady interval (median, spikes after the first) and the membrane
    minimum between consecutive spikes (median)."""
    t, v = wf.time, wf["v(mem)"]
    sp = detect_spikes(t, wf["i(vsense)"], thr, t_start=run.t_on, t_stop=run.t_off)
    out = {"count": sp.count, "isi": None, "v_min": None, "sustained": False}
    if sp.count >= REPEAT:
        out["isi"] = float(np.median(np.diff(sp.times)[1:]))
        # still firing at the end of the pulse (not a latch after a few spikes)
        out["sustained"] = bool(run.t_off - sp.times[-1] < max(3 * out["isi"], 0.1 * (run.t_off - run.t_on)))
        mins = [float(v[(t > a) & (t < b)].min()) for a, b in zip(sp.times[:-1], sp.times[1:], strict=True)
                if np.any((t > a) & (t < b))]
        out["v_min"] = float(np.median(mins[1:] if len(mins) > 1 else mins))
    return out


def provenance(circuit: NeuronCircuit, device, version: str, device_model: str) -> dict:
    return {"extracted_by": "networks.point.Extraction (memspike extract): ngspice runs of the circuit",
            "memspike_version": version, "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "device_model": device_model, "device": device.as_dict(), "circuit": circuit.as_dict(),
            "simulator": "ngspice"}


def extract(circuit: NeuronCircuit, device, *, simulate: Callable | None = None, quick: bool = False,
            version: str = "", device_model: str = "") -> PointNeuron:
    """The point neuron of ``circuit``: :class:`Extraction`'s rounds, each batch run by ``simulate``
    (a list of ``(tag, netlist)`` -> waveforms; default: ngspice on the local process pool)."""
    if simulate is None:
        from circuits.executor import simulate_many

        def simulate(items):
            return simulate_many([net for _, net in items])

    ex = Extraction(circuit, device, quick=quick, provenance=provenance(circuit, device, version, device_model))
    while items := ex.pending():
        ex.add(simulate(items))
    return ex.result()


@numba.njit(cache=True)
def _lif_drive(drive, dt, tau, v_th, v_reset, t_ref, v_latch, v_out):  # pragma: no cover - compiled
    """Steps of ``dt``, the drive D (V) held over each step, integrated exactly; returns the spike times.

    A spike starts where |v| crosses v_th (linear interpolation within the step) and ends t_ref later,
    or, while the drive in the spike's polarity is >= v_latch (sign(v) D >= v_latch: the device is
    symmetric), not before the step in which it falls below; v is then sign(v) v_reset and integration
    resumes for the rest of that step."""
    n = drive.size
    spikes = np.empty(n, np.float64)
    ns = 0
    v = 0.0
    s = 1.0
    in_spike = False
    end = 0.0
    for k in range(n):
        t = k * dt
        d = drive[k]
        h = dt
        t0 = t
        if in_spike:
            if s * d >= v_latch:
                end = max(end, t + dt)
            if end >= t + dt:
                v = s * v_reset
                v_out[k] = v
                continue
            in_spike = False
            t0 = max(end, t)
            h = t + dt - t0
            v = s * v_reset
        v_new = d + (v - d) * math.exp(-h / tau)
        if abs(v_new) >= v_th:
            span = abs(v_new) - abs(v)
            frac = (v_th - abs(v)) / span if span > 0 else 1.0
            tc = t0 + min(max(frac, 0.0), 1.0) * h
            spikes[ns] = tc
            ns += 1
            s = 1.0 if v_new > 0 else -1.0
            in_spike = True
            end = tc + t_ref
            v = s * v_reset
        else:
            v = v_new
        v_out[k] = v
    return spikes[:ns]


def simulate_drive(neuron: PointNeuron, drive: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Spike times (s) and membrane voltage (per step) of the point neuron under the drive ``D(t)`` (V)
    sampled every ``dt`` (held over each step)."""
    drive = np.ascontiguousarray(drive, dtype=np.float64)
    v = np.empty_like(drive)
    latch = math.inf if neuron.v_latch is None else neuron.v_latch
    sp = _lif_drive(drive, float(dt), neuron.tau_m, neuron.v_th, neuron.v_reset, neuron.t_ref, latch, v)
    return sp, v


def drive_of_trains(neuron: PointNeuron, trains: Sequence[PulseTrain | None], t: np.ndarray) -> np.ndarray:
    """The drive ``D(t) = tau_m sum_k gain_k u_k(t)`` (V) of pulse trains on the synapses, at times ``t``."""
    if len(trains) != len(neuron.gains):
        raise ValueError(f"{len(trains)} trains for {len(neuron.gains)} synapses")
    d = np.zeros_like(t)
    for g, tr in zip(neuron.gains, trains, strict=True):
        if tr is not None:
            d += neuron.tau_m * g * evaluate(tr.breakpoints(), t)
    return d


def step_for(neuron: PointNeuron) -> float:
    """A step (s) fine enough for :func:`simulate_trains`: 1 ns, or less for fast neurons."""
    return min(1e-9, neuron.tau_m / 100, max(neuron.t_ref / 10, neuron.tau_m / 1000))


def simulate_trains(neuron: PointNeuron, trains: Sequence[PulseTrain | None], t_stop: float,
                    dt: float | None = None, return_v: bool = False):
    """Spike times (s) of the point neuron with ``trains[k]`` (PWL pulse trains, None: 0 V) on synapse ``k``
    from 0 to ``t_stop``; with ``return_v``, also the time grid and the membrane voltage on it."""
    dt = dt or step_for(neuron)
    n = int(math.ceil(t_stop / dt))
    t = (np.arange(n) + 0.5) * dt                 # the drive at each step's midpoint
    sp, v = simulate_drive(neuron, drive_of_trains(neuron, trains, t), dt)
    if return_v:
        return sp, t + 0.5 * dt, v
    return sp


# --------------------------------------------------------------------------- large Poisson populations
@numba.njit(cache=True)
def _lif_chunk(K, st_e, st_i, st_s, dv_e, dv_i, dv_s, inc, v, s, last, k0, decay, v_th, v_reset, n_ref,
               spikes, v_rec, rec_until):  # pragma: no cover - compiled
    """One chunk of ``K`` delta-input LIF steps (Brian2's order: decay, inputs, threshold, reset).

    ``st_*``: the chunk-relative steps of the excitatory, inhibitory and synchronous events, each adding
    ``dv_*`` (V) to the membrane; ``inc`` a work buffer of at least ``K``; ``last``: global step of the
    last spike: steps ``last + 1 .. last + n_ref - 1`` are refractory (v held at s v_reset, inputs lost).
    Returns the new state and the number of spikes written to ``spikes`` (global step indices)."""
    for k in range(K):
        inc[k] = 0.0
    for j in range(st_e.size):
        inc[st_e[j]] += dv_e
    for j in range(st_i.size):
        inc[st_i[j]] += dv_i
    for j in range(st_s.size):
        inc[st_s[j]] += dv_s
    ns = 0
    for k in range(K):
        g = k0 + k
        if g - last >= n_ref:
            v = v * decay + inc[k]
            if abs(v) >= v_th:
                s = 1.0 if v > 0 else -1.0
                v = s * v_reset
                last = g
                spikes[ns] = g
                ns += 1
        else:
            v = s * v_reset
        if g < rec_until:
            v_rec[g] = v
    return v, s, last, ns


@dataclass(frozen=True, kw_only=True)
class PoissonInputs:
    """Fig. 7e-h's inputs: ``n_exc`` and ``n_inh`` independent Poisson trains at ``rate``; optionally
    synchronous events (a Poisson process at ``sync_rate``) each firing ``sync_size`` excitatory trains
    picked at random; with ``keep_rates`` the excitatory trains' background rate is lowered so that
    each train's total rate stays ``rate`` (the paper: "the input rates are unchanged")."""

    n_exc: int = 4000
    n_inh: int = 1000
    rate: float = 10e3
    dv_exc: float = 0.0           # V: membrane increment of one excitatory input pulse
    dv_inh: float = 0.0           # V: ... of one inhibitory pulse
    sync_rate: float = 0.0
    sync_size: int = 15
    keep_rates: bool = True

    def __post_init__(self):
        for name, lo in (("n_exc", 0), ("n_inh", 0), ("sync_size", 0)):
            v = getattr(self, name)
            if not (isinstance(v, int | np.integer) and lo <= v <= 10**7):
                raise ParameterError(name, v, f"an integer in [{lo}, 1e7]")
        for name in ("rate", "sync_rate", "dv_exc", "dv_inh"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v)):
                raise ParameterError(name, v, "a finite number")
        if self.rate < 0 or self.sync_rate < 0:
            raise ParameterError("rate", self.rate, "a rate >= 0 Hz")
        if self.sync_size > self.n_exc:
            raise ParameterError("sync_size", self.sync_size, f"at most n_exc = {self.n_exc}")
        if self.exc_background_rate < 0:
            raise ParameterError("sync_rate", self.sync_rate, f"at most rate n_exc / sync_size = "
                                 f"{self.rate * self.n_exc / max(self.sync_size, 1):g} Hz with keep_rates")

    @property
    def exc_background_rate(self) -> float:
        """Hz per excitatory train outside the synchronous events."""
        if not self.keep_rates or self.n_exc == 0:
            return self.rate
        return self.rate - self.sync_rate * self.sync_size / self.n_exc


@dataclass
class PoissonRun:
    spike_times: np.ndarray          # s
    v: np.ndarray                    # V, per step for t < record_v
    dt: float
    t_end: float
    events: dict                     # counts of input events by population
    raster: dict                     # {"exc": (times, ids), "inh": (...), "sync": (times, ids), "sync_times": ...}


def _steps(rng: np.random.Generator, K: int, n: int) -> np.ndarray:
    """``n`` uniform step indices in ``[0, K)``. For a chunk of 2^16 steps, each 64-bit output of the
    generator gives four (its 16-bit quarters): the draw costs a fraction of ``rng.integers``'."""
    if K == 1 << 16:
        return rng.bit_generator.random_raw((n + 3) // 4).view(np.uint16)[:n]
    return rng.integers(0, K, n, dtype=np.int32).astype(np.uint16) if K <= 1 << 16 else rng.integers(0, K, n)


def run_poisson(neuron: PointNeuron, inputs: PoissonInputs, *, t_end: float, dt: float, seed,
                record_v: float = 0.0, raster: tuple[int, int] = (0, 0), raster_until: float = 0.0,
                chunk: int = 1 << 16) -> PoissonRun:
    """The point neuron under :class:`PoissonInputs` for ``t_end`` on steps of ``dt``, seeded.

    Each step: the membrane decays by exp(-dt/tau_m), the step's input increments are added, then the
    threshold is tested (a refractory neuron holds ``sign(v) v_reset`` for int(t_ref/dt) steps, inputs
    lost; Brian2's ``refractory``). Inputs are drawn per chunk of ``chunk`` steps: for each population
    the number of events (Poisson: rate x trains x chunk), their steps (uniform), summed per step.
    ``raster = (n_e, n_i)``: the events of the first ``n_e`` excitatory and ``n_i`` inhibitory trains
    are kept, with identities, for ``t < raster_until``, and so are the synchronous events' trains among
    them; identities come from a stream of their own, so a raster changes nothing the neuron receives.
    ``seed``: an int or a sequence of ints (numpy ``SeedSequence``).
    The membrane voltage is kept per step for ``t < record_v``.
    """
    if not (dt > 0 and t_end > 0 and math.isfinite(t_end / dt)):
        raise ParameterError("dt", dt, "a positive step with t_end > 0")
    n_steps = int(round(t_end / dt))
    if n_steps < 1:
        raise ParameterError("t_end", t_end, f"at least one step of {dt:g} s")
    # two streams: the inputs (counts and steps) and the trains' identities (raster only), so that
    # recording a raster never changes what the neuron receives
    ss_in, ss_id = np.random.SeedSequence(seed).spawn(2)
    rng, rng_id = np.random.default_rng(ss_in), np.random.default_rng(ss_id)
    inp = inputs
    r_e, r_i = inp.exc_background_rate, inp.rate
    decay = math.exp(-dt / neuron.tau_m)
    n_ref = max(int(neuron.t_ref / dt + 1e-3), 1)
    n_rec = min(int(math.ceil(record_v / dt)), n_steps) if record_v > 0 else 0
    v_rec = np.zeros(n_rec)
    spikes_all = []
    events = {"exc": 0, "inh": 0, "sync": 0}
    rast = {"exc": ([], []), "inh": ([], []), "sync": ([], []), "sync_times": []}
    v, s, last = 0.0, 1.0, -(1 << 62)
    spikes_buf = np.empty(chunk, np.int64)
    inc = np.empty(chunk)
    k0 = 0
    while k0 < n_steps:
        K = min(chunk, n_steps - k0)
        n_e = rng.poisson(inp.n_exc * r_e * K * dt) if r_e > 0 else 0
        n_i = rng.poisson(inp.n_inh * r_i * K * dt) if r_i > 0 else 0
        n_s = rng.poisson(inp.sync_rate * K * dt) if inp.sync_rate > 0 else 0
        st_e, st_i, st_s = (_steps(rng, K, n) for n in (n_e, n_i, n_s))
        events["exc"] += n_e
        events["inh"] += n_i
        events["sync"] += n_s
        if k0 * dt < raster_until:
            # identities: each event of a population belongs to one of its trains, uniformly (independent
            # Poisson trains, given the population's count); each synchronous event to sync_size distinct ones
            for pop, st, n_tr, keep in (("exc", st_e, inp.n_exc, raster[0]), ("inh", st_i, inp.n_inh, raster[1])):
                t = (k0 + st) * dt
                ids = rng_id.integers(0, max(n_tr, 1), st.size)
                sel = (t < raster_until) & (ids < keep)
                rast[pop][0].append(t[sel])
                rast[pop][1].append(ids[sel])
            t_s = (k0 + st_s) * dt
            for ts in t_s[t_s < raster_until]:
                ids = rng_id.choice(inp.n_exc, inp.sync_size, replace=False)
                ids = ids[ids < raster[0]]
                rast["sync"][0].append(np.full(ids.size, ts))
                rast["sync"][1].append(ids)
            rast["sync_times"].append(t_s[t_s < raster_until])
        v, s, last, ns = _lif_chunk(K, st_e, st_i, st_s, inp.dv_exc, inp.dv_inh, inp.sync_size * inp.dv_exc, inc,
                                    v, s, last, k0, decay, neuron.v_th, neuron.v_reset, n_ref, spikes_buf, v_rec,
                                    n_rec)
        spikes_all.append(spikes_buf[:ns] * dt)
        k0 += K

    def cat(parts, dtype=np.float64):
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    raster_out = {pop: (cat(rast[pop][0]), cat(rast[pop][1], np.int64)) for pop in ("exc", "inh", "sync")}
    raster_out["sync_times"] = cat(rast["sync_times"])
    return PoissonRun(np.concatenate(spikes_all) if spikes_all else np.zeros(0), v_rec, dt, n_steps * dt,
                      events, raster_out)
