"""A compact model's equations compiled once into scalar machine code, with their exact Jacobian.

The expressions of a :class:`~pyspice_models.equations.CompactModel` (the strings the ngspice
subcircuit and the Verilog-A module are rendered from) are parsed here with Python's ``ast``
(they are plain arithmetic: ``+ - * /``, unary minus, numbers, names and the functions
``exp sqrt tanh sinh abs ln``) and turned into the source of three numba functions:

* ``prep(p)``: fills the *derived constants* of one parameter set into ``p[n_params:]``:
  every subexpression that depends on parameters alone (such as the Poole-Frenkel
  coefficient ``sqrt(q/(pi eps0 eps_r))`` of ``nbox_et``) is computed once per circuit, not
  once per time step;
* ``full(V, y, p, out)``: the branch current and every ``ddt(state)`` at the branch voltage
  ``V`` and states ``y[1], y[2], ...`` (``y[0]`` is the circuit's node voltage), each with its
  partial derivatives with respect to ``V`` and every state (forward-mode differentiation of
  the same expression tree: the chain rule emitted as straight-line code, so the Jacobian is
  exact and needs no extra evaluations). ``out[r, 0]`` is row ``r``'s value (row 0: current,
  row ``1 + j``: ``ddt`` of state ``j``), ``out[r, 1]`` its derivative by ``V``, ``out[r, 2 + j]``
  by state ``j``;
* ``current(V, y, p)``: the branch current alone.

Aliases (the model's named intermediates) become local variables in their order, as in the
Verilog-A rendering, so each is computed once. Nothing is evaluated with ``eval`` at run time
and nothing is retyped: change an equation in ``pyspice_models`` and the kernel follows.
:func:`compiled` returns the jitted functions, cached per model.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyspice_models.equations import FUNCTIONS, CompactModel

# numba names of the functions of the expression subset, and d f(u) / du in terms of u and y = f(u)
_CALL = {"exp": "math.exp", "sqrt": "math.sqrt", "tanh": "math.tanh", "sinh": "math.sinh", "abs": "abs",
         "ln": "math.log"}
_DERIV = {"exp": "{y}", "sqrt": "0.5 / {y}", "tanh": "(1.0 - {y} * {y})", "sinh": "math.cosh({u})",
          "abs": "math.copysign(1.0, {u})", "ln": "(1.0 / {u})"}
assert set(_CALL) == set(FUNCTIONS)


class ExpressionError(ValueError):
    """An expression outside the arithmetic subset the compiler understands."""


@dataclass(frozen=True)
class _Const:
    """A subexpression of parameters and numbers only: text in terms of ``p[i]``."""

    text: str


@dataclass(frozen=True)
class _Var:
    """A computed local (or an input) and its partial derivatives (None: identically zero)."""

    name: str
    grad: tuple[str | None, ...]


class _Emitter:
    def __init__(self, model: CompactModel, with_grad: bool, offset: bool = False):
        self.model = model
        self.params = list(model.params.names())
        self.states = [s.name for s in model.states]
        self.n_in = (1 + len(self.states)) if with_grad else 0
        self.lines: list[str] = []
        self.derived: dict[str, int] = {}          # constant text -> slot in p
        self.k = 0
        self.env: dict[str, _Const | _Var] = {}
        self.env["V"] = _Var("V", self._unit(0))
        for j, s in enumerate(self.states):
            name = f"s_{s}"
            self.lines.append(f"{name} = y[o + {j}]" if offset else f"{name} = y[{1 + j}]")
            self.env[s] = _Var(name, self._unit(1 + j))
        for i, name in enumerate(self.params):
            self.env[name] = _Const(f"p[{i}]")

    def _unit(self, i: int) -> tuple[str | None, ...]:
        return tuple("1.0" if k == i else None for k in range(self.n_in))

    def _tmp(self, expr: str) -> str:
        name = f"t{self.k}"
        self.k += 1
        self.lines.append(f"{name} = {expr}")
        return name

    def _materialise(self, c: _Const) -> str:
        """A constant as it is read in the hot function: a literal or parameter as is, else a derived slot."""
        try:
            float(c.text)
            return c.text
        except ValueError:
            pass
        if c.text.startswith("p[") and c.text.endswith("]") and c.text[2:-1].isdigit():
            return c.text
        if c.text not in self.derived:
            self.derived[c.text] = len(self.params) + len(self.derived)
        return f"p[{self.derived[c.text]}]"

    def _operand(self, x) -> tuple[str, tuple[str | None, ...]]:
        if isinstance(x, _Const):
            return self._materialise(x), (None,) * self.n_in
        return x.name, x.grad

    # ------------------------------------------------------------------ tree walk
    def expr(self, text: str, where: str):
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ExpressionError(f"{self.model.name} {where}: cannot parse {text!r}: {e.msg}") from None
        return self.node(tree.body, where)

    def node(self, n, where: str):
        if isinstance(n, ast.Constant) and isinstance(n.value, int | float) and not isinstance(n.value, bool):
            return _Const(repr(float(n.value)))
        if isinstance(n, ast.Name):
            if n.id not in self.env:
                raise ExpressionError(f"{self.model.name} {where}: unknown name {n.id!r}")
            return self.env[n.id]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            a = self.node(n.operand, where)
            if isinstance(n.op, ast.UAdd):
                return a
            if isinstance(a, _Const):
                return _Const(f"(-{a.text})")
            return _Var(self._tmp(f"-{a.name}"), tuple(None if g is None else self._tmp(f"-{g}") for g in a.grad))
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            return self.binop(n.op, self.node(n.left, where), self.node(n.right, where))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _CALL:
            if len(n.args) != 1 or n.keywords:
                raise ExpressionError(f"{self.model.name} {where}: {n.func.id}() takes one argument")
            return self.call(n.func.id, self.node(n.args[0], where))
        raise ExpressionError(f"{self.model.name} {where}: {ast.unparse(n)!r} is outside the expression subset "
                              f"(+ - * /, numbers, names, {', '.join(_CALL)})")

    def binop(self, op, a, b):
        sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(op)]
        if isinstance(a, _Const) and isinstance(b, _Const):
            return _Const(f"({a.text} {sym} {b.text})")
        if sym == "/" and isinstance(b, _Const):         # divide by a constant: multiply by its reciprocal
            return self.binop(ast.Mult(), a, _Const(f"(1.0 / {b.text})"))
        (an, ag), (bn, bg) = self._operand(a), self._operand(b)
        if sym == "/" and any(g is not None for g in ag + bg):
            inv = self._tmp(f"1.0 / {bn}")              # one division for the value and every derivative
            y = self._tmp(f"{an} * {inv}")
        else:
            y = self._tmp(f"{an} {sym} {bn}")
        grad = []
        for ga, gb in zip(ag, bg, strict=True):
            if sym in "+-":
                if ga is None and gb is None:
                    grad.append(None)
                elif gb is None:
                    grad.append(ga)
                elif ga is None:
                    grad.append(gb if sym == "+" else self._tmp(f"-{gb}"))
                else:
                    grad.append(self._tmp(f"{ga} {sym} {gb}"))
            elif sym == "*":
                terms = [f"{ga} * {bn}" if ga is not None else None, f"{an} * {gb}" if gb is not None else None]
                terms = [t for t in terms if t]
                grad.append(self._tmp(" + ".join(terms)) if terms else None)
            else:                                    # d(a/b) = (da - y db) / b
                if ga is None and gb is None:
                    grad.append(None)
                elif gb is None:
                    grad.append(self._tmp(f"{ga} * {inv}"))
                elif ga is None:
                    grad.append(self._tmp(f"-{y} * {gb} * {inv}"))
                else:
                    grad.append(self._tmp(f"({ga} - {y} * {gb}) * {inv}"))
        return _Var(y, tuple(grad))

    def call(self, fn: str, a):
        if isinstance(a, _Const):
            return _Const(f"{_CALL[fn]}({a.text})")
        y = self._tmp(f"{_CALL[fn]}({a.name})")
        if all(g is None for g in a.grad):
            return _Var(y, a.grad)
        d = self._tmp(_DERIV[fn].format(y=y, u=a.name))
        return _Var(y, tuple(None if g is None else self._tmp(f"{d} * {g}") for g in a.grad))

    # ------------------------------------------------------------------ the model
    def model_rows(self, rows: list[tuple[str, str]]):
        """Emit the aliases the rows need (in their order), then the rows; return the rows' results."""
        needed = _names(*(text for _, text in rows))
        for name, text in reversed(self.model.aliases):       # an alias may use earlier ones only
            if name in needed:
                needed |= _names(text)
        for name, text in self.model.aliases:
            if name in needed:
                self.env[name] = self.expr(text, f"alias {name}")
        return [self.expr(text, where) for where, text in rows]


