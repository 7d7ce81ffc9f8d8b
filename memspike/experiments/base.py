"""The experiment framework: declarations, registry, run context and the results contract.

An experiment is declared once, in its own module of this package, by
:func:`experiment`: a parameter class (the figure's "parameter file": each
field's doc says why its value was chosen), ``run(ctx) -> Results``,
``plot(Results) -> Figure`` and ``paper``, the one table of the paper's values
that its checks, its plot and the report all read. Modules of this package
are discovered by name, so adding an experiment touches one new module only.

:func:`execute` validates everything first (parameters, engine, output
folder), then runs, plots and writes ``DIR/NAME.json``, ``DIR/NAME.png`` and
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
from circuits.engines import engines as registered_engines
from circuits.engines import get as get_engine
from circuits.executor import simulate_many, workers_default
from circuits.format import check_name, parse_si
from circuits.netlist import Netlist
from circuits.runner import Waveforms
from pyspice_models import DEFAULT_NEURON, NEURON_DEVICES, device_name
from pyspice_models.params import ParameterError, Params, describe_range
from pyspice_models.taox import TaOxParams

from .. import __version__
from ..io import apply_umask, replace_dir, save_figure_atomic, write_json_atomic
from ..text import fmt, json_params, meaning_of

log = logging.getLogger(__name__)

ENGINES = tuple(registered_engines())   # the engines that exist; each experiment lists those it supports


# --------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Ref:
    """A value printed in the paper: the number (or shape) a check compares with."""

    value: object
    unit: str = ""
    source: str = ""                 # where in the paper, e.g. "Fig. 3c"
    tol: float | None = None         # the tolerance the checks allow, same unit

    def as_dict(self) -> dict:
        return {"value": self.value, "unit": self.unit, "source": self.source, "tol": self.tol}


@dataclass
class Check:
    name: str
    paper: object
    simulated: object
    tolerance: str
    passed: bool
    warnings: list[str] = field(default_factory=list)   # e.g. the warnings of the fit a check reads

    def as_dict(self):
        return {"name": self.name, "paper": self.paper, "simulated": self.simulated,
                "tolerance": self.tolerance, "pass": bool(self.passed), "warnings": list(self.warnings)}


@dataclass
class Results:
    """What ``run`` returns: JSON results, checks and notes, plus ``data`` for the plot only."""

    results: dict
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)          # waveforms, spikes, fits: never written
    # filled in by execute() before plotting
    params: Params | None = None
    paper: dict[str, Ref] = field(default_factory=dict)


@dataclass(frozen=True)
class Knob:
    """A value whose tolerance a run measures: shifted each way in ``steps`` until each check fails.

    ``keys``: ``device.threshold`` (the device's quasi-static threshold voltage, moved by ``steps`` V
    through the device's own ``with_threshold``: ``G0`` for the electro-thermal model), ``device.NAME``
    (shifted by ``steps``, in its unit) or circuit parameters (scaled together by ``1 +/- step``:
    ``relative``).
    """

    name: str
    keys: tuple[str, ...]
    steps: tuple[float, ...]
    relative: bool
    unit: str

    def apply(self, params: Params, device: Params, shift: float) -> tuple[Params, Params]:
        if "device.threshold" in self.keys:
            device = device.with_threshold(device.threshold() + shift)
        dev = {k[7:]: getattr(device, k[7:]) + shift for k in self.keys
               if k.startswith("device.") and k != "device.threshold"}
        circ = {k: getattr(params, k) * (1 + shift) if self.relative else getattr(params, k) + shift
                for k in self.keys if not k.startswith("device.")}
        return params.replace(**circ), device.replace(**dev)


VTH_KNOB = Knob("device threshold", ("device.threshold",), (0.005, 0.01, 0.02, 0.04), False, "V")


def synapse_knob(*keys: str) -> Knob:
    """The synaptic resistors ``keys`` scaled together (a process shift of the TaOx/resistor values)."""
    return Knob("+".join(keys), keys, (0.02, 0.05, 0.1, 0.2), True, "")


@dataclass(frozen=True)
class Experiment:
    name: str
    figure: str
    params: type[Params]
    run: Callable[[Context], Results]
    plot: Callable[[Results], object]
    paper: dict[str, Ref]
    keys: tuple[str, ...]            # result keys the results contract promises
    headline: tuple[str, ...]        # result keys printed after a run
    engines: tuple[str, ...]
    quick: dict                      # parameter changes for --quick
    order: float                     # position in list/reproduce (paper order)
    summary: str
    margins: tuple[Knob, ...] = ()   # values whose tolerance a full run measures
    devices: tuple[str, ...] = tuple(NEURON_DEVICES)   # NbOx models it runs with (the first is its default)
    synapse: bool = False            # has TaOx synapses (ctx.synapse; synapse.* keys)
    point_neuron: tuple[str, ...] = ()   # runs on a point neuron it extracts from these circuit keys (and the
                                         # device); non-empty: takes a neuron file instead (--neuron FILE)

    def quick_params(self) -> Params:
        return self.params().replace(**self.quick)


REGISTRY: dict[str, Experiment] = {}


def experiment(*, name: str, figure: str, params: type[Params], run, plot, order: float,
               paper: dict[str, Ref] | None = None, keys=(), headline=None, engines=("ngspice",),
               quick: dict | None = None, margins=(), devices=None, synapse: bool = False,
               point_neuron=()) -> Experiment:
    """Declare and register an experiment (call it once, at the end of the experiment's module)."""
    check_name(name, "experiment name")
    if name in REGISTRY:
        raise ValueError(f"experiment {name!r} is declared twice")
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise ValueError(f"{name}: unknown engines {unknown}")
    quick = dict(quick or {})
    params().replace(**quick)                       # a quick variant that does not validate is a bug
    devices = tuple(devices or (DEFAULT_NEURON, *(d for d in NEURON_DEVICES if d != DEFAULT_NEURON)))
    if any(d not in NEURON_DEVICES for d in devices):
        raise ValueError(f"{name}: unknown devices {devices}")
    summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else ""
    exp = Experiment(name, figure, params, run, plot, dict(paper or {}), tuple(keys),
                     tuple(headline if headline is not None else keys), tuple(engines), quick, order, summary,
                     tuple(margins), devices, bool(synapse), tuple(point_neuron))
    if any(k not in params.names() for k in exp.point_neuron):
        raise ValueError(f"{name}: point_neuron keys {exp.point_neuron} are not all parameters")
    REGISTRY[name] = exp
    return exp


# --------------------------------------------------------------------------- run context
class Context:
    """What an experiment sees: its parameters, the device, and a way to simulate."""

    def __init__(self, exp: Experiment, params: Params, device: Params, staging: Path,
                 engine: str = "ngspice", quick: bool = False, scheduler: str | None = None,
                 progress: bool = False, synapse: TaOxParams | None = None, neuron=None):
        self.exp = exp
        self.p = params
        self.device = device
        self.synapse = synapse if synapse is not None else TaOxParams()     # the TaOx synapse (crossbars)
        self.neuron = neuron              # a point neuron from a file (--neuron), or None: extract one
        self.staging = staging
        self.engine = engine
        self.quick = quick
        self.scheduler = scheduler
        self.progress = progress
        self.netlists: list[str] = []
        self.probes: dict = {}

    def _stage(self, tag: str, net: Netlist, suffix: str) -> None:
        check_name(tag, "netlist tag")
        net.header = deck_header(self, f"{tag}{suffix}")
        self.netlists.append(f"{self.exp.name}/{tag}{suffix}")
        for neuron, pr in net.probes.items():
            self.probes.setdefault(neuron, pr)

    def simulate(self, items: list[tuple[str, Netlist]]) -> list[Waveforms]:
        """Write the files of each ``(tag, netlist)`` under ``NAME/`` as the context's engine renders them
        (``tag.cir`` for ngspice; ``tag.sim`` and the ``.va`` models it loads for VACASK), and simulate
        them all with that engine."""
        engine = get_engine(self.engine)
        for tag, net in items:
            self._stage(tag, net, engine.deck_suffix)
            for name, text in engine.render(net, tag).items():
                (self.staging / name).write_text(text)
        log.info("%s: %d simulation(s) in %s", self.exp.name, len(items), self.engine)
        return simulate_many([net for _, net in items], engine=self.engine, scheduler=self.scheduler,
                             progress=self._bar(len(items)))

    def _bar(self, n: int) -> str | None:
        """The progress bar's label, or None: only for several runs, on a terminal, unless quiet."""
        return self.exp.name if self.progress and n > 1 else None

    def spikes(self, wf: Waveforms, net: Netlist, neuron: str | None = None, **kw) -> Spikes:
        """The spikes of ``neuron`` (default: the netlist's first) in a run of ``net``."""
        neuron = neuron or next(iter(net.probes))
        return detect_spikes(wf.time, wf[net.probes[neuron]["i"]], self.device.spike_current(), **kw)


def param_rows(exp: Experiment, params: Params, quick: bool) -> list[tuple[str, float, str, str]]:
    """(name, value, unit, reason) of every circuit and stimulus value; a quick variant's changes say so."""
    default = exp.params()
    rows = []
    for name, unit, doc, _ in params.table():
        if quick and name in exp.quick and getattr(params, name) == exp.quick[name]:
            doc = f"quick variant (full run: {fmt(getattr(default, name))}); full run's reason: {doc}"
        elif getattr(params, name) != getattr(default, name):
            doc = meaning_of(params, name, unit, doc).replace("the default", "this figure's value", 1)
        rows.append((name, getattr(params, name), unit, doc))
    return rows


def deck_header(ctx: Context, filename: str) -> list[str]:
    """The header of a deck this run writes: the experiment, and every value that made it."""
    from ..decks import deck_header as header

    rows = param_rows(ctx.exp, ctx.p, ctx.quick)
    for prefix, params in (("device.", ctx.device), ("synapse.", ctx.synapse)):
        changed = params.non_defaults()
        rows += [(f"{prefix}{name}", getattr(params, name), unit, meaning_of(params, name, unit, doc))
                 for name, unit, doc, _ in params.table() if name in changed]
    what = f"experiment {ctx.exp.name}: {ctx.exp.summary}" + (" (quick variant)" if ctx.quick else "")
    run = get_engine(ctx.engine).command(filename)
    return header(what=what, figure=ctx.exp.figure, values=rows, version=__version__, run=run)


# --------------------------------------------------------------------------- margins
def measure_margins(ctx: Context, checks: list[Check]) -> dict:
    """How far each knob can move, each way, before each check fails (the experiment re-run, decks discarded).

    Steps are tried in increasing size; a direction stops once every check has failed. Per check and
    direction: ``ok``, the largest step tried that it still passed (0: none), and ``fails``, the
    smallest step at which it failed (None: it passed every step, so its margin is at least ``ok``).
    """
    out = {}
    for knob in ctx.exp.margins:
        per_check = {c.name: {} for c in checks}
        for sign, side in ((-1, "minus"), (1, "plus")):
            alive = {c.name for c in checks if c.passed}
            for c in checks:
                per_check[c.name][side] = {"ok": 0.0, "fails": None if c.passed else 0.0}
            for step in knob.steps:
                if not alive:
                    break
                try:
                    params, device = knob.apply(ctx.p, ctx.device, sign * step)
                except ParameterError:
                    break                           # the shifted value is not a valid device or circuit
                log.info("%s margins: %s %s%g", ctx.exp.name, knob.name, "+" if sign > 0 else "-", step)
                with tempfile.TemporaryDirectory(prefix="margins-") as tmp:
                    child = Context(ctx.exp, params, device, Path(tmp), ctx.engine, ctx.quick, ctx.scheduler,
                                    ctx.progress, synapse=ctx.synapse)
                    shifted = {c.name: c.passed for c in ctx.exp.run(child).checks}
                for name in list(alive):
                    if shifted.get(name):
                        per_check[name][side]["ok"] = step
                    else:
                        per_check[name][side]["fails"] = step
                        alive.discard(name)
        out[knob.name] = {"unit": knob.unit or "relative", "steps": list(knob.steps), "checks": per_check}
    return out


# a check that fails within this much of the nominal value "hinges on" it (say so in the output)
TIGHT = {"V": 0.01, "relative": 0.05}


def margin_notes(margins: dict) -> list[str]:
    """One note per check that fails within :data:`TIGHT` of nominal (e.g. 10 mV of device threshold)."""
    notes = []
    for knob, m in margins.items():
        limit = TIGHT.get(m["unit"])
        if limit is None:
            continue
        for check, sides in m["checks"].items():
            tight = [f"{word}: {margin_text(sides[side], m['unit'])}"
                     for side, word in (("minus", "lower"), ("plus", "higher"))
                     if sides[side]["fails"] is not None and 0 < sides[side]["fails"] <= limit]
            if tight:
                what = "millivolts of the device threshold" if m["unit"] == "V" else f"a few % of {knob}"
                notes.append(f"'{check}' hinges on {what} (margins: {'; '.join(tight)})")
    return notes


def margin_text(side: dict, unit: str) -> str:
    """``{"ok": 0.005, "fails": 0.01}`` -> '5 mV (fails at 10 mV)'; relative values in %."""
    def show(x):
        return f"{x * 1e3:g} mV" if unit == "V" else f"{x * 100:g} %" if unit == "relative" else f"{x:g} {unit}"
    if side["fails"] is None:
        return f">= {show(side['ok'])}"
    if side["fails"] == 0:
        return "fails at nominal"
    return f"{show(side['ok'])} (fails at {show(side['fails'])})" if side["ok"] else f"< {show(side['fails'])}"


# --------------------------------------------------------------------------- overrides
def _blame(err: ParameterError, key: str, meta: dict, text: str, values: dict) -> ParameterError:
    """A cross-parameter error re-worded to name the key the user set, with its own range."""
    if err.name == key.split(".")[-1]:
        return ParameterError(key, text, err.allowed)
    others = ", ".join(f"{k} = {v:g}" for k, v in values.items() if k != key.split(".")[-1])
    return ParameterError(key, text, f"{describe_range(meta)}, and consistent with the other values "
                          f"({others}): with this value, {err.name} would have to be {err.allowed}")


def apply_overrides(exp: Experiment, sets: dict[str, str], quick: bool = False,
                    device: str | None = None) -> tuple[Params, Params, TaOxParams]:
    """``--set`` values (text) -> validated (circuit params, NbOx device params of model ``device``,
    TaOx synapse params): keys ``NAME``, ``device.NAME`` and ``synapse.NAME``.

    ``device`` is a model name or a device file (:func:`memspike.bench.resolve_device`): the file's
    parameter set is the starting point that ``device.NAME`` keys change."""
    from ..bench import resolve_device

    base = exp.quick_params() if quick else exp.params()
    model, dev_start, _ = resolve_device(device)
    dev_cls = NEURON_DEVICES[model or exp.devices[0]]
    groups: dict[str, tuple[type[Params], Params, dict]] = {
        "": (exp.params, base, {}), "device.": (dev_cls, dev_start if dev_start is not None else dev_cls(), {}),
        "synapse.": (TaOxParams, TaOxParams(), {})}
    for key, text in sets.items():
        prefix = next((g for g in ("device.", "synapse.") if key.startswith(g)), "")
        if prefix == "synapse." and not exp.synapse:
            raise ParameterError(key, text, f"a key of {exp.name}: its synapses are resistors, not TaOx devices "
                                 "(synapse.* keys belong to the crossbar experiments)")
        cls, _, changes = groups[prefix]
        name = key[len(prefix):]
        if name not in cls.names():
            allowed = ", ".join(prefix + n for n in cls.names())
            more = "device.<name>, synapse.<name>" if exp.synapse else "device.<name>"
            raise ParameterError(key, text, "one of " + allowed + ("" if prefix else f" (or {more})"))
        changes[name] = parse_si(key, text, cls.field_meta(name)["unit"])
    out = []
    for prefix, (cls, default, changes) in groups.items():
        try:
            out.append(default.replace(**changes))
        except ParameterError as e:
            key = next((prefix + k for k in changes if k == e.name), None) or next(
                (prefix + k for k in changes if k in e.allowed), prefix + next(iter(changes)))
            name = key[len(prefix):]
            merged = {**default.as_dict(), **changes}
            raise _blame(e, key, cls.field_meta(name), sets[key], merged) from None
    return out[0], out[1], out[2]


# --------------------------------------------------------------------------- output folder
def check_out(out: Path, names: list[str], file: Path | None = None) -> Path:
    """Make sure results can be written under ``out`` for experiments ``names``; refuse, don't move.

    Raises :class:`ParameterError` (``--out``) before anything is written; with ``file`` (a file the
    command writes in ``out``) the error names that file, the value the user gave.
    """
    out = Path(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".memspike-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        if created and out.is_dir():
            try:
                out.rmdir()
            except OSError:
                pass
        if out.is_dir():
            why = f"{out} cannot hold a new file: {e.strerror}"
        else:
            why = f"{out} is a file" if out.exists() else f"cannot create {out}: {e.strerror}"
        if file is not None:
            raise ParameterError("--out", str(file), f"a file in a folder that can be created and written "
                                 f"({why})") from None
        raise ParameterError("--out", str(out), f"a folder that can be created and written ({why})") from None
    for name in names:
        for path, want_dir in ((out / name, True), (out / f"{name}.json", False), (out / f"{name}.png", False)):
            if path.exists() and path.is_dir() != want_dir:
                raise ParameterError("--out", str(out), f"a folder where {path.name} can be written "
                                     f"({path} is {'a folder' if path.is_dir() else 'a file'} in the way)")
    return out


# --------------------------------------------------------------------------- execution
def prepare(name: str, *, engine: str = "ngspice", sets: dict[str, str] | None = None, quick: bool = False,
            scheduler: str | None = None, device: str | None = None,
            neuron: str | None = None) -> tuple[Experiment, Params, Params, TaOxParams]:
    """Validate an invocation fully (no side effects): the experiment, engine, device model and parameters.

    ``device``: a model name (``nbox_et``, ``nbox_ts``) or a device parameter file (``memspike fit``
    writes them; :func:`memspike.bench.load_device_file`). ``neuron``: a point-neuron file (``memspike
    extract``) for an experiment that runs on a point neuron; it replaces the extraction, so the device and
    the circuit keys the extraction reads are refused beside it (they would change nothing)."""
    from ..bench import resolve_device

    if name not in REGISTRY:
        raise ParameterError("experiment", name, "one of " + ", ".join(REGISTRY))
    exp = REGISTRY[name]
    if neuron is not None:
        takes = [n for n, e in REGISTRY.items() if e.point_neuron]
        if not exp.point_neuron:
            raise ParameterError("--neuron", str(neuron), f"unset for {name} (a point-neuron file is for "
                                 f"{', '.join(takes)})")
        clash = [k for k in (sets or {}) if k in exp.point_neuron or k.startswith("device.")]
        if device is not None or clash:
            what = "--device" if device is not None else clash[0]
            raise ParameterError(what, str(getattr(device, "path", device)) if device is not None else sets[clash[0]],
                                 f"unset with --neuron (the neuron file replaces the extraction that "
                                 f"{', '.join(exp.point_neuron)} and the device feed)")
    model, _, dfile = resolve_device(device)
    if model is not None and model not in exp.devices:
        if dfile is not None:
            raise ParameterError("--device", str(dfile.path), f"a device of model {', '.join(exp.devices)} for {name} "
                                 f"(the file holds a {model} device)")
        raise ParameterError("--device", device, f"one of {', '.join(exp.devices)} for {name}")
    if engine not in exp.engines:
        raise ParameterError("--engine", engine, f"one of {', '.join(exp.engines)} for {name}")
    if engine == "vacask" and scheduler:
        raise ParameterError("--scheduler", scheduler, "unset with --engine vacask (VACASK runs locally)")
    params, device, synapse = apply_overrides(exp, sets or {}, quick, device)
    workers_default()                       # a bad MEMSPIKE_WORKERS is refused before anything is written
    return exp, params, device, synapse


def execute(name: str, out: Path, *, engine: str = "ngspice", sets: dict[str, str] | None = None,
            quick: bool = False, scheduler: str | None = None, progress: bool = False,
            device: str | None = None, neuron: str | None = None) -> dict:
    """Run experiment ``name`` and write its JSON, PNG and netlists under ``out``.

    With a device file (``device``), the JSON records it under ``parameters.device_file``: its path,
    sha256, model and provenance; with a point-neuron file (``neuron``), under ``parameters.neuron_file``:
    its path, sha256, values and provenance."""
    from ..bench import resolve_device

    dfile = resolve_device(device)[2]
    if dfile is not None:
        device = dfile                      # loaded once: what runs is what the JSON records
    exp, params, device, synapse = prepare(name, engine=engine, sets=sets, quick=quick, scheduler=scheduler,
                                           device=device, neuron=neuron)
    point = nfile = None
    if neuron is not None:
        from networks.point import PointNeuron, recorded_levels

        point, digest = PointNeuron.read(neuron)
        if len(point.gains) != 1:
            raise ParameterError("--neuron", str(neuron), f"a neuron file of one synapse for {name}, which drives "
                                 f"one (this one has {len(point.gains)} gains: a two-input extraction)")
        recorded_levels(point, str(neuron))         # malformed levels: refused before anything is written
        nfile = {"path": str(Path(neuron).resolve()), "sha256": digest,
                 "neuron": point.values(), "provenance": point.provenance}
    out = check_out(out, [name])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=out) as tmp:
        staging = Path(tmp, name)
        staging.mkdir()
        ctx = Context(exp, params, device, staging, engine, quick, scheduler, progress, synapse=synapse, neuron=point)
        res: Results = exp.run(ctx)
        res.params, res.paper = params, exp.paper
        if exp.margins and not quick:
            res.results["margins"] = measure_margins(ctx, res.checks)
            res.notes += margin_notes(res.results["margins"])
        elif exp.margins:
            res.results["margins"] = "not measured in the quick variant (run without --quick)"
        missing = [k for k in exp.keys if k not in res.results]
        if missing:
            raise RuntimeError(f"{name}: results lack the promised keys {missing}")
        fig = exp.plot(res)
        runtime = time.perf_counter() - t0
        doc = {
            "experiment": name,
            "figure": exp.figure,
            "engine": engine,
            "version": __version__,
            "quick": quick,
            "parameters": {"circuit": json_params(params), "device_model": device_name(device),
                           "device": device.as_dict(), "synapse": synapse.as_dict()},
            "results": res.results,
            "checks": [c.as_dict() for c in res.checks],
            "paper": {k: r.as_dict() for k, r in exp.paper.items()},
            "netlists": ctx.netlists,
            "probes": ctx.probes,
            "notes": res.notes,
            "runtime_s": round(runtime, 3),
        }
        if dfile is not None:
            doc["parameters"]["device_file"] = dfile.record()
        if nfile is not None:
            doc["parameters"]["neuron_file"] = nfile
        save_figure_atomic(fig, out / f"{name}.png")
        plt.close(fig)
        apply_umask(staging, directory=True)
        replace_dir(staging, out / name)
    write_json_atomic(out / f"{name}.json", doc)
    log.info("%s: %d/%d checks passed in %.1f s; wrote %s", name, sum(c.passed for c in res.checks),
             len(res.checks), runtime, out / f"{name}.json")
    return doc


# --------------------------------------------------------------------------- check helpers
def within(name: str, ref: Ref, sim: float) -> Check:
    """``sim`` within the paper's tolerance of ``ref``."""
    ok = bool(np.isfinite(sim) and abs(sim - ref.value) <= ref.tol)
    return Check(name, ref.value, sim, f"+/- {fmt(ref.tol)} {ref.unit}".strip(), ok)


def below(name: str, ref: Ref, sim: float) -> Check:
    """``sim`` under the paper's bound ``ref``."""
    return Check(name, f"< {fmt(ref.value)} {ref.unit}".strip(), sim, f"< {fmt(ref.value)} {ref.unit}".strip(),
                 bool(np.isfinite(sim) and sim < ref.value))


def trend(name: str, x, y, direction: str, rel_span: float | None = None) -> Check:
    """Monotonic trend check: ``direction`` 'rises' (non-decreasing, last > first) or 'falls'.

    ``rel_span``: the sweep must also move ``y`` by at least this fraction of its largest value,
    so that a trend of a few spikes out of hundreds does not pass as one.
    """
    y = np.asarray(y, float)
    d = np.diff(y)
    if direction == "rises":
        ok = bool(np.all(d >= 0) and y[-1] > y[0])
    else:
        ok = bool(np.all(d <= 0) and y[-1] < y[0])
    tol = f"monotonic, {direction}"
    span = float(y.max() - y.min())
    if rel_span is not None:
        ok = ok and span >= rel_span * float(np.abs(y).max())
        tol += f", span >= {rel_span:.0%} of the largest value"
    return Check(name, direction, {"x": list(map(float, x)), "y": y.tolist(), "span": span}, tol, ok)


__all__ = ["Check", "Context", "ENGINES", "Experiment", "Knob", "REGISTRY", "Ref", "Results", "VTH_KNOB",
           "apply_overrides", "below", "check_out", "execute", "experiment", "margin_text", "measure_margins",
           "param_rows", "prepare", "synapse_knob", "trend", "within"]
