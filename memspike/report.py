"""``memspike reproduce``: run every experiment, then write report.md and report.html.

Both reports are rendered from one document (a list of blocks), so the HTML
carries everything the Markdown does: the run's summary, the check table with
each check's warnings beside its verdict, and per experiment its figure,
runtime, netlists, notes, the paper's values and the parameters used.
"""

from __future__ import annotations

import html
import sys
import time
from pathlib import Path

from circuits.runner import SimulationError

from . import __version__
from .experiments import REGISTRY, execute, prepare
from .experiments.base import check_out, margin_text, param_rows
from .io import write_text_atomic
from .text import fmt, meaning_of, params_from_json, value_text

TITLE = "memspike: paper vs simulation"


def reproduce(out: Path, *, quick: bool = False, scheduler: str | None = None, names=None,
              quiet: bool = False, device=None) -> bool:
    """Run every registered experiment (or ``names``); True if every check passed.

    ``device``: a model name or a device file (``memspike fit``) for every experiment; those that do not
    take its model are skipped, and say so."""
    names = [n for n in REGISTRY if not names or n in names]
    if device is not None:
        from pyspice_models import NEURON_DEVICES
        from pyspice_models.params import ParameterError

        from .bench import resolve_device

        model, _, dfile = resolve_device(device)
        if model not in NEURON_DEVICES:
            raise ParameterError("--device", device, f"a model name ({', '.join(NEURON_DEVICES)}) or a device file")
        device = dfile or device                              # a file is read once
        skipped = [n for n in names if model not in REGISTRY[n].devices]
        names = [n for n in names if n not in skipped]
        if skipped and not quiet:
            print(f"skipped (no {model} device): {', '.join(skipped)}", file=sys.stderr)
    for name in names:
        # every input refused before anything is written
        prepare(name, quick=quick, scheduler=scheduler, device=device)
    out = check_out(out, names)
    for report in ("report.md", "report.html"):
        if (out / report).is_dir():
            from pyspice_models.params import ParameterError

            raise ParameterError("--out", str(out), f"a folder where {report} can be written (a folder is in the way)")
    t0 = time.perf_counter()
    docs, failures = [], {}
    for k, name in enumerate(names, 1):
        if not quiet:
            print(f"[{k}/{len(names)}] {name} ({REGISTRY[name].figure}) ...", file=sys.stderr, flush=True)
        try:
            docs.append(execute(name, out, quick=quick, scheduler=scheduler, progress=not quiet, device=device))
        except SimulationError as e:
            failures[name] = " | ".join(str(e).splitlines())
            print(f"  {name}: simulation failed: {failures[name]}", file=sys.stderr)
    runtime = time.perf_counter() - t0
    blocks = document(docs, failures, quick, runtime)
    write_text_atomic(out / "report.md", render_markdown(blocks))
    write_text_atomic(out / "report.html", render_html(blocks))
    n_pass, n_all = _count(docs)
    if not quiet:
        for line in failing_checks(docs):
            print(f"  FAIL {line}")
        print(f"{n_pass}/{n_all} checks passed in {runtime:.0f} s; report: {out / 'report.md'} "
              f"(and report.html)" + ("; the failing checks are listed above and at the top of the report"
                                      if n_pass < n_all else ""))
    return n_pass == n_all and not failures


def failing_checks(docs) -> list[str]:
    """One line per failing check: experiment, check, paper and simulated values, what was required."""
    return [f"{d['experiment']}: {c['name']} (paper {fmt(c['paper'])}, simulated {fmt(c['simulated'])}; "
            f"required: {c['tolerance']})" for d in docs for c in d["checks"] if not c["pass"]]


