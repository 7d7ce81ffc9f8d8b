"""Device physics: NbOx threshold switch and TaOx synapse, one set of equations each.

Two NbOx models, by name: ``nbox_et`` (:data:`NBOX_ET`, electro-thermal: Poole-Frenkel core,
heat balance, series resistance; the default of every experiment, see ``NBOX_ET.md``) and
``nbox_ts`` (:data:`NBOX`, behavioural: incubation and a latching filament; the fast level,
``--device nbox_ts``). The circuit builders pick the model from the type of the parameter set
they are given.
"""

from .nbox import NBOX, NbOxParams
from .nbox_et import NBOX_ET, NbOxETParams
from .params import ParameterError, Params
from .taox import TAOX, TaOxParams

MODELS = {m.name: m for m in (NBOX, NBOX_ET, TAOX)}

# the NbOx neuron models an experiment can run, by name, and the default
NEURON_DEVICES: dict[str, type[Params]] = {"nbox_et": NbOxETParams, "nbox_ts": NbOxParams}
DEFAULT_NEURON = "nbox_et"


def default_device() -> NbOxETParams:
    """The default NbOx neuron device: the electro-thermal model with its calibrated parameter set."""
    return NEURON_DEVICES[DEFAULT_NEURON]()


def device_name(device: Params) -> str:
    """The model name (``nbox_et``, ``nbox_ts``) of a neuron device parameter set."""
    for name, cls in NEURON_DEVICES.items():
        if type(device) is cls:
            return name
    raise ParameterError("device", type(device).__name__, "one of " + ", ".join(NEURON_DEVICES))

__all__ = ["DEFAULT_NEURON", "MODELS", "NEURON_DEVICES", "default_device", "device_name", "NBOX", "NBOX_ET",
           "NbOxParams", "NbOxETParams", "TAOX", "TaOxParams", "ParameterError",
           "Params"]
