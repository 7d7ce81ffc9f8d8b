"""Vector engine against ngspice: agreement of spike counts and speed, on seeded random conditions.

    python benchmarks/vector.py [--n 200] [--seed 1] [--kind neuron|dendrite|both] [--threads N]

Draws ``--n`` physically sensible settings of the ``neuron`` and ``dendrite`` experiments (half
each with ``--kind both``; amplitudes of both signs, pulse widths, intervals, counts, S2 delays,
resistors and capacitors over wide ranges, as :func:`neuron_settings` and :func:`dendrite_settings`
say), builds each netlist as the experiment does, and runs the whole batch

* in ngspice, one run after another in this process (libngspice, the experiments' default
  engine), timed per run: the baseline;
* in the vector engine, as one batch (``networks.simulate``, all cores), timed as a whole, after
  a warm-up call that loads the compiled kernel.

It prints the time per condition of each, the speed-up (ngspice seconds per run over vector-engine
seconds per condition in the batch, by wall clock and by CPU time: other processes on the machine
slow both), and the agreement: the fraction of conditions whose spike counts differ by at most one,
with every disagreement listed and re-run in ngspice at tight tolerance (reltol 1e-6, 0.5 ns
steps), which says which of the two was off (``--no-recheck`` skips that). The paper's conditions
(Fig. 2d-f's neuron, Fig. 3c's dendrite) are compared first, the runs of ``fig7bcd`` (the 2 x 1 TaOx
array: synapse devices integrated with the neuron) last. Nothing is asserted: the numbers are the result.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.spikes import detect_spikes
from circuits.builders import dendrite as dendrite_circuit
from circuits.builders import lif_neuron
from circuits.runner import simulate as ngspice
from memspike.experiments._shared import TAIL, duration, idle, train
from memspike.experiments.dendrite import DendriteParams
from memspike.experiments.neuron import TEMPERATURE, NeuronParams, pulse_train
from pyspice_models import default_device

MAX_SPAN = 25e-6          # s: the longest stimulus drawn (a 20-pulse Fig. 2f train is 22 us)


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _timing(rng) -> dict:
    """Pulse width, gap and count: 50 ns - 3 us pulses, 20 ns - 2 us gaps, 1-20 pulses, within MAX_SPAN."""
    width = _log_uniform(rng, 50e-9, 3e-6)
    interval = _log_uniform(rng, 20e-9, 2e-6)
    n = int(rng.integers(1, 21))
    n = max(1, min(n, int(MAX_SPAN // (width + interval))))
    return {"width": width, "interval": interval, "n_pulses": n}


def neuron_settings(rng) -> NeuronParams:
    """A random ``neuron`` setting: |amplitude| 0.3-2 V of either sign, R_L 500 ohm - 100 kohm, C_m 3-300 pF."""
    amp = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 2.0))
    return NeuronParams(amplitude=amp, R_L=_log_uniform(rng, 500, 100e3), C_m=_log_uniform(rng, 3e-12, 300e-12),
                        **_timing(rng))


def dendrite_settings(rng) -> DendriteParams:
    """A random ``dendrite`` setting: each input off (15 %) or 0.3-1.8 V of either sign, S2 delayed by
    -3..3 us, R_1 and R_2 1-50 kohm, C_m 10-300 pF, an idle input open or grounded."""
    amps = [0.0 if rng.uniform() < 0.15 else float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.8))
            for _ in range(2)]
    tm = _timing(rng)
    tm["n_pulses"] = min(tm["n_pulses"], 12)
    delay = float(rng.uniform(-3e-6, 3e-6))
    return DendriteParams(amplitude_1=amps[0], amplitude_2=amps[1], delay=delay, R_1=_log_uniform(rng, 1e3, 50e3),
                          R_2=_log_uniform(rng, 1e3, 50e3), C_m=_log_uniform(rng, 10e-12, 300e-12),
                          idle_grounded=int(rng.integers(0, 2)), **tm)


def neuron_net(p: NeuronParams, device):
    """The netlist the ``neuron`` experiment simulates for ``p``."""
    net = lif_neuron(train=pulse_train(p), R_L=p.R_L, C_m=p.C_m, device=device)
    net.save(TEMPERATURE)
    return net


def dendrite_net(p: DendriteParams, device):
    """The netlist the ``dendrite`` experiment simulates for ``p``."""
    trains = [train(p.amplitude_1, p, delay=max(0.0, -p.delay)), train(p.amplitude_2, p, delay=max(0.0, p.delay))]
    applied = [t for t in trains if t is not None]
    span = (max(t.delay + t.duration for t in applied) - min(t.delay for t in applied)) if applied else duration(p)
    tail = TAIL if applied else span + TAIL
    return dendrite_circuit(trains=trains, R=[p.R_1, p.R_2], C_m=p.C_m, idle=idle(p), device=device, tail=tail)


def paper_conditions() -> list[tuple[str, object]]:
    """(label, settings) of the paper's conditions: Fig. 2d-f's neuron, Fig. 3c's dendrite (both inputs, one,
    the other), a negative drive, and a sub-threshold (silent) neuron."""
    return [("neuron Fig. 2d-f (1.3 V, 3.6 kohm, 30 pF)", NeuronParams()),
            ("neuron -1.3 V", NeuronParams(amplitude=-1.3)),
            ("neuron 0.7 V (sub-threshold)", NeuronParams(amplitude=0.7)),
            ("dendrite Fig. 3c both", DendriteParams()),
            ("dendrite Fig. 3c S1 only", DendriteParams(amplitude_2=0.0)),
            ("dendrite Fig. 3i XOR (+0.9, -0.9 V)", DendriteParams(amplitude_2=-0.9))]


def sample(n: int, seed: int, kind: str = "both") -> list[tuple[str, object]]:
    """``n`` seeded random settings, labelled; ``kind`` both: alternately neuron and dendrite."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        which = kind if kind != "both" else ("neuron", "dendrite")[k % 2]
        out.append((f"{which} #{k}", neuron_settings(rng) if which == "neuron" else dendrite_settings(rng)))
    return out


