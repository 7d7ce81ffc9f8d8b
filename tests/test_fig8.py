"""Fig. 8's chain of rate neurons (no simulator): the readings of the Euler form and the remapping distance."""

from __future__ import annotations

import numpy as np

from memspike.experiments.fig4 import PAPER as FIG4
from memspike.experiments.fig8 import Fig8Params, reach, simulate_chain

P = Fig8Params(t_end=0.6, m_off=0.6)
HILL = FIG4["hill"].value


def _dist(per_step, m_amp=0.8, m_off=0.6):
    return reach(simulate_chain(P, HILL, m_amp=m_amp, m_on=0.3, m_off=m_off, per_step_input=per_step), P.theta)


def test_per_step_input_gives_fig8():
    assert 0 <= _dist(True, m_amp=0.0) <= 5                  # weak and local without m
    assert _dist(True, m_off=0.4) < _dist(True, m_off=0.6)     # farther the longer m lasts
    assert _dist(True) >= 20


def test_literal_reading_never_propagates():
    """I_ext inside dt/tau holds neuron 0 at 0.09 MHz, where Eq. 2 is zero: nothing passes theta."""
    assert _dist(False) == -1 and _dist(False, m_amp=0.0) == -1


def test_activity_fades_after_m():
    act = simulate_chain(P, HILL, m_amp=0.8, m_on=0.3, m_off=0.4, per_step_input=True)
    assert (act[:, 450:] <= P.theta).all() and (act[:, 300:400] > P.theta).any()


def test_reach_is_the_farthest_active_neuron():
    act = np.zeros((5, 3))
    assert reach(act, 0.4) == -1
    act[3, 1] = 1.0
    assert reach(act, 0.4) == 3
