"""The experiment framework: registry, run context and the results contract.

An experiment is a function ``run(ctx) -> Outcome`` registered under a name
with its figure and its circuit/stimulus parameter dataclass (the "parameter
file" of that figure: each field's doc says why its value was chosen). The
device is always the default NbOx (and TaOx) parameter set unless the user
overrides ``device.*`` explicitly.

:func:`execute` runs it and writes ``DIR/NAME.json``, ``DIR/NAME.png`` and
``DIR/NAME/*.cir``; all three appear only when the run completed.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.spikes import Spikes, detect_spikes
from circuits.executor import simulate_many
from circuits.format import check_name, parse_si
from circuits.netlist import Netlist, write
from circuits.runner import Waveforms
from pyspice_models.nbox import NbOxParams
from pyspice_models.params import ParameterError, Params

from .. import __version__
from ..io import replace_dir, save_figure_atomic, write_json_atomic

log = logging.getLogger(__name__)

ENGINES = ("ngspice", "vector", "vacask")


@dataclass
class Check:
    name: str
    paper: object
    simulated: object
    tolerance: str
    passed: bool

    def as_dict(self):
        return {"name": self.name, "paper": self.paper, "simulated": self.simulated,
                "tolerance": self.tolerance, "pass": bool(self.passed)}


@dataclass
class Outcome:
    results: dict
    checks: list[Check]
    figure: object            # a matplotlib Figure
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Experiment:
    name: str
    figure: str
    params: type[Params]
    run: Callable
    engines: tuple[str, ...] = ("ngspice",)
    summary: str = ""
    quick: dict = field(default_factory=dict)    # parameter changes for --quick


REGISTRY: dict[str, Experiment] = {}


def register(name: str, figure: str, params: type[Params], *, engines=("ngspice",), quick=None):
    def deco(func):
        REGISTRY[name] = Experiment(name, figure, params, func, tuple(engines),
                                    (func.__doc__ or "").strip().splitlines()[0], quick or {})
        return func
    return deco


class Context:
    """What an experiment sees: its parameters, the device, and a way to simulate."""

    def __init__(self, exp: Experiment, params: Params, device: NbOxParams, staging: Path,
                 engine: str = "ngspice", quick: bool = False, scheduler: str | None = None):
        self.exp = exp
        self.p = params
        self.device = device
        self.staging = staging
        self.engine = engine
        self.quick = quick
        self.scheduler = scheduler
        self.netlists: list[str] = []
        self.probes: dict = {}

    def simulate(self, items: list[tuple[str, Netlist]]) -> list[Waveforms]:
        """Write each ``(tag, netlist)`` as ``NAME/tag.cir`` (ngspice) or ``NAME/tag.sim`` plus the
        ``.va`` models it loads (VACASK), and simulate them all with the context's engine."""
        if self.engine == "vacask":
            return self._simulate_vacask(items)
        texts = []
        for tag, net in items:
            check_name(tag, "netlist tag")
            text = write(net)
            path = self.staging / f"{tag}.cir"
            path.write_text(text)
            self.netlists.append(f"{self.exp.name}/{tag}.cir")
            for neuron, pr in net.probes.items():
                self.probes.setdefault(neuron, pr)
            texts.append(text)
        return simulate_many(texts, scheduler=self.scheduler)

    def _simulate_vacask(self, items):
        from concurrent.futures import ThreadPoolExecutor

        from circuits import vacask

        for tag, net in items:
            check_name(tag, "netlist tag")
            deck, va = vacask.render(net)
            (self.staging / f"{tag}.sim").write_text(deck)
            for name, text in va.items():
                (self.staging / name).write_text(text)
            self.netlists.append(f"{self.exp.name}/{tag}.sim")
            for neuron, pr in net.probes.items():
                self.probes.setdefault(neuron, pr)
        # each run is its own VACASK process: threads are enough to keep the cores busy
        workers = int(os.environ.get("MEMSPIKE_WORKERS", 0)) or (os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(lambda item: vacask.simulate(item[1]), items))

    def spikes(self, wf: Waveforms, net: Netlist, neuron: str | None = None,
               device: NbOxParams | None = None, **kw) -> Spikes:
        neuron = neuron or next(iter(net.probes))
        return detect_spikes(wf.time, wf[net.probes[neuron]["i"]],
                             spike_threshold(device or self.device), **kw)


