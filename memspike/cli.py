"""memspike: SPICE co-simulation of memristive spiking neurons (Duan et al. 2020).

Commands: list, params NAME, run NAME, reproduce, export, and the bench loop:
fit iv MEASURED, fit neuron MEASURED (write OUT/device.json, which run, reproduce
and compare take as --device FILE) and compare MEASURED. Flags go after the
command's name: run, reproduce, export, fit and compare take --out (their output
folder), and every command takes -v/--verbose and -q/--quiet. extract writes a
point neuron (LIF) of the neuron circuit from ngspice runs (--out FILE); extract
--neuron FILE checks one after editing; run fig7gh --neuron FILE runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shlex
import sys
from pathlib import Path

from circuits.format import parse_si
from pyspice_models.params import ParameterError

from .text import fmt, fmt_pm, meaning_of, value_text


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"memspike: error: {message}\n")


def _parse_sets(items) -> dict[str, str]:
    sets = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError("--set", item, "KEY=VALUE with an SI number, e.g. R_L=3.6k")
        k, v = item.split("=", 1)
        if not k.replace("_", "").replace(".", "").isalnum() or not k.isascii():
            raise ParameterError("--set", k, "a parameter name of letters, digits, _ and . (see memspike params NAME)")
        if k in sets:
            raise ParameterError(k, v, "given once")
        sets[k] = v
    return sets


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="log what is being done")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars, no summary")
    ap = _Parser(prog="memspike", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    sub.add_parser("list", parents=[common], help="list experiments, their figures and engines")
    pa = sub.add_parser("params", parents=[common], help="every settable key of an experiment: unit, default, "
                        "range, reason (device keys too)")
    pa.add_argument("name")
    pa.add_argument("--device", default=None, help="the NbOx model whose device keys to list (default: the "
                    "experiment's default, nbox_et)")
    r = sub.add_parser("run", parents=[common], help="run one experiment")
    r.add_argument("name")
    r.add_argument("--out", default="results", help="output folder (default: results)")
    r.add_argument("--engine", default="ngspice", help="ngspice (default), or vacask or vector (the device "
                   "equations in numba, many circuits at once) where the experiment has it (see memspike list)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter (memspike params NAME lists them), e.g. C_m=30pF or device.T0=320K")
    r.add_argument("--device", default=None, help="the NbOx neuron model: nbox_et (electro-thermal, default) or "
                   "nbox_ts (behavioural, faster; the figures' circuit values are calibrated on nbox_et), or a "
                   "device file (OUT/device.json of memspike fit): its model and values, recorded in the JSON")
    r.add_argument("--neuron", default=None, metavar="FILE", help="a point-neuron file (memspike extract; edited "
                   "or not) for an experiment that runs on a point neuron (fig7gh): used instead of extracting one "
                   "from ngspice runs, recorded in the JSON")
    r.add_argument("--quick", action="store_true", help="the reduced variant used by reproduce --quick")
    r.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    rp = sub.add_parser("reproduce", parents=[common], help="run every experiment and write report.md / .html")
    rp.add_argument("--out", default="results", help="output folder (default: results)")
    rp.add_argument("--quick", action="store_true", help="reduced sweeps, every check still run")
    rp.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    rp.add_argument("--device", default=None, help="a device file (memspike fit) or model name for every experiment "
                    "that takes it (the others are skipped, and say so)")
    ex = sub.add_parser("export", parents=[common], help="write standalone decks, model libraries and Verilog-A")
    ex.add_argument("--out", default="netlists", help="output folder (default: netlists)")
    _bench_parsers(sub, common)
    xt = sub.add_parser("extract", parents=[common], help="reduce the NbOx neuron circuit to a point neuron (LIF: "
                        "threshold, reset, tau_m, refractory, gains) from ngspice runs; write it as JSON")
    xt.add_argument("--out", default="neuron.json", help="the neuron file to write (default: neuron.json)")
    xt.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="the circuit: R_L, C_m, R_2 (a second synapse, Fig. 3a), or device.NAME")
    xt.add_argument("--device", default=None, help="the NbOx model: nbox_et (default) or nbox_ts, or a device file "
                    "(memspike fit)")
    xt.add_argument("--neuron", default=None, metavar="FILE", help="check a neuron file instead (after editing it): "
                    "validate it and print its values; nothing is simulated or written")
    xt.add_argument("--quick", action="store_true", help="fewer ngspice runs (coarser onset and latch)")
    return ap


def _columns(p) -> None:
    """The flags that say how to read a measured file."""
    from analysis.instruments import FORMATS

    g = p.add_argument_group("reading the measured file (the format and the columns are found by themselves)")
    g.add_argument("--format", default=None, choices=list(FORMATS), help="the file's format, if detection is wrong")
    g.add_argument("--time", default=None, metavar="COLUMN", help="the time column (default: the column in s)")
    g.add_argument("--voltage", default=None, metavar="COLUMN", help="the device (membrane) voltage column")
    g.add_argument("--current", default=None, metavar="COLUMN", help="the device current column (default: the "
                   "column in A)")
    g.add_argument("--input", default=None, metavar="COLUMN", help="the input (applied) voltage column, if any")
    g.add_argument("--shunt", default=None, metavar="OHM", help="the current column is a voltage across this "
                   "sense resistor")


def _bench_parsers(sub, common) -> None:
    c = sub.add_parser("compare", parents=[common], help="simulate the conditions of a measured transient and "
                       "compare: spike counts, rates, spike-time errors, NRMSE (OUT/compare.json, .png)")
    c.add_argument("measured", help="the measured file (B1500, Infiniium, InfiniiVision, Tektronix or generic CSV)")
    c.add_argument("--experiment", default="neuron", help="the experiment that simulates the conditions "
                   "(default: neuron; dendrite and switching also give one transient)")
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="the measurement's conditions, "
                   "as for run (memspike params EXPERIMENT lists them)")
    c.add_argument("--device", default=None, help="model name or device file (OUT/device.json of memspike fit)")
    c.add_argument("--engine", default="ngspice", help="ngspice (default) or vacask where the experiment has it")
    c.add_argument("--out", default="results", help="output folder (default: results)")
    c.add_argument("--threshold", default=None, metavar="AMPS", help="spike detection current (default: the "
                   "device's, as the experiments use)")
    c.add_argument("--align", default="auto", help="the signal whose cross-correlation sets the time offset: "
                   "auto (input, else voltage, else current), input, voltage, current, or none")
    c.add_argument("--max-shift", default=None, metavar="SECONDS", help="the largest time offset to consider")
    _columns(c)
    f = sub.add_parser("fit", parents=[common], help="fit a device to measured data: writes OUT/device.json")
    fs = f.add_subparsers(dest="what", required=True, parser_class=_Parser)
    fi = fs.add_parser("iv", parents=[common], help="Vth, Vhold, Ron, Roff per polarity (cycle statistics) from an "
                       "I-V sweep, and the device fitted to them")
    fi.add_argument("measured", help="the measured I-V file")
    fi.add_argument("--out", default="results", help="output folder (default: results)")
    fi.add_argument("--model", default=None, help="nbox_et (default: fits G0, R_th, R_s) or nbox_ts (v_th, v_hold, "
                    "r_on, r_off, v_nl)")
    fi.add_argument("--device", default=None, help="the starting device: model name or device file")
    fi.add_argument("--set", action="append", default=[], metavar="device.KEY=VALUE",
                    help="a device value held fixed (or a starting value), e.g. device.Ea=0.28")
    fi.add_argument("--polarity", default="both", choices=("both", "pos", "neg"), help="the polarities to use "
                    "(default: both, which must both be in the file)")
    fi.add_argument("--v-read", default="0.1", metavar="VOLTS", help="where Roff is read (default 0.1 V)")
    fi.add_argument("--series-resistance", default="0", metavar="OHM", help="a resistance in series with the "
                    "device whose drop the voltage column includes (subtracted: V - I R)")
    _columns(fi)
    fn = fs.add_parser("neuron", parents=[common], help="the dynamic device parameters fitted to a measured spiking "
                       "transient (least squares, the simulator in the loop)")
    fn.add_argument("measured", help="the measured transient (time, current; membrane and input voltage help)")
    fn.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="the circuit and stimulus of "
                    "the measurement (neuron keys: R_L, C_m, amplitude, width, interval, n_pulses...) and fixed "
                    "device values (device.KEY)")
    fn.add_argument("--fit", default=None, help="the parameters to fit, comma separated (default: G0,R_s,C_th for "
                    "nbox_et; v_th,v_hold,r_on for nbox_ts)")
    fn.add_argument("--device", default=None, help="the starting device: model name or device file")
    fn.add_argument("--engine", default="ngspice", help="ngspice (default) or vacask")
    fn.add_argument("--out", default="results", help="output folder (default: results)")
    fn.add_argument("--threshold", default=None, metavar="AMPS", help="spike detection current")
    fn.add_argument("--max-evals", default=60, type=int, help="most simulator evaluations of the least squares "
                    "(default 60)")
    _columns(fn)


def _si(name, text, unit):
    if text is None:
        return None
    from circuits.format import parse_si

    return parse_si(name, str(text), unit)


def _column_args(args) -> dict:
    cols = {k: getattr(args, k) for k in ("time", "voltage", "current", "input") if getattr(args, k) is not None}
    if args.shunt is not None:
        cols["shunt"] = _si("--shunt", args.shunt, "ohm")
        if not cols["shunt"] > 0:
            raise ParameterError("--shunt", args.shunt, "a positive resistance")
    return cols


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.command_line = "memspike " + " ".join(shlex.quote(a) for a in argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from circuits.runner import SimulationError

    try:
        return _dispatch(args)
    except ParameterError as e:
        print(f"memspike: error: {e}", file=sys.stderr)
        return 2
    except SimulationError as e:
        msg = " | ".join(str(e).splitlines())
        print(f"memspike: simulation failed: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        from circuits.executor import shutdown

        shutdown(kill=True)
        print("memspike: interrupted; the unfinished experiment left nothing behind (finished ones are kept)",
              file=sys.stderr)
        return 130
    except OSError as e:
        print(f"memspike: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1


def _dispatch(args) -> int:
    if args.cmd == "list":
        from .experiments import REGISTRY

        wn = max(len(n) for n in REGISTRY)
        wf = max(len(e.figure) for e in REGISTRY.values())
        for name, exp in REGISTRY.items():
            print(f"{name:{wn}s}  {exp.figure:{wf}s}  {exp.summary} [{', '.join(exp.engines)}]")
        return 0
    if args.cmd == "params":
        print_params(args.name, args.device)
        return 0
    if args.cmd == "run":
        from .experiments import execute

        doc = execute(args.name, Path(args.out), engine=args.engine, sets=_parse_sets(args.set),
                      quick=args.quick, scheduler=args.scheduler, progress=not args.quiet, device=args.device,
                      neuron=args.neuron)
        if not args.quiet:
            print("\n".join(summary(doc, Path(args.out))))
        return 0
    if args.cmd == "reproduce":
        from .report import reproduce

        ok = reproduce(Path(args.out), quick=args.quick, scheduler=args.scheduler, quiet=args.quiet,
                       **({"device": args.device} if args.device else {}))
        return 0 if ok else 1
    if args.cmd in ("compare", "fit"):
        with _no_empty_folder(Path(args.out)):
            return _bench(args)
    if args.cmd == "export":
        from .experiments.base import check_out
        from .export import export

        out = check_out(Path(args.out), [])
        for sub in ("decks", "models", "va", "README.md"):
            if (out / sub).exists() and (out / sub).is_dir() != (sub != "README.md"):
                raise ParameterError("--out", str(out), f"a folder where {sub} can be written (something in the way)")
        for path in export(out):
            if not args.quiet:
                print(path)
        return 0
    if args.cmd == "extract":
        with _no_empty_folder(Path(args.out).parent):
            return extract(args)
    return 2


@contextlib.contextmanager
def _no_empty_folder(folder: Path):
    """A command that creates its output folder and then refuses its input (or fails) leaves no empty folder."""
    new = []                                    # the folders that do not exist yet, innermost first
    p = folder.absolute()
    while not p.exists() and p != p.parent:
        new.append(p)
        p = p.parent
    try:
        yield
    except BaseException:
        for d in new:
            try:
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
            except OSError:
                break
        raise


def extract(args) -> int:
    """``memspike extract``: the point neuron of a circuit, or (``--neuron``) a check of a neuron file."""
    from networks.point import PointNeuron

    if args.neuron is not None:
        if args.set or args.device:
            raise ParameterError("--neuron", args.neuron, "given alone (a file is checked, not extracted: "
                                 "--set and --device do not apply)")
        neuron = PointNeuron.load(args.neuron)
        if not args.quiet:
            print("\n".join([f"{args.neuron}: a valid point neuron", *("  " + x for x in neuron.summary())]))
        return 0
    from networks.point import ExtractParams, extract
    from pyspice_models import DEFAULT_NEURON, NEURON_DEVICES

    from . import __version__
    from .bench import resolve_device
    from .experiments.base import check_out

    model, start, dfile = resolve_device(args.device)
    model = model or DEFAULT_NEURON
    if model not in NEURON_DEVICES:
        raise ParameterError("--device", model, "one of " + ", ".join(NEURON_DEVICES) + ", or a device file")
    circ, dev = {}, {}
    for key, text in _parse_sets(args.set).items():
        cls, changes, name = (NEURON_DEVICES[model], dev, key[7:]) if key.startswith("device.") else (
            ExtractParams, circ, key)
        if name not in cls.names():
            raise ParameterError(key, text, "one of " + ", ".join([*ExtractParams.names()] + [
                f"device.{n}" for n in NEURON_DEVICES[model].names()]))
        changes[name] = parse_si(key, text, cls.field_meta(name)["unit"])
    params = ExtractParams().replace(**circ)
    device = (start if start is not None else NEURON_DEVICES[model]()).replace(**dev)
    out = Path(args.out)
    if out.is_dir():
        raise ParameterError("--out", str(out), "a file name (this is a folder)")
    check_out(out.parent if str(out.parent) else Path("."), [], file=out)
    neuron = extract(params.circuit(), device, quick=args.quick, version=__version__, device_model=model)
    if dfile is not None:
        neuron.provenance["device_file"] = dfile.record()
    neuron.provenance["command"] = args.command_line
    neuron.save(out)
    if not args.quiet:
        print("\n".join([f"point neuron of {neuron.provenance['circuit']['kind']}, R = "
                         f"{', '.join(f'{r:g}' for r in params.circuit().R)} ohm, C_m = {params.C_m:g} F, "
                         f"device {model}:", *("  " + x for x in neuron.summary()), f"wrote {out}"]))
    return 0


def _bench(args) -> int:
    from . import bench

    cols = _column_args(args)
    if args.cmd == "compare":
        doc = bench.compare(args.measured, Path(args.out), experiment=args.experiment, sets=_parse_sets(args.set),
                            device=args.device, engine=args.engine, columns=cols, fmt_name=args.format,
                            threshold=_si("--threshold", args.threshold, "A"), align_on=args.align,
                            max_shift=_si("--max-shift", args.max_shift, "s"), command=args.command_line)
        if not args.quiet:
            print("\n".join(compare_summary(doc, Path(args.out))))
        return 0
    if args.what == "iv":
        doc = bench.fit_iv(args.measured, Path(args.out), model=args.model, device=args.device,
                           sets=_parse_sets(args.set), polarity=args.polarity,
                           v_read=_si("--v-read", args.v_read, "V"),
                           series_resistance=_si("--series-resistance", args.series_resistance, "ohm"),
                           columns=cols, fmt_name=args.format, command=args.command_line)
    else:
        fit = [k.strip() for k in args.fit.split(",") if k.strip()] if args.fit else None
        doc = bench.fit_neuron(args.measured, Path(args.out), sets=_parse_sets(args.set), device=args.device, fit=fit,
                               engine=args.engine, threshold=_si("--threshold", args.threshold, "A"), columns=cols,
                               fmt_name=args.format, max_evals=args.max_evals, command=args.command_line,
                               quiet=args.quiet)
    if not args.quiet:
        print("\n".join(fit_summary(doc, Path(args.out))))
    return 0


def _m(doc) -> str:
    m = doc["measured"]
    return f"{m['path']}: {m['format_name']} (detected by {m['detected_by']}), {m['rows']} rows"


def compare_summary(doc: dict, out: Path) -> list[str]:
    sp, al = doc["spikes"], doc["alignment"]
    te = sp["time_errors"]
    dfile = doc["parameters"].get("device_file")
    lines = [_m(doc), f"compare with {doc['experiment']} ({doc['engine']}, {doc['parameters']['device_model']}"
             + (f", device file {dfile['path']}" if dfile else "")
             + f"): {doc['runtime_s']:.1f} s",
             f"  time offset = {fmt(al['shift'])} s (cross-correlation of {al['signal']}, step {fmt(al['dt'])} s)",
             f"  spikes: measured {sp['measured']['count']} ({fmt(sp['measured']['rate'])} Hz), simulated "
             f"{sp['simulated']['count']} ({fmt(sp['simulated']['rate'])} Hz) above {fmt(sp['detection_height_A'])} A"
             + (f" (the measured noise, {fmt(sp['noise_A'])} A rms, raised it from {fmt(sp['threshold_A'])} A)"
                if sp["detection_height_A"] > sp["threshold_A"] else ""),
             f"  spike times: {te['matched']} matched, {te['missed']} missed, {te['extra']} extra; error mean "
             f"{fmt(te['mean'])} s, rms {fmt(te['rms'])} s, max {fmt(te['max_abs'])} s"]
    for k, e in doc["errors"].items():
        lines.append(f"  NRMSE {dict(i='current', v='voltage', vin='input')[k]} = {fmt(e['nrmse'])}")
    lines += [f"  warning: {w}" for w in doc.get("warnings", [])]
    lines.append(f"wrote {out / 'compare.json'}, {out / 'compare.png'}, {out / 'compare'}/")
    return lines


def fit_summary(doc: dict, out: Path) -> list[str]:
    lines = [_m(doc)]
    if doc["command"] == "fit iv":
        ex = doc["extracted"]
        for pol in ("pos", "neg"):
            if pol in ex:
                e = ex[pol]
                lines.append(f"  {pol}: " + ", ".join(
                    f"{k} = {fmt(e[k]['mean'])} +/- {fmt(e[k]['std'])}" for k in ("v_th", "v_hold", "r_on", "r_off"))
                    + f" ({e['v_th']['n']} cycles)")
    f = doc["fit"]
    lines.append(f"{doc['model']} fitted ({doc['runtime_s']:.1f} s):")
    for k, v in f["fitted"].items():
        val = fmt_pm(v["value"], v["stderr"]).replace("±", "+/-")
        missing = " (its error is not determined)" if v["stderr"] is None else ""
        lines.append(f"  {k} = {val} {v['unit']}{missing} (start {fmt(v['initial'])})")
    for w in f["warnings"]:
        lines.append(f"  warning: {w}")
    name = "fit_iv" if doc["command"] == "fit iv" else "fit_neuron"
    lines.append(f"wrote {doc['device_file']} (use: --device {doc['device_file']}), {out / (name + '.json')}, "
                 f"{out / (name + '.png')}")
    return lines


def print_params(name: str, device: str | None = None) -> None:
    from pyspice_models import NEURON_DEVICES

    from .experiments import REGISTRY

    if name not in REGISTRY:
        raise ParameterError("experiment", name, "one of " + ", ".join(REGISTRY))
    from .bench import resolve_device

    exp = REGISTRY[name]
    model, dev, dfile = resolve_device(device)
    if model is not None and model not in exp.devices:
        raise ParameterError("--device", str(device), f"one of {', '.join(exp.devices)} for {name}")
    device = model or exp.devices[0]
    default = exp.params()
    rows = [(k, unit, value_text(getattr(default, k), unit), rng, doc) for k, unit, doc, rng in exp.params.table()]
    dev = dev if dev is not None else NEURON_DEVICES[device]()
    rows += [(f"device.{k}", unit, fmt(getattr(dev, k)), rng, meaning_of(dev, k, unit, doc))
             for k, unit, doc, rng in dev.table()]
    if exp.synapse:
        from pyspice_models.taox import TaOxParams

        syn = TaOxParams()
        rows += [(f"synapse.{k}", unit, fmt(getattr(syn, k)), rng, doc) for k, unit, doc, rng in syn.table()]
    print(f"{exp.name} ({exp.figure}): {exp.summary}")
    print(f"device: {device}" + (f" from {dfile.path}" if dfile else "")
          + f" (other models: --device {', '.join(d for d in exp.devices if d != device) or 'none'})")
    print("set with --set KEY=VALUE (SI suffixes and unit names allowed: 30p, 30pF, 3.6kOhm, 1us)")
    w = max(len(r[0]) for r in rows)
    for key, unit, value, rng, doc in rows:
        print(f"  {key:<{w}}  {value:>9} {unit:<4} {rng}")
        print(f"  {'':<{w}}  {doc}")
    if exp.quick:
        print("--quick uses " + ", ".join(f"{k}={fmt(v)}" for k, v in exp.quick.items()))


# units of the headline results the run summary prints (results in the JSON are SI; their definitions say so)
HEADLINE_UNITS = {"mean_abs_v_th": "V", "mean_abs_v_hold": "V", "std_v_th": "V", "t_on": "s", "t_off": "s",
                  "v_peak": "V", "i_peak": "A", "ndr_depth": "V", "dvth_dT0": "V/K", "T0_critical": "K",
                  "rate": "Hz", "energy_per_spike": "J", "refractory_time": "s", "g_initial": "S",
                  "g_after_set": "S", "g_after_reset": "S", "tau_thermal": "s", "R_L_C_m": "s", "gap": "s",
                  "frequency": "Hz", "rate_s1": "Hz", "rate_s2": "Hz", "rate_both": "Hz", "rate_single": "Hz",
                  "rates": "Hz", "dt": "s", "m": "V", "gain": "spikes/Hz", "rate_sync": "Hz",
                  "peak_memory_bytes": "B"}


def summary(doc: dict, out: Path) -> list[str]:
    """What a person wants after a run: the headline results and the checks, 4 significant digits."""
    from .experiments import REGISTRY

    exp = REGISTRY[doc["experiment"]]
    lines = [f"{doc['experiment']} ({doc['figure']}): {len(doc['netlists'])} simulations, {doc['engine']}, "
             f"{doc['runtime_s']:.1f} s" + (" (quick variant)" if doc["quick"] else "")]
    for key in exp.headline:
        value = doc["results"][key]
        if isinstance(value, dict) and isinstance(value.get("seed"), list) and "spike_count" in value:
            lines.append(f"  {key}: spike_count " + ", ".join(
                f"{c} (seed {sd})" for sd, c in zip(value["seed"], value["spike_count"], strict=False)))
            continue
        if isinstance(value, dict) and "spike_count" in value:
            value = value["spike_count"]
        unit = HEADLINE_UNITS.get(key) if not isinstance(value, dict) else None
        lines.append(f"  {key} = {fmt(value)}" + (f" {unit}" if unit else ""))
    if doc["checks"]:
        n = sum(c["pass"] for c in doc["checks"])
        lines.append(f"  checks: {n}/{len(doc['checks'])} passed")
        for c in doc["checks"]:
            warn = f"  [warnings: {'; '.join(c['warnings'])}]" if c["warnings"] else ""
            lines.append(f"  [{'PASS' if c['pass'] else 'FAIL'}] {c['name']}: paper {fmt(c['paper'])}, "
                         f"simulated {fmt(c['simulated'])} ({c['tolerance']}){warn}")
    margins = doc["results"].get("margins")
    if isinstance(margins, dict):
        from .experiments.base import margin_text

        for knob, v in margins.items():
            passing = {c: m for c, m in v["checks"].items() if 0.0 not in (m["minus"]["fails"], m["plus"]["fails"])}
            if not passing:
                continue
            tight = min(passing.items(), key=lambda kv: min(kv[1]["minus"]["ok"], kv[1]["plus"]["ok"]))
            lines.append(f"  margin of {knob}: {margin_text(tight[1]['minus'], v['unit'])} down, "
                         f"{margin_text(tight[1]['plus'], v['unit'])} up before '{tight[0]}' fails")
    name = doc["experiment"]
    decks = f", {out / name}/" if doc["netlists"] else " (no simulator decks: nothing was simulated)"
    lines.append(f"wrote {out / (name + '.json')}, {out / (name + '.png')}{decks}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
