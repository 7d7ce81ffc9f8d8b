"""Device physics: NbOx threshold switch and TaOx synapse, one set of equations each."""

from .nbox import NBOX, NbOxParams
from .params import ParameterError, Params
from .taox import TAOX, TaOxParams

__all__ = ["NBOX", "NbOxParams", "TAOX", "TaOxParams", "ParameterError", "Params"]
