"""The bench loop: measured data -> fitted device -> simulated circuit -> comparison with the measurement.

* ``memspike fit iv MEASURED``: Vth, Vhold, Ron, Roff per polarity (and their cycle-to-cycle
  statistics) from an I-V sweep, and a device fitted to them (:func:`fit_iv`);
* ``memspike fit neuron MEASURED --set R_L=... --set C_m=...``: the dynamic parameters of the device
  fitted to a measured spiking transient, with the simulator in the loop (:func:`fit_neuron`);
* both write ``OUT/device.json`` (:func:`write_device_file`), a device parameter file that every
  command takes as ``--device FILE`` (:func:`resolve_device`, :func:`load_device_file`);
* ``memspike compare MEASURED --experiment neuron --set ...``: the experiment simulated at the
  measurement's conditions, aligned with it, and the errors (:func:`compare`).

Measured files are read by :mod:`analysis.instruments`; the extraction and the comparison arithmetic
live in :mod:`analysis.extract` and :mod:`analysis.compare`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from analysis.fits import jacobian_errors
from analysis.instruments import DataFileError, Measurement, read_measured
from pyspice_models import NEURON_DEVICES, device_name
from pyspice_models.params import ParameterError, Params

from . import __version__
from .io import write_json_atomic
from .text import fmt, fmt_pm, meaning_of

log = logging.getLogger(__name__)

DEVICE_FORMAT = "memspike-device"
DEVICE_VERSION = 1


# --------------------------------------------------------------------------- device files
@dataclass
class DeviceFile:
    """A device parameter file as loaded: its model, validated parameters, provenance and hash."""

    path: Path
    model: str
    params: Params
    provenance: dict
    sha256: str

    def record(self) -> dict:
        """What a run's JSON records about the file it used."""
        return {"path": str(self.path), "absolute_path": str(self.path.resolve()), "sha256": self.sha256,
                "model": self.model, "provenance": self.provenance}


def is_device_file(spec) -> bool:
    """``--device`` names a file (an existing path, or one ending in .json) rather than a model."""
    if spec is None:
        return False
    if isinstance(spec, Path | DeviceFile):
        return True
    s = str(spec)
    return s not in NEURON_DEVICES and (s.lower().endswith(".json") or Path(s).exists() or "/" in s)


def resolve_device(spec) -> tuple[str | None, Params | None, DeviceFile | None]:
    """``--device`` -> (model name, the file's parameter set or None, the loaded file or None).

    None -> (None, None, None); a model name -> (name, None, None); a file -> loaded and validated
    (:func:`load_device_file`). Anything else is returned as its own model name, for the caller to refuse.
    """
    if spec is None:
        return None, None, None
    if isinstance(spec, DeviceFile):
        return spec.model, spec.params, spec
    if is_device_file(spec):
        f = load_device_file(spec)
        return f.model, f.params, f
    return str(spec), None, None


def _line_of(text: str, key: str, after: int = 0) -> int | None:
    pat = re.compile(r'"' + re.escape(key) + r'"\s*:')
    for no, line in enumerate(text.splitlines(), start=1):
        if no > after and pat.search(line):
            return no
    return None


