"""Truth tables from firing rates (Fig. 3e, 3i), independent of any simulator."""

from __future__ import annotations

import pytest

from analysis.logic import GATES, truth_table


def _node_rate(pairs):
    """A toy polarity-symmetric neuron: rate grows with |v1 + v2| above 0.5 V."""
    return [max(0.0, abs(v1 + v2) - 0.5) * 1e7 for v1, v2 in pairs]


def test_and_or_xor_from_one_toy_neuron():
    and_ = truth_table(_node_rate, ((0, 0.9), (0, 0.9)), threshold=8e6)
    assert and_.outputs == (0, 0, 0, 1) and and_.gate == "AND" and and_.implements("AND")
    or_ = truth_table(_node_rate, ((0, 0.9), (0, 0.9)), threshold=1e6)
    assert or_.gate == "OR"
    xor = truth_table(_node_rate, ((0, 0.9), (0, -0.9)), threshold=1e6)
    assert xor.gate == "XOR"
    assert xor.voltages == ((0, 0), (0, -0.9), (0.9, 0), (0.9, -0.9))
    d = xor.as_dict()
    assert d["inputs"] == ["00", "01", "10", "11"] and d["truth"] == [0, 1, 1, 0]


def test_no_gate_and_bad_arguments():
    tt = truth_table(lambda pairs: [0, 5, 0, 5], ((0, 1), (0, 1)), threshold=1)
    assert tt.outputs == (0, 1, 0, 1) and tt.gate is None
    assert not any(tt.implements(g) for g in GATES) and tt.as_dict()["gate"] is None
    with pytest.raises(ValueError):
        tt.implements("MAYBE")
    with pytest.raises(ValueError):
        truth_table(_node_rate, ((0, 1),), threshold=1)
    with pytest.raises(ValueError):
        truth_table(_node_rate, ((0, 1), (0, 1)), threshold=float("nan"))
    with pytest.raises(ValueError):
        truth_table(lambda pairs: [1, 2, 3], ((0, 1), (0, 1)), threshold=1)