def device_blocks(docs) -> list[tuple]:
    """The NbOx device table (one parameter set for every experiment of the report; any other is named)."""
    from pyspice_models import NEURON_DEVICES

    first = docs[0]["parameters"]
    model, device = first.get("device_model", "nbox_et"), first["device"]
    cls = NEURON_DEVICES[model]
    dev = cls(**device)
    blocks = [("table", [f"NbOx device ({model})", "value", "unit", "meaning"],
               [[k, fmt(device[k]), unit, meaning_of(dev, k, unit, doc)] for k, unit, doc, _ in cls.table()])]
    derived = [["quasi-static threshold Vth", fmt(dev.threshold()), "V", "upper fold of the steady I-V"],
               ["spike detection current", fmt(dev.spike_current()), "A", "a device current above it is a spike"]]
    if hasattr(dev, "folds"):
        f = dev.folds()
        derived += [["quasi-static hold Vhold", fmt(f["v_hold"]), "V", "lower fold of the steady I-V"],
                    ["core temperature at Vth / Vhold", f"{f['T_th']:.0f} / {f['T_hold']:.0f}", "K",
                     "where thermal runaway starts / the on state can no longer hold itself"],
                    ["thermal time R_th C_th", fmt(dev.R_th * dev.C_th), "s", "how fast the core heats and cools"]]
    blocks.append(("table", ["derived from the device", "value", "unit", "meaning"], derived))
    others = sorted({d["experiment"] for d in docs
                     if (d["parameters"].get("device_model", "nbox_et"), d["parameters"]["device"]) != (model, device)})
    if others:
        blocks.append(("p", "Run with another device than the table's: " + ", ".join(others) + " (see their JSON)."))
    return blocks


def _count(docs) -> tuple[int, int]:
    return sum(c["pass"] for d in docs for c in d["checks"]), sum(len(d["checks"]) for d in docs)


def _verdict(c) -> str:
    v = "PASS" if c["pass"] else "FAIL"
    warnings = c.get("warnings") or []
    return v + (f" (warnings: {'; '.join(warnings)})" if warnings else "")


