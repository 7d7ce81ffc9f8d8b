"""memspike: SPICE co-simulation of memristive spiking neurons (Duan et al. 2020).

Commands: list, params NAME, run NAME, reproduce, export. Flags go after the
command's name: run, reproduce and export take --out (their output folder), and
every command takes -v/--verbose and -q/--quiet.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pyspice_models.params import ParameterError

from .text import fmt


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
    r.add_argument("--engine", default="ngspice", help="ngspice (default), or vacask where the experiment "
                   "has it (see memspike list)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter (memspike params NAME lists them), e.g. C_m=30pF or device.T0=320K")
    r.add_argument("--device", default=None, help="the NbOx neuron model: nbox_et (electro-thermal, default) or "
                   "nbox_ts (behavioural, faster; the figures' circuit values are calibrated on nbox_et)")
    r.add_argument("--quick", action="store_true", help="the reduced variant used by reproduce --quick")
    r.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    rp = sub.add_parser("reproduce", parents=[common], help="run every experiment and write report.md / .html")
    rp.add_argument("--out", default="results", help="output folder (default: results)")
    rp.add_argument("--quick", action="store_true", help="reduced sweeps, every check still run")
    rp.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    ex = sub.add_parser("export", parents=[common], help="write standalone decks, model libraries and Verilog-A")
    ex.add_argument("--out", default="netlists", help="output folder (default: netlists)")
    return ap


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
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
                      quick=args.quick, scheduler=args.scheduler, progress=not args.quiet, device=args.device)
        if not args.quiet:
            print("\n".join(summary(doc, Path(args.out))))
        return 0
    if args.cmd == "reproduce":
        from .report import reproduce

        ok = reproduce(Path(args.out), quick=args.quick, scheduler=args.scheduler, quiet=args.quiet)
        return 0 if ok else 1
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
    return 2


def print_params(name: str, device: str | None = None) -> None:
    from pyspice_models import NEURON_DEVICES

    from .experiments import REGISTRY

    if name not in REGISTRY:
        raise ParameterError("experiment", name, "one of " + ", ".join(REGISTRY))
    exp = REGISTRY[name]
    if device is not None and device not in exp.devices:
        raise ParameterError("--device", device, f"one of {', '.join(exp.devices)} for {name}")
    device = device or exp.devices[0]
    default = exp.params()
    rows = [(k, unit, fmt(getattr(default, k)), rng, doc) for k, unit, doc, rng in exp.params.table()]
    dev = NEURON_DEVICES[device]()
    rows += [(f"device.{k}", unit, fmt(getattr(dev, k)), rng, doc) for k, unit, doc, rng in dev.table()]
    if exp.synapse:
        from pyspice_models.taox import TaOxParams

        syn = TaOxParams()
        rows += [(f"synapse.{k}", unit, fmt(getattr(syn, k)), rng, doc) for k, unit, doc, rng in syn.table()]
    print(f"{exp.name} ({exp.figure}): {exp.summary}")
    print(f"device: {device} (other models: --device {', '.join(d for d in exp.devices if d != device) or 'none'})")
    print("set with --set KEY=VALUE (SI suffixes and unit names allowed: 30p, 30pF, 3.6kOhm, 1us)")
    w = max(len(r[0]) for r in rows)
    for key, unit, value, rng, doc in rows:
        print(f"  {key:<{w}}  {value:>9} {unit:<4} {rng}")
        print(f"  {'':<{w}}  {doc}")
    if exp.quick:
        print("--quick uses " + ", ".join(f"{k}={fmt(v)}" for k, v in exp.quick.items()))


def summary(doc: dict, out: Path) -> list[str]:
    """What a person wants after a run: the headline results and the checks, 4 significant digits."""
    from .experiments import REGISTRY

    exp = REGISTRY[doc["experiment"]]
    lines = [f"{doc['experiment']} ({doc['figure']}): {len(doc['netlists'])} simulations, {doc['engine']}, "
             f"{doc['runtime_s']:.1f} s" + (" (quick variant)" if doc["quick"] else "")]
    for key in exp.headline:
        value = doc["results"][key]
        if isinstance(value, dict) and "spike_count" in value:
            value = value["spike_count"]
        lines.append(f"  {key} = {fmt(value)}")
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
    lines.append(f"wrote {out / (name + '.json')}, {out / (name + '.png')}, {out / name}/")
    return lines


if __name__ == "__main__":
    sys.exit(main())