def net_of(settings, device):
    return neuron_net(settings, device) if isinstance(settings, NeuronParams) else dendrite_net(settings, device)


def counts(wfs, nets, device) -> list[int]:
    thr = device.spike_current()
    return [detect_spikes(wf.time, wf[net.probes["n1"]["i"]], thr).count for wf, net in zip(wfs, nets, strict=True)]


def describe(settings) -> str:
    if isinstance(settings, NeuronParams):
        s = settings
        return (f"{s.amplitude:+.3g} V, {s.width * 1e9:.4g} ns / {s.interval * 1e9:.4g} ns x {s.n_pulses}, "
                f"R_L {s.R_L:.4g} ohm, C_m {s.C_m * 1e12:.4g} pF")
    s = settings
    return (f"{s.amplitude_1:+.3g} / {s.amplitude_2:+.3g} V, delay {s.delay * 1e9:.4g} ns, {s.width * 1e9:.4g} ns / "
            f"{s.interval * 1e9:.4g} ns x {s.n_pulses}, R {s.R_1:.4g} / {s.R_2:.4g} ohm, "
            f"C_m {s.C_m * 1e12:.4g} pF, idle {'ground' if s.idle_grounded else 'open'}")


def converged_ngspice(net):
    """ngspice run to convergence: reltol 1e-6 and 0.5 ns steps instead of the decks' 1e-4 and 2 ns."""
    net.options["reltol"] = 1e-6
    net.tran = (net.tran[0], net.tran[1], 0.5e-9)
    return ngspice(net, timeout=900)


def denoised_count(wf, net, device) -> int:
    """The spikes with the current rounded to 1 pA: a neuron held on through a pulse draws a flat current
    whose last-bit wiggles (1e-19 A in ngspice) the peak finder can count as extra peaks."""
    i = np.round(wf[net.probes["n1"]["i"]] / 1e-12) * 1e-12
    return detect_spikes(wf.time, i, device.spike_current()).count


def time_ngspice(nets):
    """Waveforms, and wall and CPU seconds of each run (in this process, one after the other)."""
    wfs, wall, cpu = [], [], []
    for net in nets:
        t0, c0 = time.perf_counter(), time.process_time()
        wfs.append(ngspice(net))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wfs, np.array(wall), np.array(cpu)


