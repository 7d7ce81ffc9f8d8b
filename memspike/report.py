"""``memspike reproduce``: run every experiment, then write report.md and report.html."""

from __future__ import annotations

import html
from pathlib import Path

from circuits.runner import SimulationError

from .experiments import REGISTRY, execute
from .io import write_text_atomic


def reproduce(out: Path, *, quick: bool = False, scheduler: str | None = None, names=None) -> bool:
    """Run the paper's experiments (all registered but the generic ones); True if every check passed."""
    out = Path(out)
    docs, failures = [], {}
    for name, _exp in REGISTRY.items():
        if name in ("neuron", "dendrite") or (names and name not in names):
            continue
        print(f"running {name} ...", flush=True)
        try:
            docs.append(execute(name, out, quick=quick, scheduler=scheduler))
        except SimulationError as e:
            failures[name] = str(e).splitlines()[0]
            print(f"  {name}: simulation failed: {failures[name]}")
    write_text_atomic(out / "report.md", render_markdown(docs, failures, quick))
    write_text_atomic(out / "report.html", render_html(docs, failures, quick))
    n_pass = sum(c["pass"] for d in docs for c in d["checks"])
    n_all = sum(len(d["checks"]) for d in docs)
    print(f"{n_pass}/{n_all} checks passed; report: {out / 'report.md'}")
    return n_pass == n_all and not failures


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        if "y" in v:
            return _fmt(v["y"])
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _rows(docs):
    for d in docs:
        for c in d["checks"]:
            yield d, c


def render_markdown(docs, failures, quick) -> str:
    lines = ["# memspike: paper vs simulation", "",
             "Duan et al., *Nat. Commun.* 11, 3399 (2020). One NbOx and one TaOx parameter set "
             "serve every experiment; circuit and stimulus values per figure are in each JSON."
             + (" Quick variant (`--quick`): reduced sweeps." if quick else ""), "",
             "| experiment | figure | check | paper | simulated | tolerance | result |",
             "|---|---|---|---|---|---|---|"]
    for d, c in _rows(docs):
        cells = [d["experiment"], d["figure"], c["name"], _fmt(c["paper"]), _fmt(c["simulated"]),
                 c["tolerance"], "PASS" if c["pass"] else "**FAIL**"]
        lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    for name, msg in failures.items():
        lines.append(f"| {name} | | simulation | | {msg} | | **FAIL** |")
    lines.append("")
    for d in docs:
        lines += [f"## {d['experiment']} ({d['figure']})", "",
                  f"![{d['experiment']}]({d['experiment']}.png)", "",
                  f"engine {d['engine']}, runtime {d['runtime_s']:.1f} s, "
                  f"{len(d['netlists'])} netlists in `{d['experiment']}/`", ""]
        for n in d.get("notes", []):
            lines.append(f"- {n}")
        lines.append("")
    return "\n".join(lines) + "\n"


def render_html(docs, failures, quick) -> str:
    e = html.escape
    rows = []
    for d, c in _rows(docs):
        ok = c["pass"]
        rows.append(f"<tr><td>{e(d['experiment'])}</td><td>{e(d['figure'])}</td><td>{e(c['name'])}</td>"
                    f"<td>{e(_fmt(c['paper']))}</td><td>{e(_fmt(c['simulated']))}</td>"
                    f"<td>{e(c['tolerance'])}</td><td style='color:{'green' if ok else 'red'}'>"
                    f"{'PASS' if ok else 'FAIL'}</td></tr>")
    for name, msg in failures.items():
        rows.append(f"<tr><td>{e(name)}</td><td></td><td>simulation</td><td></td><td>{e(msg)}</td>"
                    "<td></td><td style='color:red'>FAIL</td></tr>")
    figs = "".join(f"<h2>{e(d['experiment'])} ({e(d['figure'])})</h2>"
                   f"<img src='{e(d['experiment'])}.png' style='max-width:100%'>" for d in docs)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>memspike report</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}</style></head><body>"
            "<h1>memspike: paper vs simulation</h1><p>Duan et al., Nat. Commun. 11, 3399 (2020)"
            + (" (quick variant)" if quick else "") + "</p><table><tr><th>experiment</th><th>figure</th>"
            "<th>check</th><th>paper</th><th>simulated</th><th>tolerance</th><th>result</th></tr>"
            + "".join(rows) + "</table>" + figs + "</body></html>\n")

