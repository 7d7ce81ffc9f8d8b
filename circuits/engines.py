"""Simulation engines behind one small protocol, registered in one place.

An engine turns a :class:`~circuits.netlist.Netlist` into the files a user can
run without memspike (:meth:`Engine.render`) and runs it into
:class:`~circuits.runner.Waveforms` with ngspice's vector names
(:meth:`Engine.run`). :func:`circuits.executor.simulate_many` maps any engine
over the local process pool or a Dask cluster; an engine that simulates many
netlists better together than apart (the vector engine) also offers
``run_many``, which the executor then calls once with the whole batch.

A new engine is one module that defines such an object and calls
:func:`register` when imported (``ENGINE_MODULES`` lists the modules imported
on first use).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from .netlist import Netlist, write
from .runner import DEFAULT_TIMEOUT, Waveforms


class Engine(Protocol):
    name: str
    deck_suffix: str                 # file suffix of the deck it writes (".cir", ".sim", ...)

    def available(self) -> bool: ...

    def render(self, net: Netlist, stem: str) -> dict[str, str]:
        """The files that run ``net`` standalone: ``{file name: text}``, the deck as ``stem + deck_suffix``."""

    def run(self, net: Netlist, timeout: float = DEFAULT_TIMEOUT) -> Waveforms: ...

    def command(self, deck: str) -> str:
        """The shell command that runs the written deck ``deck`` without memspike."""


_ENGINES: dict[str, Engine] = {}
# modules that register an engine when imported (an engine that is not installed still registers
# and says so through available())
ENGINE_MODULES = ("circuits.engines", "circuits.vacask", "networks.engine")


def register(engine: Engine) -> Engine:
    if engine.name in _ENGINES and _ENGINES[engine.name] is not engine:
        raise ValueError(f"engine {engine.name!r} is registered twice")
    _ENGINES[engine.name] = engine
    return engine


def engines() -> dict[str, Engine]:
    """Every registered engine, by name (importing the engine modules on first use)."""
    for module in ENGINE_MODULES:
        importlib.import_module(module)
    return dict(_ENGINES)


def get(name: str) -> Engine:
    found = engines()
    if name not in found:
        raise KeyError(f"no engine {name!r} (have {', '.join(found)})")
    return found[name]


@dataclass(frozen=True)
class NgspiceEngine:
    """ngspice, in process through libngspice (``backend="shared"``) or as ``ngspice -b``."""

    name: str = "ngspice"
    deck_suffix: str = ".cir"
    backend: str = "shared"

    def available(self) -> bool:
        from .runner import SimulationError, find_libngspice

        try:
            find_libngspice()
        except SimulationError:
            return False
        return True

    def render(self, net: Netlist, stem: str) -> dict[str, str]:
        return {stem + self.deck_suffix: write(net)}

    def run(self, net: Netlist, timeout: float = DEFAULT_TIMEOUT) -> Waveforms:
        from .runner import simulate

        return simulate(net, backend=self.backend, timeout=timeout)

    def command(self, deck: str) -> str:
        return f"ngspice -b -r out.raw {deck}"


NGSPICE = register(NgspiceEngine())

__all__ = ["ENGINE_MODULES", "Engine", "NGSPICE", "NgspiceEngine", "engines", "get", "register"]