def _names(*texts: str) -> set[str]:
    return {n.id for text in texts for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}


def _rows(model: CompactModel) -> list[tuple[str, str]]:
    return [("current", model.current)] + [(f"ddt({s.name})", s.ddt) for s in model.states]


def source(model: CompactModel, prefix: str = "") -> tuple[str, int]:
    """Python source of ``prep``, ``full`` and ``current`` for ``model`` (to run where ``math`` and numba's
    ``njit`` are imported), and the length of the parameter array they read (the model's parameters in
    field order, then the derived constants).

    With a ``prefix`` (``syn_``: a synapse device of the circuit) the functions are named with it and read
    their states from ``y[o], y[o + 1], ...``: ``full(V, y, o, p, out)``, ``current(V, y, o, p)``."""
    model._check_names()
    off = bool(prefix)
    em = _Emitter(model, with_grad=True, offset=off)
    results = em.model_rows(_rows(model))
    body = list(em.lines)
    n_cols = 1 + em.n_in
    for r, res in enumerate(results):
        name, grad = em._operand(res)
        body.append(f"out[{r}, 0] = {name}")
        for i, g in enumerate(grad):
            body.append(f"out[{r}, {1 + i}] = {g if g is not None else '0.0'}")
    ev = _Emitter(model, with_grad=False, offset=off)
    ev.derived = em.derived                       # the same slots: both read the same p
    (cur,) = ev.model_rows([("current", model.current)])
    cur_body = list(ev.lines) + [f"return {ev._operand(cur)[0]}"]
    n_p = len(em.params) + len(em.derived)
    prep = [f"p[{slot}] = {text}" for text, slot in sorted(em.derived.items(), key=lambda kv: kv[1])] or ["pass"]
    ind = "\n    "
    o = "o, " if off else ""
    text = (
        f"# ---- generated by memspike networks.compile from the CompactModel {model.name!r}\n"
        f"{prefix.upper()}N_PARAMS = {n_p}\n{prefix.upper()}N_COLS = {n_cols}\n\n\n"
        "@njit(cache=True, error_model=\"numpy\")\n"
        f"def {prefix}prep(p):{ind}" + ind.join(prep) + "\n\n\n"
        "@njit(cache=True, error_model=\"numpy\", inline=\"always\")\n"
        f"def {prefix}full(V, y, {o}p, out):{ind}" + ind.join(body) + "\n\n\n"
        "@njit(cache=True, error_model=\"numpy\", inline=\"always\")\n"
        f"def {prefix}current(V, y, {o}p):{ind}" + ind.join(cur_body) + "\n"
    )
    return text, n_p


