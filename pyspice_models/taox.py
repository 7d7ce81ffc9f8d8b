"""TaOx nonvolatile synapse (Pt/Ta/Ta2O5/Pt), an analog resistive weight.

Physics. The conductance is set by the oxygen-vacancy filament of the TaOx
layer, a state ``w`` (0..1) that is nonvolatile: it moves only when the
applied voltage exceeds a SET threshold (positive, potentiation) or a RESET
threshold (negative, depression), both well above the 1 V read pulses of the
paper. Each programming pulse moves the state by a step that shrinks as the
state approaches its bound (the saturating, nonlinear potentiation and
depression curves of Supp. Figs. 9 and 14a), and grows exponentially with the
overdrive beyond the threshold (ionic hopping over a field-lowered barrier).

Model (one state):

  ddt(w) = S((V - v_set)/dv) exp((V - v_set)/v_act) (1 - w) / tau_set
         - S((-V - v_reset)/dv) exp((-V - v_reset)/v_act) w / tau_reset

  I = (g_min + w (g_max - g_min)) * V

The state at t = 0 is the parameter ``w0`` (the programmed weight): the
simulated state is ``dw = w - w0``, the change since t = 0, whose operating
point is 0 at 0 V (a nonvolatile state has no restoring force of its own, so
a state that started anywhere but 0 would need an initial condition, which
not every simulator takes). So a programmed array is a netlist of instances
with their ``w0``, the same in ngspice and VACASK; ``v(x1.dw)`` is what a
run changed. The term ``- dw 1e-6/s`` gives that operating point in every
simulator (ngspice puts no gmin on a behavioural node); it is far below the
model's resolution over any simulated time (1e-9 of a change over 1 ms).

``S`` is the logistic function; the windows ``(1 - w)`` and ``w`` bound the
state to [0, 1] and give the geometric (nonlinear) step per pulse: ``n``
identical SET pulses of width ``t`` leave ``1 - w_n = (1 - w_0) exp(-n t k)``.
A read at 1 V moves the state by ``S(-(v_set - 1)/dv)`` of a programming rate,
that is by nothing measurable (< 1e-9 per pulse at the defaults).

Variation: :class:`TaOxVariation` holds relative 1-sigma spreads (device-to-device by default,
:meth:`TaOxVariation.cycle_to_cycle` for one device's sweeps); :func:`sample_taox` draws a seeded synapse
with them. Programming (pulses and verify reads in the simulator): :mod:`circuits.programming`.

References:
  Duan et al., Nat. Commun. 11, 3399 (2020), Fig. 5, Supp. Figs. 9, 13, 14a.
  Kim et al., Nanoscale 8, 1405 (2016) (Ta/TaOx analog switching).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .equations import CompactModel, State
from .params import ParameterError, Params, draw, param


@dataclass(frozen=True, kw_only=True)
class TaOxParams(Params):
    g_min: float = param(10e-6, "S", "lowest conductance (fully RESET)", lo=0, hi=1)
    g_max: float = param(200e-6, "S", "highest conductance (fully SET)", lo=0, hi=1)
    v_set: float = param(1.6, "V", "SET (potentiation) threshold, positive bias", lo=0.05, hi=20)
    v_reset: float = param(1.6, "V", "RESET (depression) threshold magnitude, negative bias", lo=0.05, hi=20)
    tau_set: float = param(20e-6, "s", "SET time constant at threshold", lo=1e-12, hi=1e3)
    tau_reset: float = param(20e-6, "s", "RESET time constant at threshold", lo=1e-12, hi=1e3)
    v_act: float = param(0.15, "V", "voltage for an e-fold faster update beyond threshold", lo=1e-3, hi=10)
    dv: float = param(0.02, "V", "width of the smooth threshold sigmoid (numerical sharpness)", lo=1e-5, hi=1)
    w0: float = param(0.0, "", "state at t = 0, the programmed weight (0: g_min, 1: g_max)", lo=0, hi=1,
                      lo_open=False)

    def _check_relations(self):
        if not self.g_max > self.g_min:
            raise ParameterError("g_max", self.g_max, f"a finite number > g_min = {self.g_min:g} S")
        for name in ("v_set", "v_reset"):
            if not getattr(self, name) >= 1.0 + 10 * self.dv:
                raise ParameterError(name, getattr(self, name),
                                     f"a finite number >= 1 V + 10*dv = {1 + 10 * self.dv:g} V "
                                     "(reads at 1 V must not program)")

    def conductance(self, w):
        return self.g_min + w * (self.g_max - self.g_min)

    def with_conductance(self, g: float) -> TaOxParams:
        """This synapse programmed to conductance ``g`` (S): ``w0`` set; ``g`` must lie in [g_min, g_max]."""
        if not (self.g_min <= g <= self.g_max):
            raise ParameterError("conductance", g, f"a conductance in [g_min, g_max] = [{self.g_min:g}, "
                                 f"{self.g_max:g}] S")
        return self.replace(w0=self.state_for(g))

    def state_for(self, g: float) -> float:
        """State ``w`` whose conductance is ``g`` (clipped into [g_min, g_max])."""
        g = min(max(g, self.g_min), self.g_max)
        return (g - self.g_min) / (self.g_max - self.g_min)


TAOX = CompactModel(
    name="taox_syn",
    params=TaOxParams,
    aliases=(
        ("w", "w0 + dw"),
        ("zs", "(V - v_set)/dv"),
        ("zr", "(-V - v_reset)/dv"),
        ("rset", "0.5*(1 + tanh(zs/2))*exp(dv*zs/v_act)/tau_set"),
        ("rres", "0.5*(1 + tanh(zr/2))*exp(dv*zr/v_act)/tau_reset"),
    ),
    states=(
        State("dw", "rset*(1 - w) - rres*w - dw*1e-6", 0.0, "1",
              "change of the normalised filament state w = w0 + dw (0: g_min, 1: g_max) since t = 0"),
    ),
    current="(g_min + w*(g_max - g_min))*V",
    doc="TaOx nonvolatile analog synapse (memspike): thresholded, bounded, nonlinear updates.",
    references=("Duan et al., Nat. Commun. 11, 3399 (2020)",),
)


@dataclass(frozen=True, kw_only=True)
class TaOxVariation:
    """Relative (1-sigma) spreads of a TaOx synapse, drawn with :func:`sample_taox`.

    The defaults are device-to-device spreads (one draw per device of an array); :meth:`cycle_to_cycle`
    gives the smaller sweep-to-sweep spreads of one device. The paper shows the spread of the fabricated
    synapses (Supp. Fig. 9, "statistical electrical analysis") without numbers; these are typical of
    Ta/TaOx cells: the low-conductance end (a thin, partly dissolved filament) spreads most, the thresholds
    least (a few % of 1.6 V already changes the step per pulse by ~40 %, through exp((V - v_set)/v_act)).
    """

    g_min: float = 0.10        # fully RESET conductance: filament remnant, the widest spread
    g_max: float = 0.05        # fully SET conductance: filament size, set by the compliance-free SET
    tau_set: float = 0.20      # ionic hopping time: exponential in barrier heights, a wide spread
    tau_reset: float = 0.20
    v_set: float = 0.02        # thresholds: oxide thickness and Ta reservoir, tight
    v_reset: float = 0.02

    @classmethod
    def device_to_device(cls) -> TaOxVariation:
        return cls()

    @classmethod
    def cycle_to_cycle(cls) -> TaOxVariation:
        """Sweep-to-sweep spreads of one device: a third to a half of the device-to-device ones."""
        return cls(g_min=0.04, g_max=0.02, tau_set=0.08, tau_reset=0.08, v_set=0.007, v_reset=0.007)

    def scaled(self, factor: float) -> TaOxVariation:
        """Every spread times ``factor`` (0: no variation)."""
        return TaOxVariation(**{k: v * factor for k, v in asdict(self).items()})


def sample_taox(base: TaOxParams, rng, var: TaOxVariation = TaOxVariation()) -> TaOxParams:
    """A seeded random draw of a synapse (or of one cycle of a synapse) around ``base``: Gaussian relative
    spreads of the fields of ``var``, redrawn until the parameter set is valid; ``w0`` is kept."""
    return draw(base, rng, var)
