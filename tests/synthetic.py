"""Synthetic "measured" files for the bench-loop tests: simulated data written as instruments write it.

The truth is a known device simulated in ngspice (an I-V sweep through a small series resistor, or
the LIF neuron of Fig. 2d), sampled as an instrument samples (uniform steps, from a trigger time),
with noise, and written in each supported layout with its quirks: header blocks, units in headings,
empty or 9.9E+37 cells, several blocks (cycles), trailing delimiters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circuits.builders import device_sweep, lif_neuron
from circuits.runner import simulate
from circuits.stimuli import PulseTrain, triangle
from pyspice_models.nbox_et import NbOxETParams
from pyspice_models.params import draw

BASE = NbOxETParams()
TRUTH_IV = BASE.replace(G0=BASE.G0 * 1.1, R_th=BASE.R_th * 0.9, R_s=BASE.R_s * 1.15)
TRUTH_NEURON = BASE.replace(G0=BASE.G0 * 1.08, R_s=BASE.R_s * 0.9, C_th=BASE.C_th * 1.4)
NEURON_SETS = {"amplitude": "1.3", "width": "1u", "interval": "0.1u", "n_pulses": "2", "R_L": "3.6k", "C_m": "30p"}


# --------------------------------------------------------------------------- simulated truth
def iv_cycles(device=TRUTH_IV, n_cycles: int = 3, spread: float = 0.0, period: float = 1e-3, points: int = 1200,
              seed: int = 7, noise_v: float = 1e-3, noise_i: float = 0.01) -> list[dict]:
    """``n_cycles`` bipolar sweeps (0 -> +1.2 -> 0 -> -1.2 -> 0 V), each on its own draw of the device when
    ``spread`` > 0 (the model's cycle-to-cycle spreads times ``spread``), sampled at ``points`` uniform
    steps per cycle: dicts of ``t``, ``V`` (device), ``I``, ``Vapp`` (source)."""
    import dataclasses

    rng = np.random.default_rng(seed)
    var = device.cycle_spread()
    var = dataclasses.replace(var, **{f.name: getattr(var, f.name) * spread for f in dataclasses.fields(var)})
    out = []
    pts = triangle(1.2, period, 1, negative=True)
    for k in range(n_cycles):
        dev = draw(device, rng, var) if spread > 0 else device
        wf = simulate(device_sweep(points=pts, R_s=10.0, device=dev, tmax=period / 2000))
        t = np.linspace(0, period, points, endpoint=False)
        v = np.interp(t, wf.time, wf["v(top)"]) + rng.normal(0, noise_v, t.size)
        i = np.interp(t, wf.time, wf["i(vsense)"])
        i = i * (1 + rng.normal(0, noise_i, t.size)) + rng.normal(0, 1e-10, t.size)
        out.append({"t": t + k * period, "V": v, "I": i, "Vapp": np.interp(t, wf.time, wf["v(in)"]), "device": dev})
    return out


def neuron_trace(device=TRUTH_NEURON, dt: float = 0.5e-9, pre: float = 0.2e-6, t0: float = -0.5e-6, seed: int = 3,
                 noise_i: float = 2e-6, noise_v: float = 2e-3, sets=None) -> dict:
    """The LIF neuron of Fig. 2d (``NEURON_SETS``) with ``device``, as a scope records it: uniform steps ``dt``,
    ``pre`` seconds of baseline before the stimulus, the scope's time axis starting at ``t0`` (so the stimulus
    starts at scope time ``t0 + pre``; ``shift`` is what aligns the record with the simulation), noise."""
    s = {**NEURON_SETS, **(sets or {})}
    from circuits.format import parse_si

    p = {k: parse_si(k, v) for k, v in s.items()}
    tr = PulseTrain(amplitude=p["amplitude"], width=p["width"], interval=p["interval"], n_pulses=int(p["n_pulses"]))
    wf = simulate(lif_neuron(train=tr, R_L=p["R_L"], C_m=p["C_m"], device=device))
    rng = np.random.default_rng(seed)
    t_sim = np.arange(0.0, wf.time[-1], dt)
    k0 = int(round(pre / dt))
    n = t_sim.size + k0
    t = t0 + dt * np.arange(n)

    def pad(y):
        return np.concatenate([np.zeros(k0), y])
    i = pad(np.interp(t_sim, wf.time, wf["i(vsense)"])) + rng.normal(0, noise_i, n)
    v = pad(np.interp(t_sim, wf.time, wf["v(mem)"])) + rng.normal(0, noise_v, n)
    vin = pad(np.interp(t_sim, wf.time, wf["v(in)"])) + rng.normal(0, noise_v, n)
    return {"t": t, "I": i, "V": v, "Vin": vin, "wf": wf, "shift": -(t0 + k0 * dt)}


# --------------------------------------------------------------------------- writers
def _num(x: float, f: str = "%.9g") -> str:
    return "" if not np.isfinite(x) else f % x


def write_b1500(path, blocks: list[dict], units_row: bool = False, overflow_rows=()) -> Path:
    """EasyEXPERT CSV: one SetupTitle block per entry of ``blocks`` (``V``, ``I`` arrays); ``overflow_rows``:
    row indices of the first block written as 9.91E+37 (the instrument's 'no value')."""
    lines = []
    for k, b in enumerate(blocks):
        n = len(b["V"])
        lines += ["SetupTitle, I/V Sweep", "PrimitiveTest, I/V Sweep",
                  "TestParameter, Channel.UnitType, SMU, SMU", "TestParameter, Channel.Unit, SMU1:HRSMU, SMU2:HRSMU",
                  "TestParameter, Channel.IName, I1, I2", "TestParameter, Channel.VName, V1, V2",
                  "TestParameter, Channel.Mode, V, COMMON", "TestParameter, Measurement.Primary.Start, 0",
                  "TestParameter, Measurement.Primary.Stop, 1.2", f"MetaData, TestRecord.RecordTime, 2020/06/0{k + 1} "
                  "10:22:31", f"Dimension1, {n}, {n}", "Dimension2, 1, 1", "DataName, V1, I1"]
        if units_row:
            lines.append("Units, V, A")
        for j, (v, i) in enumerate(zip(b["V"], b["I"], strict=True)):
            lines.append(f"DataValue, {_num(v)}, " + ("9.91E+37" if k == 0 and j in overflow_rows else _num(i)))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_infiniium(path, t, channels: list[tuple[str, np.ndarray]]) -> Path:
    """Infiniium waveform CSV, one header + data block per channel: ``channels`` = [(YUnits word, values)]."""
    t = np.asarray(t)
    lines = []
    for unit, y in channels:
        lines += ["Revision:0", "Type:raw", "Start:0", f"Points:{t.size}", "Count:1",
                  f"XDispRange:{t[-1] - t[0]:.6e}", f"XDispOrg:{t[0]:.6e}", f"XInc:{t[1] - t[0]:.6e}",
                  f"XOrg:{t[0]:.6e}", "XUnits:Second", f"YDispRange:{np.nanmax(y) - np.nanmin(y):.6e}", "YDispOrg:0",
                  "YInc:1e-4", "YOrg:0", f"YUnits:{unit}", "YReference:0", "Frame:DSO90404A:MY1234",
                  "Date:02 JUN 2020", "Time:10:22:31:00", "Max Bandwidth:4e9", "Min Bandwidth:0", "Data:"]
        lines += [f"{x:.9e},{'9.99999E+37' if not np.isfinite(v) else f'{v:.6e}'}" for x, v in zip(t, y, strict=True)]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_infiniivision(path, t, channels: list[tuple[str, np.ndarray]], blank_first: int = 0) -> Path:
    """InfiniiVision CSV: ``x-axis,1,2``, ``second,Volt,Ampere``; the first ``blank_first`` rows have no values
    (as the scope writes before its record starts)."""
    names = ["x-axis"] + [str(k + 1) for k in range(len(channels))]
    lines = [",".join(names), ",".join(["second"] + [u for u, _ in channels])]
    for j, x in enumerate(t):
        vals = ["" if j < blank_first else _num(y[j], "%+.6E") for _, y in channels]
        lines.append(",".join([f"{x:+.9E}"] + vals))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_tektronix(path, t, channels: list[tuple[str, str, str, np.ndarray]], record_length: int | None = None,
                    comment: bool = False) -> Path:
    """Tektronix MSO/MDO CSV: header block, ``Label``, ``TIME,CH1,...``; ``channels`` = [(name, unit, label,
    values)]; ``record_length`` may claim more rows than written (a truncated file)."""
    n = len(channels)
    pre = "#" if comment else ""
    hdr = [f"Model,MDO3024{',' * n}", f"Firmware Version,1.26{',' * n}", "",
           "Waveform Type," + ",".join(["ANALOG"] * n),
           "Point Format," + ",".join(["Y"] * n), "Horizontal Units,s", f"Horizontal Scale,{(t[-1] - t[0]) / 10:g}",
           "Horizontal Delay,0", f"Sample Interval,{t[1] - t[0]:g}", f"Record Length,{record_length or len(t)}",
           "Gating,0.0% to 100.0%", "Probe Attenuation," + ",".join(["10"] * n),
           "Vertical Units," + ",".join(u for _, u, _, _ in channels), "Vertical Offset," + ",".join(["0"] * n),
           "Vertical Scale," + ",".join(["0.5"] * n), ",", ",", "Label," + ",".join(lab for _, _, lab, _ in channels),
           "TIME," + ",".join(name for name, _, _, _ in channels)]
    lines = [pre + h if h else h for h in hdr]
    for j, x in enumerate(t):
        lines.append(f"{x:.7e}," + ",".join(_num(y[j], "%.6g") for _, _, _, y in channels))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_tek_legacy(path, t, y, unit: str = "V", source: str = "CH1") -> Path:
    """Tektronix TDS CSV: header in columns 1-2 of the first rows, time and value in columns 4-5 of every row."""
    hdr = [("Record Length", f"{len(t):.6e}"), ("Sample Interval", f"{t[1] - t[0]:.6e}"), ("Trigger Point", "0"),
           ("", ""), ("", ""), ("", ""), ("Source", source), ("Vertical Units", unit), ("Vertical Scale", "0.5"),
           ("Vertical Offset", "0"), ("Horizontal Units", "s"), ("Horizontal Scale", f"{(t[-1] - t[0]) / 10:g}"),
           ("Pt Fmt", "Y"), ("Yzero", "0"), ("Probe Atten", "1"), ("Model Number", "TDS2024B"),
           ("Serial Number", "C012345"), ("Firmware Version", "FV:v22.11")]
    lines = []
    for j, (x, v) in enumerate(zip(t, y, strict=True)):
        k, val = hdr[j] if j < len(hdr) else ("", "")
        lines.append(f"{k},{val},,{x: .9e},{_num(v, '%.5g')},")
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_generic(path, columns: list[tuple[str, np.ndarray]], meta=(), units_row=None, nan_rows=()) -> Path:
    """A CSV with ``# key: value`` metadata, then the heading (``columns`` = [(heading, values)]), an optional
    units row, and the rows; ``nan_rows``: row indices written with an empty current and a 'NaN' voltage."""
    lines = [f"# {k}: {v}" for k, v in meta]
    lines.append(", ".join(h for h, _ in columns))
    if units_row:
        lines.append(", ".join(units_row))
    n = len(columns[0][1])
    for j in range(n):
        cells = [_num(y[j]) for _, y in columns]
        if j in nan_rows:
            cells = [cells[0]] + ["NaN" if k == 1 else "" for k in range(1, len(cells))]
        lines.append(", ".join(cells))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)