_STUB = ("from networks._stub import NA, NB, NS, N, current, full, prep, syn_current, syn_full, syn_prep  "
         "# noqa: E501\n")
_NO_SYNAPSE = """
SYN_N_PARAMS = 1


@njit(cache=True, error_model="numpy")
def syn_prep(p):
    pass


@njit(cache=True, error_model="numpy", inline="always")
def syn_full(V, y, o, p, out):
    pass


@njit(cache=True, error_model="numpy", inline="always")
def syn_current(V, y, o, p):
    return 0.0
"""


def module_source(model: CompactModel, synapse: CompactModel | None = None, n_syn: int = 0) -> tuple[str, int, int]:
    """The kernel (:mod:`networks.kernel`) with ``model``'s functions (the neuron) in place of its stubs, and
    ``synapse``'s (``syn_*``) for circuits with ``n_syn`` synapse devices of that model; the lengths of
    both parameter arrays."""
    from . import kernel

    text = Path(kernel.__file__).read_text()
    if _STUB not in text:
        raise RuntimeError("networks/kernel.py lost its model-functions import line")
    funcs, n_p = source(model)
    if synapse is not None and n_syn > 0:
        syn, n_ps = source(synapse, prefix="syn_")
        nb = len(synapse.states)
    else:
        syn, n_ps, nb, n_syn = _NO_SYNAPSE, 1, 0, 0
    na = len(model.states)
    sizes = (f"NA = {na}        # the neuron's states\nNB = {nb}        # each synapse device's states\n"
             f"NS = {n_syn}        # synapse devices per circuit\nN = {1 + na + n_syn * nb}        # unknowns: "
             "the membrane voltage, the neuron's states, each synapse's states\n")
    what = model.name + (f" with {n_syn} {synapse.name} synapse device(s)" if n_syn else "")
    header = (f'"""generated by memspike (networks.compile) for the compact model {what}: '
              'networks/kernel.py with the models\' compiled equations. Do not edit."""\n')
    return header + text.replace(_STUB, "\n" + sizes + "\n" + funcs + "\n\n" + syn + "\n\n"), n_p, n_ps


