"""Compact models written once, in the Verilog-A style, rendered three ways.

A :class:`CompactModel` is a two-terminal device described by

* parameters (a frozen :class:`~pyspice_models.params.Params` dataclass),
* named intermediate expressions (Verilog-A ``real`` variables),
* state variables ``q`` with ``ddt(q) = f(V, q, ...)``, and
* one branch contribution ``I(p, n) <+ g(V, q, ...)``.

Expressions are plain arithmetic in a small common subset understood by
ngspice B-sources, Verilog-A and numpy: ``+ - * /``, parentheses, numbers and
the functions ``exp sqrt tanh sinh abs ln``. ``V`` is the branch voltage
``V(p, n)``. The same strings are rendered

* as an ngspice ``.subckt`` whose states live on 1 F capacitors driven by
  B-source currents equal to ``ddt(q)`` (node voltage = state),
* as a Verilog-A module whose states are internal nodes with
  ``I(q) <+ ddt(V(q)) - f``, and
* as numpy functions for the vector engine.

Expressions are fixed text owned by this package; no user-supplied text is
ever placed in them, only validated floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .params import Params, spice_number

FUNCTIONS = ("exp", "sqrt", "tanh", "sinh", "abs", "ln")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass(frozen=True)
class State:
    name: str
    ddt: str            # right-hand side of ddt(state)
    initial: float      # value at t = 0 (the device's rest state)
    unit: str
    doc: str


@dataclass(frozen=True)
class CompactModel:
    name: str                                   # subcircuit / module name
    params: type[Params]
    aliases: tuple[tuple[str, str], ...]        # intermediates of V and states
    states: tuple[State, ...]
    current: str                                # I(p, n)
    doc: str = ""
    references: tuple[str, ...] = field(default_factory=tuple)

    # ---------------------------------------------------------------- helpers
    def _check_names(self) -> None:
        known = set(self.params.names()) | {"V"} | set(FUNCTIONS) | {s.name for s in self.states}
        for name, expr in self.aliases:
            _assert_known(expr, known, name)
            known.add(name)
        for s in self.states:
            _assert_known(s.ddt, known, s.name)
        _assert_known(self.current, known, "current")

    def inline(self, expr: str) -> str:
        """Substitute aliases (innermost last) so the result needs only V, states, params."""
        for name, body in reversed(self.aliases):
            expr = _sub(expr, {name: f"({body})"})
        return expr

    # ----------------------------------------------------------------- numpy
    def numpy_functions(self, p: Params):
        """Return ``(current(V, **states), {state: ddt(V, **states)})`` vectorised in numpy."""
        self._check_names()
        consts = dict(p.as_dict())
        funcs = _np_funcs(np)
        state_names = [s.name for s in self.states]

        def make(expr: str):
            code = compile(self.inline(expr), f"<{self.name}>", "eval")

            def f(V, **states):
                ns = dict(consts)
                ns.update(funcs)
                ns["V"] = V
                for k in state_names:
                    ns[k] = states[k]
                return eval(code, {"__builtins__": {}}, ns)  # noqa: S307
            return f

        return make(self.current), {s.name: make(s.ddt) for s in self.states}

    # ---------------------------------------------------------------- ngspice
    def ngspice_subckt(self) -> str:
        """The model as an ngspice ``.subckt NAME p n params: ...`` text.

        The defaults are always the parameter class defaults, each listed
        before the ``.subckt`` line with its unit, meaning and allowed range;
        an instance changes them with ``params:`` on its ``X`` line.
        """
        self._check_names()
        p = self.params()
        lines = [f"* {self.name}: {self.doc.splitlines()[0] if self.doc else ''}".rstrip()]
        for ref in self.references:
            lines.append(f"* ref: {ref}")
        lines += [f"* pins: p, n (device current I flows from p through the device to n); "
                  f"usage: Xname p n {self.name} [params: name=value ...]",
                  "* parameters (name = default unit : meaning; allowed range):"]
        for name, unit, doc, rng in p.table():
            lines.append(f"* {name} = {spice_number(getattr(p, name))}{' ' + unit if unit else ''} : {doc}; {rng}")
        pv = " ".join(f"{k}={spice_number(v)}" for k, v in p.as_dict().items())
        lines.append(f".subckt {self.name} p n params: {pv}")
        vmap = {"V": "v(p,n)"}
        vmap.update({s.name: f"v({s.name})" for s in self.states})
        lines.append("* each state is the voltage of an internal node: a B source drives ddt(state) into 1 F")
        for s in self.states:
            lines.append(f"* state {s.name} [{s.unit}]: {s.doc}")
            lines.append(f"C{s.name} {s.name} 0 1")
            lines.append(f"B{s.name} 0 {s.name} I={_sub(self.inline(s.ddt), vmap)}")
        lines.append("* device current I(p, n)")
        lines.append(f"Bdev p n I={_sub(self.inline(self.current), vmap)}")
        lines.append(f".ends {self.name}")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------- Verilog-A
    def verilog_a(self, p: Params | None = None, header: str = "") -> str:
        self._check_names()
        p = p or self.params()
        out = []
        if header:
            out += [f"// {line}" for line in header.splitlines()]
        for line in self.doc.strip().splitlines():
            out.append(f"// {line}".rstrip())
        for ref in self.references:
            out.append(f"// ref: {ref}")
        out += ['`include "disciplines.vams"', ""]
        states = ", ".join(s.name for s in self.states)
        out.append(f"module {self.name}(p, n);")
        out.append("  inout p, n;")
        out.append("  electrical p, n;")
        out.append(f"  electrical {states};")
        for fname, unit, doc, rng in p.table():
            val = getattr(p, fname)
            out.append(f"  parameter real {fname} = {val!r};  // [{unit}] {doc}; {rng}")
        names = [n for n, _ in self.aliases] + ["vpn"]
        out.append("  real " + ", ".join(names) + ";")
        out.append("  analog begin")
        vmap = {s.name: f"V({s.name})" for s in self.states}
        vmap["V"] = "vpn"   # a variable may not shadow the V() access function
        out.append("    vpn = V(p, n);")
        for name, expr in self.aliases:
            out.append(f"    {name} = {_sub(expr, vmap)};")
        for s in self.states:
            out.append(f"    // ddt({s.name}) [{s.unit}/s]: {s.doc}")
            out.append(f"    I({s.name}) <+ ddt(V({s.name}));")
            out.append(f"    I({s.name}) <+ -({_sub(s.ddt, vmap)});")
        out.append(f"    I(p, n) <+ {_sub(self.current, vmap)};")
        out.append("  end")
        out.append("endmodule")
        return "\n".join(out) + "\n"


def _np_funcs(mod) -> dict:
    return {"exp": mod.exp, "sqrt": mod.sqrt, "tanh": mod.tanh, "sinh": mod.sinh, "abs": mod.abs, "ln": mod.log}


def _sub(expr: str, mapping: dict[str, str]) -> str:
    return _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), expr)


def _assert_known(expr: str, known: set[str], where: str) -> None:
    for tok in _IDENT.findall(expr):
        if tok not in known and not re.fullmatch(r"e\d*", tok):
            raise ValueError(f"{where}: unknown name {tok!r} in {expr!r}")