def spike_threshold(dev: NbOxParams) -> float:
    """Detection threshold (A): geometric mean of the largest off current at v_th
    and the on current at v_hold; both states are decades apart."""
    i_off = dev.v_th / dev.off_resistance(dev.v_th)
    i_on = dev.v_hold / dev.r_on
    return float(np.sqrt(i_off * i_on))


# --------------------------------------------------------------------------- overrides
def apply_overrides(exp: Experiment, sets: dict[str, str], quick: bool = False):
    """``--set`` values (text) -> validated (circuit params, device params)."""
    base = exp.params()
    if quick and exp.quick:
        base = base.replace(**exp.quick)
    circuit, device = {}, {}
    for key, text in sets.items():
        if key.startswith("device."):
            name = key[len("device."):]
            if name not in NbOxParams.names():
                raise ParameterError(key, text, "one of " + ", ".join("device." + n for n in NbOxParams.names()))
            device[name] = parse_si(key, text)
        else:
            if key not in exp.params.names():
                raise ParameterError(key, text, "one of " + ", ".join(exp.params.names())
                                     + " (or device.<name>)")
            circuit[key] = parse_si(key, text)
    return base.replace(**circuit), NbOxParams().replace(**device)


# --------------------------------------------------------------------------- execution
def execute(name: str, out: Path, *, engine: str = "ngspice", sets: dict[str, str] | None = None,
            quick: bool = False, scheduler: str | None = None) -> dict:
    """Run experiment ``name`` and write its JSON, PNG and netlists under ``out``."""
    if name not in REGISTRY:
        raise ParameterError("experiment", name, "one of " + ", ".join(REGISTRY))
    exp = REGISTRY[name]
    if engine not in ENGINES:
        raise ParameterError("engine", engine, "one of " + ", ".join(ENGINES))
    if engine not in exp.engines:
        raise ParameterError("engine", engine, f"one of {', '.join(exp.engines)} for {name}")
    if engine == "vacask" and scheduler:
        raise ParameterError("scheduler", scheduler, "no scheduler with --engine vacask (it runs locally)")
    params, device = apply_overrides(exp, sets or {}, quick)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=out) as tmp:
        staging = Path(tmp, name)
        staging.mkdir()
        ctx = Context(exp, params, device, staging, engine, quick, scheduler)
        outcome: Outcome = exp.run(ctx)
        runtime = time.perf_counter() - t0
        doc = {
            "experiment": name,
            "figure": exp.figure,
            "engine": engine,
            "version": __version__,
            "quick": quick,
            "parameters": {"circuit": {**params.as_dict()}, "device": device.as_dict()},
            "results": outcome.results,
            "checks": [c.as_dict() for c in outcome.checks],
            "netlists": ctx.netlists,
            "probes": ctx.probes,
            "notes": outcome.notes,
            "runtime_s": round(runtime, 3),
        }
        save_figure_atomic(outcome.figure, out / f"{name}.png")
        plt.close(outcome.figure)
        replace_dir(staging, out / name)
    write_json_atomic(out / f"{name}.json", doc)
    return doc


# --------------------------------------------------------------------------- check helpers
def within(name: str, paper: float, sim: float, tol: float, unit: str = "") -> Check:
    ok = bool(np.isfinite(sim) and abs(sim - paper) <= tol)
    return Check(name, paper, sim, f"+/- {tol:g} {unit}".strip(), ok)


def trend(name: str, x, y, direction: str, min_span: float | None = None) -> Check:
    """Monotonic trend check: ``direction`` 'rises' (non-decreasing, last > first) or 'falls'."""
    y = np.asarray(y, float)
    d = np.diff(y)
    if direction == "rises":
        ok = bool(np.all(d >= 0) and y[-1] > y[0])
    else:
        ok = bool(np.all(d <= 0) and y[-1] < y[0])
    tol = f"monotonic, {direction}"
    span = float(y.max() - y.min())
    if min_span is not None:
        ok = ok and span >= min_span
        tol += f", span >= {min_span:g}"
    return Check(name, direction, {"x": list(map(float, x)), "y": y.tolist(), "span": span}, tol, ok)


__all__ = ["Check", "Context", "Experiment", "Outcome", "REGISTRY", "register", "execute",
           "within", "trend", "spike_threshold"]
