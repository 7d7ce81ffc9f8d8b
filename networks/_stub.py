"""Placeholders for a model's compiled functions in :mod:`networks.kernel`.

The kernel's source is compiled once per compact model, in a generated module that defines
``prep``, ``full`` and ``current`` (:mod:`networks.compile`) in place of this import; these
stubs only keep :mod:`networks.kernel` importable and readable on its own.
"""

N = 1         # unknowns of a circuit: its node voltage and the model's states


def prep(p):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def full(V, y, p, out):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def current(V, y, p):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")
