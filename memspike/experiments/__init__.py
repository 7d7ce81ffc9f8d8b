"""Experiments, one module per group of paper figures, registered by name."""

from . import device, single, dendritic  # noqa: F401, I001  (registration, in paper order)
from .base import REGISTRY, execute

__all__ = ["REGISTRY", "execute"]
