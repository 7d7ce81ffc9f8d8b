"""Agreement of the extracted point neuron with ngspice on a seeded random sample of circuit settings.

    python benchmarks/point_agreement.py [--n 50] [--seed 1] [--device nbox_et] [--json FILE]

Each setting is a circuit (Fig. 2d: R_L, C_m; or Fig. 3a: R_1, R_2, C_m) and a stimulus (amplitude(s),
width, interval, pulse count, and for Fig. 3a the delay of S2). For each, the point neuron of that
circuit is extracted from ngspice runs of the circuit (``networks.point.extract``: sub-threshold
pulses and constant drives, never the stimulus compared), then the stimulus is run in ngspice and in
the point neuron, and the rates (spike count / stimulus duration) compared: agreement is within 15 %
(both silent counts as agreement). Prints one line per setting and a summary: how many agree, and
where the others lie (drive relative to the fitted threshold and the device's onset, latch).

"Physically sensible": the circuit is a neuron (a relaxation oscillator), so a draw whose input would
hold the device on (past the latch: the input supplies the device's hold current) is drawn again
unless ``--include-latch``; there the point neuron latches at the first spike while the device rings
for 2 to 9 spikes before it settles on, and counts differ by that factor.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from analysis.spikes import detect_spikes
from circuits.executor import simulate_many
from circuits.stimuli import PulseTrain
from networks.point import Extraction, NeuronCircuit, PointNeuron, device_estimates, simulate_trains
from pyspice_models import NEURON_DEVICES
from pyspice_models.params import ParameterError

TOLERANCE = 0.15


@dataclass(frozen=True)
class Setting:
    circuit: NeuronCircuit
    trains: tuple[PulseTrain, ...]

    @property
    def duration(self) -> float:
        """The stimulus duration (the rate's denominator): first pulse to end of the last train."""
        start = min(tr.delay for tr in self.trains)
        return max(tr.delay + tr.duration for tr in self.trains) - start

    def describe(self) -> str:
        c = self.circuit
        r = "/".join(f"{x / 1e3:.3g}k" for x in c.R)
        amps = "/".join(f"{tr.amplitude:.3g}" for tr in self.trains)
        tr = self.trains[0]
        extra = f" delay {self.trains[1].delay * 1e6:+.2f} us" if len(self.trains) > 1 else ""
        return (f"R {r} C {c.C_m * 1e12:.3g}p A {amps} V w {tr.width * 1e6:.2f} us gap {tr.interval * 1e6:.2f} us "
                f"x{tr.n_pulses}{extra}")


def _log_uniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def latch_input(circuit: NeuronCircuit, device) -> float:
    """The input (Thevenin) voltage at which the device, once on, stays on: its hold voltage plus its hold
    current through the synapses in parallel (quasi-static estimate; 3 x threshold without one)."""
    return device_estimates(device, circuit.R_par)[1]


def thevenin(s: Setting) -> float:
    """The largest input the membrane sees through its synapses, all pulses on: R_par sum_k u_k / R_k (V)."""
    c = s.circuit
    return c.R_par * sum(tr.amplitude / r for tr, r in zip(s.trains, c.R, strict=True))


def sample_settings(n: int, seed: int, device=None, include_latch: bool = False) -> list[Setting]:
    """``n`` settings, seeded: two in three Fig. 2d neurons, one in three Fig. 3a dendritic neurons; ranges
    around the paper's circuits (R 2-15 kohm, C_m 10-120 pF, 0.3-2 us pulses, 0.05-1 us gaps). A neuron
    is a relaxation oscillator: unless ``include_latch``, a draw whose input would hold the device on
    (above 0.95 of :func:`latch_input`) is drawn again (with ``device``, default the default device)."""
    from pyspice_models import default_device

    device = device or default_device()
    rng = np.random.default_rng(seed)
    out = []
    k = 0
    while len(out) < n:
        width = round(_log_uniform(rng, 0.3e-6, 2e-6), 9)
        interval = round(_log_uniform(rng, 0.05e-6, 1e-6), 9)
        if k % 3 != 2:
            c = NeuronCircuit(R=(round(_log_uniform(rng, 2e3, 10e3)),),
                              C_m=round(_log_uniform(rng, 10e-12, 100e-12), 14))
            a = round(float(rng.uniform(0.9, 1.5)), 3)
            trains = (PulseTrain(amplitude=a, width=width, interval=interval, n_pulses=int(rng.integers(10, 21))),)
        else:
            c = NeuronCircuit(R=(round(_log_uniform(rng, 3e3, 15e3)), round(_log_uniform(rng, 3e3, 15e3))),
                              C_m=round(_log_uniform(rng, 20e-12, 120e-12), 14))
            n_p = int(rng.integers(10, 16))
            delay = round(float(rng.uniform(-1e-6, 1e-6)), 9)
            a1, a2 = (round(float(rng.uniform(0.5, 1.3)), 3) for _ in range(2))
            trains = (PulseTrain(amplitude=a1, width=width, interval=interval, n_pulses=n_p, delay=max(-delay, 0.0)),
                      PulseTrain(amplitude=a2, width=width, interval=interval, n_pulses=n_p, delay=max(delay, 0.0)))
        s = Setting(c, trains)
        if include_latch or thevenin(s) < 0.95 * latch_input(c, device):
            out.append(s)
            k += 1
    return out


def compare(settings: list[Setting], device, *, quick_extraction: bool = False, workers: int | None = None,
            onset_bound: bool = False) -> list[dict]:
    """Extract each setting's point neuron, run its stimulus in ngspice and in the point neuron; one row each.
    The extractions' rounds are batched across settings (one process pool for all)."""
    exs = [Extraction(s.circuit, device, quick=quick_extraction, onset_bound=onset_bound) for s in settings]
    nets = [s.circuit.netlist(list(s.trains), device) for s in settings]
    batches = [ex.pending() for ex in exs]
    first = True
    while any(batches) or first:
        jobs = [net for b in batches for _, net in b] + (nets if first else [])
        wfs = simulate_many(jobs, workers=workers)
        k = 0
        for ex, b in zip(exs, batches, strict=True):
            if b:
                ex.add(wfs[k:k + len(b)])
                k += len(b)
        if first:
            stim = wfs[k:]
            first = False
        batches = [ex.pending() for ex in exs]
    thr = device.spike_current()
    rows = []
    for s, ex, net, wf in zip(settings, exs, nets, stim, strict=True):
        row = {"setting": s.describe()}
        try:
            neuron = ex.result()
        except ParameterError as e:          # a circuit that does not fire on its constant drives: no neuron
            neuron = None
            row["error"] = str(e)
        n_spice = detect_spikes(wf.time, wf["i(vsense)"], thr).count
        row["ngspice"] = n_spice
        row["duration"] = s.duration
        if neuron is not None:
            n_point = int(simulate_trains(neuron, list(s.trains), t_stop=float(net.tran[1])).size)
            row.update(point=n_point, **_where(neuron, s))
            row["rel_error"] = (abs(n_point - n_spice) / n_spice) if n_spice else (0.0 if n_point == 0 else math.inf)
            row["agree"] = row["rel_error"] <= TOLERANCE
        else:
            row.update(point=None, rel_error=None, agree=False)
        rows.append(row)
    return rows


def _where(neuron: PointNeuron, s: Setting) -> dict:
    """Where the setting lies for the point neuron: the peak drive (all pulses on) against v_th, v_latch."""
    peak = neuron.drive([tr.amplitude for tr in s.trains])
    onset = neuron.fit.get("onset", {}).get("lowest_firing_drive")
    return {"drive": peak, "drive_over_v_th": peak / neuron.v_th,
            "near_onset": bool(onset is not None and neuron.v_th < peak < 1.05 * onset),
            "above_latch": bool(neuron.v_latch is not None and peak >= neuron.v_latch)}


def summarise(rows: list[dict]) -> dict:
    firing = [r for r in rows if r["ngspice"] > 0]
    agree = [r for r in rows if r["agree"]]
    bad = [r for r in rows if not r["agree"]]
    return {"n": len(rows), "agree": len(agree), "fraction": len(agree) / len(rows) if rows else math.nan,
            "firing_in_ngspice": len(firing), "agree_firing": sum(r["agree"] for r in firing),
            "median_rel_error_firing": float(np.median([r["rel_error"] for r in firing if r["rel_error"] is not None]))
            if firing else math.nan,
            "disagree": [{k: r.get(k) for k in ("setting", "ngspice", "point", "rel_error", "drive_over_v_th",
                                                "near_onset", "above_latch", "error")} for r in bad]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="settings in the sample (default 50)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sample (default 1)")
    ap.add_argument("--device", default="nbox_et", choices=sorted(NEURON_DEVICES), help="NbOx model (default nbox_et)")
    ap.add_argument("--onset-bound", action="store_true", help="fit v_th within the onset bracket (default: free)")
    ap.add_argument("--include-latch", action="store_true", help="keep draws whose input holds the device on "
                    "(no relaxation oscillator: the point neuron latches at once, the circuit rings 2-9 spikes first)")
    ap.add_argument("--json", default=None, help="also write every row and the summary to this JSON file")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be >= 1")
    device = NEURON_DEVICES[args.device]()
    t0 = time.perf_counter()
    rows = compare(sample_settings(args.n, args.seed, device, args.include_latch), device,
                   onset_bound=args.onset_bound)
    summ = summarise(rows)
    print(f"{'setting':78s} {'ngspice':>7s} {'point':>6s} {'error':>7s} {'D/v_th':>6s}")
    for r in rows:
        err = "-" if r["rel_error"] is None else f"{r['rel_error']:.1%}"
        d = f"{r['drive_over_v_th']:.2f}" if "drive_over_v_th" in r else "-"
        flag = "" if r["agree"] else "  <-" + (" near onset" if r.get("near_onset") else "") + (
            " latch" if r.get("above_latch") else "") + (f" {r['error']}" if r.get("error") else "")
        print(f"{r['setting']:78s} {r['ngspice']:7d} {str(r['point']):>6s} {err:>7s} {d:>6s}{flag}")
    print(f"agree within {TOLERANCE:.0%}: {summ['agree']}/{summ['n']} ({summ['fraction']:.0%}); settings that fire in "
          f"ngspice: {summ['agree_firing']}/{summ['firing_in_ngspice']}, median error "
          f"{summ['median_rel_error_firing']:.1%}; {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seed": args.seed, "device": args.device, "tolerance": TOLERANCE, "summary": summ, "rows": rows},
                      f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
