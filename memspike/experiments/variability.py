"""``variability``: device-to-device and cycle-to-cycle variation of the NbOx neuron (Supp. Figs. 4-5).

What varies. The electro-thermal model (:mod:`pyspice_models.nbox_et`) has no "Vth" or "Ron" parameter
to scatter: they follow from its physics. So the draws are of the physical parameters that a real film
scatters, each a Gaussian relative spread (1 sigma) drawn with :func:`pyspice_models.params.draw`:

* device-to-device (``d2d_*``, one draw per device, around the calibrated device): the conductance
  prefactor ``G0`` (core area and trap density, 10 %), the series resistance ``R_s`` (electrodes and the
  constriction to the core, 5 %), the thermal resistance ``R_th`` (core radius, film thickness, 5 %) and
  the activation energy ``Ea`` (local stoichiometry, the trap depth: 1 % = 3 meV). ``Ea`` sits in an
  exponent over ``k_B T`` and dominates: 1 % of ``Ea`` moves Vth by 3.3 %, 10 % of ``G0`` by 3.2 %.
* cycle-to-cycle (``c2c_*``, around each device): the model's own spreads (``ETVariation``, the ones the
  ``iv`` experiment uses): ``G0`` 5 %, ``R_s`` and ``R_th`` 3 %, ``Ea`` 0.3 %; a filament that re-forms
  differently each time it switches, smaller than the spread between devices.

How cycle-to-cycle is redrawn. I-V: every sweep branch (one polarity, one switching event) is its own
draw. Pulse trains: every pulse is its own draw. The device's only memory is its core temperature, whose
time constant ``R_th C_th`` is 2.5 ns, 40 times shorter than the 0.1 µs gap after each pulse: by the end
of a gap the core is back at the quasi-static temperature of the voltage across it, and nothing of the
previous switching event is left but the charge on the membrane capacitor. So a train is simulated pulse
by pulse: each segment is one pulse and its following gap on its own draw, started (``.ic``) from the
membrane voltage the previous segment ended with; ngspice's operating point at that voltage puts the new
draw's core at its own quasi-static state. The run checks both premises: at every segment end the core
temperature equals the quasi-static temperature at the node voltage (within ``RELAXED_K``), and the
segmented run of the undrawn device gives the continuous run's spike count (within one spike). The last
segment carries the figure's tail (Fig. 2f: 0.5 µs, Fig. 3c: 0.3 µs), so counting is as in those figures.

What is measured.

* I-V: per device ``n_cycles`` cycles, each one quasi-static triangular sweep per polarity through a
  10 Ω series resistor (as ``iv``): ``Vth`` and ``Vhold`` per branch (:func:`analysis.iv.thresholds`),
  ``Roff`` = the chord resistance ``|V/I|`` at ``v_read`` on the way up (off state), ``Ron`` = the chord
  resistance at the sweep's peak (device on). All four from the simulated sweeps, not from the model.
* Spike counts and rates (count / (n_pulses (width + interval))) at Fig. 2f's condition and at Fig. 3c's
  (S1 alone, S2 alone, both), ``n_trains`` runs per device.

Each spread is reported as mean, std, std/mean, min and max over all draws, and split into its
device-to-device part (std of the per-device means) and its cycle-to-cycle part (root mean of the
within-device variances). Every draw comes from its own generator seeded by ``(seed, stream, indices)``:
the same seed gives the same JSON, and adding devices or cycles does not change the draws already made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from matplotlib.ticker import MaxNLocator

from analysis.iv import thresholds
from circuits.builders import dendrite, device_sweep, lif_neuron
from circuits.stimuli import PulseTrain, triangle
from pyspice_models.nbox_et import ETVariation, NbOxETParams
from pyspice_models.params import ParameterError, Params, draw, param

from ..plotting import PAPER_LINE, figure
from ..text import fmt
from ._shared import TAIL as TAIL_3C
from .base import Check, Ref, Results, experiment, within

PAPER = {
    "v_th": Ref(0.80, "V", "Fig. 2b (Supp. Figs. 4-5: distributions around it)", 0.05),
    "v_hold": Ref(0.60, "V", "Fig. 2b (Supp. Figs. 4-5: distributions around it)", 0.05),
    "spread": Ref(0.10, "", "memspike criterion: Supp. Figs. 4-5 call the variation 'acceptable' for neurons; "
                  "a relative spread (std/mean) of Vth or Vhold above 10 % would close the 0.2 V "
                  "Vth-Vhold window at 2 sigma"),
    "rate_single": Ref(0.36e6, "Hz", "Fig. 3c", 0.1e6),
    "rate_both": Ref(1.6e6, "Hz", "Fig. 3c", 0.4e6),
}
TAIL_2F = 0.5e-6          # simulated after the last pulse of Fig. 2f's train (lif_neuron's tail, as fig2f)
T_PROBE = "v(xn1.t)"      # the neuron's core temperature (K): the state node T of subcircuit xn1
RELAXED_K = 1.0           # core temperature at a segment end within this of its quasi-static value
D2D, IV, TRAIN = 0, 1, 2  # random streams: device draws, I-V cycle draws, per-pulse draws
CONDITIONS = ("fig2f", "s1", "s2", "both")
TAG = {"fig2f": "f2", "s1": "s1", "s2": "s2", "both": "sb"}
C2C_REDRAW = ("per switching event: each I-V sweep branch and each pulse (with its following gap) of a train "
              "is simulated on its own cycle-to-cycle draw; trains run pulse by pulse, each segment starting "
              "from the membrane voltage the previous one ended with (the core's thermal memory, R_th C_th = "
              "2.5 ns, is gone 40 time constants into the 0.1 us gap; checked at every segment end)")


def _spread(default: float, what: str, why: str):
    return param(default, "", f"{what} relative spread (1 sigma): {why}", lo=0, hi=0.5, lo_open=False)


@dataclass(frozen=True, kw_only=True)
class VariabilityParams(Params):
    seed: int = param(2020, "", "random seed of every draw (device, I-V cycle, pulse)", lo=0, hi=2**31,
                      lo_open=False, integer=True)
    n_devices: int = param(10, "", "device-to-device draws; 10 devices resolve a spread to ~25 % of itself "
                           "and keep the full run near a minute on 2 cores", lo=1, hi=1000, lo_open=False,
                           integer=True)
    n_cycles: int = param(5, "", "I-V cycles per device, each one sweep of each polarity, each sweep its own "
                          "cycle-to-cycle draw (Fig. 2b shows 10 cycles of one device)", lo=1, hi=1000,
                          lo_open=False, integer=True)
    n_trains: int = param(3, "", "runs of each pulse train per device, every pulse its own cycle-to-cycle draw",
                          lo=1, hi=100, lo_open=False, integer=True)
    d2d_G0: float = _spread(0.10, "device-to-device G0", "core area and trap density differ from device to "
                            "device (moves Vth by 0.32 % per 1 %)")
    d2d_Ea: float = _spread(0.01, "device-to-device Ea", "3 meV of trap depth from local stoichiometry; in the "
                            "exponent it dominates (Vth moves 3.3 % per 1 %)")
    d2d_R_s: float = _spread(0.05, "device-to-device R_s", "electrode and constriction resistance "
                             "(sets Vhold: 0.27 % per 1 %)")
    d2d_R_th: float = _spread(0.05, "device-to-device R_th", "core radius and film thickness set the heat path "
                              "(Vth and Vhold move 0.3-0.5 % per 1 %)")
    c2c_G0: float = _spread(ETVariation.G0, "cycle-to-cycle G0", "the model's own cycle spread (ETVariation, as "
                            "the iv experiment): the core re-forms a little differently each switching event")
    c2c_Ea: float = _spread(ETVariation.Ea, "cycle-to-cycle Ea", "the model's own cycle spread (ETVariation)")
    c2c_R_s: float = _spread(ETVariation.R_s, "cycle-to-cycle R_s", "the model's own cycle spread (ETVariation)")
    c2c_R_th: float = _spread(ETVariation.R_th, "cycle-to-cycle R_th", "the model's own cycle spread "
                              "(ETVariation)")
    v_peak: float = param(1.2, "V", "I-V sweep to ±1.2 V, well past Vth, as Fig. 2b and the iv experiment",
                          lo=0.01, hi=20)
    period: float = param(10e-3, "s", "one bipolar cycle (each polarity half of it), quasi-static as in iv",
                          lo=1e-7, hi=100)
    R_series: float = param(10.0, "ohm", "series resistor of the I-V sweeps (as iv: << Ron, no oscillation)",
                            lo=1e-3, hi=1e6)
    v_read: float = param(0.2, "V", "read voltage of Roff (off-state chord resistance on the way up), far "
                          "below Vth", lo=0.001, hi=0.5)
    width: float = param(1e-6, "s", "pulse width: 1 µs at Fig. 2f's and Fig. 3c's conditions", lo=1e-8, hi=1e-3)
    interval: float = param(0.1e-6, "s", "gap after each pulse: 0.1 µs at both conditions (40 thermal time "
                            "constants: the premise of the pulse-by-pulse draws, so at least 20 ns)",
                            lo=20e-9, hi=1e-3, lo_open=False)
    amplitude_2f: float = param(1.3, "V", "Fig. 2f's default amplitude (Methods)", lo=-20, hi=20)
    n_pulses_2f: int = param(20, "", "Fig. 2f: 20 pulse cycles", lo=1, hi=10000, lo_open=False, integer=True)
    R_L: float = param(3.6e3, "ohm", "Fig. 2f's load resistor (Methods: 3.6 kΩ)", lo=1, hi=1e8)
    C_m_2f: float = param(30e-12, "F", "Fig. 2f's membrane capacitor (Methods: 30 pF)", lo=1e-15, hi=1e-6)
    amplitude_3c: float = param(0.9, "V", "Fig. 3c: 0.9 V on S1 and S2", lo=-20, hi=20)
    n_pulses_3c: int = param(10, "", "Fig. 3c: 10 pulses", lo=1, hi=10000, lo_open=False, integer=True)
    R_syn: float = param(5.2e3, "ohm", "Fig. 3c's synaptic resistors R_1 = R_2 (as fig3c: one 0.9 V input holds "
                         "the node only just above threshold)", lo=1, hi=1e8)
    C_m_3c: float = param(115e-12, "F", "Fig. 3c's membrane capacitor (as fig3c)", lo=1e-15, hi=1e-6)

    def spreads(self) -> tuple[ETVariation, ETVariation]:
        """(device-to-device, cycle-to-cycle) relative spreads."""
        return (ETVariation(Ea=self.d2d_Ea, G0=self.d2d_G0, R_s=self.d2d_R_s, R_th=self.d2d_R_th),
                ETVariation(Ea=self.c2c_Ea, G0=self.c2c_G0, R_s=self.c2c_R_s, R_th=self.c2c_R_th))


# --------------------------------------------------------------------------- draws
def _rng(seed: int, stream: int, *index: int) -> np.random.Generator:
    """The generator of one draw: seeded by (seed, stream, indices), independent of how many draws are made."""
    return np.random.default_rng([seed, stream, *index])


def draw_devices(base: NbOxETParams, p: VariabilityParams) -> list[NbOxETParams]:
    """The ``n_devices`` device-to-device draws around ``base`` (device ``j`` from its own generator)."""
    d2d, _ = p.spreads()
    return [draw(base, _rng(p.seed, D2D, j), d2d) for j in range(p.n_devices)]


def _relaxed_temperature(dev: NbOxETParams, v: float) -> float:
    """The quasi-static core temperature of ``dev`` held at terminal voltage ``v`` on its off branch
    (heat balance ``T = T0 + R_th vc i``, ``i = G(vc, T) vc``, ``vc = v - i R_s``, iterated from ``T0``);
    inf where it runs away (``v`` above the device's threshold)."""
    T, vc = dev.T0, abs(v)
    for _ in range(1000):
        i = float(dev.core_conductance(vc, T)) * vc
        vc = abs(v) - i * dev.R_s
        T_new = dev.T0 + dev.R_th * vc * i
        if not np.isfinite(T_new) or T_new > 2 * dev.T_met:
            return float("inf")
        if abs(T_new - T) < 1e-6:
            return T_new
        T = T_new
    return T


# --------------------------------------------------------------------------- circuits
def _circuit(p: VariabilityParams, cond: str, dev: NbOxETParams, pulses: int, tail: float, delay: float = 0.0):
    """The circuit of condition ``cond``: ``pulses`` pulses from ``delay``, then ``tail``; saves the core
    temperature."""
    if cond == "fig2f":
        tr = PulseTrain(amplitude=p.amplitude_2f, width=p.width, interval=p.interval, n_pulses=pulses, delay=delay)
        net = lif_neuron(train=tr, R_L=p.R_L, C_m=p.C_m_2f, device=dev, tail=tail,
                         title="memspike variability Fig. 2f neuron")
    else:
        tr = PulseTrain(amplitude=p.amplitude_3c, width=p.width, interval=p.interval, n_pulses=pulses, delay=delay)
        trains = {"s1": [tr, None], "s2": [None, tr], "both": [tr, tr]}[cond]
        net = dendrite(trains=trains, R=[p.R_syn, p.R_syn], C_m=p.C_m_3c, idle="open", device=dev, tail=tail,
                       title="memspike variability Fig. 3c dendrite")
    net.save(T_PROBE)
    return net


def _segment(p: VariabilityParams, cond: str, dev: NbOxETParams, k: int, n: int, v0: float):
    """Pulse ``k`` of ``n`` of condition ``cond`` and its gap, membrane starting at ``v0`` (``.ic``).

    The segments tile the continuous train exactly: pulse ``k`` of the train rises from ``k T - edge/2``
    (``T`` = width + interval), so segment ``k >= 1`` spans ``[k T - edge/2, (k + 1) T - edge/2]`` (its pulse
    delayed by ``edge/2`` in its own time); segment 0 starts at 0, where the train's first pulse is clipped
    to start; the last one runs on for the figure's tail.
    """
    edge = PulseTrain().edge
    delay = 0.0 if k == 0 else edge / 2
    last = k == n - 1
    net = _circuit(p, cond, dev, 1, _tail(cond) if last else 0.0, delay)
    if not last:
        tstop = delay + p.width + p.interval - edge / 2
        tmax = net.tran[2]
        net.tran = (min(tmax, tstop / 100), tstop, tmax)
    net.ics["mem"] = v0
    return net


def _n_pulses(p, cond: str) -> int:
    return p.n_pulses_2f if cond == "fig2f" else p.n_pulses_3c


def _tail(cond: str) -> float:
    return TAIL_2F if cond == "fig2f" else TAIL_3C


@dataclass
class _Chain:
    """One pulse train, simulated pulse by pulse: each segment on its own device draw."""

    tag: str
    cond: str
    devices: list                 # one device per pulse
    v: float = 0.0                # membrane voltage carried to the next segment
    count: int = 0
    ends: list = field(default_factory=list)   # (device, v_mem, T) at each segment end

    def net(self, p, k: int):
        return _segment(p, self.cond, self.devices[k], k, len(self.devices), self.v)

    def take(self, ctx, net, wf) -> None:
        self.count += ctx.spikes(wf, net).count
        self.v = float(wf["v(mem)"][-1])
        self.ends.append((self.devices[len(self.ends)], self.v, float(wf[T_PROBE][-1])))


def _sweep_values(wf, pol: str, v_read: float) -> dict:
    """Vth, Vhold, Ron (chord at the peak) and Roff (chord at v_read on the way up) of one sweep branch."""
    th = thresholds(wf.time, wf["v(in)"], wf["v(top)"], wf["i(vsense)"])
    v, i, vin = np.abs(wf["v(top)"]), np.abs(wf["i(vsense)"]), np.abs(wf["v(in)"])
    peak = int(np.argmax(vin))
    k = int(np.argmax(v[:peak + 1] >= v_read))
    if k == 0 or v[k] < v_read:
        r_off = float("nan")
    else:
        i_read = np.interp(v_read, [v[k - 1], v[k]], [i[k - 1], i[k]])
        r_off = float(v_read / i_read)
    return {"v_th": th[f"v_th_{pol}"][0] if th[f"v_th_{pol}"] else float("nan"),
            "v_hold": th[f"v_hold_{pol}"][0] if th[f"v_hold_{pol}"] else float("nan"),
            "r_on": float(v[peak] / i[peak]), "r_off": r_off}


# --------------------------------------------------------------------------- statistics
def _stats(x) -> dict:
    """mean, std (population), std/mean, min, max and n over the finite values of ``x``."""
    a = np.asarray(x, float).ravel()
    a = a[np.isfinite(a)]
    if not a.size:
        return {"mean": None, "std": None, "rel_spread": None, "min": None, "max": None, "n": 0}
    m, s = float(a.mean()), float(a.std())
    return {"mean": m, "std": s, "rel_spread": s / abs(m) if m else None, "min": float(a.min()),
            "max": float(a.max()), "n": int(a.size)}


def _components(x) -> dict:
    """Device-to-device (std of the per-device means) and cycle-to-cycle (root mean of the within-device
    variances) parts of ``x`` (devices x cycles), absolute and relative to the mean; None where undefined."""
    rows = [r[np.isfinite(r)] for r in np.asarray(x, float)]
    rows = [r for r in rows if r.size]
    if not rows:
        return {"d2d_std": None, "c2c_std": None, "d2d_rel": None, "c2c_rel": None}
    means = np.array([r.mean() for r in rows])
    m = float(means.mean())
    d2d = float(means.std())
    c2c = float(np.sqrt(np.mean([r.var() for r in rows])))
    return {"d2d_std": d2d, "c2c_std": c2c, "d2d_rel": d2d / abs(m) if m else None,
            "c2c_rel": c2c / abs(m) if m else None}


def _summary(x) -> dict:
    return {**_stats(x), **_components(x), "per_device": np.asarray(x, float).tolist()}


# --------------------------------------------------------------------------- run
def run(ctx) -> Results:
    """Seeded device-to-device and cycle-to-cycle draws: spreads of Vth, Vhold, Ron, Roff, spike counts."""
    dev0, p = ctx.device, ctx.p
    if not isinstance(dev0, NbOxETParams):
        raise ParameterError("device", type(dev0).__name__, "the electro-thermal model nbox_et")
    d2d, c2c = p.spreads()
    devices = draw_devices(dev0, p)

    # I-V: every branch its own cycle draw around its device
    up = triangle(p.v_peak, p.period / 2, 1, negative=False)
    shapes = {"pos": up, "neg": up * np.array([1.0, -1.0])}
    iv_index, iv_items = [], []
    for j, dev in enumerate(devices):
        for k in range(p.n_cycles):
            for s, pol in enumerate(("pos", "neg")):
                d = draw(dev, _rng(p.seed, IV, j, k, s), c2c)
                iv_index.append((j, k, pol))
                iv_items.append((f"iv_d{j:03d}_c{k:03d}_{pol}",
                                 device_sweep(points=shapes[pol], R_s=p.R_series, device=d, tmax=p.period / 4000)))

    # pulse trains: the undrawn device continuous and segmented (the segmentation's own test), then every draw
    chains = [_Chain(f"{TAG[c]}_nom", c, [dev0] * _n_pulses(p, c)) for c in CONDITIONS]
    for j, dev in enumerate(devices):
        for t in range(p.n_trains):
            for ci, c in enumerate(CONDITIONS):
                chains.append(_Chain(f"{TAG[c]}_d{j:03d}_t{t:02d}", c,
                                     [draw(dev, _rng(p.seed, TRAIN, j, t, ci, k), c2c)
                                      for k in range(_n_pulses(p, c))]))
    continuous = [(f"{TAG[c]}_nom_whole", _circuit(p, c, dev0, _n_pulses(p, c), _tail(c))) for c in CONDITIONS]

    first = True
    for k in range(max(len(ch.devices) for ch in chains)):
        live = [ch for ch in chains if k < len(ch.devices)]
        items = [(f"{ch.tag}_p{k:03d}", ch.net(p, k)) for ch in live]
        extra = iv_items + continuous if first else []
        wfs = ctx.simulate(items + extra)
        for ch, (_, net), wf in zip(live, items, wfs[:len(items)], strict=True):
            ch.take(ctx, net, wf)
        if first:
            iv_wfs, cont_wfs = wfs[len(items):len(items) + len(iv_items)], wfs[len(items) + len(iv_items):]
            first = False

    # --- I-V
    iv = {q: np.full((p.n_devices, 2 * p.n_cycles), np.nan) for q in ("v_th", "v_hold", "r_on", "r_off")}
    by_pol = {q: {"pos": [], "neg": []} for q in ("v_th", "v_hold")}
    for (j, k, pol), wf in zip(iv_index, iv_wfs, strict=True):
        vals = _sweep_values(wf, pol, p.v_read)
        for q, x in vals.items():
            iv[q][j, 2 * k + (pol == "neg")] = x
        for q in by_pol:
            by_pol[q][pol].append(vals[q])
    missing = int(np.isnan(iv["v_th"]).sum() + np.isnan(iv["v_hold"]).sum())
    window = iv["v_th"] - iv["v_hold"]
    iv_res = {q: _summary(iv[q]) for q in iv}
    iv_res.update({"polarity_mean": {q: {pol: _stats(x)["mean"] for pol, x in d.items()} for q, d in by_pol.items()},
                   "window_min": float(np.nanmin(window)) if np.isfinite(window).any() else None,
                   "missing": missing,
                   "definitions": {"v_th": "|V| at the last off point before switching on (analysis.iv.thresholds)",
                                   "v_hold": "|V| at the last on point before switching off after the peak",
                                   "r_on": f"chord |V/I| at the sweep's peak ({fmt(p.v_peak)} V applied, device on)",
                                   "r_off": f"chord |V/I| at {fmt(p.v_read)} V on the way up (device off)"},
                   "per_device": "rows: devices; columns: cycles, positive then negative branch of each"})

    # --- pulse trains
    nominal = {c: ch for c, ch in zip(CONDITIONS, chains[:len(CONDITIONS)], strict=True)}
    whole = {c: ctx.spikes(wf, net).count for c, (_, net), wf in zip(CONDITIONS, continuous, cont_wfs, strict=True)}
    segmentation = {c: {"continuous": whole[c], "pulse_by_pulse": nominal[c].count} for c in CONDITIONS}
    counts = {c: np.zeros((p.n_devices, p.n_trains), int) for c in CONDITIONS}
    for ch in chains[len(CONDITIONS):]:
        j, t = int(ch.tag.split("_d")[1][:3]), int(ch.tag.split("_t")[1])
        counts[ch.cond][j, t] = ch.count
    dur = {c: _n_pulses(p, c) * (p.width + p.interval) for c in CONDITIONS}
    rates = {c: counts[c] / dur[c] for c in CONDITIONS}

    # relaxation at every segment end: the premise of the pulse-by-pulse draws
    ends = [e for ch in chains for e in ch.ends]
    resid = [abs(T - _relaxed_temperature(d, v)) for d, v, T in ends]
    heat = [T - d.T0 for d, _, T in ends]
    relaxation = {"segment_ends": len(ends), "max_T_minus_T0_K": float(max(heat)),
                  "max_abs_T_minus_quasistatic_K": float(max(resid)),
                  "max_v_mem_V": float(max(v for _, v, _ in ends)),
                  "tolerance_K": RELAXED_K}

    s1, s2, both = rates["s1"], rates["s2"], rates["both"]
    band1, band2 = PAPER["rate_single"], PAPER["rate_both"]
    single_ok = (np.abs(s1 - band1.value) <= band1.tol) & (np.abs(s2 - band1.value) <= band1.tol)
    both_ok = np.abs(both - band2.value) <= band2.tol
    supra = both > s1 + s2
    frac = {"single_in_paper_band": float(np.mean(np.concatenate([np.abs(s1 - band1.value) <= band1.tol,
                                                                  np.abs(s2 - band1.value) <= band1.tol]))),
            "single_fires": float(np.mean(np.concatenate([counts["s1"] > 0, counts["s2"] > 0]))),
            "both_in_paper_band": float(np.mean(both_ok)),
            "supralinear": float(np.mean(supra)),
            "all_as_paper": float(np.mean(single_ok & both_ok & supra))}
    # why: the current one input delivers at the threshold voltage against the threshold current, and how much
    # the threshold current of the drawn devices scatters
    f0 = dev0.folds()
    i_in = (abs(p.amplitude_3c) - f0["v_th"]) / p.R_syn
    i_th = _stats([d.folds()["i_th"] for d in devices])
    why = {"input_current_at_v_th": i_in, "threshold_current": f0["i_th"],
           "margin": i_in / f0["i_th"] - 1, "threshold_current_spread_d2d": i_th["rel_spread"]}
    verdict = "marginal" if frac["all_as_paper"] < 0.9 else "robust"
    marginal = (f"Fig. 3c is {verdict} under variation: the mean single-input rate is "
                f"{_stats(np.concatenate([s1, s2]))['mean'] / 1e6:.2f} MHz (paper {fmt(band1.value / 1e6)}); "
                f"one draw's rate stays within {fmt(band1.value / 1e6)} +/- {fmt(band1.tol / 1e6)} MHz in only "
                f"{frac['single_in_paper_band']:.0%} of the draws (range {np.min([s1, s2]) / 1e6:.2f}-"
                f"{np.max([s1, s2]) / 1e6:.2f} MHz), the both-input rate in {frac['both_in_paper_band']:.0%}, "
                f"both > S1 + S2 in {frac['supralinear']:.0%}, and all of Fig. 3c's targets together in "
                f"{frac['all_as_paper']:.0%}. One {fmt(p.amplitude_3c)} V input through {fmt(p.R_syn / 1e3)} kOhm "
                f"delivers {i_in * 1e6:.1f} uA at the undrawn device's Vth against its {f0['i_th'] * 1e6:.1f} uA "
                f"threshold current (a {why['margin']:.1%} margin), while the threshold current of the drawn "
                f"devices scatters by {(i_th['rel_spread'] or 0):.1%} (std/mean), so one device falls silent on one "
                "input and another fires on most pulses")

    def cond_res(c):
        return {"spike_count": _summary(counts[c]), "rate": _stats(rates[c]), "duration": dur[c]}

    res = {
        "seed": p.seed,
        "spreads": {"d2d": asdict(d2d), "c2c": asdict(c2c), "unit": "relative, 1 sigma"},
        "c2c_redraw": C2C_REDRAW,
        "n_devices": p.n_devices, "n_cycles": p.n_cycles, "n_trains": p.n_trains,
        "devices": [{k: getattr(d, k) for k in asdict(d2d)} for d in devices],
        "iv": iv_res,
        "fig2f": {"condition": {"amplitude": p.amplitude_2f, "width": p.width, "interval": p.interval,
                                "n_pulses": p.n_pulses_2f, "R_L": p.R_L, "C_m": p.C_m_2f},
                  **cond_res("fig2f"), "every_draw_fires": bool(counts["fig2f"].min() > 0)},
        "fig3c": {"condition": {"amplitude": p.amplitude_3c, "width": p.width, "interval": p.interval,
                                "n_pulses": p.n_pulses_3c, "R_1": p.R_syn, "R_2": p.R_syn, "C_m": p.C_m_3c,
                                "idle": "open"},
                  "s1": cond_res("s1"), "s2": cond_res("s2"), "both": cond_res("both"),
                  "fraction": frac, "paper": {"rate_single": band1.value, "rate_both": band2.value},
                  "assessment": marginal, "why": why},
        "segmentation": segmentation,
        "relaxation": relaxation,
        "rate_definition": "spike count / (n_pulses * (width + interval))",
        "rel_spread": {q: iv_res[q]["rel_spread"] for q in ("v_th", "v_hold", "r_on", "r_off")},
        "spike_count_fig2f": {k: x for k, x in _stats(counts["fig2f"]).items() if k != "n"},
        "fig3c_fraction_as_paper": frac["all_as_paper"],
    }

    ref = PAPER["spread"]
    checks = [
        within("mean |Vth| over all draws", PAPER["v_th"], iv_res["v_th"]["mean"] or float("nan")),
        within("mean |Vhold| over all draws", PAPER["v_hold"], iv_res["v_hold"]["mean"] or float("nan")),
    ]
    for q, label in (("v_th", "Vth"), ("v_hold", "Vhold")):
        r = iv_res[q]["rel_spread"] or 0.0
        checks.append(Check(f"{label} spread (std/mean) nonzero and small", f"0 < std/mean <= {fmt(ref.value)}",
                            r, f"(0, {fmt(ref.value)}]", bool(0 < r <= ref.value)))
    for q, label in (("r_on", "Ron"), ("r_off", "Roff")):
        r = iv_res[q]["rel_spread"] or 0.0
        checks.append(Check(f"{label} varies", "> 0", r, "std/mean > 0", bool(r > 0)))
    checks += [
        Check("every I-V branch switches on and off", "all", missing, "0 missing", missing == 0),
        Check("hysteresis window stays open for every draw", "Vth > Vhold", iv_res["window_min"],
              "min(Vth - Vhold) > 0 V", bool(iv_res["window_min"] is not None and iv_res["window_min"] > 0)),
        Check("every draw fires at Fig. 2f's condition", "> 0 spikes", int(counts["fig2f"].min()),
              "min count > 0", bool(counts["fig2f"].min() > 0)),
        Check("core relaxed at every segment end (pulse-by-pulse draws valid)", "quasi-static",
              relaxation["max_abs_T_minus_quasistatic_K"], f"|T - T_quasistatic(v_mem)| <= {fmt(RELAXED_K)} K",
              bool(relaxation["max_abs_T_minus_quasistatic_K"] <= RELAXED_K)),
        Check("pulse-by-pulse run = continuous run (undrawn device)", "same count",
              {c: [s["continuous"], s["pulse_by_pulse"]] for c, s in segmentation.items()}, "within 1 spike",
              all(abs(s["continuous"] - s["pulse_by_pulse"]) <= 1 for s in segmentation.values())),
    ]
    notes = [
        "Device-to-device: one draw per device of G0, Ea, R_s, R_th (relative 1-sigma spreads "
        f"{fmt(asdict(d2d))}); cycle-to-cycle: a draw around the device's values ({fmt(asdict(c2c))}).",
        "Cycle-to-cycle is redrawn " + C2C_REDRAW + ".",
        f"Relaxation check: at all {len(ends)} segment ends the core temperature is within "
        f"{relaxation['max_abs_T_minus_quasistatic_K']:.3g} K of the quasi-static temperature at the node voltage; "
        f"it is at most {relaxation['max_T_minus_T0_K']:.3g} K above T0 (the steady Joule heating of the off "
        f"state at up to {relaxation['max_v_mem_V']:.3g} V on the node, which the next segment's operating point "
        "reproduces), far below the ~345 K of the threshold fold: the device is off and has forgotten the pulse.",
        "Segmentation check (undrawn device, pulse by pulse vs one continuous run): "
        + ", ".join(f"{c} {s['pulse_by_pulse']} vs {s['continuous']} spikes" for c, s in segmentation.items()) + ".",
        "Ron and Roff are measured on the simulated sweeps: Ron the chord |V/I| at the peak of each branch "
        f"(device on), Roff the chord at {fmt(p.v_read)} V on the way up (device off).",
        marginal + ".",
    ]
    data = {"iv": iv, "counts": counts, "rates": rates}
    return Results(res, checks, notes, data)


# --------------------------------------------------------------------------- plot
def _hist(ax, values, scale, color, label=None, bins=None):
    v = np.asarray(values, float).ravel()
    v = v[np.isfinite(v)] * scale
    if bins is None:
        bins = min(20, max(5, v.size // 3))
    ax.hist(v, bins=bins, color=color, alpha=0.75, label=label, ec="white", lw=0.4)
    return v


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def plot(r: Results):
    res, data = r.results, r.data
    fig, axes = figure(2, 4, w=3.3, h=2.8)
    iv = data["iv"]
    for ax, (q, scale, label, unit) in zip(axes[0], (("v_th", 1, "|Vth|", "V"), ("v_hold", 1, "|Vhold|", "V"),
                                                     ("r_on", 1e-3, "Ron", "kΩ"), ("r_off", 1e-6, "Roff", "MΩ")),
                                           strict=True):
        s = res["iv"][q]
        _hist(ax, iv[q], scale, "tab:blue")
        means = np.nanmean(iv[q], axis=1) * scale
        for m in means:                 # the per-device means: the device-to-device part
            ax.axvline(m, color="0.2", lw=0.6, alpha=0.5, ymax=0.12)
        if q in ("v_th", "v_hold"):
            ref = r.paper[q]
            ax.axvline(ref.value, **PAPER_LINE, label=f"paper {ref.value:g} V")
            ax.axvspan(ref.value - ref.tol, ref.value + ref.tol, color="tab:red", alpha=0.07, lw=0)
            ax.set_ylim(top=ax.get_ylim()[1] * 1.25)
            ax.legend(loc="upper right", frameon=False)
        ax.set_xlabel(f"{label} ({unit})")
        ax.set_ylabel("sweep branches")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{label}: std/mean {_pct(s['rel_spread'])}\n(d2d {_pct(s['d2d_rel'])}, "
                     f"c2c {_pct(s['c2c_rel'])})")
        ax.grid(alpha=0.3)
    counts, rates = data["counts"], data["rates"]
    ax = axes[1, 0]
    c = counts["fig2f"].ravel()
    step = max(1, int(np.ceil((c.max() - c.min() + 1) / 15)))      # about 15 bins of whole spikes
    ax.hist(c, bins=np.arange(c.min() - 0.5, c.max() + step + 0.5, step), color="tab:green", alpha=0.8,
            ec="white", lw=0.4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    st = res["fig2f"]["spike_count"]
    ax.set_xlabel(f"spike count ({res['fig2f']['condition']['n_pulses']} pulses)")
    ax.set_ylabel("trains")
    ax.set_title(f"Fig. 2f condition: {st['mean']:.1f} ± {st['std']:.1f} spikes\n(min {st['min']:g}, "
                 f"max {st['max']:g})")
    ax.grid(alpha=0.3)
    for ax, key, tags, colors in ((axes[1, 1], "rate_single", ("s1", "s2"), ("tab:blue", "tab:orange")),
                                  (axes[1, 2], "rate_both", ("both",), ("tab:purple",))):
        ref = r.paper[key]
        allr = np.concatenate([rates[t].ravel() for t in tags]) / 1e6
        step = 1 / res["fig3c"]["s1"]["duration"] / 1e6          # one spike more or less
        lo = min(allr.min(), (ref.value - ref.tol) / 1e6)
        hi = max(allr.max(), (ref.value + ref.tol) / 1e6)
        bins = np.arange(np.floor(lo / step) - 0.5, np.ceil(hi / step) + 1.5) * step    # one bin per spike
        ax.hist([rates[t].ravel() / 1e6 for t in tags], bins=bins, color=list(colors), alpha=0.8,
                label=[f"{t.upper() if t != 'both' else 'S1 and S2'}" for t in tags], stacked=True, ec="white", lw=0.4)
        ax.axvline(ref.value / 1e6, **PAPER_LINE, label=f"paper {ref.value / 1e6:g} MHz")
        ax.axvspan((ref.value - ref.tol) / 1e6, (ref.value + ref.tol) / 1e6, color="tab:red", alpha=0.07, lw=0)
        f = res["fig3c"]["fraction"]["single_in_paper_band" if key == "rate_single" else "both_in_paper_band"]
        ax.set_title(f"Fig. 3c {'one input' if key == 'rate_single' else 'both inputs'}: "
                     f"{f:.0%} of draws\nin the paper's band")
        ax.set_xlabel("firing rate (MHz)")
        ax.set_ylabel("trains")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(top=ax.get_ylim()[1] * 1.35)            # room for the legend above the bars
        ax.legend(loc="upper left", ncol=len(tags) + 1, frameon=False, fontsize=7)
        ax.grid(alpha=0.3)
    ax = axes[1, 3]
    s12 = (rates["s1"] + rates["s2"]).ravel() / 1e6
    b = rates["both"].ravel() / 1e6
    ax.plot(s12, b, "o", color="tab:purple", alpha=0.6, ms=4, label="one draw")
    top = max(float(b.max()), float(s12.max()), 0.1) * 1.1
    ax.plot([0, top], [0, top], color="0.4", lw=0.8, ls=":", label="both = S1 + S2")
    ax.set_xlim(-0.04 * top, top)                       # a draw at 0 shows whole
    ax.set_ylim(-0.04 * top, top)
    ax.set_xlabel("rate S1 + rate S2 (MHz)")
    ax.set_ylabel("rate S1 and S2 (MHz)")
    ax.set_title(f"supralinear (both > S1 + S2)\nin {res['fig3c']['fraction']['supralinear']:.0%} of draws")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(alpha=0.3)
    fig.suptitle(f"Supp. Figs. 4-5: {res['n_devices']} devices x {res['n_cycles']} I-V cycles "
                 f"(x2 polarities), {res['n_trains']} train(s) per device, every pulse its own draw; seed "
                 f"{res['seed']}. Ticks: per-device means", x=0.01, ha="left")
    return fig


EXPERIMENT = experiment(name="variability", figure="Supp. Figs. 4-5", params=VariabilityParams, run=run, plot=plot,
                        paper=PAPER, order=45, devices=("nbox_et",),
                        keys=("seed", "spreads", "iv", "fig2f", "fig3c", "relaxation", "segmentation"),
                        headline=("rel_spread", "spike_count_fig2f", "fig3c_fraction_as_paper"),
                        quick={"n_devices": 3, "n_cycles": 2, "n_trains": 1})
