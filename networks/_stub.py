"""Placeholders for a model's compiled functions in :mod:`networks.kernel`.

The kernel's source is compiled once per compact model, in a generated module that defines
``prep``, ``full`` and ``current`` (:mod:`networks.compile`), and the ``syn_`` functions of a synapse
device model (no-ops where the circuits have none), in place of this import; these
stubs only keep :mod:`networks.kernel` importable and readable on its own.
"""

N = 1         # unknowns of a circuit: its node voltage, the neuron's states and every synapse device's
NA = 0        # the neuron's states
NB = 0        # each synapse device's states
NS = 0        # synapse devices per circuit


def prep(p):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def full(V, y, p, out):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def current(V, y, p):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def syn_prep(p):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def syn_full(V, y, o, p, out):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")


def syn_current(V, y, o, p):
    raise NotImplementedError("networks.kernel runs only inside a module generated for a model")
