"""The vector engine behind the engine protocol of :mod:`circuits.engines`, registered as ``vector``.

``render`` writes the circuit as a JSON deck (:mod:`networks.deck`) that ``python -m networks.run``
runs without the experiment framework; ``run`` and ``run_many`` simulate (:mod:`networks.simulate`):
the executor hands ``run_many`` a whole batch, which the engine integrates at once over the cores.
It solves the star circuits of :mod:`networks.circuit` (one neuron fed through resistive branches and
synapse devices) and refuses anything else with a ``ValueError`` that says what. Importing this module is cheap: numba
is imported, and the kernels compiled or loaded from their cache, on the first run.
"""

from __future__ import annotations

import importlib.util

from circuits.engines import register
from circuits.netlist import Netlist
from circuits.runner import DEFAULT_TIMEOUT, SimulationError, Waveforms


class VectorEngine:
    """The device equations compiled to array code, many circuits integrated at once (``networks``)."""

    name = "vector"
    deck_suffix = ".json"

    def available(self) -> bool:
        return importlib.util.find_spec("numba") is not None

    def render(self, net: Netlist, stem: str) -> dict[str, str]:
        from .circuit import extract
        from .deck import dumps

        extract(net)                    # refuse an unsupported circuit before anything is written
        return {stem + self.deck_suffix: dumps(net, self.command(stem + self.deck_suffix))}

    def run(self, net: Netlist, timeout: float = DEFAULT_TIMEOUT) -> Waveforms:
        return self.run_many([net], timeout=timeout)[0]

    def run_many(self, nets: list[Netlist], timeout: float = DEFAULT_TIMEOUT) -> list[Waveforms]:
        """Every netlist in one batch. ``timeout`` is not a clock here: each circuit is bounded by the
        integrator's step limit (``networks.simulate.Tolerances.max_steps``) instead."""
        if not self.available():
            raise SimulationError("the vector engine needs numba", "pip install numba")
        from .simulate import simulate

        return simulate(nets)

    def command(self, deck: str) -> str:
        return f"python -m networks.run {deck}"


VECTOR = register(VectorEngine())

__all__ = ["VECTOR", "VectorEngine"]
