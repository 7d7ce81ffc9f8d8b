"""Device physics: NbOx threshold switch and TaOx synapse, one set of equations each.

Two NbOx models, by name: ``nbox_ts`` (:data:`NBOX`, behavioural: incubation and a latching
filament; the default of every experiment) and ``nbox_et`` (:data:`NBOX_ET`, electro-thermal:
Poole-Frenkel core, heat balance, series resistance; see ``NBOX_ET.md``). The circuit builders
pick the model from the type of the parameter set they are given.
"""

from .nbox import NBOX, NbOxParams
from .nbox_et import NBOX_ET, NbOxETParams
from .params import ParameterError, Params
from .taox import TAOX, TaOxParams

MODELS = {m.name: m for m in (NBOX, NBOX_ET, TAOX)}

__all__ = ["MODELS", "NBOX", "NBOX_ET", "NbOxParams", "NbOxETParams", "TAOX", "TaOxParams", "ParameterError",
           "Params"]
