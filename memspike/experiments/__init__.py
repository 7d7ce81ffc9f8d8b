"""Experiments: one module per paper figure (or generic circuit), each declaring itself.

Every module of this package whose name does not start with ``_`` (and is not
``base``) is imported here, and registers its experiment with
:func:`~memspike.experiments.base.experiment`; ``REGISTRY`` is ordered as the
paper is. Adding an experiment is adding one module.
"""

import importlib
import pkgutil

from .base import REGISTRY, execute, prepare

for _mod in pkgutil.iter_modules(__path__):
    if not _mod.name.startswith("_") and _mod.name != "base":
        importlib.import_module(f"{__name__}.{_mod.name}")

for _name in sorted(REGISTRY, key=lambda n: (REGISTRY[n].order, n)):
    REGISTRY[_name] = REGISTRY.pop(_name)

__all__ = ["REGISTRY", "execute", "prepare"]
