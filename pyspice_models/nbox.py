"""NbOx volatile threshold switch (Pt/Ti/NbOx/Pt/Ti), the soma of the LIF neuron.

Physics. Below threshold the film conducts by trap-assisted (Poole-Frenkel
like) transport, a current that rises faster than linearly with voltage:
``I_off = (v_nl / r_off) sinh(V / v_nl)``. Above ``v_th`` the film heats
towards thermal runaway; runaway takes an incubation (delay) time that
shrinks exponentially with the overdrive down to the heating time of the film,
``t_d = t_d0 exp(-(|V| - v_th)/v_d) + t_min`` (long just above threshold, a
few ns at large overdrive), and the heat relaxes with ``tau_cool`` when the
voltage falls back below threshold. At runaway a conducting filament forms
and, through its own Joule heating, sustains itself whatever the voltage does
next as long as ``|V|`` stays above ``v_hold``; below ``v_hold`` it dissolves
spontaneously (volatile switching). Everything depends on ``|V|``: both
polarities switch alike.

Model, three states:

* ``h`` (incubation, 0..~1): accumulated progress towards runaway,
  ``ddt(h) = S_th (1 - g) / t_d - (1 - S_th) h / tau_cool - g h / tau_on``
  with ``S_th = S((|V| - v_th)/dv)`` and ``g = S((s - 1/2)/0.05)``: it grows
  above threshold until the latch commits; then growth stops and the last
  term consumes it, so every spike starts a fresh incubation (the refractory
  time) and ``h`` stays bounded whatever the overdrive. (Gating the
  consumption by ``s`` itself would let a slow sweep settle on a stalled
  equilibrium with ``h`` just below 1.)
* ``s`` (trigger, 0..1): a latch with positive feedback,
  ``ddt(s) = (S(z) - s) / tau_trig`` with
  ``z = (1 - s)(h - 1)/dh + s (|V| - v_hold)/dv``: it sets when ``h`` reaches 1
  and, once set, is held by the voltage alone, so switching completes
  (no stall at ``v_th`` when the growing current pulls the node down).
  ``tau_trig`` << ``tau_on``: it commits before the filament draws current.
* ``x`` (filament, 0..1): ``ddt(x) = s (1 - x)/tau_on - (1 - s) x / tau_off``.

Current: ``I = I_off(V) + x V / r_on``. ``S(z) = (1 + tanh(z/2))/2``.

Quasi-statically (sweeps much slower than ``t_d0``) the device switches on at
``v_th`` and off at ``v_hold`` (within a few ``dv``); under fast pulses the
effective threshold rises with the sweep rate, as the delay-time physics of
NbOx requires.

Calibration (one set for every figure). ``v_th`` = 0.77 V, inside the paper's
0.8 +/- 0.05 V, because Fig. 3g-h fires the neuron with 0.8 V inputs through
synaptic resistors: the node can only pass a threshold below the input. The
incubation (t_d0 = 1 us just above threshold, e-fold per 20 mV, 2 ns floor) is fast
enough for Fig. 3c (1.6 MHz from two 0.9 V inputs, so the device must recover
and re-fire within ~0.6 us at <= 0.13 V overdrive) and Supp. Fig. 3 (t_on < 50
ns at a large step); with these, firing in the circuits of Figs. 2-4 is
mostly limited by charging C_m through the load, as in a relaxation
oscillator. A consequence: at Fig. 2's 3.6 kOhm and 30 pF (R_L C_m = 108 ns)
the neuron fires at several MHz under 1.3 V pulses.

References:
  Duan et al., Nat. Commun. 11, 3399 (2020), Fig. 2 and Supp. Figs. 3-5.
  Slesazeck et al., RSC Adv. 5, 102318 (2015) (Poole-Frenkel and thermal runaway in NbOx).
  Kumar et al., Nature 548, 318 (2017) (electro-thermal dynamics of NbO2 switching).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .equations import CompactModel, State
from .params import ParameterError, Params, draw, param


@dataclass(frozen=True, kw_only=True)
class NbOxParams(Params):
    """Default: one set for every figure of Duan et al. 2020 (Vth 0.77 V within the paper's ~0.8 V, Vhold 0.6 V,
    t_on < 50 ns, t_off < 25 ns); see the module docstring for the calibration."""

    v_th: float = param(0.77, "V", "quasi-static threshold voltage |V| for thermal runaway", lo=0.05, hi=10)
    v_hold: float = param(0.60, "V", "holding voltage |V| below which the filament dissolves", lo=0.01, hi=10)
    r_on: float = param(200.0, "ohm", "resistance of the fully formed filament", lo=1, hi=1e7)
    r_off: float = param(100e3, "ohm", "low-bias resistance of the off state", lo=10, hi=1e12)
    v_nl: float = param(0.30, "V", "Poole-Frenkel-like nonlinearity voltage of the off-state current", lo=0.01, hi=100)
    t_d0: float = param(1e-6, "s", "incubation (delay) time scale at |V| = v_th (the smooth threshold gate "
                        "is half open there: the delay is ~2 t_d0 at v_th, t_d0 a few dv above)", lo=1e-12, hi=1)
    v_d: float = param(0.02, "V", "overdrive for an e-fold shorter delay", lo=1e-3, hi=10)
    t_min: float = param(2e-9, "s", "shortest incubation, at large overdrive (heating time of the film)",
                         lo=1e-13, hi=1e-3)
    tau_cool: float = param(2e-6, "s", "relaxation time of the incubation heat below threshold", lo=1e-12, hi=1)
    tau_on: float = param(8e-9, "s", "filament growth time constant", lo=1e-12, hi=1e-3)
    tau_off: float = param(4e-9, "s", "filament dissolution (relaxation) time constant", lo=1e-12, hi=1e-3)
    tau_trig: float = param(0.5e-9, "s", "latch (runaway) time constant", lo=1e-13, hi=1e-4)
    dv: float = param(2e-3, "V", "width of the smooth voltage sigmoids (numerical sharpness)", lo=1e-5, hi=1)
    dh: float = param(0.02, "", "width of the smooth runaway sigmoid in h", lo=1e-4, hi=0.5)
    v_eps: float = param(1e-3, "V", "smoothing voltage of |V| around 0 V", lo=1e-7, hi=0.1)

    def _check_relations(self):
        if not self.v_hold < self.v_th:
            raise ParameterError("v_hold", self.v_hold, f"a finite number < v_th = {self.v_th:g} V")
        if not self.dv <= (self.v_th - self.v_hold) / 20:
            raise ParameterError("dv", self.dv,
                                 f"a finite number <= (v_th - v_hold)/20 = {(self.v_th - self.v_hold) / 20:g} V")
        if not self.t_min < self.t_d0:
            raise ParameterError("t_min", self.t_min, f"a finite number < t_d0 = {self.t_d0:g} s")
        if not self.v_th / self.v_d <= 200:
            raise ParameterError("v_d", self.v_d,
                                 f"a finite number >= v_th/200 = {self.v_th / 200:g} V (exp range)")
        if not self.tau_trig <= self.tau_on / 4:
            raise ParameterError("tau_trig", self.tau_trig,
                                 f"a finite number <= tau_on/4 = {self.tau_on / 4:g} s (the latch must commit first)")

    def spike_current(self) -> float:
        """Current (A) that separates a spike from the off state: the geometric mean of the
        largest off current (at v_th) and the on current at v_hold, decades apart."""
        i_off = self.v_th / self.off_resistance(self.v_th)
        i_on = self.v_hold / self.r_on
        return float(np.sqrt(i_off * i_on))

    # the device interface the experiments use (shared with NbOxETParams)
    def threshold(self) -> float:
        """Quasi-static threshold voltage (V): the parameter ``v_th`` itself."""
        return self.v_th

    def with_threshold(self, v: float) -> NbOxParams:
        """The device with its threshold moved to ``v`` (V), every other value kept."""
        return self.replace(v_th=float(v))

    @staticmethod
    def cycle_spread() -> Variation:
        """Relative cycle-to-cycle spreads (1 sigma) of this model's parameters (Supp. Figs. 4-5)."""
        return Variation()

    def off_resistance(self, v: float) -> float:
        """Chord resistance V/I of the off state at voltage ``v`` (ohm)."""
        return float(self.r_off * (v / self.v_nl) / np.sinh(v / self.v_nl)) if v else self.r_off


