"""Fig. 7e-h's network in memspike and in Brian2 (C++ standalone): the same neuron, inputs, step and duration.

    python benchmarks/brian2_fig7.py [--duration 0.2] [--neuron FILE] [--brian2-python PATH] [--seed 1]

The neuron is the point neuron of ``fig7gh`` (``--neuron FILE``: a file of ``memspike extract``; default:
extracted here from ngspice, Fig. 2d circuit, 3.6 kohm, 30 pF), the inputs those of ``fig7gh``'s
parameters (4,000 excitatory and 1,000 inhibitory Poisson trains at 10 kHz, 100 ns pulses of 0.136 V and
-0.134 V mapped to membrane increments by the neuron's input gain, and with synchronous events at 400 kHz
of 15 trains), one neuron without and one with synchronous events, ``--duration`` seconds on 20 ns steps.

* memspike: :func:`networks.point.run_poisson` (inputs drawn per chunk, numba loop), timed after a short
  warm-up run that compiles the kernel;
* Brian2: C++ standalone, the fastest CPU target it has (one thread; ``--threads`` for OpenMP): two
  ``NeuronGroup`` of one neuron, ``dv/dt = -v/tau_m (unless refractory)``, threshold ``abs(v) >= v_th``,
  reset ``v = sign(v) v_reset`` held during ``t_ref`` (a ``run_regularly`` after the inputs), the inputs
  ``PoissonInput`` (binomial counts per step) placed ``before_thresholds`` so that a step's events are
  seen by that step's threshold, as in memspike. Its time is the simulation loop as the binary measures
  it (``device._last_run_time``): code generation and compilation excluded (printed apart).

Brian2 needs numpy < 2.4 (2.9 fails to import on 2.4), which may not be memspike's; so Brian2 runs in its
own interpreter (``--brian2-python``, default ``$MEMSPIKE_BRIAN2_PYTHON`` or this one), set up e.g. as::

    python3 -m venv /work/brian2-venv && /work/brian2-venv/bin/pip install brian2 'numpy<2.4'

(``pip install 'memspike[brian2]'`` does the same into an environment whose numpy may be downgraded).
Prints both times, the speed ratio and both output rates per condition, with the counting error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BRIAN2_SCRIPT = textwrap.dedent('''
    import json, sys, time
    cfg = json.loads(sys.argv[1])
    t0 = time.perf_counter()
    from brian2 import (Hz, Network, NeuronGroup, PoissonInput, SpikeMonitor, defaultclock, device, prefs, second,
                        seed, set_device, volt)
    set_device("cpp_standalone", directory=cfg["dir"], build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = cfg["threads"]
    seed(cfg["seed"])
    defaultclock.dt = cfg["dt"] * second
    ns = {"tau_m": cfg["tau_m"] * second, "v_th": cfg["v_th"] * volt, "v_reset": cfg["v_reset"] * volt}
    eqs = """dv/dt = -v/tau_m : volt (unless refractory)
    s : 1"""
    net = Network()                     # explicit: objects made in a loop are not collected by the magic run
    monitors = {}
    for name, c in cfg["conditions"].items():
        g = NeuronGroup(1, eqs, threshold="abs(v) >= v_th", reset="s = sign(v)\\nv = s*v_reset",
                        refractory=cfg["t_ref"] * second, method="exact", namespace=ns, name=name)
        g.s = 1
        net.add(g, PoissonInput(g, "v", N=cfg["n_exc"], rate=c["rate_exc"] * Hz, weight=c["dv_exc"] * volt,
                                when="before_thresholds"),
                PoissonInput(g, "v", N=cfg["n_inh"], rate=c["rate_inh"] * Hz, weight=c["dv_inh"] * volt,
                             when="before_thresholds"))
        if c["sync_rate"] > 0:
            net.add(PoissonInput(g, "v", N=1, rate=c["sync_rate"] * Hz, weight=c["dv_sync"] * volt,
                                 when="before_thresholds"))
        net.add(g.run_regularly("v = v*int(not_refractory) + s*v_reset*(1 - int(not_refractory))",
                                when="before_thresholds", order=10))
        monitors[name] = SpikeMonitor(g, record=False)
        net.add(monitors[name])
    net.run(cfg["duration"] * second)
    device.build(directory=cfg["dir"], compile=True, run=True, with_output=False)
    print(json.dumps({"counts": {k: int(m.count[0]) for k, m in monitors.items()},
                      "run_s": device._last_run_time, "timers": device.timers,
                      "total_s": time.perf_counter() - t0}))
''')


def brian2_python(arg: str | None) -> str:
    return arg or os.environ.get("MEMSPIKE_BRIAN2_PYTHON") or sys.executable


def run_brian2(python: str, cfg: dict, timeout: float = 1800) -> dict:
    """Build and run the Brian2 standalone project in ``python``; its JSON answer."""
    with tempfile.TemporaryDirectory(prefix="brian2_fig7_") as tmp:
        script = Path(tmp, "fig7_brian2.py")
        script.write_text(BRIAN2_SCRIPT)
        cfg = {**cfg, "dir": str(Path(tmp, "standalone"))}
        proc = subprocess.run([python, str(script), json.dumps(cfg)], capture_output=True, text=True,
                              timeout=timeout, cwd=tmp, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise RuntimeError(f"Brian2 ({python}) failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def configuration(neuron, p, duration: float, seed: int, threads: int) -> dict:
    """The network as plain numbers: what both simulators are given."""
    from memspike.experiments.fig7gh import inputs

    conds = {}
    for name, sync in (("background", False), ("sync", True)):
        i = inputs(p, neuron, sync)
        conds[name] = {"rate_exc": i.exc_background_rate, "rate_inh": i.rate, "dv_exc": i.dv_exc, "dv_inh": i.dv_inh,
                       "sync_rate": i.sync_rate, "dv_sync": i.sync_size * i.dv_exc}
    return {"tau_m": neuron.tau_m, "v_th": neuron.v_th, "v_reset": neuron.v_reset, "t_ref": neuron.t_ref,
            "n_exc": p.n_exc, "n_inh": p.n_inh, "dt": p.dt, "duration": duration, "seed": seed, "threads": threads,
            "conditions": conds}


def run_memspike(neuron, p, duration: float, seed: int) -> dict:
    from memspike.experiments.fig7gh import inputs
    from networks.point import run_poisson

    run_poisson(neuron, inputs(p, neuron, True), t_end=100 * p.dt, dt=p.dt, seed=0)      # compile
    counts, t = {}, 0.0
    for name, sync in (("background", False), ("sync", True)):
        t0 = time.perf_counter()
        r = run_poisson(neuron, inputs(p, neuron, sync), t_end=duration, dt=p.dt, seed=(seed, int(sync)))
        t += time.perf_counter() - t0
        counts[name] = int(r.spike_times.size)
    return {"counts": counts, "run_s": t}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=0.2, help="simulated seconds per condition (default 0.2)")
    ap.add_argument("--neuron", default=None, help="a point-neuron file (memspike extract); default: extract now")
    ap.add_argument("--brian2-python", default=None, help="the interpreter with Brian2 (default: "
                    "$MEMSPIKE_BRIAN2_PYTHON, else this one)")
    ap.add_argument("--threads", type=int, default=0, help="Brian2 OpenMP threads (default 0: none)")
    ap.add_argument("--seed", type=int, default=1, help="seed of both simulators' inputs (default 1)")
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = ap.parse_args(argv)
    if not (args.duration > 0 and math.isfinite(args.duration)):
        ap.error("--duration must be a positive number of seconds")
    from memspike.experiments.fig7gh import Fig7ghParams
    from networks.point import NeuronCircuit, PointNeuron, extract
    from pyspice_models import default_device
    from pyspice_models.params import ParameterError

    p = Fig7ghParams()
    try:
        neuron = PointNeuron.load(args.neuron) if args.neuron else extract(NeuronCircuit(R=(p.R_L,), C_m=p.C_m),
                                                                           default_device(), device_model="nbox_et")
    except ParameterError as e:
        print(f"brian2_fig7: error: {e}", file=sys.stderr)
        return 2
    cfg = configuration(neuron, p, args.duration, args.seed, args.threads)
    ms = run_memspike(neuron, p, args.duration, args.seed)
    python = brian2_python(args.brian2_python)
    try:
        b2 = run_brian2(python, cfg)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print(f"brian2_fig7: {e}", file=sys.stderr)
        return 1
    steps = 2 * round(args.duration / p.dt)
    print(f"network: {p.n_exc} + {p.n_inh} Poisson inputs, {len(cfg['conditions'])} neurons (background, sync), "
          f"{args.duration:g} s at dt = {p.dt * 1e9:g} ns ({steps:,} neuron-steps)")
    print(f"neuron: v_th {neuron.v_th:.4g} V, v_reset {neuron.v_reset:.4g} V, tau_m {neuron.tau_m * 1e9:.4g} ns, "
          f"t_ref {neuron.t_ref * 1e9:.4g} ns ({int(neuron.t_ref / p.dt + 1e-3)} steps); PSP "
          f"{cfg['conditions']['background']['dv_exc'] * 1e3:.2f} / "
          f"{cfg['conditions']['background']['dv_inh'] * 1e3:.2f} mV")
    print(f"{'simulator':28s} {'run s':>8s} {'ns/step':>8s} {'bg rate kHz':>12s} {'sync rate kHz':>14s}")
    rows = {"memspike (numba)": ms, "Brian2 C++ standalone": b2}
    for name, r in rows.items():
        print(f"{name:28s} {r['run_s']:8.3f} {r['run_s'] / steps * 1e9:8.1f} "
              f"{r['counts']['background'] / args.duration / 1e3:12.2f} "
              f"{r['counts']['sync'] / args.duration / 1e3:14.2f}")
    ratio = b2["run_s"] / ms["run_s"]
    print(f"speed ratio (Brian2 run / memspike run): {ratio:.1f}x; Brian2 code generation + compilation + run, "
          f"all told: {b2['total_s']:.1f} s (its timers: {json.dumps(b2['timers'], default=str)})")
    agree = {}
    for cond in ("background", "sync"):
        a, b = ms["counts"][cond], b2["counts"][cond]
        z = (a - b) / math.sqrt(a + b) if a + b else 0.0
        agree[cond] = {"memspike": a, "brian2": b, "rel_diff": (a - b) / b if b else None, "z": z}
        print(f"  {cond}: memspike {a} spikes, Brian2 {b} spikes: {100 * (a - b) / max(b, 1):+.1f} % "
              f"({z:+.1f} counting sigma)")
    if args.json:
        Path(args.json).write_text(json.dumps({"config": cfg, "memspike": ms, "brian2": b2, "speed_ratio": ratio,
                                               "rates": agree, "brian2_python": python}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