def cache_dir() -> Path:
    """Where generated kernels (and numba's machine-code cache of them) live: ``MEMSPIKE_CACHE`` if set,
    else ``~/.cache/memspike/networks`` (a temporary folder where that cannot be written)."""
    env = os.environ.get("MEMSPIKE_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "memspike"
    d = base / "networks"
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError:
        d = Path(tempfile.gettempdir()) / f"memspike-networks-{os.getuid() if hasattr(os, 'getuid') else 0}"
        d.mkdir(parents=True, exist_ok=True)
    return d


def load_module(name: str, text: str):
    """Import generated source ``text`` as a module from a file named by its content hash (so numba's
    ``cache=True`` keeps its machine code between processes; a changed text is a new file)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    modname = f"memspike_gen_{name}_{digest}"
    if modname in sys.modules:
        return sys.modules[modname]
    path = cache_dir() / f"{modname}.py"
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod


@dataclass(frozen=True)
class Compiled:
    """One model's generated module: ``prep``, ``full``, ``current`` (see the module docstring) and the
    integrator of :mod:`networks.kernel` built on them (``run_list``, ``prepare``); with ``synapse`` and
    ``n_syn``, for circuits whose membrane is also fed through ``n_syn`` devices of that model."""

    model: CompactModel
    module: object
    n_params: int            # length of p: the model's parameters, then the derived constants
    n_states: int
    synapse: CompactModel | None = None
    n_syn: int = 0
    n_syn_params: int = 1    # length of a synapse's parameter array

    def __getattr__(self, name):
        if name in ("prep", "full", "current", "run_list", "prepare", "prepare_synapses", "syn_prep", "syn_full",
                    "syn_current"):
            return getattr(self.module, name)
        raise AttributeError(name)

    @property
    def n(self) -> int:
        """Unknowns of a circuit: the membrane voltage, the neuron's states and every synapse's."""
        return 1 + self.n_states + self.n_syn * (len(self.synapse.states) if self.synapse else 0)

    def parameters(self, values: dict[str, float]) -> np.ndarray:
        """The parameter array of one device (``values``: every parameter by name), derived constants filled."""
        p = np.zeros(self.n_params)
        p[: len(self.model.params.names())] = [values[k] for k in self.model.params.names()]
        self.prep(p)
        return p


@functools.cache
def compiled(model: CompactModel, synapse: CompactModel | None = None, n_syn: int = 0) -> Compiled:
    """The model's equations and integrator (with ``n_syn`` synapse devices of model ``synapse``), compiled
    once per process (numba keeps the machine code on disk, next to the generated source, so a later
    process only loads it)."""
    text, n_p, n_ps = module_source(model, synapse, n_syn)
    name = model.name + (f"_{synapse.name}{n_syn}" if synapse is not None and n_syn else "")
    if synapse is None or not n_syn:
        synapse, n_syn = None, 0
    return Compiled(model, load_module(name, text), n_p, len(model.states), synapse, n_syn, n_ps)
