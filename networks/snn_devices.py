"""Crossbar weights as TaOx differential pairs, updated by programming pulses (the synapses of Fig. 6).

A weight is a pair of TaOx synapses on two columns whose currents the transimpedance stage subtracts::

    W = (G+ - G-) / (g_max - g_min)          in [-1, 1]   (the nominal window of the default TaOx model)
    G = g_lo + w (g_hi - g_lo)               a device's conductance from its state w in [0, 1]

Every change of a weight is an integer number of programming pulses on one device of its pair. The
per-pulse response is the TaOx model's own (:func:`circuits.programming.factors`: the model's
equations integrated over the programming pulse of :class:`circuits.programming.PulseScheme`, 1.7 V,
500 ns): one SET pulse multiplies ``1 - w`` by ``q_set`` (0.953 at the defaults), one RESET pulse
multiplies ``w`` by ``q_reset``, so the step shrinks toward the bound the pulse drives to (the
saturating curves of Supp. Figs. 9 and 14a). ``n`` pulses: ``1 - w' = (1 - w) exp(-k S)`` with
``k = -ln q`` and ``S = n`` pulses' worth of programming.

Variation (:class:`TaOxVariation`, drawn through the model): device to device, each device's own
``k_set``, ``k_reset`` (the empirical distribution of ``-ln q`` over seeded device draws of the
model, ``sample_taox`` + ``factors``: tau_set, v_set ... spread it by ~33 %) and its own bounds
``g_lo``, ``g_hi`` (10 %, 5 %); cycle to cycle, each pulse moves the state by ``k`` times a factor of
mean 1 and the relative spread the model's cycle-to-cycle draws give (~11 %): ``S = n + sqrt(n) s xi``
for ``n`` pulses; and each programming event leaves the device on slightly different bounds (the
cycle-to-cycle spread of g_min and g_max, 4 % and 2 %, redrawn around the device's own).

Which device of the pair a pulse goes to: the one whose step in the wanted direction is larger at its
present state (SET on G+ or RESET on G- to raise W; SET on G- or RESET on G+ to lower it). The pair
then works away from the bounds, where the steps are largest, and never needs a refresh.

Effects (:class:`Effects`), for the ablation: ``quantised`` (pulses, else ideal float weights),
``nonlinear`` (the model's geometric step, else a linear step of the same size as a pulse from the
far bound, ``1 - q``, stopped at the bounds), ``variation`` (device-to-device and cycle-to-cycle).

Controllers (how a wanted change becomes pulses):

* ``open_loop``: each update on its own, ``n = round(|dW| / (1 - q))`` pulses (no memory, no read);
  updates smaller than half a pulse are lost: the naive mapping of a software update onto the array;
* ``closed_loop``: a digital accumulator per weight (the mixed-precision scheme of Nandakumar et al.)
  collects the wanted changes; when it holds at least half of the chosen device's expected step at
  its present state, that many pulses (rounded, at most ``max_pulses``) are applied, the pair is read
  (1 V reads, non-destructive) and the accumulator keeps what the pulses did not deliver, so a pulse
  that did more or less than expected (nonlinearity, variation) is corrected by the next ones.

References:
  Duan et al., Nat. Commun. 11, 3399 (2020): Fig. 6, Supp. Fig. 14a, Supp. Note 7.
  Nandakumar et al., Front. Neurosci. 14, 406 (2020): mixed-precision deep learning with PCM.
  Burr et al., IEEE Trans. Electron Devices 62, 3498 (2015): differential pairs, nonlinear updates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numba
import numpy as np

from circuits.programming import PulseScheme, factors
from pyspice_models.taox import TaOxParams, TaOxVariation, sample_taox

from .snn import _next

N_DRAWS = 256           # device draws of the model that give the distribution of per-device steps


@dataclass(frozen=True)
class Effects:
    """Which device effects the weights have (all True: the full device model)."""

    quantised: bool = True
    nonlinear: bool = True
    variation: bool = True

    @property
    def label(self) -> str:
        if not self.quantised:
            return "ideal"
        parts = ["nonlinear" if self.nonlinear else "linear", "variation" if self.variation else ""]
        return " + ".join(p for p in parts if p)


IDEAL = Effects(False, False, False)
FULL = Effects(True, True, True)


@dataclass(frozen=True)
class PulseResponse:
    """What one programming pulse does to a TaOx synapse, from the model (see the module doc)."""

    q_set: float                 # 1 - w multiplied by q_set per SET pulse (nominal device)
    q_reset: float               # w multiplied by q_reset per RESET pulse
    k_table: np.ndarray          # (N_DRAWS, 2): -ln q_set, -ln q_reset of seeded device-to-device draws
    c2c_rel: float               # relative 1-sigma of one pulse's -ln q, cycle to cycle
    g_min: float
    g_max: float
    d2d: TaOxVariation
    c2c: TaOxVariation
    amplitude: float             # the programming pulse (V, s)
    width: float

    @classmethod
    def from_model(cls, synapse: TaOxParams | None = None, scheme: PulseScheme | None = None,
                   seed: int = 2020) -> PulseResponse:
        """From the model of ``synapse`` (default: the default TaOx) under ``scheme``'s programming pulse."""
        synapse = synapse if synapse is not None else TaOxParams()
        scheme = scheme if scheme is not None else PulseScheme()
        rng = np.random.default_rng([seed, 14])
        q_set, q_reset = factors(synapse, scheme)
        d2d, c2c = TaOxVariation.device_to_device(), TaOxVariation.cycle_to_cycle()
        k_table = -np.log(np.array([factors(sample_taox(synapse, rng, d2d), scheme) for _ in range(N_DRAWS)]))
        k_c2c = -np.log(np.array([factors(sample_taox(synapse, rng, c2c), scheme) for _ in range(N_DRAWS)]))
        c2c_rel = float(np.mean(k_c2c.std(0) / k_c2c.mean(0)))
        return cls(float(q_set), float(q_reset), k_table, c2c_rel, synapse.g_min, synapse.g_max, d2d, c2c,
                   scheme.set_amplitude, scheme.width)

    @property
    def window(self) -> float:
        return self.g_max - self.g_min

    @property
    def step(self) -> float:
        """The weight change of one SET pulse from the far bound (1 - q_set): the linear device's step."""
        return 1.0 - self.q_set

    def as_dict(self) -> dict:
        k = self.k_table
        return {"q_set": self.q_set, "q_reset": self.q_reset, "step_from_far_bound": self.step,
                "pulses_to_95pct_of_window": math.ceil(math.log(0.05) / math.log(self.q_set)),
                "k_set_d2d": {"median": float(np.median(k[:, 0])), "rel_std": float(k[:, 0].std() / k[:, 0].mean()),
                              "p1": float(np.percentile(k[:, 0], 1)), "p99": float(np.percentile(k[:, 0], 99))},
                "k_c2c_rel_std": self.c2c_rel, "g_min": self.g_min, "g_max": self.g_max,
                "d2d_spreads": asdict(self.d2d), "c2c_spreads": asdict(self.c2c),
                "pulse": {"amplitude": self.amplitude, "width": self.width}}


