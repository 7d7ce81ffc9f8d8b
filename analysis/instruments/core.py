"""What every importer shares: the error, the measured data, reading lines and numbers.

A :class:`Measurement` is a table of columns (:class:`Channel`, each in SI units with the unit it was
written in), the file line of every row (so that a later step can still name the line), the block
(instrument record, setup run or cycle) each row came from, the header metadata, and which format was
detected and why. :meth:`Measurement.traces` picks time, device voltage, current and input voltage from
it by name or by unit and drops the rows where any of them is missing (NaN).

Anything a reader cannot make sense of raises :class:`DataFileError`: one line naming the file and
the line (``data.csv, line 17: ...``). It is a :class:`~pyspice_models.params.ParameterError`, so the
command line reports it like any other bad input (exit 2).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pyspice_models.params import ParameterError

from . import units as U


class DataFileError(ParameterError):
    """A measured (or device) file that cannot be read: ``path, line N: what is wrong``."""

    def __init__(self, path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        self.name, self.value, self.allowed = "file", str(path), message
        text = f"{path}, line {line}: {message}" if line else f"{path}: {message}"
        ValueError.__init__(self, text)


@dataclass
class Line:
    no: int                  # 1-based line number in the file
    cells: list[str]         # the line split at the delimiter, each cell stripped
    text: str                # the line as written

    @property
    def key(self) -> str:
        return self.cells[0] if self.cells else ""


# Keysight instruments write 9.9E+37 (9.91E+37 on InfiniiVision) for "no value"
INVALID_MARK = 9.9e37
_NAN_WORDS = {"", "nan", "-nan", "+nan", "na", "n/a", "none", "null", "-", "--", "inf", "-inf", "+inf",
              "infinity", "-infinity", "overflow", "ovl"}
_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def number(cell: str) -> float:
    """A cell as a float; NaN for an empty cell, NaN/inf words and Keysight's 9.9E+37. Raises ValueError."""
    c = cell.strip()
    if c.lower() in _NAN_WORDS:
        return math.nan
    if not _NUM.match(c):
        raise ValueError(c)
    v = float(c)
    return math.nan if abs(v) >= INVALID_MARK else v


def is_number(cell: str) -> bool:
    c = cell.strip()
    return bool(_NUM.match(c))


def numeric_row(line: Line) -> bool:
    """Every non-empty cell is a number, and there is at least one."""
    cells = [c for c in line.cells if c != ""]
    return bool(cells) and all(is_number(c) or c.lower() in _NAN_WORDS - {""} for c in cells)


