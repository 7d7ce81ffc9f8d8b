"""Engine benchmark: the same decks in ngspice (in-process and in a process pool) and in VACASK.

    python benchmarks/engines.py [--repeat N]

Prints seconds per run and the speed-up of each way over in-process ngspice,
run sequentially in this same script (the baseline), with the spike counts of
each so that speed is never bought with a different answer.
"""

from __future__ import annotations

import argparse
import time

from analysis.spikes import detect_spikes
from circuits import vacask
from circuits.builders import dendrite, lif_neuron
from circuits.executor import simulate_many
from circuits.netlist import write
from circuits.runner import simulate
from circuits.stimuli import PulseTrain
from pyspice_models.nbox import NbOxParams


def _decks():
    return {
        "lif 1.3 V, 5 pulses": lif_neuron(train=PulseTrain(n_pulses=5)),
        "dendrite fig3c, both": dendrite(trains=[PulseTrain(amplitude=0.9, n_pulses=10)] * 2, R=[5e3, 5e3],
                                         C_m=70e-12),
        "dendrite fig4, m=0.5": dendrite(trains=[PulseTrain(amplitude=1.2, interval=0.4e-6, n_pulses=10),
                                                 PulseTrain(amplitude=0.5, interval=0.4e-6, n_pulses=10)],
                                         R=[1.5e3, 4e3], C_m=700e-12, idle="ground"),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=4, help="runs of each deck per way (default 4)")
    args = ap.parse_args(argv)
    thr = NbOxParams().spike_current()
    decks = _decks()
    simulate(write(next(iter(decks.values()))))          # load libngspice outside the timings
    print(f"{'deck':24s} {'way':22s} {'s/run':>8s} {'speedup':>7s} {'spikes':>6s}")
    for name, net in decks.items():
        text = write(net)
        rows = []
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            wf = simulate(text)
        base = (time.perf_counter() - t0) / args.repeat
        rows.append(("ngspice in-process", base, detect_spikes(wf.time, wf["i(vsense)"], thr).count))
        t0 = time.perf_counter()
        wfs = simulate_many([text] * args.repeat, workers=2)
        rows.append(("ngspice pool (2)", (time.perf_counter() - t0) / args.repeat,
                     detect_spikes(wfs[-1].time, wfs[-1]["i(vsense)"], thr).count))
        if vacask.available():
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                wv = vacask.simulate(net)
            rows.append(("vacask (compiles .va)", (time.perf_counter() - t0) / args.repeat,
                         detect_spikes(wv.time, wv["i(vsense)"], thr).count))
        for way, sec, count in rows:
            print(f"{name:24s} {way:22s} {sec:8.3f} {base / sec:7.2f} {count:6d}")


if __name__ == "__main__":
    main()