class PairArray:
    """A crossbar of ``shape`` = (rows, columns) differential pairs and its programming.

    State: ``wp``, ``wm`` (the states of G+ and G-), per device ``k`` (SET and RESET rates) and bounds
    (with variation), and ``acc`` (the closed-loop accumulator, weight units). ``weights()`` is what a
    read of the array gives, ``W`` in window units (float32)."""

    def __init__(self, shape: tuple[int, int], response: PulseResponse, effects: Effects, rng: np.random.Generator,
                 init_std: float):
        self.shape = tuple(shape)
        self.r = response
        self.fx = effects
        n = 2 * shape[0] * shape[1]
        if effects.variation:
            pick = response.k_table[rng.integers(0, len(response.k_table), n)]
            k = pick.reshape(2, *shape, 2)
            self.k_set, self.k_reset = k[..., 0].astype(np.float32), k[..., 1].astype(np.float32)
            d = response.d2d
            self.g_lo0 = (response.g_min * (1 + d.g_min * rng.standard_normal((2, *shape)))).astype(np.float32)
            self.g_hi0 = (response.g_max * (1 + d.g_max * rng.standard_normal((2, *shape)))).astype(np.float32)
            self.g_lo0 = np.clip(self.g_lo0, 0.2 * response.g_min, None)
            self.g_hi0 = np.maximum(self.g_hi0, self.g_lo0 + 0.2 * response.window)
            self.g_lo, self.g_hi = self.g_lo0.copy(), self.g_hi0.copy()
        else:
            self.k_set = np.full((2, *shape), -math.log(response.q_set), np.float32)
            self.k_reset = np.full((2, *shape), -math.log(response.q_reset), np.float32)
            self.g_lo = np.full((2, *shape), response.g_min, np.float32)
            self.g_hi = np.full((2, *shape), response.g_max, np.float32)
            self.g_lo0, self.g_hi0 = self.g_lo, self.g_hi
        # initial weights: a pair programmed around mid-window (both devices at 0.5 +/- W/2), W ~ N(0, init_std)
        w0 = np.clip(init_std * rng.standard_normal(shape), -0.9, 0.9).astype(np.float32)
        if effects.quantised:
            # programmed by pulses: the nearest whole number of linear steps (what a verify loop lands on)
            w0 = np.round(w0 / (2 * response.step)) * 2 * response.step
        self.w = np.stack([0.5 + w0 / 2, 0.5 - w0 / 2]).astype(np.float32)      # [G+ state, G- state]
        self.acc = np.zeros(shape, np.float32)
        self.pulses = 0                     # programming pulses applied (statistics)
        self.events = 0                     # device programming events (a device receiving >= 1 pulse)

    # ------------------------------------------------------------ reads
    def conductances(self) -> np.ndarray:
        """(2, rows, columns) conductances (S) of G+ and G-."""
        return self.g_lo + self.w * (self.g_hi - self.g_lo)

    def weights(self) -> np.ndarray:
        g = self.conductances()
        return ((g[0] - g[1]) / np.float32(self.r.window)).astype(np.float32)

    # ------------------------------------------------------------ updates
    def update(self, delta: np.ndarray, rng: np.random.Generator, controller: str, max_pulses: int = 8) -> None:
        """Change the weights by ``delta`` (window units) as the effects and the controller allow."""
        if not self.fx.quantised:
            # ideal: the pair's difference moves by exactly delta (balanced), within the window
            w_now = self.w[0] - self.w[1]
            w_new = np.clip(w_now + delta, -1.0, 1.0)
            self.w[0] = 0.5 + w_new / 2
            self.w[1] = 0.5 - w_new / 2
            return
        if controller not in ("open_loop", "closed_loop"):
            raise ValueError(f"controller {controller!r}: open_loop or closed_loop")
        c = self.r.c2c
        pulses, events = _program(self.w, self.acc, self.k_set, self.k_reset, self.g_lo, self.g_hi, self.g_lo0,
                                  self.g_hi0, np.ascontiguousarray(delta, np.float32), controller == "closed_loop",
                                  self.fx.nonlinear, self.fx.variation, self.r.step, int(max_pulses), self.r.c2c_rel,
                                  c.g_min, c.g_max, self.r.window, int(rng.integers(1, 2**63)))
        self.pulses += int(pulses)
        self.events += int(events)

    # ------------------------------------------------------------ state (checkpoints)
    def state(self) -> dict[str, np.ndarray]:
        return {"w": self.w, "acc": self.acc, "k_set": self.k_set, "k_reset": self.k_reset, "g_lo": self.g_lo,
                "g_hi": self.g_hi, "g_lo0": self.g_lo0, "g_hi0": self.g_hi0,
                "counts": np.array([self.pulses, self.events], np.int64)}

    def load_state(self, st: dict[str, np.ndarray]) -> None:
        for name in ("w", "acc", "k_set", "k_reset", "g_lo", "g_hi", "g_lo0", "g_hi0"):
            arr = np.asarray(st[name], np.float32)
            if arr.shape != getattr(self, name).shape:
                raise ValueError(f"{name}: shape {arr.shape}, expected {getattr(self, name).shape}")
            setattr(self, name, arr.copy())
        self.pulses, self.events = (int(x) for x in st["counts"])