def time_vector(nets, threads: int | None, repeat: int = 3):
    """Waveforms, and the best wall time (with its CPU time) of ``repeat`` runs of the whole batch."""
    from networks.simulate import simulate as vector

    vector(nets[:1], threads=threads)                   # load (or compile) the kernel outside the timing
    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        wfs = vector(nets, threads=threads)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu, wfs[0].meta["integration_seconds"])
    return wfs, best


def array_runs(device) -> list[tuple[str, object]]:
    """(tag, netlist) of every run of ``fig7bcd`` at its defaults: the 2 x 1 TaOx/NbOx array (two synapse
    devices and the neuron in one circuit)."""
    from memspike.experiments.fig7bcd import Fig7Params, netlists
    from pyspice_models.taox import TaOxParams

    return netlists(Fig7Params(), device, TaOxParams())[0]


def report_array(device, threads: int | None) -> None:
    """fig7bcd's runs in both engines: time per run and spike counts, run by run."""
    runs = array_runs(device)
    nets = [net for _, net in runs]
    ng_wfs, ng_wall, ng_cpu = time_ngspice(nets)
    v_wfs, (v_wall, v_cpu, v_int) = time_vector(nets, threads)
    thr = device.spike_current()
    ng = [detect_spikes(w.time, w["i(vsense1)"], thr).count for w in ng_wfs]
    vec = [detect_spikes(w.time, w["i(vsense1)"], thr).count for w in v_wfs]
    n = len(nets)
    print(f"\nfig7bcd's 2 x 1 TaOx/NbOx array (two synapse devices on one neuron): {n} runs")
    print(f"  ngspice: {ng_wall.mean() * 1e3:.1f} ms per run (CPU {ng_cpu.mean() * 1e3:.1f} ms); vector: "
          f"{v_wall / n * 1e3:.3f} ms per run in the batch (CPU {v_cpu / n * 1e3:.3f} ms)")
    print(f"  speed-up per run: {ng_wall.sum() / v_wall:.0f}x wall clock, {ng_cpu.sum() / v_cpu:.0f}x CPU time")
    for (tag, _), a, b in zip(runs, ng, vec, strict=True):
        print(f"  {tag:16s} ngspice {a:4d}  vector {b:4d}{'' if abs(a - b) <= 1 else '  DISAGREE'}")