def read_lines(path: Path) -> tuple[list[Line], str]:
    """The non-blank lines of ``path`` split into cells (delimiter ``,``, ``;`` or tab, found from the
    file's last lines), and the file's sha256. Raises :class:`DataFileError` for an empty, binary or
    unreadable file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(path, None, "no such file") from None
    except IsADirectoryError:
        raise DataFileError(path, None, "is a folder, not a file") from None
    except OSError as e:
        raise DataFileError(path, None, f"cannot be read ({e.strerror})") from None
    sha = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise DataFileError(path, 1, "the file is empty")
    if b"\x00" in raw[:4096]:
        raise DataFileError(path, 1, "not a text file (binary data): export the data as CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")          # Windows instruments: µ as 0xB5
    rows = text.splitlines()
    tail = [r for r in rows[-50:] if r.strip()]
    counts = {d: sum(r.count(d) for r in tail) for d in (",", ";", "\t")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    lines = []
    # QUOTE_NONE: every line is one record, whatever its quotes (an unmatched quote must not swallow the
    # lines after it); quotes around a cell are taken off here
    reader = csv.reader(rows, delimiter=delim, quoting=csv.QUOTE_NONE, skipinitialspace=True)
    for no, (cells, r) in enumerate(zip(reader, rows, strict=True), start=1):
        if r.strip():
            lines.append(Line(no, [_unquote(c.strip()) for c in cells], r))
    return lines, sha


def _unquote(c: str) -> str:
    return c[1:-1].strip() if len(c) >= 2 and c[0] == c[-1] and c[0] in "\"'" else c


@dataclass
class Channel:
    name: str                      # the column's name in the file, unit removed ("I", "CH2", "V1")
    unit: str                      # SI unit of ``values``: "s", "V", "A", "ohm", ... ("" for a plain number)
    values: np.ndarray             # in SI units; NaN where the file had no value
    written_unit: str = ""         # the unit as the file wrote it ("mA", "Volt"), "" if none
    line: int = 0                  # the line that names the column or gives its unit
    label: str = ""                # a scope channel's label, if the file gives one

    @property
    def quantity(self) -> str:
        return U.quantity(self.unit)

    def describe(self) -> str:
        unit = f" ({self.written_unit or self.unit})" if (self.written_unit or self.unit) else ""
        label = f" [{self.label}]" if self.label and self.label != self.name else ""
        return f"{self.name}{label}{unit}"


@dataclass
class Traces:
    """The columns an analysis needs, NaN rows dropped: ``t`` (s, None without a time column), ``v`` (V,
    device or membrane), ``i`` (A), ``vin`` (V, the applied input; None if not asked for or not found)."""

    t: np.ndarray | None
    v: np.ndarray | None
    i: np.ndarray | None
    vin: np.ndarray | None
    block: np.ndarray
    line: np.ndarray
    names: dict[str, str]          # role -> column used
    dropped: int                   # rows left out for a missing value


_INPUT_WORDS = {"in", "input", "vin", "src", "source", "stim", "stimulus", "applied", "force", "forced", "pulse",
                "gen", "awg", "drive", "vapp", "vs"}
_DEVICE_WORDS = {"mem", "vm", "vmem", "membrane", "dev", "device", "vdev", "top", "out", "node", "cell", "vd",
                 "dut"}


def _words(ch: Channel) -> set[str]:
    out = set()
    for text in (ch.name, ch.label):
        out |= {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}
    return out


def _same(a: str, b: str) -> bool:
    """Channel names compare case-insensitively, and ``1`` matches ``CH1`` (scopes name channels both ways)."""
    a, b = a.strip().lower(), b.strip().lower()
    strip = re.compile(r"^(ch|channel)\s*")
    return a == b or strip.sub("", a) == strip.sub("", b)


@dataclass
class Measurement:
    """A measured file read into SI columns; see the module docstring."""

    path: Path
    format: str                    # keysight-b1500, keysight-infiniium, keysight-infiniivision, tektronix, generic
    format_name: str               # the same in words
    detected_by: str               # what in the file gave the format away
    channels: list[Channel]
    line: np.ndarray               # the file line of each row
    block: np.ndarray              # the block (setup run, record, cycle) of each row, 0, 1, ...
    metadata: dict = field(default_factory=dict)
    sha256: str = ""
    header_line: int = 0           # the line that names the columns
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return int(self.line.size)

    def error(self, message: str, line: int | None = None) -> DataFileError:
        return DataFileError(self.path, line if line is not None else self.header_line, message)

    def columns_text(self) -> str:
        return ", ".join(c.describe() for c in self.channels)

    def find(self, name: str, role: str = "column") -> Channel:
        """The channel named (or labelled) ``name``; refuses an unknown name with the columns there are."""
        for ch in self.channels:
            if _same(ch.name, name) or (ch.label and _same(ch.label, name)):
                return ch
        raise self.error(f"no column {name!r} for the {role}; the columns are {self.columns_text()}")

    def of(self, quantity: str) -> list[Channel]:
        return [c for c in self.channels if c.quantity == quantity]

    # ---------------------------------------------------------------- roles
    def _pick(self, role: str, quantity: str, name: str | None, exclude=(), words=None,
              shunt: float | None = None) -> Channel | None:
        unit = {"time": "s", "voltage": "V", "current": "A"}[quantity]
        if name is not None:
            ch = self.find(name, role)
            if ch.quantity == quantity:
                return ch
            if quantity == "current" and ch.quantity == "voltage" and shunt:
                return Channel(ch.name, "A", ch.values / shunt, f"{ch.written_unit or 'V'} / {shunt:g} ohm",
                               ch.line, ch.label)
            hint = " (a voltage across a sense resistor: give its value with --shunt)" if (
                quantity == "current" and ch.quantity == "voltage") else ""
            raise self.error(f"column {ch.describe()} is in {ch.written_unit or ch.unit or 'no unit'}, but the "
                             f"{role} must be a {quantity} (in {unit}, with any prefix){hint}", ch.line)
        cands = [c for c in self.of(quantity) if c not in exclude]
        if words and len(cands) > 1:
            named = [c for c in cands if _words(c) & words]
            if len(named) == 1:
                return named[0]
        return cands[0] if len(cands) == 1 else (None if not cands else cands)  # type: ignore[return-value]

    def traces(self, *, need=("v", "i"), time: str | None = None, voltage: str | None = None,
               current: str | None = None, input: str | None = None, shunt: float | None = None,
               want_input: bool = False) -> Traces:
        """Time, device voltage, current and (``want_input``) input voltage, by column name or unit.

        ``need``: the roles that must be there (``"t"``, ``"v"``, ``"i"``); a role found by unit must be
        unambiguous (several current columns and no ``current=`` name is refused, naming them). A
        voltage column whose name says input (``vin``, ``source``, ``applied``...) is the input, the
        other the device voltage. Rows where a chosen column has no value are dropped (``dropped``).
        """
        flags = {"t": "--time", "v": "--voltage", "i": "--current", "vin": "--input"}
        chosen: dict = {"t": self._pick("time", "time", time),
                        "i": self._pick("current", "current", current, shunt=shunt)}
        if input is not None:
            vin = self._pick("input voltage", "voltage", input)
        else:
            cands = [c for c in self.of("voltage") if _words(c) & _INPUT_WORDS and not _words(c) & _DEVICE_WORDS
                     and not (voltage is not None and _same(c.name, voltage))]
            vin = cands[0] if len(cands) == 1 else None
        chosen["v"] = self._pick("device voltage", "voltage", voltage, exclude=[vin] if vin is not None else [],
                                 words=_DEVICE_WORDS)
        if chosen["v"] is None and vin is not None and input is None and not want_input:
            chosen["v"], vin = vin, None          # the only voltage there is, and no input is wanted
        chosen["vin"] = vin if (want_input or input is not None) else None
        what = {"t": "time (s)", "v": "voltage (V)", "i": "current (A)", "vin": "input voltage (V)"}
        for role in ("t", "v", "i"):
            ch = chosen[role]
            if isinstance(ch, list):
                if role in need:
                    raise self.error(f"several {what[role]} columns ({', '.join(c.describe() for c in ch)}): "
                                     f"choose one with {flags[role]} NAME")
                chosen[role] = None
            elif ch is None and role in need:
                raise self.error(f"no {what[role]} column: the columns are {self.columns_text()} (name one with "
                                 f"{flags[role]} NAME, or give its unit in the heading, e.g. 'I (mA)')")
        if chosen["vin"] is not None and chosen["vin"] is chosen["v"]:
            chosen["vin"] = None
        used = {r: c for r, c in chosen.items() if isinstance(c, Channel)}
        keep = np.ones(self.rows, bool)
        for c in used.values():
            keep &= np.isfinite(c.values)
        if not keep.any():
            cols = ", ".join(c.describe() for c in used.values())
            raise self.error(f"no row has a value in every column used ({cols})")
        return Traces(*(used[r].values[keep] if r in used else None for r in ("t", "v", "i", "vin")),
                      block=self.block[keep], line=self.line[keep], names={r: c.name for r, c in used.items()},
                      dropped=int((~keep).sum()))

    def summary(self) -> dict:
        """What a result file records about the measurement it read."""
        meta = {k: v for k, v in list(self.metadata.items())[:60]}
        return {"path": str(self.path), "sha256": self.sha256, "format": self.format, "format_name": self.format_name,
                "detected_by": self.detected_by, "rows": self.rows,
                "blocks": int(self.block.max() + 1) if self.rows else 0,
                "columns": [{"name": c.name, "unit": c.unit, "written_unit": c.written_unit, "label": c.label}
                            for c in self.channels],
                "metadata": meta, "notes": list(self.notes)}