# --------------------------------------------------------------------------- the programming kernel
@numba.njit(cache=True, inline="always")
def _uniform(x):  # pragma: no cover - compiled
    """The event generator's xorshift64* (:func:`networks.snn._next`), moved half a step off 0: (new state,
    uniform in (0, 1)), for a logarithm."""
    x, u = _next(x)
    return x, u + 0.5 / 9007199254740992.0


@numba.njit(cache=True, inline="always")
def _normal(x):  # pragma: no cover - compiled
    """A standard normal draw (Box-Muller, one of the pair)."""
    x, u1 = _uniform(x)
    x, u2 = _uniform(x)
    return x, math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@numba.njit(cache=True)
def _program(w, acc, k_set, k_reset, g_lo, g_hi, g_lo0, g_hi0, delta, closed, nonlinear, variation, step_nom,
             max_pulses, c2c_rel, c2c_gmin, c2c_gmax, window, seed):  # pragma: no cover - compiled
    """One update of every pair (see :class:`PairArray` and the module doc); returns (pulses, events)."""
    rows, cols = delta.shape
    x = np.uint64(seed) | np.uint64(1)
    pulses = 0
    events = 0
    for i in range(rows):
        for j in range(cols):
            gp = g_lo[0, i, j] + w[0, i, j] * (g_hi[0, i, j] - g_lo[0, i, j])
            gm = g_lo[1, i, j] + w[1, i, j] * (g_hi[1, i, j] - g_lo[1, i, j])
            w_old = (gp - gm) / window
            if closed:
                a = acc[i, j] + delta[i, j]
                a = min(max(a, -1.0 - w_old), 1.0 - w_old)          # nothing beyond the window
                acc[i, j] = a
                want = a
            else:
                want = delta[i, j]
            if want == 0.0:
                continue
            up = want > 0.0
            # G+: SET to raise W, RESET to lower it; G-: the opposite
            room_p = 1.0 - w[0, i, j] if up else w[0, i, j]
            room_m = w[1, i, j] if up else 1.0 - w[1, i, j]
            kp = k_set[0, i, j] if up else k_reset[0, i, j]
            km = k_reset[1, i, j] if up else k_set[1, i, j]
            if nonlinear:
                step_p = room_p * -math.expm1(-kp)
                step_m = room_m * -math.expm1(-km)
            else:
                step_p = min(room_p, -math.expm1(-kp))
                step_m = min(room_m, -math.expm1(-km))
            use_p = step_p >= step_m
            if closed:
                step = max(step_p if use_p else step_m, 1e-6)
                n = min(math.floor(abs(want) / step + 0.5), max_pulses)
            else:
                n = min(math.floor(abs(want) / step_nom + 0.5), max_pulses)
            if n <= 0:
                continue
            pulses += int(n)
            events += 1
            d = 0 if use_p else 1
            is_set = up == (d == 0)                                  # SET drives the state to 1
            k = k_set[d, i, j] if is_set else k_reset[d, i, j]
            s = n
            if variation:
                x, z = _normal(x)
                s = max(n + math.sqrt(n) * c2c_rel * z, 0.0)
            wv = w[d, i, j]
            if nonlinear:
                decay = math.exp(-k * s)
                wn = 1.0 - (1.0 - wv) * decay if is_set else wv * decay
            else:
                lin = -math.expm1(-k) * s
                wn = min(max(wv + lin if is_set else wv - lin, 0.0), 1.0)
            w[d, i, j] = wn
            if variation:
                # the programming event leaves the device on slightly different bounds (cycle to cycle)
                x, z = _normal(x)
                g_lo[d, i, j] = g_lo0[d, i, j] * (1.0 + c2c_gmin * z)
                x, z = _normal(x)
                g_hi[d, i, j] = g_hi0[d, i, j] * (1.0 + c2c_gmax * z)
            if closed:
                # read back the pulsed pair: the accumulator keeps what the pulses did not deliver
                gp = g_lo[0, i, j] + w[0, i, j] * (g_hi[0, i, j] - g_lo[0, i, j])
                gm = g_lo[1, i, j] + w[1, i, j] * (g_hi[1, i, j] - g_lo[1, i, j])
                acc[i, j] -= (gp - gm) / window - w_old
    return pulses, events


__all__ = ["FULL", "IDEAL", "Effects", "PairArray", "PulseResponse"]
