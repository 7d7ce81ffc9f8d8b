"""Experiments, one module per group of paper figures, registered by name."""

from . import device, single  # noqa: F401  (registration)
from .base import REGISTRY, execute

__all__ = ["REGISTRY", "execute"]
