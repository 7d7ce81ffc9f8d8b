"""Run vector-engine decks without the experiment framework.

    python -m networks.run DECK.json [DECK.json ...] [--out DIR]

Each deck (written by ``memspike run NAME --engine vector``, see :mod:`networks.deck`) is rebuilt
into its netlist and simulated (all decks in one batch); the saved vectors go to ``DECK.npz``
(``time`` and one array per vector, named as in ngspice: ``v(mem)``, ``i(vsense)``, ...) in ``--out``
(default: next to the deck), and one line per neuron probe says how many spikes it fired (device
current pulses above the device's spike detection current).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from analysis.spikes import detect_spikes
from pyspice_models import MODELS

from .circuit import extract
from .deck import loads
from .simulate import simulate


def spike_line(name: str, star, wf) -> str:
    """``name: N spikes`` for each probed neuron (the electro-thermal and behavioural NbOx models know their
    spike detection current)."""
    dev = MODELS[star.model.name].params(**star.params)
    thr = getattr(dev, "spike_current", None)
    if thr is None:
        return f"{name}: {wf.time.size} time points (no spike detection for {star.model.name})"
    sp = detect_spikes(wf.time, wf[star.saves[star.saves.index(_probe_i(star))]], thr())
    return f"{name}: {sp.count} spikes" + (f" at {', '.join(f'{t:.4g}' for t in sp.times[:8])} s"
                                           + (" ..." if sp.count > 8 else "") if sp.count else "")


def _probe_i(star) -> str:
    for s in star.saves:
        if s.startswith("i("):
            return s
    raise ValueError("no current probe saved")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m networks.run", description=__doc__.splitlines()[0])
    ap.add_argument("decks", nargs="+", type=Path, help="vector-engine decks (.json)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the .npz files (default: beside each deck)")
    args = ap.parse_args(argv)
    nets = [loads(p.read_text()) for p in args.decks]
    wfs = simulate(nets)
    for path, net, wf in zip(args.decks, nets, wfs, strict=True):
        folder = args.out or path.parent
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (path.stem + ".npz")
        np.savez(target, time=wf.time, **wf.vectors)
        star = extract(net)
        print(f"{path}: {wf.time.size} points to {wf.time[-1]:.4g} s -> {target}")
        for neuron, probe in net.probes.items():
            if "i" in probe:
                print("  " + spike_line(neuron, star, wf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
