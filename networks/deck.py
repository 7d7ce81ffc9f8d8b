"""The vector engine's deck: a netlist's typed elements as JSON, and back.

What ``memspike run NAME --engine vector`` writes next to the results, one ``TAG.json`` per
circuit: the :class:`~circuits.netlist.Netlist` itself (title, header, every element with its
type, nodes and values, the analysis, saves and probes), the defaults of each device model it
uses (the equations are ``pyspice_models``' by name: the same single source the ngspice
subcircuit and the Verilog-A module are rendered from), and the command that runs it without the
experiment framework::

    python -m networks.run TAG.json          # writes TAG.npz, prints the spikes of each neuron

:func:`loads` rebuilds the very same netlist (every value went through the typed element's
checks when it was built and goes through them again), so a deck runs exactly as the experiment
ran it. Nothing is parsed from simulator text; JSON is written deterministically (no timestamp).
"""

from __future__ import annotations

import dataclasses
import json

from circuits.netlist import Capacitor, Element, GatedConductance, Instance, ISource, Netlist, Resistor, VSource
from pyspice_models import MODELS

FORMAT = "memspike-vector-deck/1"
ELEMENTS = {cls.__name__: cls for cls in (Resistor, Capacitor, VSource, ISource, Instance, GatedConductance)}


def _element(e: Element) -> dict:
    if type(e).__name__ not in ELEMENTS:
        raise ValueError(f"element {e.name}: no vector-deck form for {type(e).__name__}")
    out = {"type": type(e).__name__}
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        if f.name == "pwl" and v is not None:
            v = [list(p) for p in v]
        elif f.name == "params":
            v = [list(p) for p in v]
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def dumps(net: Netlist, command: str = "") -> str:
    """JSON text of ``net`` (and of the run ``command``, when given)."""
    models = sorted({e.model for e in net.elements if isinstance(e, Instance)})
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"netlist {net.title!r}: no compact model named {', '.join(unknown)}")
    if net.includes:
        raise ValueError(f"netlist {net.title!r}: includes ({', '.join(net.includes)}) have no vector-deck form")
    doc = {
        "format": FORMAT,
        "generated_by": "memspike (networks.deck)",
        "run": command or "python -m networks.run FILE.json",
        "title": net.title,
        "header": list(net.header),
        "comments": list(net.comments),
        "models": {m: {"equations": f"pyspice_models: CompactModel {m!r}",
                       "defaults": MODELS[m].params().as_dict()} for m in models},
        "elements": [_element(e) for e in net.elements],
        "tran": list(net.tran) if net.tran else None,
        "options": dict(net.options),
        "method": net.method,
        "ics": dict(net.ics),
        "saves": list(net.saves),
        "probes": {k: dict(v) for k, v in net.probes.items()},
    }
    return json.dumps(doc, indent=1) + "\n"


def loads(text: str) -> Netlist:
    """The netlist of a deck written by :func:`dumps`. Refuses a deck whose model defaults differ from the
    installed ``pyspice_models`` (it would not run as it was written)."""
    doc = json.loads(text)
    if doc.get("format") != FORMAT:
        raise ValueError(f"not a memspike vector deck (format {doc.get('format')!r}, expected {FORMAT!r})")
    for name, m in doc.get("models", {}).items():
        if name not in MODELS:
            raise ValueError(f"deck uses the model {name!r}, which this memspike does not have")
        have = MODELS[name].params().as_dict()
        changed = sorted(k for k, v in m.get("defaults", {}).items() if have.get(k) != v)
        if changed:
            raise ValueError(f"deck was written with other defaults of {name} ({', '.join(changed)}) than this "
                             "memspike's: regenerate it")
    net = Netlist(doc["title"], header=list(doc.get("header", [])), comments=list(doc.get("comments", [])))
    for name in doc.get("models", {}):                # as the builders do: the deck runs in ngspice too
        net.subckts[name] = MODELS[name].ngspice_subckt()
    for d in doc["elements"]:
        d = dict(d)
        cls = ELEMENTS.get(d.pop("type", None))
        if cls is None:
            raise ValueError(f"deck element {d.get('name')!r}: unknown type")
        d["nodes"] = tuple(d["nodes"])
        if d.get("pwl") is not None:
            d["pwl"] = tuple(tuple(p) for p in d["pwl"])
        if "params" in d:
            d["params"] = tuple(tuple(p) for p in d["params"])
        net.add(cls(**d))
    net.tran = tuple(doc["tran"]) if doc.get("tran") else None
    net.options = dict(doc.get("options", {}))
    net.method = doc.get("method", "")
    net.ics = dict(doc.get("ics", {}))
    net.saves = list(doc.get("saves", []))
    net.probes = {k: dict(v) for k, v in doc.get("probes", {}).items()}
    return net
