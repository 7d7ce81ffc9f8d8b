"""Figs. 5f-i on the crossbar: the learning rule and the learning loop (no oscillation, bounded synapses)."""

from __future__ import annotations

import numpy as np
import pytest

from memspike.experiments import execute
from memspike.experiments.fig5i import delta_rule, pattern_of


def test_delta_rule_grows_the_pattern_and_shrinks_the_rest():
    assert delta_rule(0, "1010", 0.5) == (0, []) and delta_rule(-3, "1010", 0.5) == (0, [])
    assert delta_rule(8, "1010", 0.5) == (4, ["set", "reset", "set", "reset"])
    assert delta_rule(1, "0110", 0.1)[0] == 1                        # at least one pulse while short
    assert pattern_of([150e-6, 20e-6, 160e-6, 12e-6], 105e-6) == "1010"


@pytest.mark.ngspice
def test_learning_loop_is_monotonic_and_bounded(tmp_path):
    """1010 grows S1, S3 and shrinks S2, S4 at every step: no update ever reverses (no oscillation), and
    S4, already near g_min, stays inside the window under RESET pulses (saturated, not clipped)."""
    doc = execute("fig5i", tmp_path, quick=True)
    g = np.array(doc["results"]["conductance"])
    syn = doc["parameters"]["synapse"]
    assert doc["results"]["final_pattern"] == "1010"
    steps = np.diff(g, axis=0)
    assert np.all(steps[:, [0, 2]] >= 0) and np.all(steps[:, [1, 3]] <= 0)
    assert np.all(g >= syn["g_min"]) and np.all(g <= syn["g_max"])
    assert abs(steps[:, 3]).max() < abs(steps[:, 1]).max()         # the saturating synapse barely moves
    assert all(n == 0 for n in doc["results"]["pulses"][len(doc["results"]["output"]) - 1:])
