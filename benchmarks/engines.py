"""Engine benchmark: the same decks in ngspice (in-process and in a process pool) and in VACASK.

    python benchmarks/engines.py [--repeat N]

Prints seconds per run and the speed-up of each way over in-process ngspice,
run sequentially in this same script (the baseline), with the spike counts of
each so that speed is never bought with a different answer. The decks are the
Fig. 2-4 circuits with the default (electro-thermal) device, and the Fig. 2
neuron with the behavioural model ``nbox_ts`` (the fast level) for comparison.
"""

from __future__ import annotations

import argparse
import time

from analysis.spikes import detect_spikes
from circuits import vacask
from circuits.builders import dendrite, lif_neuron
from circuits.executor import simulate_many
from circuits.runner import simulate
from circuits.stimuli import PulseTrain
from pyspice_models import default_device
from pyspice_models.nbox import NbOxParams


def _decks():
    """name -> (netlist, device): the experiments' circuit values for each model."""
    et, ts = default_device(), NbOxParams()
    return {
        "lif 1.3 V, 5 pulses": (lif_neuron(train=PulseTrain(n_pulses=5), device=et), et),
        "dendrite fig3c, both": (dendrite(trains=[PulseTrain(amplitude=0.9, n_pulses=10)] * 2, R=[5.2e3, 5.2e3],
                                          C_m=115e-12, device=et), et),
        "dendrite fig4, m=0.5": (dendrite(trains=[PulseTrain(amplitude=1.2, interval=0.4e-6, n_pulses=10),
                                                  PulseTrain(amplitude=0.5, interval=0.4e-6, n_pulses=10)],
                                          R=[10.45e3, 40e3], C_m=100e-12, idle="ground", device=et), et),
        "lif 1.3 V nbox_ts": (lif_neuron(train=PulseTrain(n_pulses=5), device=ts), ts),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=4, help="runs of each deck per way (default 4)")
    args = ap.parse_args(argv)
    decks = _decks()
    simulate(next(iter(decks.values()))[0])       # load libngspice outside the timings
    print(f"{'deck':24s} {'way':22s} {'s/run':>8s} {'speedup':>7s} {'spikes':>6s}")
    for name, (net, device) in decks.items():
        thr = device.spike_current()
        rows = []
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            wf = simulate(net)
        base = (time.perf_counter() - t0) / args.repeat
        rows.append(("ngspice in-process", base, detect_spikes(wf.time, wf["i(vsense)"], thr).count))
        t0 = time.perf_counter()
        wfs = simulate_many([net] * args.repeat, workers=2)
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
