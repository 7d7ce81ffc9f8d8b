"""NbOx threshold switch as an electro-thermal device (the physics the paper cites).

Physics (Slesazeck et al. 2015; Gibson et al. 2016; Kumar et al. 2017). The
NbOx film conducts through a narrow core by trap-assisted (Poole-Frenkel)
transport: thermally activated over a barrier ``Ea`` that the field
``|v_c|/d`` lowers by ``beta sqrt(|v_c|/d)``, with
``beta = sqrt(q / (pi eps0 eps_r))`` (in eV per sqrt(V/m)). Joule heating
``P = i_c v_c`` in the core raises its temperature ``T`` against a thermal
resistance ``R_th`` to the ambient ``T0`` with a heat capacity ``C_th``.
Conduction rises with ``T`` and ``T`` with conduction: above a critical
power the feedback runs away (thermal runaway), the core gets hot and
conducts, and the current is then set by the series resistance ``R_s``
(electrodes, the constriction to the core). Quasi-statically this is an
S-shaped (current-controlled) negative differential resistance: under a
voltage sweep through a small resistor the device jumps on at ``Vth`` (the
upper fold, ~345 K in the core) and off at ``Vhold`` (the lower fold,
~560 K). Threshold is a power, so ``Vth`` falls as ``T0`` rises. Nothing is
latched or incubated: all memory is ``T`` (ns) and the core voltage.

Above about 1000 K the core of NbO2 turns metallic (insulator-metal
transition near 1070 K; Kumar et al. 2017): a conductance ``G_met`` switched
in smoothly (a tanh of width ``dT_met``) around ``T_met``. It is the physical
limit of the temperature far past threshold (it only acts on the on branch
at mA currents, > 1.2 V sweeps or long discharges of a large C_m); without
it the core of a device held on at 2 mA would run past 1500 K.

Model (two states, one branch):

* ``vc`` [V], the core voltage, on the core's small parallel (geometric)
  capacitance ``C_p`` behind ``R_s``:
  ``C_p ddt(vc) = (V - vc)/R_s - i_c``,
* ``T`` [K], the core temperature:
  ``C_th ddt(T) = i_c vc - (T - T0)/R_th``,
* ``i_c = (G0 exp(-(Ea - beta sqrt(|vc|/d))/(k_B T)) + G_met S((T - T_met)/dT_met)) vc``,
* terminal current ``I(p, n) = (V - vc)/R_s``.

``|vc|`` is ``sqrt(vc^2 + v_eps^2)`` (smooth at 0 V; everything depends on
``|vc|`` and ``vc`` is odd: both polarities alike), ``S(z) = (1 + tanh(z/2))/2``.
In the Arrhenius factor ``T`` is floored smoothly at ``T0/2``
(``0.5 (T + T0/2 + sqrt((T - T0/2)^2 + 1 K^2))``, 1.7 mK above ``T`` at
``T0``), so that no Newton iterate of a simulator can take ``exp`` to an
overflow; physical temperatures never come near it. No hard ``?:`` switch
anywhere: ngspice, VACASK and numpy see the same smooth equations.

Calibration (one set for every figure; see NBOX_ET.md; the experiments of
memspike/experiments carry the circuit values): ``d``, ``eps_r``, ``T0`` are taken from the paper
and the literature; ``Ea``, ``R_th``, ``C_th`` are literature-sized; ``G0``
is fitted to ``Vth`` = 0.77 V (inside the paper's 0.80 +/- 0.05 V and below the 0.8 V inputs
of Fig. 3g-h, which must pass it) and ``R_s`` to ``Vhold`` = 0.60 V.

References:
  Duan et al., Nat. Commun. 11, 3399 (2020), Fig. 2b, Supp. Fig. 3, Methods (30 nm NbOx).
  Slesazeck et al., RSC Adv. 5, 102318 (2015) (Poole-Frenkel conduction, thermal runaway in NbOx).
  Gibson et al., Appl. Phys. Lett. 108, 023505 (2016) (compact electro-thermal model of NbOx NDR).
  Kumar et al., Nature 548, 318 (2017) (electro-thermal dynamics of NbO2; IMT near 1070 K).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .equations import CompactModel, State
from .params import ParameterError, Params, draw, param

K_B = 8.617333262e-05          # Boltzmann constant, eV/K
Q_E = 1.602176634e-19          # elementary charge, C
EPS0 = 8.8541878128e-12        # vacuum permittivity, F/m


@dataclass(frozen=True, kw_only=True)
class NbOxETParams(Params):
    """One electro-thermal NbOx device for every figure of Duan et al. 2020 (see NBOX_ET.md)."""

    d: float = param(30e-9, "m", "NbOx film thickness (the paper's Methods: 30 nm)", lo=1e-10, hi=1e-5)
    T0: float = param(300.0, "K", "ambient (substrate) temperature; room temperature", lo=1, hi=2000)
    Ea: float = param(0.30, "eV", "zero-field activation energy of the trap-assisted conduction "
                      "(0.2-0.3 eV reported for NbOx; Slesazeck 2015, Gibson 2016)", lo=0, hi=5,
                      lo_open=False)
    eps_r: float = param(45.0, "", "relative permittivity in the Poole-Frenkel lowering "
                         "(NbO2 high-frequency permittivity, about 40-55)", lo=1, hi=1000, lo_open=False)
    G0: float = param(0.1137, "S", "conductance prefactor of the core (fitted: sets Vth = 0.77 V)",
                      lo=0, hi=1e6)
    R_th: float = param(2.5e6, "K/W", "thermal resistance core -> ambient, about 1/(4 kappa a) with "
                        "kappa ~ 2 W/m/K, core radius a ~ 50 nm", lo=0, hi=1e12)
    C_th: float = param(1e-15, "J/K", "heat capacity of the heated volume (c_v ~ 3 MJ/m^3/K times "
                        "~3e-22 m^3); R_th C_th = 2.5 ns", lo=0, hi=1e-6)
    R_s: float = param(700.0, "ohm", "series resistance between terminal and core (electrodes, "
                       "constriction) (fitted: sets Vhold = 0.60 V)", lo=0, hi=1e7)
    C_p: float = param(50e-15, "F", "capacitance parallel to the core (geometric capacitance of the "
                       "film around it); makes vc a state; R_s C_p << R_th C_th", lo=0, hi=1e-9)
    G_met: float = param(0.1, "S", "core conductance in the metallic phase of NbO2 (rho ~ 3e-6 ohm m "
                         "over a 50 nm-radius, 30 nm core)", lo=0, hi=1e6, lo_open=False)
    T_met: float = param(1070.0, "K", "insulator-metal transition temperature of NbO2 (Kumar 2017); "
                         "limits the core temperature far past threshold", lo=1, hi=5000)
    dT_met: float = param(20.0, "K", "width of the smooth (tanh) metallic transition", lo=0.1, hi=1000)
    v_eps: float = param(1e-3, "V", "smoothing voltage of |vc| around 0 V (numerical)", lo=1e-7, hi=0.1)

    def _check_relations(self):
        if not self.T_met >= self.T0 + 10 * self.dT_met:
            raise ParameterError("T_met", self.T_met, f"a temperature >= T0 + 10 dT_met = "
                                 f"{self.T0 + 10 * self.dT_met:g} K (the metallic phase must be far "
                                 "above ambient, or the device is always on)")
        if not self.R_s * self.C_p <= self.R_th * self.C_th / 10:
            raise ParameterError("C_p", self.C_p, f"a capacitance <= R_th C_th / (10 R_s) = "
                                 f"{self.R_th * self.C_th / (10 * self.R_s):g} F (the core voltage must "
                                 "follow faster than the heat)")
        if not self.Ea / (K_B * self.T0) <= 200:
            raise ParameterError("Ea", self.Ea, f"an energy <= 200 k_B T0 = {200 * K_B * self.T0:g} eV "
                                 "(exp range)")

    # ---------------------------------------------------------------- physics helpers (numpy)
    @property
    def beta(self) -> float:
        """Poole-Frenkel coefficient sqrt(q/(pi eps0 eps_r)) in eV per sqrt(V/m)."""
        return math.sqrt(Q_E / (math.pi * EPS0 * self.eps_r))

    def core_conductance(self, vc, T):
        vc = np.asarray(vc, float)
        T = np.asarray(T, float)
        g = self.G0 * np.exp(-(self.Ea - self.beta * np.sqrt(np.abs(vc) / self.d)) / (K_B * T))
        return g + self.G_met * 0.5 * (1 + np.tanh((T - self.T_met) / (2 * self.dT_met)))

    def steady_curve(self, T_max: float | None = None, n: int = 4000) -> dict[str, np.ndarray]:
        """The quasi-static (steady-state) I-V curve, parametrised by the core temperature.

        For each ``T`` the heat balance ``vc^2 G(vc, T) = (T - T0)/R_th`` gives ``vc``; then
        ``I = vc G`` and the terminal voltage ``V = vc + I R_s``. Returns arrays ``T``, ``vc``,
        ``I``, ``V`` (positive polarity; the negative one is the mirror image).
        """
        T_max = T_max or self.T_met + 5 * self.dT_met
        T = self.T0 + (T_max - self.T0) * np.linspace(0, 1, n + 1)[1:] ** 2
        P = (T - self.T0) / self.R_th

        def excess(v):                  # heating minus what the ambient takes; rises with v
            return v * v * self.core_conductance(v, T) - P

        lo, hi = np.zeros_like(T), np.ones_like(T)
        for _ in range(60):             # bracket: double hi where it still falls short
            short = excess(hi) < 0
            if not short.any():
                break
            hi = np.where(short, 2 * hi, hi)
        for _ in range(100):            # bisection on every temperature at once (log-spaced near 0 V)
            mid = np.where(lo > 0, np.sqrt(lo * hi), 0.5 * hi)
            low = excess(mid) < 0
            lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
            if np.all(hi - lo <= 1e-13 * hi + 1e-15):
                break
        vc = 0.5 * (lo + hi)
        i = vc * self.core_conductance(vc, T)
        return {"T": T, "vc": vc, "I": i, "V": vc + i * self.R_s}

    def folds(self, T_max: float | None = None) -> dict[str, float]:
        """Quasi-static threshold (upper fold of V(I)) and hold (lower fold), with their core
        temperatures and currents. NaN where the curve has no fold (no NDR). Cached per parameter set."""
        return dict(_folds(self, T_max))

    def _folds(self, T_max):
        c = self.steady_curve(T_max)
        V = c["V"]
        d = np.diff(V)
        up = np.flatnonzero((d[:-1] > 0) & (d[1:] <= 0))
        down = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0))
        out = {}
        for key, idx in (("th", up), ("hold", down)):
            if idx.size:
                k = idx[0] + 1
                out.update({f"v_{key}": float(V[k]), f"T_{key}": float(c["T"][k]), f"i_{key}": float(c["I"][k])})
            else:
                out.update({f"v_{key}": float("nan"), f"T_{key}": float("nan"), f"i_{key}": float("nan")})
        return out

    def spike_current(self) -> float:
        """Spike detection current (A): geometric mean of the current at the quasi-static
        threshold (the largest steady off current) and at hold (the smallest on current)."""
        f = self.folds()
        return float(np.sqrt(f["i_th"] * f["i_hold"]))

    # the device interface the experiments use (shared with the behavioural NbOxParams)
    def threshold(self) -> float:
        """Quasi-static threshold voltage (V): the upper fold of the steady I-V curve."""
        return self.folds()["v_th"]

    def with_threshold(self, v: float) -> NbOxETParams:
        """The device with its quasi-static threshold moved to ``v`` (V) through the conductance prefactor
        ``G0`` (a more or less conductive film: the process shift a threshold margin stands for); every
        other value kept. Raises :class:`ParameterError` (``v_th``) where no ``G0`` reaches ``v``."""
        from scipy.optimize import brentq

        def miss(lg):
            return self.replace(G0=float(10 ** lg)).threshold() - v

        lg0 = math.log10(self.G0)
        lo, hi = lg0 - 0.5, lg0 + 0.5          # G0 within x3 either way: the fold exists throughout
        if not (miss(lo) > 0 > miss(hi)):
            raise ParameterError("v_th", v, f"a threshold between {self.replace(G0=10 ** hi).threshold():.4g} "
                                 f"and {self.replace(G0=10 ** lo).threshold():.4g} V (G0 within x3)")
        return self.replace(G0=float(10 ** brentq(miss, lo, hi, xtol=1e-9)))

    @staticmethod
    def cycle_spread() -> ETVariation:
        """Relative cycle-to-cycle spreads (1 sigma) of this model's physical parameters (Supp. Figs. 4-5)."""
        return ETVariation()