def document(docs, failures, quick: bool, runtime: float) -> list[tuple]:
    """The report as blocks: ("h1"|"h2"|"p", text), ("table", header, rows), ("img", src, alt), ("ul", items)."""
    n_pass, n_all = _count(docs)
    n_warn = sum(bool(c.get("warnings")) for d in docs for c in d["checks"])
    engines = sorted({d["engine"] for d in docs}) or ["ngspice"]
    blocks: list[tuple] = [
        ("h1", TITLE),
        ("p", f"**{n_pass}/{n_all} checks passed**" + (f", {n_warn} with warnings" if n_warn else "")
         + f"; {len(docs)} experiments" + (f", {len(failures)} failed to simulate" if failures else "")
         + f"; runtime {runtime:.1f} s; engine {', '.join(engines)}; memspike {__version__}; "
         + ("quick variant (`reproduce --quick`: reduced sweeps, every check run)" if quick else "full run")
         + "."),
        ("p", "Duan et al., *Nat. Commun.* 11, 3399 (2020). One NbOx device parameter set (below: the "
              "electro-thermal model nbox_et unless the table says otherwise) serves every "
              "experiment; only circuit and stimulus values change per figure, each listed with its reason under "
              "its figure and in its JSON. The synapses of Figs. 3-4 are fixed resistors, as "
              "the paper's Supplementary Table 1 gives them; the TaOx synapse model (its own parameter set, "
              "characterised in taox) sits at every crossing of the crossbars of Figs. 5 and 7, programmed by "
              "pulses with verify reads. Reference values are the paper's unless their source says "
              "otherwise (a memspike criterion)."),
    ]
    failing = failing_checks(docs)
    if failing:
        blocks.append(("p", "**Checks that fail** (each experiment's notes below say why; the runs that show it "
                            "are in its JSON):"))
        blocks.append(("ul", failing))
    if quick:
        blocks.append(("p", "The quick variant does not measure the margins of Figs. 3-4 (how far the device "
                            "threshold and the synapses can move before each check fails): run `memspike "
                            "reproduce` without `--quick` for them."))
    rows = [[d["experiment"], d["figure"], c["name"], fmt(c["paper"]), fmt(c["simulated"]), c["tolerance"],
             _verdict(c)] for d in docs for c in d["checks"]]
    rows += [[name, REGISTRY[name].figure, "simulation", "", msg, "", "FAIL"] for name, msg in failures.items()]
    blocks.append(("table", ["experiment", "figure", "check", "paper", "simulated", "tolerance", "result"], rows))
    if docs:
        blocks += device_blocks(docs)
    for d in docs:
        name = d["experiment"]
        blocks += [("h2", f"{name} ({d['figure']})"), ("img", f"{name}.png", name),
                   ("p", f"engine {d['engine']}, runtime {d['runtime_s']:.1f} s, {len(d['netlists'])} netlists in "
                         f"`{name}/`: " + ", ".join(f"[{Path(n).name}]({n})" for n in d["netlists"][:6])
                         + (", ..." if len(d["netlists"]) > 6 else ""))]
        if d["notes"]:
            blocks.append(("ul", list(d["notes"])))
        margins = d["results"].get("margins")
        if isinstance(margins, dict):
            blocks.append(("p", "**Margins**: how far each value can move, each way, before each check fails "
                                "(the experiment re-run at each step; values that hinge on millivolts show here)."))
            blocks.append(("table", ["moved", "check", "down", "up"],
                           [[knob, check, margin_text(m["minus"], v["unit"]), margin_text(m["plus"], v["unit"])]
                            for knob, v in margins.items() for check, m in v["checks"].items()]))
        if d.get("paper"):
            blocks.append(("table", ["reference", "value", "unit", "source", "tolerance"],
                           [[k, fmt(r["value"]), r["unit"], r["source"], "" if r["tol"] is None else fmt(r["tol"])]
                            for k, r in d["paper"].items()]))
        exp = REGISTRY[name]
        used = params_from_json(exp.params, d["parameters"]["circuit"])
        blocks.append(("table", ["parameter", "value", "unit", "reason"],
                       [[k, value_text(v, unit), unit, doc] for k, v, unit, doc in param_rows(exp, used, d["quick"])]))
    return blocks


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks) -> str:
    lines = []
    for b in blocks:
        if b[0] == "h1":
            lines += [f"# {b[1]}", ""]
        elif b[0] == "h2":
            lines += [f"## {b[1]}", ""]
        elif b[0] == "p":
            lines += [b[1], ""]
        elif b[0] == "img":
            lines += [f"![{b[2]}]({b[1]})", ""]
        elif b[0] == "ul":
            lines += [f"- {item}" for item in b[1]] + [""]
        elif b[0] == "table":
            lines.append("| " + " | ".join(b[1]) + " |")
            lines.append("|" + "---|" * len(b[1]))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b[2]]
            lines.append("")
    return "\n".join(lines)


def _inline_html(text: str) -> str:
    """Escape, then the little Markdown the report uses: **bold**, `code`, [text](link)."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"\*(.+?)\*", r"<i>\1</i>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"<a href='\2'>\1</a>", t)


def render_html(blocks) -> str:
    body = []
    for b in blocks:
        if b[0] in ("h1", "h2"):
            body.append(f"<{b[0]}>{html.escape(b[1])}</{b[0]}>")
        elif b[0] == "p":
            body.append(f"<p>{_inline_html(b[1])}</p>")
        elif b[0] == "img":
            body.append(f"<img src='{html.escape(b[1])}' alt='{html.escape(b[2])}'>")
        elif b[0] == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b[1]) + "</ul>")
        elif b[0] == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b[1])
            rows = []
            for row in b[2]:
                cells = []
                for c in row:
                    cls = " class='fail'" if str(c).startswith("FAIL") else (
                        " class='pass'" if str(c).startswith("PASS") else "")
                    cells.append(f"<td{cls}>{html.escape(str(c))}</td>")
                rows.append("<tr>" + "".join(cells) + "</tr>")
            body.append(f"<table><tr>{head}</tr>{''.join(rows)}</table>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:0.5em 0}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:top}"
             "td.pass{color:#060}td.fail{color:#b00;font-weight:bold}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{TITLE}</title><style>{style}</style>"
            f"</head><body>{''.join(body)}</body></html>\n")
