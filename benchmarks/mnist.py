"""Throughput of the Fig. 6 network (``memspike run fig6``) on this machine: images per second.

    python benchmarks/mnist.py [--n-train 6000] [--n-test 2000] [--steps 10] [--steps-test 500]
                               [--neuron FILE] [--json FILE]

Training: one epoch over the first ``--n-train`` MNIST training images at ``--steps`` time steps per
image, the full device model and memspike's closed-loop programming (forward pass, surrogate backward
pass, Adam, pulses on both arrays): images per second, and the share of the time that goes to the
weight updates (optimiser, programming pulses, reads) rather than the spiking passes. Inference: the
first ``--n-test`` test images at ``--steps-test`` steps and at 10 steps.
The neuron is the point neuron extracted from ngspice runs of the Fig. 2d circuit (as fig6 does;
``--quick`` extraction, a few seconds), or ``--neuron FILE`` (``memspike extract --out FILE``).
numba compiles (or loads its cache) before anything is timed. Prints one table; ``--json`` writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numba
import numpy as np

from networks import mnist
from networks.point import PointNeuron
from networks.snn import Mapping, infer, train_batch
from networks.snn_devices import FULL, PulseResponse
from networks.snn_train import TrainConfig, Training, data_from
from pyspice_models.params import ParameterError


def neuron_from(path: str | None) -> PointNeuron:
    if path:
        return PointNeuron.load(path)
    from circuits.executor import simulate_many
    from networks.point import Extraction, NeuronCircuit
    from pyspice_models.nbox_et import NbOxETParams

    ex = Extraction(NeuronCircuit(R=(3.6e3,), C_m=30e-12), NbOxETParams(), quick=True)
    while items := ex.pending():
        ex.add(simulate_many([net for _, net in items]))
    return ex.result()


def measure(neuron: PointNeuron, n_train: int, n_test: int, steps: int, steps_test: int) -> dict:
    mapping = Mapping()
    train = data_from(mnist.load("train"), n_train, 0)
    test = data_from(mnist.load("test"), n_test, 10**6)
    cfg = TrainConfig("benchmark", FULL, epochs=1, steps=steps)
    t = Training(cfg, neuron, mapping, PulseResponse.from_model(), 100, {})
    # compile (or load the cache) outside the timing
    W1, W2 = t.weights()
    train_batch(train.images[:2], train.labels[:2], train.ids[:2], W1, W2, t.nv, t.lv, mapping.p_max, 2, 0)
    infer(test.images[:2], test.labels[:2], test.ids[:2], W1, W2, t.nv, t.lv, mapping.p_max, 2, 0)
    # the forward/backward passes alone, then a whole epoch with the device updates
    t0 = time.perf_counter()
    for s in range(0, n_train, cfg.batch):
        sl = slice(s, s + cfg.batch)
        train_batch(train.images[sl], train.labels[sl], train.ids[sl], W1, W2, t.nv, t.lv, mapping.p_max, steps, 1)
    passes = time.perf_counter() - t0
    t0 = time.perf_counter()
    t.run(train, test.take(min(n_test, 100)), eval_steps=1, eval_seed=2)
    epoch = t.history.wall_s[-1]
    W1, W2 = t.weights()
    out = {"train": {"images": n_train, "steps": steps, "s": epoch, "images_per_s": n_train / epoch,
                     "device_update_share": max(0.0, 1 - passes / epoch)}}
    for T in (steps_test, 10):
        t0 = time.perf_counter()
        r = infer(test.images, test.labels, test.ids, W1, W2, t.nv, t.lv, mapping.p_max, T, 3)
        s = time.perf_counter() - t0
        out[f"infer_{T}"] = {"images": n_test, "steps": T, "s": s, "images_per_s": n_test / s,
                             "image_steps_per_s": n_test * T / s, "accuracy": float(r.accuracy_vs_steps[-1])}
    out["machine"] = {"cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(),
                      "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=6000)
    ap.add_argument("--n-test", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=10, help="time steps per image in training")
    ap.add_argument("--steps-test", type=int, default=500, help="time steps per image in inference")
    ap.add_argument("--neuron", default=None, help="a point neuron file (default: extract one with ngspice)")
    ap.add_argument("--json", default=None, help="also write the numbers here")
    a = ap.parse_args(argv)
    for name in ("n_train", "n_test", "steps", "steps_test"):
        if getattr(a, name) < 1:
            print(f"benchmarks/mnist.py: --{name.replace('_', '-')} must be >= 1", file=sys.stderr)
            return 2
    try:
        neuron = neuron_from(a.neuron)
        res = measure(neuron, min(a.n_train, 60000), min(a.n_test, 10000), a.steps, a.steps_test)
    except ParameterError as e:
        print(f"benchmarks/mnist.py: error: {e}", file=sys.stderr)
        return 2
    m = res["machine"]
    print(f"{'what':<28} {'images':>7} {'steps':>6} {'s':>8} {'images/s':>10}")
    tr = res["train"]
    rows = [("training (full device)", tr)] + [("inference", res[k]) for k in res if k.startswith("infer_")]
    for what, r in rows:
        print(f"{what:<28} {r['images']:>7} {r['steps']:>6} {r['s']:>8.2f} {r['images_per_s']:>10.0f}")
    print(f"weight updates (optimiser, pulses, reads): {100 * tr['device_update_share']:.0f} % of training; "
          f"{m['cpus']} CPUs, {m['numba_threads']} numba threads")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
