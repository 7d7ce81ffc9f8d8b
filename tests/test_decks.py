"""Deck headers: what a designer reads first."""

from __future__ import annotations

import numpy as np
import pytest

from circuits.builders import lif_neuron
from circuits.netlist import write
from circuits.stimuli import PulseTrain
from memspike.decks import deck_header, table_values
from pyspice_models.params import ParameterError

VALUES = [("R_L", 3.6e3, "ohm", "load resistor"), ("C_m", 30e-12, "F", "membrane capacitor"),
          ("n_pulses", 20, "", "number of pulses"), ("t", 1 / 3, "s", "a third"), ("k", np.float64(2.5), "", "numpy")]


def test_deck_header_lines():
    lines = deck_header(what="LIF neuron", figure="Fig. 2d", values=VALUES, version="0.1.0")
    assert lines == ["LIF neuron", "figure: Fig. 2d", "R_L = 3600 ohm : load resistor",
                     "C_m = 3e-11 F : membrane capacitor", "n_pulses = 20 : number of pulses",
                     "t = 0.333333 s : a third", "k = 2.5 : numpy", "memspike 0.1.0",
                     "run: ngspice -b -r out.raw <this file>"]
    run = deck_header(what="x", figure="y", values=[], version="1", run="ngspice -b -r out.raw lif.cir")
    assert run[-1] == "run: ngspice -b -r out.raw lif.cir"


def test_deck_header_in_a_deck():
    net = lif_neuron(train=PulseTrain(n_pulses=1))
    net.header = deck_header(what="LIF neuron", figure="Fig. 2d", values=VALUES[:2], version="0.1.0")
    lines = write(net).splitlines()
    assert lines[2:8] == ["* LIF neuron", "* figure: Fig. 2d", "* R_L = 3600 ohm : load resistor",
                          "* C_m = 3e-11 F : membrane capacitor", "* memspike 0.1.0",
                          "* run: ngspice -b -r out.raw <this file>"]


@pytest.mark.parametrize("kw", [{"what": "x\n.control"}, {"figure": "Fig. 2d\r.endc"},
                                {"version": "0.1\x00"}, {"run": "ngspice\tdeck"},
                                {"values": [("R\n.control", 1.0, "ohm", "x")]},
                                {"values": [("R", 1.0, "ohm\n", "x")]}, {"values": [("R", 1.0, "ohm", "x\n")]}])
def test_deck_header_rejects_multiline_text(kw):
    args = {"what": "w", "figure": "f", "values": [], "version": "1"} | kw
    with pytest.raises(ParameterError):
        deck_header(**args)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "3.6k", True, None])
def test_deck_header_rejects_non_numbers(value):
    with pytest.raises(ParameterError) as ei:
        deck_header(what="w", figure="f", values=[("R_L", value, "ohm", "x")], version="1")
    assert ei.value.name == "R_L"


def test_directive_text_stays_a_comment():
    net = lif_neuron(train=PulseTrain(n_pulses=1))
    net.header = deck_header(what=".control", figure=".endc", values=[(".include", 1.0, "", "shell rm")],
                             version="1", run=".end")
    text = write(net)
    assert all(not ln.startswith(".") or ln.split()[0] in (".subckt", ".ends", ".options", ".save", ".tran", ".end")
               for ln in text.splitlines())
    assert text.count("\n.end\n") == 1 and text.endswith("\n.end\n")


def test_table_values_from_parameter_metadata():
    rows = table_values(PulseTrain(amplitude=0.9), ["amplitude", "n_pulses"])
    assert rows == [("amplitude", 0.9, "V", "pulse amplitude (either sign)"), ("n_pulses", 20, "", "number of pulses")]
    assert [r[0] for r in table_values(PulseTrain())] == PulseTrain.names()