@functools.lru_cache(maxsize=256)
def _folds(device: NbOxETParams, T_max: float | None) -> dict[str, float]:
    return device._folds(T_max)


_BETA = f"sqrt({Q_E!r}/(3.14159265359*{EPS0!r}*eps_r))"   # pi to the 12 digits a deck carries

NBOX_ET = CompactModel(
    name="nbox_et",
    params=NbOxETParams,
    aliases=(
        ("vca", "sqrt(vc*vc + v_eps*v_eps)"),
        ("tc", "0.5*(T + 0.5*T0 + sqrt((T - 0.5*T0)*(T - 0.5*T0) + 1))"),
        ("eb", f"Ea - {_BETA}*sqrt(vca/d)"),
        ("smet", "0.5*(1 + tanh((T - T_met)/(2*dT_met)))"),
        ("gc", f"G0*exp(-eb/({K_B!r}*tc)) + G_met*smet"),
        ("ic", "gc*vc"),
    ),
    states=(
        State("vc", "((V - vc)/R_s - ic)/C_p", 0.0, "V",
              "core voltage, on C_p behind R_s"),
        State("T", "(vc*ic - (T - T0)/R_th)/C_th", 300.0, "K",
              "core temperature (rest: T0)"),
    ),
    current="(V - vc)/R_s",
    doc="NbOx threshold switch, electro-thermal (memspike): Poole-Frenkel core, heat balance, series R.",
    references=("Duan et al., Nat. Commun. 11, 3399 (2020)",
                "Slesazeck et al., RSC Adv. 5, 102318 (2015)",
                "Gibson et al., Appl. Phys. Lett. 108, 023505 (2016)",
                "Kumar et al., Nature 548, 318 (2017)"),
)


@dataclass(frozen=True, kw_only=True)
class ETVariation:
    """Relative (1-sigma) cycle-to-cycle spreads of the electro-thermal device (Supp. Figs. 4-5)."""

    Ea: float = 0.003
    G0: float = 0.05
    R_s: float = 0.03
    R_th: float = 0.03


def sample_et(base: NbOxETParams, rng: np.random.Generator, var: ETVariation = ETVariation()) -> NbOxETParams:
    """A seeded random draw of a device (or of one cycle of a device) around ``base``: Gaussian relative
    spreads, redrawn until the parameter set is valid."""
    return draw(base, rng, var)