def load_device_file(path) -> DeviceFile:
    """Read and validate a device parameter file (see :func:`write_device_file` for the layout).

    Parameters may be written as numbers or as ``{"value": x, "unit": "S"}``; a unit must be the
    model's. Every value is validated by the model's parameter class. Anything wrong raises
    :class:`~analysis.instruments.DataFileError` naming the file and the line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(path, None, "no such device file (--device takes a model name, "
                            f"{', '.join(NEURON_DEVICES)}, or a device file written by memspike fit)") from None
    except OSError as e:
        raise DataFileError(path, None, f"cannot be read ({e.strerror})") from None
    if not raw.strip():
        raise DataFileError(path, 1, "the device file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataFileError(path, 1, "not a text (UTF-8 JSON) device file") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataFileError(path, e.lineno, f"not valid JSON: {e.msg} (column {e.colno})") from None
    if not isinstance(doc, dict):
        raise DataFileError(path, 1, "a device file is a JSON object with 'model' and 'parameters'")
    model = doc.get("model")
    if model not in NEURON_DEVICES:
        raise DataFileError(path, _line_of(text, "model") or 1, f"'model' is {model!r}: one of "
                            f"{', '.join(NEURON_DEVICES)}")
    cls = NEURON_DEVICES[model]
    pline = _line_of(text, "parameters") or 1
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise DataFileError(path, pline, "'parameters' must be an object of name: value or name: {value, unit}")
    values = {}
    for name, entry in params.items():
        line = _line_of(text, name, after=pline - 1) or pline
        if name not in cls.names():
            raise DataFileError(path, line, f"{name!r} is not a parameter of {model} (one of {', '.join(cls.names())})")
        unit = cls.field_meta(name)["unit"]
        if isinstance(entry, dict):
            if "value" not in entry:
                raise DataFileError(path, line, f"{name}: no 'value'")
            written = entry.get("unit", unit)
            if written is None:
                written = ""
            if str(written) != unit:
                raise DataFileError(path, line, f"{name} is written in {written!r}, but {model} takes it in "
                                    f"{unit!r} (write the value in {unit or 'no unit'})")
            value = entry["value"]
        else:
            value = entry
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataFileError(path, line, f"{name} = {value!r} is not a number")
        values[name] = value
    try:
        dev = cls(**values)
    except ParameterError as e:
        line = _line_of(text, e.name, after=pline - 1) or pline
        raise DataFileError(path, line, f"device.{e.name} = {e.value!r} is not allowed: must be {e.allowed}") from None
    prov = doc.get("provenance")
    if prov is not None and not isinstance(prov, dict):
        raise DataFileError(path, _line_of(text, "provenance") or 1, "'provenance' must be an object")
    return DeviceFile(path, model, dev, prov or {}, hashlib.sha256(raw).hexdigest())


def device_document(dev: Params, provenance: dict, fitted: dict | None = None) -> dict:
    """The device file of ``dev``: every parameter with its unit and meaning, fitted ones with their
    standard errors, the derived quasi-static values, and the provenance."""
    model = device_name(dev)
    fitted = fitted or {}
    params = {}
    for name, unit, doc, _ in dev.table():
        entry = {"value": getattr(dev, name), "unit": unit}
        if name in fitted:
            f = fitted[name]
            entry.update({"fitted": True, "stderr": f.get("stderr"), "relative_stderr": f.get("relative_stderr"),
                          "cycle_to_cycle_sd": f.get("cycle_to_cycle_sd"), "initial": f.get("initial")})
        else:
            entry["fitted"] = False
        entry["meaning"] = meaning_of(dev, name, unit, doc)
        params[name] = entry
    derived = {"threshold_V": {"value": dev.threshold(), "unit": "V", "meaning": "quasi-static threshold voltage"},
               "spike_current_A": {"value": dev.spike_current(), "unit": "A",
                                   "meaning": "spike detection current of the experiments"}}
    if hasattr(dev, "folds"):
        derived["hold_V"] = {"value": dev.folds()["v_hold"], "unit": "V", "meaning": "quasi-static hold voltage"}
        derived["thermal_time_s"] = {"value": dev.R_th * dev.C_th, "unit": "s", "meaning": "R_th C_th"}
    return {"format": DEVICE_FORMAT, "version": DEVICE_VERSION, "model": model,
            "description": f"NbOx neuron device ({model}) for memspike: --device FILE",
            "parameters": params, "derived": derived, "provenance": provenance}


def write_device_file(path, dev: Params, provenance: dict, fitted: dict | None = None) -> Path:
    path = Path(path)
    write_json_atomic(path, device_document(dev, provenance, fitted))
    load_device_file(path)                    # what is written must read back
    return path


def provenance(kind: str, command: str | None, meas: Measurement | None = None, **extra) -> dict:
    out = {"kind": kind, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "memspike_version": __version__, "command": command}
    if meas is not None:
        out["source"] = {k: v for k, v in meas.summary().items() if k != "metadata"}
        out["source"]["metadata"] = {k: v for k, v in list(meas.metadata.items())[:20]}
    out.update(extra)
    return out


# --------------------------------------------------------------------------- helpers
def _out(out, names) -> Path:
    from .experiments.base import check_out

    out = check_out(Path(out), [])
    for name in names:
        p = out / name
        if p.is_dir():
            raise ParameterError("--out", str(out), f"a folder where {name} can be written ({p} is a folder)")
    return out


def _device_base(device, sets: dict[str, str], model: str | None = None, exp_name: str = "iv") -> Params:
    """The starting device: ``--device`` (name or file), then ``--set device.K=V`` on top."""
    from .experiments.base import REGISTRY, apply_overrides

    name, _, _ = resolve_device(device)
    if model is not None and model not in NEURON_DEVICES:
        raise ParameterError("--model", model, "one of " + ", ".join(NEURON_DEVICES))
    if name is not None and name not in NEURON_DEVICES:
        raise ParameterError("--device", str(device), "a model name (" + ", ".join(NEURON_DEVICES) + ") or a device "
                             "file")
    model = model or name or "nbox_et"
    if name is not None and name != model:
        raise ParameterError("--model", model, f"the model of --device ({name}), or leave --model out")
    bad = [k for k in sets if not k.startswith("device.")]
    if bad:
        raise ParameterError(bad[0], sets[bad[0]], "a device.NAME key here (the device's fixed or starting values)")
    _, dev, _ = apply_overrides(REGISTRY[exp_name], sets, False, device if name is not None else model)
    return dev


def _traces(meas: Measurement, columns: dict, need, want_input=False):
    return meas.traces(need=need, want_input=want_input, **columns)


def _start_record(device) -> dict | None:
    """The starting device file of a fit, as its provenance records it."""
    dfile = resolve_device(device)[2]
    return None if dfile is None else {k: v for k, v in dfile.record().items() if k != "provenance"}


def _figure_close(fig, path):
    import matplotlib.pyplot as plt

    from .io import save_figure_atomic

    save_figure_atomic(fig, path)
    plt.close(fig)


def _fail(meas_path, e) -> DataFileError:
    return DataFileError(meas_path, None, str(e))


# --------------------------------------------------------------------------- fit iv
def fit_iv(measured, out, *, model: str | None = None, device=None, sets=None, polarity: str = "both",
           v_read: float = 0.1, series_resistance: float = 0.0, columns=None, fmt_name=None,
           command: str | None = None, quiet: bool = True) -> dict:
    """Extract Vth, Vhold, Ron, Roff per polarity from a measured I-V file, fit the device, write
    ``OUT/device.json``, ``OUT/fit_iv.json`` and ``OUT/fit_iv.png``."""
    from analysis.extract import ExtractError, fit_iv_et, fit_iv_ts, iv_branches, iv_stats

    t0 = time.perf_counter()
    device = resolve_device(device)[2] or device            # a device file is read once
    base = _device_base(device, dict(sets or {}), model)
    model = device_name(base)
    out = _out(out, ["device.json", "fit_iv.json", "fit_iv.png"])
    meas = read_measured(measured, fmt_name)
    tr = _traces(meas, dict(columns or {}), need=("v", "i"))
    v = tr.v - tr.i * series_resistance if series_resistance else tr.v
    try:
        branches = iv_branches(v, tr.i, tr.block, tr.line, v_read=v_read)
        stats = iv_stats(branches, polarity)
        fit = fit_iv_et(stats, base, v_read) if model == "nbox_et" else fit_iv_ts(stats, branches, base, v_read)
    except ExtractError as e:
        raise _fail(meas.path, e) from None
    dev = type(base)(**fit.params)
    prov = provenance("fit iv", command, meas, method=fit.method, fitted=list(fit.fitted),
                      fixed={k: getattr(dev, k) for k in dev.names() if k not in fit.fitted},
                      targets=fit.targets, warnings=fit.warnings, polarity=polarity, v_read_V=v_read,
                      series_resistance_ohm=series_resistance, columns=tr.names, start_device=_start_record(device),
                      device_sets=dict(sets or {}))
    doc = {"command": "fit iv", "measured": meas.summary(), "columns": tr.names, "dropped_rows": tr.dropped,
           "polarity": polarity, "v_read": v_read, "series_resistance": series_resistance,
           "extracted": {k: stats[k] for k in ("pos", "neg", "pooled", "cycles", "asymmetry") if k in stats},
           "branches": stats["branches"], "model": model, "fit": {"method": fit.method, "fitted": fit.fitted,
                                                                  "targets": fit.targets, "cost": fit.cost,
                                                                  "warnings": fit.warnings},
           "device_file": str(out / "device.json"), "runtime_s": None}
    fig = _plot_iv(meas, v, tr.i, stats, dev, fit)
    write_device_file(out / "device.json", dev, prov, fit.fitted)
    _figure_close(fig, out / "fit_iv.png")
    doc["runtime_s"] = round(time.perf_counter() - t0, 3)
    write_json_atomic(out / "fit_iv.json", doc)
    return doc


def _plot_iv(meas, v, i, stats, dev, fit):
    from .plotting import figure, legend_outside

    fig, axes = figure(1, 2, w=4.6, h=3.6)
    ax, axl = axes[0]
    ax.plot(v, i * 1e3, ".", ms=2, color="0.45", label="measured")
    axl.semilogy(v, np.abs(i) + 1e-13, ".", ms=2, color="0.45", label="measured")
    vm, im = _model_curve(dev)
    keep = np.abs(im) <= 1.3 * np.nanmax(np.abs(i))        # the model over the measured range only
    vm, im = np.where(keep, vm, np.nan), np.where(keep, im, np.nan)
    for s in (1, -1):
        ax.plot(s * vm, s * im * 1e3, color="tab:blue", lw=1.2, label="fitted model (quasi-static)" if s > 0 else None)
        axl.semilogy(s * vm, im, color="tab:blue", lw=1.2)
    P = stats["pooled"]
    for a in (ax, axl):
        for s in (1, -1):
            a.axvline(s * P["v_th"]["mean"], color="tab:red", ls="--", lw=0.8)
            a.axvline(s * P["v_hold"]["mean"], color="tab:purple", ls=":", lw=0.8)
        a.set_xlabel("device voltage (V)")
        a.grid(alpha=0.3)
    ax.set_ylabel("current (mA)")
    axl.set_ylabel("|current| (A)")
    ax.plot([], [], color="tab:red", ls="--", label="Vth (mean)")
    ax.plot([], [], color="tab:purple", ls=":", label="Vhold (mean)")
    legend_outside(ax, ncol=2, title=f"{meas.path.name} ({meas.format}): Vth = {P['v_th']['mean']:.3f} V, "
                   f"Vhold = {P['v_hold']['mean']:.3f} V")
    fitted = ", ".join(f"{k} = {fmt(f['value'])} {f['unit']}" for k, f in fit.fitted.items())
    axl.set_title(f"{fit.model}: {fitted}", fontsize=7)
    return fig


def _model_curve(dev):
    if hasattr(dev, "steady_curve"):
        c = dev.steady_curve()
        return c["V"], c["I"]
    v = np.linspace(0, dev.v_th, 200)
    i_off = dev.v_nl / dev.r_off * np.sinh(v / dev.v_nl)
    von = np.linspace(dev.v_hold, 1.5 * dev.v_th, 100)
    ion = dev.v_nl / dev.r_off * np.sinh(von / dev.v_nl) + von / dev.r_on
    return np.concatenate([v, [np.nan], von]), np.concatenate([i_off, [np.nan], ion])


# --------------------------------------------------------------------------- simulation of a neuron run
def _neuron_setup(sets: dict, device, exp_name: str = "neuron"):
    from .experiments.base import REGISTRY, apply_overrides

    name, _, _ = resolve_device(device)
    exp = REGISTRY[exp_name]
    if name is not None and name not in exp.devices:
        raise ParameterError("--device", str(device), f"a device of {', '.join(exp.devices)}")
    params, dev, _ = apply_overrides(exp, sets, False, device)
    return exp, params, dev


def _neuron_net(params, dev):
    from circuits.builders import lif_neuron

    from .experiments.neuron import pulse_train

    tr = pulse_train(params)
    return lif_neuron(train=tr, R_L=params.R_L, C_m=params.C_m, device=dev), tr


def _sampled(wf, dt, keys=("i(vsense)", "v(mem)", "v(in)")):
    grid = np.arange(0.0, wf.time[-1], dt)
    return grid, {k: np.interp(grid, wf.time, wf[k]) for k in keys}


# --------------------------------------------------------------------------- fit neuron
NEURON_FIT = {"nbox_et": ("G0", "R_s", "C_th"), "nbox_ts": ("v_th", "v_hold", "r_on")}


def fit_neuron(measured, out, *, sets=None, device=None, fit=None, engine: str = "ngspice", threshold=None,
               columns=None, fmt_name=None, max_evals: int = 60, command: str | None = None, quiet: bool = True,
               progress=None) -> dict:
    """Fit the dynamic device parameters ``fit`` to a measured spiking transient, the simulator in the loop.

    The circuit is the ``neuron`` experiment's (``--set R_L=... C_m=... amplitude=... width=...
    interval=... n_pulses=...``: the measurement's conditions). Features of the measured trace
    (:func:`analysis.extract.spike_features`: mean ISI, spike peak current and width, with the membrane
    voltage its firing and reset voltages, with the input voltage the first spike's latency) are
    matched by least squares (``scipy.optimize.least_squares``, trust region with bounds x1/10..x10
    of the start and the model's ranges, on the logarithms of the parameters), each feature weighted
    by its standard error (spike to spike scatter, at least 0.3 % and the sample step). Standard
    errors of the parameters come from the Jacobian at the solution."""
    from scipy.optimize import least_squares

    from analysis.extract import spike_features
    from circuits.executor import simulate_many

    t_start = time.perf_counter()
    sets = dict(sets or {})
    device = resolve_device(device)[2] or device            # a device file is read once
    exp, params, base = _neuron_setup(sets, device)
    missing = [k for k in ("R_L", "C_m") if k not in sets]
    if missing:
        raise ParameterError("--set", ", ".join(missing), "the measurement's circuit given explicitly: --set R_L=... "
                             "--set C_m=... (and its stimulus: amplitude, width, interval, n_pulses, which default "
                             "to the neuron experiment's 1.3 V, 1 us, 0.1 us, 20)")
    model = device_name(base)
    fit = tuple(fit or NEURON_FIT[model])
    if not isinstance(max_evals, int) or max_evals < 1:
        raise ParameterError("--max-evals", max_evals, "a positive integer")
    if len(set(fit)) != len(fit):
        raise ParameterError("--fit", ",".join(fit), "each parameter once")
    for k in fit:
        if k not in base.names():
            raise ParameterError("--fit", k, f"parameters of {model}: {', '.join(base.names())}")
    if engine not in exp.engines:
        raise ParameterError("--engine", engine, f"one of {', '.join(exp.engines)}")
    out = _out(out, ["device.json", "fit_neuron.json", "fit_neuron.png"])
    meas = read_measured(measured, fmt_name)
    tr = _traces(meas, dict(columns or {}), need=("t", "i"), want_input=True)
    from analysis.compare import sample_interval

    dt = sample_interval(tr.t)
    thr = float(threshold) if threshold else base.spike_current()
    mf = spike_features(tr.t, tr.i, thr, tr.v, tr.vin)
    names = [k for k in ("isi", "peak", "width", "v_fire", "v_reset", "latency") if k in mf]
    if mf["count"] < 3 or "isi" not in mf:
        raise DataFileError(meas.path, None, f"{mf['count']} spike(s) above {fmt(thr)} A in the current "
                            f"({tr.names.get('i')}): a dynamic fit needs a spiking transient (at least 3 spikes; "
                            "--threshold sets the detection current)")
    if len(names) < len(fit):
        raise DataFileError(meas.path, None, f"{len(names)} features ({', '.join(names)}) for {len(fit)} parameters: "
                            "measure the membrane voltage too, or fit fewer (--fit)")
    n_m = mf["count"]
    # the noise of the record biases maxima and minima by about twice its level: the features cannot be
    # trusted closer than that, nor than 0.3 % (the simulator's own tolerance) or the sample step
    n_i, n_v = 2 * mf["noise_i"], 2 * mf.get("noise_v", 0.0)
    floor = {"isi": lambda x: max(0.003 * x, dt / math.sqrt(12 * n_m)), "peak": lambda x: max(0.003 * x, n_i),
             "width": lambda x: max(0.003 * x, dt / math.sqrt(12 * n_m)), "v_fire": lambda x: max(1e-3, n_v),
             "v_reset": lambda x: max(1e-3, n_v), "latency": lambda x: max(0.003 * x, dt)}
    meas_f = {k: mf[k][0] for k in names}
    sig = {k: max(mf[k][1], floor[k](abs(mf[k][0]))) for k in names}
    x0 = np.array([math.log(getattr(base, k)) for k in fit])
    lo, hi = [], []
    for k, x in zip(fit, x0, strict=True):
        meta = type(base).field_meta(k)
        lo.append(max(x - math.log(10), math.log(meta["lo"]) + 1e-9 if meta["lo"] and meta["lo"] > 0 else -np.inf))
        hi.append(min(x + math.log(10), math.log(meta["hi"]) if meta["hi"] else np.inf))
    lo, hi = np.array(lo), np.array(hi)
    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    history, cache = [], {}
    say = progress or ((lambda s: print(s, file=sys.stderr, flush=True)) if not quiet else (lambda s: None))

    def device_at(x):
        return base.replace(**{k: float(math.exp(v)) for k, v in zip(fit, x, strict=True)})

    def features(xs):
        todo = [x for x in xs if tuple(x) not in cache]
        nets, ok = [], []
        for x in todo:
            try:
                nets.append(_neuron_net(params, device_at(x))[0])
                ok.append(x)
            except ParameterError:
                cache[tuple(x)] = None
        if nets:
            wfs = simulate_many(nets, engine=engine)
            for x, wf in zip(ok, wfs, strict=True):
                g, s = _sampled(wf, dt)
                f = spike_features(g, s["i(vsense)"], thr, s["v(mem)"] if "v_fire" in names else None,
                                   s["v(in)"] if "latency" in names else None, noise_i=mf["noise_i"])
                cache[tuple(x)] = f
        return [cache[tuple(x)] for x in xs]

    def resid_of(f):
        if f is None:
            return np.full(len(names), 1e3)
        return np.array([(f[k][0] - meas_f[k]) / sig[k] if k in f else 1e3 for k in names])

    def fun(x):
        r = resid_of(features([x])[0])
        history.append({"params": {k: float(math.exp(v)) for k, v in zip(fit, x, strict=True)},
                        "cost": float(r @ r)})
        say(f"fit neuron: evaluation {len(history)}: chi2 = {r @ r:.4g}, " + ", ".join(
            f"{k} = {fmt(math.exp(v))}" for k, v in zip(fit, x, strict=True)))
        return r

    h = 0.02

    def jac(x):
        steps = []
        for j in range(x.size):
            xj = x.copy()
            xj[j] = x[j] + h if x[j] + h <= hi[j] else x[j] - h
            steps.append(xj)
        r0 = resid_of(features([x])[0])
        rs = [resid_of(f) for f in features(steps)]
        return np.column_stack([(r - r0) / (s[j] - x[j]) for j, (r, s) in enumerate(zip(rs, steps, strict=True))])

    sol = least_squares(fun, x0, jac=jac, bounds=(lo, hi), x_scale=1.0, xtol=1e-4, ftol=1e-6, gtol=1e-8,
                        max_nfev=max_evals)
    r = sol.fun
    J = jac(sol.x)
    se, chi2, dof = jacobian_errors(J, r, weighted=True)
    warnings = []
    if not np.all(np.isfinite(se)):
        warnings.append("singular Jacobian: the transient does not determine every fitted parameter")
    if not sol.success:
        warnings.append(f"the fit stopped before converging: {sol.message}")
    if chi2 / dof > 10:
        warnings.append(f"chi2/dof = {chi2 / dof:.3g}: the model does not reproduce the measured features within "
                        "their uncertainties (a systematic misfit; standard errors are scaled by it)")
    at_bound = [k for k, x, a, b in zip(fit, sol.x, lo, hi, strict=True) if x <= a + 1e-6 or x >= b - 1e-6]
    if at_bound:
        warnings.append(f"at a bound (x10 of the start or the model's range): {', '.join(at_bound)}")
    dev = device_at(sol.x)
    best = features([sol.x])[0] or {}
    if best and best.get("count") != mf["count"]:
        warnings.append(f"the fitted neuron fires {best.get('count')} spike(s) in its simulated run against "
                        f"{mf['count']} in the measured record: where both span the same stimulus, the count is "
                        "not matched (the features, intervals, peaks and widths, are fitted, not the count)")
    fitted = {k: {"value": getattr(dev, k), "stderr": float(getattr(dev, k) * s) if np.isfinite(s) else None,
                  "relative_stderr": float(s) if np.isfinite(s) else None, "unit": type(base).field_meta(k)["unit"],
                  "initial": getattr(base, k)} for k, s in zip(fit, se, strict=True)}
    targets = {k: {"measured": meas_f[k], "model": best.get(k, (None,))[0], "sigma": sig[k]} for k in names}
    method = ("least squares (trust region, bounds) on ln(" + "), ln(".join(fit) + ") of spike features of the "
              f"simulated neuron ({engine}) against the measured ones: " + ", ".join(names))
    prov = provenance("fit neuron", command, meas, method=method, fitted=list(fit),
                      conditions={"experiment": exp.name, **params.as_dict()}, targets=targets, chi2=chi2,
                      warnings=warnings, engine=engine, columns=tr.names, spike_threshold_A=thr,
                      start_device=_start_record(device), device_sets={k: v for k, v in sets.items()
                                                                        if k.startswith("device.")})
    net, train = _neuron_net(params, dev)
    (wf,) = simulate_many([net], engine=engine)
    doc = {"command": "fit neuron", "measured": meas.summary(), "columns": tr.names, "dropped_rows": tr.dropped,
           "conditions": params.as_dict(), "model": model, "engine": engine,
           "measured_features": {k: {"value": mf[k][0], "stderr": mf[k][1]} for k in names},
           "measured_spikes": mf["count"], "fitted_spikes": best.get("count"), "spike_threshold_A": thr,
           "current_noise_A": mf["noise_i"], "spike_detection_height_A": mf["detection_height"],
           "fit": {"method": method, "fitted": fitted, "targets": targets, "chi2": chi2, "dof": dof,
                   "evaluations": len(history), "simulations": len(cache), "warnings": warnings},
           "history": history, "device_file": str(out / "device.json")}
    fig = _plot_neuron(tr, wf, dt, fitted, targets, meas)
    write_device_file(out / "device.json", dev, prov, fitted)
    _figure_close(fig, out / "fit_neuron.png")
    doc["runtime_s"] = round(time.perf_counter() - t_start, 3)
    write_json_atomic(out / "fit_neuron.json", doc)
    return doc


def _plot_neuron(tr, wf, dt, fitted, targets, meas):
    from .plotting import figure, legend_outside

    fig, axes = figure(2, 1, w=7.4, h=2.6)
    ax_i, ax_v = axes[0, 0], axes[1, 0]
    shift = 0.0
    if tr.vin is not None:
        from analysis.compare import align

        shift = align(wf.time, wf["v(in)"], tr.t, tr.vin)["shift"]
    us = 1e6
    ax_i.plot((tr.t + shift) * us, tr.i * 1e3, color="0.4", lw=0.7, label="measured")
    ax_i.plot(wf.time * us, wf["i(vsense)"] * 1e3, color="tab:orange", lw=0.8, label="fitted device (simulated)")
    ax_i.set_ylabel("device current (mA)")
    if tr.v is not None:
        ax_v.plot((tr.t + shift) * us, tr.v, color="0.4", lw=0.7, label="measured")
    ax_v.plot(wf.time * us, wf["v(mem)"], color="tab:blue", lw=0.8, label="fitted device (simulated)")
    ax_v.set_ylabel("membrane voltage (V)")
    ax_v.set_xlabel("time (µs)")
    for a in (ax_i, ax_v):
        a.grid(alpha=0.3)
    text = ", ".join(f"{k} = {fmt_pm(f['value'], f['stderr'])} {f['unit']}" for k, f in fitted.items())
    legend_outside(ax_i, ncol=2, title=f"{meas.path.name}: {text}")
    legend_outside(ax_v, ncol=2)
    return fig


# --------------------------------------------------------------------------- compare
def compare(measured, out, *, experiment: str = "neuron", sets=None, device=None, engine: str = "ngspice",
            columns=None, fmt_name=None, threshold=None, align_on: str = "auto", max_shift=None,
            command: str | None = None) -> dict:
    """Simulate ``experiment`` at the measurement's conditions and compare: ``OUT/compare.json``,
    ``OUT/compare.png`` and the decks in ``OUT/compare/``."""
    from analysis.compare import compare_traces

    from .experiments.base import REGISTRY, Context, prepare

    t0 = time.perf_counter()
    dfile = resolve_device(device)[2]
    exp, params, dev, synapse = prepare(experiment, engine=engine, sets=dict(sets or {}), device=dfile or device)
    if align_on not in ("auto", "input", "voltage", "current", "none"):
        raise ParameterError("--align", align_on, "one of auto, input, voltage, current, none")
    out = _out(out, ["compare.json", "compare.png"])
    if (out / "compare").exists() and not (out / "compare").is_dir():
        raise ParameterError("--out", str(out), "a folder where compare/ can be written (a file is in the way)")
    meas = read_measured(measured, fmt_name)
    tr = _traces(meas, dict(columns or {}), need=("t", "i"), want_input=True)
    import matplotlib

    matplotlib.use("Agg")
    from .io import apply_umask, replace_dir

    with tempfile.TemporaryDirectory(prefix=".compare.", dir=out) as tmp:
        staging = Path(tmp, "compare")
        staging.mkdir()
        ctx = Context(exp, params, dev, staging, engine, False, None, False, synapse=synapse)
        res = exp.run(ctx)
        wf = res.data.get("wf")
        if wf is None:
            have = ", ".join(n for n, e in REGISTRY.items() if n in ("neuron", "dendrite", "switching"))
            raise ParameterError("--experiment", experiment, f"an experiment with one transient to compare ({have})")
        probe = next(iter(ctx.probes.values()))
        sim = {"t": wf.time, "i": wf[probe["i"]], "v": wf[probe["v"]],
               "vin": wf["v(in)"] if "v(in)" in wf.vectors else None}
        m = {"t": tr.t, "i": tr.i, "v": tr.v, "vin": tr.vin}
        key = {"input": "vin", "voltage": "v", "current": "i"}.get(align_on, align_on)
        thr = float(threshold) if threshold else dev.spike_current()
        duration = None
        if hasattr(params, "n_pulses") and hasattr(params, "width"):
            duration = params.n_pulses * (params.width + getattr(params, "interval", 0.0))
        try:
            cmp = compare_traces(sim, m, threshold=thr, align_on=key, max_shift=max_shift, duration=duration)
        except ValueError as e:
            raise DataFileError(meas.path, None, str(e)) from None
        doc = {"command": "compare", "experiment": exp.name, "figure": exp.figure, "engine": engine,
               "version": __version__, "measured": meas.summary(), "columns": tr.names, "dropped_rows": tr.dropped,
               "parameters": {"circuit": params.as_dict(), "device_model": device_name(dev), "device": dev.as_dict()},
               "simulated": {k: v for k, v in res.results.items()
                             if isinstance(v, int | float | str) or k == "spike_times"},
               **cmp, "netlists": ctx.netlists, "probes": ctx.probes}
        if dfile is not None:
            doc["parameters"]["device_file"] = dfile.record()
        fig = _plot_compare(sim, m, cmp, meas, exp.name)
        _figure_close(fig, out / "compare.png")
        apply_umask(staging, directory=True)
        replace_dir(staging, out / "compare")
    doc["runtime_s"] = round(time.perf_counter() - t0, 3)
    write_json_atomic(out / "compare.json", doc)
    return doc


def _plot_compare(sim, meas, cmp, mobj, name):
    from .plotting import figure, legend_outside

    rows = [k for k in ("vin", "v", "i") if meas.get(k) is not None]
    fig, axes = figure(len(rows), 1, w=7.4, h=2.3)
    shift = cmp["alignment"]["shift"]
    us = 1e6
    label = {"vin": "input voltage (V)", "v": "membrane / device voltage (V)", "i": "device current (mA)"}
    scale = {"vin": 1.0, "v": 1.0, "i": 1e3}
    lo, hi = cmp["overlap"]
    for ax, k in zip(axes[:, 0], rows, strict=True):
        ax.plot((meas["t"] + shift) * us, meas[k] * scale[k], color="0.35", lw=0.7, label="measured (aligned)")
        if sim.get(k) is not None:
            ax.plot(sim["t"] * us, sim[k] * scale[k], color="tab:orange" if k == "i" else "tab:blue", lw=0.8,
                    alpha=0.85, label=f"simulated {'current' if k == 'i' else 'voltage'} ({name})")
        ax.set_ylabel(label[k])
        ax.set_xlim(lo * us, hi * us)
        ax.grid(alpha=0.3)
    sp = cmp["spikes"]
    ax = axes[rows.index("i"), 0]
    for ts in sp["measured"]["times"]:
        ax.axvline(ts * us, color="0.35", lw=0.5, alpha=0.3)
    axes[-1, 0].set_xlabel("time (µs, simulation's axis)")
    te = sp["time_errors"]
    err = f", spike-time error rms {fmt(te['rms'] * 1e9)} ns" if te["rms"] is not None else ""
    nr = cmp["errors"].get("i", {}).get("nrmse")
    handles: dict = {}
    for ax in axes[:, 0]:                        # every line's key once, on the top panel
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    legend_outside(axes[0, 0], list(handles.values()), list(handles), ncol=3,
                   title=f"{mobj.path.name} ({mobj.format}) vs {name}: spikes "
                   f"{sp['measured']['count']} measured / {sp['simulated']['count']} simulated{err}; "
                   f"current NRMSE {fmt(nr)}; shift {fmt(shift * 1e9)} ns")
    return fig


__all__ = ["DeviceFile", "compare", "device_document", "fit_iv", "fit_neuron", "is_device_file", "load_device_file",
           "resolve_device", "write_device_file"]
