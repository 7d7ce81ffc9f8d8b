"""Command line: ``memspike list | run NAME | reproduce | export``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pyspice_models.params import ParameterError


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"memspike: error: {message}\n")


def _parse_sets(items) -> dict[str, str]:
    sets = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError("--set", item, "KEY=VALUE with an SI number, e.g. R_L=3.6k")
        k, v = item.split("=", 1)
        if not k.replace("_", "").replace(".", "").isalnum():
            raise ParameterError("--set", k, "a parameter name of letters, digits, _ and .")
        if k in sets:
            raise ParameterError(k, v, "given once")
        sets[k] = v
    return sets


def main(argv=None) -> int:
    ap = _Parser(prog="memspike", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list experiments")
    r = sub.add_parser("run", help="run one experiment")
    r.add_argument("name")
    r.add_argument("--out", default="results")
    r.add_argument("--engine", default="ngspice")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--quick", action="store_true", help="the reduced variant used by reproduce --quick")
    r.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    rp = sub.add_parser("reproduce", help="run every experiment and write report.md / report.html")
    rp.add_argument("--out", default="results")
    rp.add_argument("--quick", action="store_true")
    rp.add_argument("--scheduler", default=None)
    ex = sub.add_parser("export", help="write standalone netlists, model libraries and Verilog-A")
    ex.add_argument("--dir", default="netlists")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from circuits.runner import SimulationError

    try:
        if args.cmd == "list":
            from memspike.experiments import REGISTRY

            for name, exp in REGISTRY.items():
                print(f"{name:10s} {exp.figure:24s} {exp.summary}")
            return 0
        if args.cmd == "run":
            from memspike.experiments import execute

            doc = execute(args.name, Path(args.out), engine=args.engine, sets=_parse_sets(args.set),
                          quick=args.quick, scheduler=args.scheduler)
            _print_checks(doc)
            print(f"wrote {Path(args.out) / (args.name + '.json')}")
            return 0
        if args.cmd == "reproduce":
            from memspike.report import reproduce

            ok = reproduce(Path(args.out), quick=args.quick, scheduler=args.scheduler)
            return 0 if ok else 1
        if args.cmd == "export":
            from memspike.export import export

            for path in export(Path(args.dir)):
                print(path)
            return 0
    except ParameterError as e:
        print(f"memspike: error: {e}", file=sys.stderr)
        return 2
    except SimulationError as e:
        msg = " | ".join(str(e).splitlines())
        print(f"memspike: simulation failed: {msg}", file=sys.stderr)
        return 1
    return 2


def _print_checks(doc):
    for c in doc["checks"]:
        mark = "PASS" if c["pass"] else "FAIL"
        sim = c["simulated"]
        if isinstance(sim, dict):
            sim = sim.get("y", sim)
        print(f"  [{mark}] {c['name']}: paper {c['paper']}, simulated {sim} ({c['tolerance']})")


if __name__ == "__main__":
    sys.exit(main())