NBOX = CompactModel(
    name="nbox_ts",
    params=NbOxParams,
    aliases=(
        ("va", "sqrt(V*V + v_eps*v_eps)"),
        ("sth", "0.5*(1 + tanh((va - v_th)/(2*dv)))"),
        ("zt", "(1 - s)*(h - 1)/dh + s*(va - v_hold)/dv"),
        ("sgate", "0.5*(1 + tanh((s - 0.5)/0.1))"),
    ),
    states=(
        State("h", "sth*(1 - sgate)/(t_d0*exp((v_th - va)/v_d) + t_min) - (1 - sth)*h/tau_cool"
                   " - sgate*h/tau_on", 0.0, "1",
              "incubation progress towards thermal runaway"),
        State("s", "(0.5*(1 + tanh(zt/2)) - s)/tau_trig", 0.0, "1", "runaway latch, held while |V| > v_hold"),
        State("x", "s*(1 - x)/tau_on - (1 - s)*x/tau_off", 0.0, "1", "filament fraction"),
    ),
    current="(v_nl/r_off)*sinh(V/v_nl) + x*V/r_on",
    doc="NbOx volatile threshold switch (memspike): Poole-Frenkel off state, incubation, latching filament.",
    references=("Duan et al., Nat. Commun. 11, 3399 (2020)",),
)


@dataclass(frozen=True, kw_only=True)
class Variation:
    """Relative (1-sigma) spreads for cycle-to-cycle or device-to-device draws."""

    v_th: float = 0.02
    v_hold: float = 0.02
    r_on: float = 0.05
    r_off: float = 0.10


def sample(base: NbOxParams, rng: np.random.Generator, var: Variation = Variation()) -> NbOxParams:
    """A seeded random draw of a device (or of one cycle of a device) around ``base``: Gaussian relative
    spreads, redrawn until the parameter set is valid."""
    return draw(base, rng, var)
