"""Hand a netlist to ngspice and get plain numpy arrays back.

Two back-ends run the very same deck text:

* ``shared`` (default): libngspice in this process through PySpice's
  ``NgSpiceShared``. Each run loads the circuit, runs it in ngspice's
  background thread under a deadline, copies the vectors out, then
  ``destroy all`` and ``remcirc`` so nothing accumulates between runs. The
  library is initialised once per process, inside a fresh empty directory so
  that no ``.spiceinit`` of the caller's working directory is executed.
* ``subprocess``: ``ngspice -b -n -r out.raw deck.cir`` in a fresh temporary
  directory with a timeout, exactly as a user without Python would run it.

A run has succeeded only if ngspice reported no error, the log holds none of
"Timestep too small", "simulation(s) aborted" or "Error", and the transient
reached its stop time; otherwise :class:`SimulationError` is raised carrying
ngspice's own message. Partial results are never returned.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

FAILURE_PATTERNS = ("Timestep too small", "simulation(s) aborted", "Error", "error:", "singular matrix",
                    "Transient op failed", "no such vector", "unknown subckt", "Unknown")
DEFAULT_TIMEOUT = 300.0


class SimulationError(RuntimeError):
    """ngspice failed (non-convergence, crash, timeout, bad deck).

    ``message`` holds ngspice's own words (the relevant log lines).
    """

    def __init__(self, summary: str, message: str = "", netlist: str = ""):
        self.summary = summary
        self.message = message.strip()
        self.netlist = netlist
        text = summary + (": " + self.message if self.message else "")
        super().__init__(text)


@dataclass
class Waveforms:
    """Simulation result: ``time`` and named vectors (``v(node)``, ``i(vsource)``)."""

    time: np.ndarray
    vectors: dict[str, np.ndarray]
    log: str = ""
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        key = name.lower()
        if key not in self.vectors:
            raise KeyError(f"{name} not saved; have {sorted(self.vectors)}")
        return self.vectors[key]


def failure_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if any(p in line for p in FAILURE_PATTERNS):
            # PySpice/ngspice chatter that is not a failure
            if "Unsupported Ngspice version" in line:
                continue
            lines.append(line.strip())
    return lines


def _check_complete(wf: Waveforms, netlist: str, logtext: str, tstop: float | None) -> None:
    """The run reached ``tstop`` (the netlist's own stop time, known to whoever built it)."""
    if wf.time.size == 0 or (tstop and wf.time[-1] < tstop * (1 - 1e-6)):
        reached = wf.time[-1] if wf.time.size else 0.0
        raise SimulationError(f"transient stopped at {reached:.4g} s of {tstop:.4g} s",
                              "\n".join(failure_lines(logtext)) or logtext[-2000:], netlist)


# --------------------------------------------------------------------------- library discovery
def find_libngspice() -> str:
    """Path of libngspice: ``NGSPICE_LIBRARY_PATH`` if set (it must exist), else the system's library."""
    env = os.environ.get("NGSPICE_LIBRARY_PATH")
    if env:
        if not Path(env).is_file():
            raise SimulationError(f"NGSPICE_LIBRARY_PATH={env}: no such file",
                                  "point it at libngspice.so or unset it to use the system's library")
        return env
    for cand in ("/usr/lib/x86_64-linux-gnu/libngspice.so.0", "/usr/lib/aarch64-linux-gnu/libngspice.so.0",
                 "/usr/lib/libngspice.so.0", "/usr/local/lib/libngspice.so.0", "/usr/lib64/libngspice.so.0"):
        if Path(cand).exists():
            return cand
    name = ctypes.util.find_library("ngspice")
    if name:
        for d in ("/usr/lib", "/usr/local/lib", "/usr/lib64"):
            for p in Path(d).rglob(name):
                return str(p)
    raise SimulationError("libngspice not found", "install Debian's libngspice0-dev (apt-get install "
                          "ngspice libngspice0-dev) or set NGSPICE_LIBRARY_PATH")


def find_ngspice_binary() -> str:
    exe = shutil.which("ngspice")
    if not exe:
        raise SimulationError("ngspice executable not found", "install Debian's ngspice package")
    return exe


# --------------------------------------------------------------------------- shared back-end
_shared_lock = threading.Lock()
_shared = None
_bg_done = threading.Event()


def _get_shared():
    global _shared
    if _shared is None:
        os.environ.setdefault("NGSPICE_LIBRARY_PATH", find_libngspice())
        logging.getLogger("PySpice").setLevel(logging.CRITICAL)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        class _Shared(NgSpiceShared):
            @staticmethod
            def _background_thread_running(not_running, ngspice_id, user_data):
                # ngspice calls this with false when its background thread starts and
                # true when it ends (PySpice 1.5 returns None, which cffi reports)
                if not_running:
                    _bg_done.set()
                return 0

        cwd = os.getcwd()
        with tempfile.TemporaryDirectory(prefix="memspike-ng-") as tmp:
            os.chdir(tmp)   # ngspice reads .spiceinit from the working directory at init
            try:
                _shared = _Shared(ngspice_id=0)
            finally:
                os.chdir(cwd)
    return _shared


def _run_shared(netlist: str, timeout: float, tstop: float | None) -> Waveforms:
    with _shared_lock:
        ng = _get_shared()
        logs: list[str] = []
        try:
            ng.load_circuit(netlist)
            logs += [ng.stdout, ng.stderr]
            bad = failure_lines("\n".join(logs))
            if bad:
                raise SimulationError("ngspice rejected the netlist", "\n".join(bad), netlist)
            ng.clear_output()
            _bg_done.clear()
            ng._ngspice_shared.ngSpice_Command(b"bg_run")
            if not _bg_done.wait(timeout):
                ng._ngspice_shared.ngSpice_Command(b"bg_halt")
                _bg_done.wait(10)
                raise SimulationError(f"ngspice timed out after {timeout:g} s", "", netlist)
            logs += ["\n".join(ng._stdout), "\n".join(ng._stderr)]
            logtext = "\n".join(logs)
            bad = failure_lines(logtext)
            if bad:
                raise SimulationError("ngspice simulation failed", "\n".join(bad), netlist)
            plot = ng._ngspice_shared.ngSpice_CurPlot()
            from PySpice.Spice.NgSpice.Shared import ffi

            plot_name = ffi.string(plot).decode()
            if not plot_name.startswith("tran"):
                raise SimulationError("ngspice produced no transient", logtext[-2000:], netlist)
            vectors = {}
            for name, vec in ng.plot(None, plot_name).items():
                arr = np.array(vec._data if hasattr(vec, "_data") else vec, dtype=float, copy=True)
                vectors[_normalise_name(name)] = arr
            time_ = vectors.pop("time")
            wf = Waveforms(time_, vectors, logtext, {"backend": "shared"})
            _check_complete(wf, netlist, logtext, tstop)
            return wf
        finally:
            ng._ngspice_shared.ngSpice_Command(b"destroy all")
            ng._ngspice_shared.ngSpice_Command(b"remcirc")
            ng.clear_output()


def _normalise_name(name: str) -> str:
    n = name.lower()
    if n == "time":
        return n
    if n.endswith("#branch"):
        return f"i({n[:-7]})"
    if n.startswith(("v(", "i(")):
        return n
    return f"v({n})"


# --------------------------------------------------------------------------- subprocess back-end
def _run_subprocess(netlist: str, timeout: float, tstop: float | None) -> Waveforms:
    exe = find_ngspice_binary()
    with tempfile.TemporaryDirectory(prefix="memspike-run-") as tmp:
        deck = Path(tmp, "deck.cir")
        deck.write_text(netlist)
        try:
            proc = subprocess.run([exe, "-b", "-n", "-r", "out.raw", "deck.cir"], cwd=tmp,
                                  capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "HOME": tmp}, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise SimulationError(f"ngspice timed out after {timeout:g} s", "", netlist) from exc
        logtext = proc.stdout + "\n" + proc.stderr
        bad = failure_lines(logtext)
        if proc.returncode != 0 or bad:
            raise SimulationError(f"ngspice exited with {proc.returncode}",
                                  "\n".join(bad) or logtext[-2000:], netlist)
        raw = Path(tmp, "out.raw")
        if not raw.exists():
            raise SimulationError("ngspice wrote no raw file", logtext[-2000:], netlist)
        time_, vectors = read_raw(raw)
        wf = Waveforms(time_, vectors, logtext, {"backend": "subprocess"})
        _check_complete(wf, netlist, logtext, tstop)
        return wf


def read_raw(path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read an ngspice raw file (binary or ascii, real transient) into arrays."""
    data = Path(path).read_bytes()
    names: list[str] = []
    npoints = nvars = 0
    pos = 0
    binary = None
    while pos < len(data):
        end = data.index(b"\n", pos)
        line = data[pos:end].decode("latin-1")
        pos = end + 1
        if line.startswith("No. Variables:"):
            nvars = int(line.split(":")[1])
        elif line.startswith("No. Points:"):
            npoints = int(line.split(":")[1])
        elif line.startswith("Flags:") and "complex" in line:
            raise SimulationError("complex raw files are not supported", line)
        elif line.startswith("Variables:"):
            for _ in range(nvars):
                end = data.index(b"\n", pos)
                parts = data[pos:end].decode("latin-1").split()
                pos = end + 1
                names.append(parts[1].lower())
        elif line.startswith("Binary:"):
            binary = True
            break
        elif line.startswith("Values:"):
            binary = False
            break
    if binary is None:
        raise SimulationError("raw file has no data section", str(path))
    if binary:
        arr = np.frombuffer(data, dtype="<f8", count=npoints * nvars, offset=pos).reshape(npoints, nvars)
    else:
        nums = [float(tok.split()[-1]) for tok in data[pos:].decode().split("\n") if tok.strip()]
        # ascii: each point starts with its index then nvars values (index line carries the first)
        arr = np.array(nums[: npoints * nvars]).reshape(npoints, nvars)
    vectors = {n: arr[:, i].copy() for i, n in enumerate(names)}
    return vectors.pop("time"), vectors


# --------------------------------------------------------------------------- entry point
def simulate(deck, *, backend: str = "shared", timeout: float = DEFAULT_TIMEOUT,
             tstop: float | None = None) -> Waveforms:
    """Run a :class:`~circuits.netlist.Netlist` (or a full deck text) and return its saved vectors.

    The run must reach the netlist's stop time (for a text deck: ``tstop`` if given; its log
    is checked either way)."""
    from .netlist import Netlist, write

    if isinstance(deck, Netlist):
        text, tstop = write(deck), deck.tstop
    elif isinstance(deck, str):
        text = deck
    else:
        raise TypeError(f"simulate takes a Netlist or deck text, not {type(deck).__name__}")
    if backend == "shared":
        return _run_shared(text, timeout, tstop)
    if backend == "subprocess":
        return _run_subprocess(text, timeout, tstop)
    raise ValueError(f"unknown backend {backend!r} (shared or subprocess)")