def report(title: str, labelled, device, threads: int | None, recheck: bool = True) -> dict:
    nets = [net_of(s, device) for _, s in labelled]
    ng_wfs, ng_wall, ng_cpu = time_ngspice(nets)
    v_wfs, (v_wall, v_cpu, v_int) = time_vector(nets, threads)
    ng, vec = counts(ng_wfs, nets, device), counts(v_wfs, nets, device)
    diff = np.abs(np.array(ng) - np.array(vec))
    n = len(labelled)
    print(f"\n{title}: {n} conditions")
    print(f"  ngspice: {ng_wall.sum():.2f} s in all: {ng_wall.mean() * 1e3:.1f} ms per run (median "
          f"{np.median(ng_wall) * 1e3:.1f} ms; CPU {ng_cpu.mean() * 1e3:.1f} ms)")
    print(f"  vector:  {v_wall * 1e3:.1f} ms for the batch (best of 3): {v_wall / n * 1e3:.3f} ms per condition "
          f"(CPU {v_cpu / n * 1e3:.3f} ms on all threads; integration alone {v_int / n * 1e3:.3f} ms)")
    print(f"  speed-up per condition: {ng_wall.sum() / v_wall:.0f}x wall clock, {ng_cpu.sum() / v_cpu:.0f}x CPU time")
    points = np.array([w.time.size for w in ng_wfs])
    steps = np.array([w.meta["steps"] + w.meta["rejected"] for w in v_wfs])
    print(f"  where the ratio comes from: ngspice takes {points.mean():.0f} time points per run at "
          f"{ng_cpu.sum() / points.sum() * 1e6:.1f} us CPU each; the vector engine {steps.mean():.0f} steps per "
          f"condition (accepted and rejected) at {v_int / steps.sum() * 1e9:.0f} ns each (integration, wall clock "
          f"on every thread): {points.sum() / steps.sum():.2f} ngspice points per vector step")
    kinds = sorted({type(s).__name__ for _, s in labelled})
    if len(kinds) > 1:
        for kind in kinds:
            sel = [k for k, (_, s) in enumerate(labelled) if type(s).__name__ == kind]
            _, (w, c, _) = time_vector([nets[k] for k in sel], threads)
            print(f"    {kind}: ngspice {ng_wall[sel].mean() * 1e3:.1f} ms per run, vector {w / len(sel) * 1e3:.3f} ms "
                  f"per condition: {ng_wall[sel].sum() / w:.0f}x")
    spiking = np.array(ng) > 0
    for label, sel in (("spiking", np.flatnonzero(spiking)), ("silent", np.flatnonzero(~spiking))):
        if sel.size and sel.size < n:
            _, (w, c, _) = time_vector([nets[k] for k in sel], threads)
            print(f"    {label} in ngspice ({sel.size}): ngspice {ng_wall[sel].mean() * 1e3:.1f} ms and "
                  f"{points[sel].mean():.0f} points per run, vector {w / sel.size * 1e3:.3f} ms and "
                  f"{steps[sel].mean():.0f} steps per condition: {ng_wall[sel].sum() / w:.0f}x")
    print(f"  agreement with ngspice (the decks as written): {np.mean(diff <= 1) * 100:.1f} % within one spike "
          f"({int(np.sum(diff <= 1))}/{n}), {np.mean(diff == 0) * 100:.1f} % equal; spikes in all: ngspice "
          f"{sum(ng)}, vector {sum(vec)}")
    explained = 0
    for k in np.flatnonzero(diff > 1):
        lab, s = labelled[k]
        line = f"  DISAGREE {lab}: ngspice {ng[k]}, vector {vec[k]} ({describe(s)})"
        if recheck:
            quiet = denoised_count(ng_wfs[k], nets[k], device)
            conv = counts([converged_ngspice(net_of(s, device))], [nets[k]], device)[0]
            why = ("ngspice at reltol 1e-6, 0.5 ns steps: " + str(conv))
            if abs(quiet - vec[k]) <= 1 and abs(quiet - ng[k]) > 1:
                why += f"; ngspice's current rounded to 1 pA: {quiet} (solver noise on a flat on-current)"
            if abs(conv - vec[k]) <= 1 or abs(quiet - vec[k]) <= 1:
                explained += 1
            line += f": {why}"
        print(line)
    if recheck and np.any(diff > 1):
        print(f"  agreement with ngspice's converged answer where the decks' ngspice disagrees: "
              f"{(np.sum(diff <= 1) + explained) / n * 100:.1f} % within one spike")
    return {"ngspice": ng, "vector": vec, "ngspice_s": ng_wall, "vector_s": v_wall, "diff": diff}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="random conditions (default 200)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the draw (default 1)")
    ap.add_argument("--kind", choices=("neuron", "dendrite", "both"), default="both")
    ap.add_argument("--threads", type=int, default=None, help="vector engine threads (default: all cores)")
    ap.add_argument("--no-recheck", action="store_true", help="do not re-run disagreements in ngspice at tight "
                    "tolerance (reltol 1e-6, 0.5 ns steps)")
    args = ap.parse_args(argv)
    device = default_device()
    ngspice(neuron_net(NeuronParams(n_pulses=1), device))           # load libngspice outside the timings
    paper = paper_conditions()
    r = report("paper's conditions", paper, device, args.threads, not args.no_recheck)
    for (lab, _), a, b in zip(paper, r["ngspice"], r["vector"], strict=True):
        print(f"  {lab:42s} ngspice {a:4d}  vector {b:4d}")
    report(f"random conditions (seed {args.seed}, {args.kind})", sample(args.n, args.seed, args.kind), device,
           args.threads, not args.no_recheck)
    report_array(device, args.threads)


if __name__ == "__main__":
    main()
