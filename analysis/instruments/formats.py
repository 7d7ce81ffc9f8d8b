"""The readers, one per file format, and the detection that chooses among them.

No maintained Python package reads these text exports (the instrument packages on PyPI control the
instruments or read their binary formats), so each layout is read here from the standard library's
``csv`` tokenizer, tolerant of what instruments do (header blocks, units in headings, empty or
9.9E+37 cells, trailing delimiters, a BOM) and strict about what would make numbers wrong (a unit it
does not know, a row with too few values, fewer rows than the header declares).

=============================  =====================================================================
format                         layout
=============================  =====================================================================
``keysight-b1500``             EasyEXPERT CSV: ``SetupTitle``/``TestParameter``/... rows, then
                               ``DataName, V1, I1`` (optionally ``Units, V, A``) and ``DataValue``
                               rows; every ``SetupTitle`` (or new ``DataName``) starts a block
                               (one run of the setup, e.g. one cycle)
``keysight-infiniium``         Infiniium waveform CSV: ``Key:Value`` header (``XUnits``, ``YUnits``,
                               ``Points``...), ``Data:``, then ``x,y`` rows; several waveforms one after
                               the other become channels (same time base) or records
``keysight-infiniivision``     InfiniiVision CSV: ``x-axis,1,2`` then ``second,Volt,Ampere``, then rows
``tektronix``                  Tektronix CSV: header block (``Model``, ``Horizontal Units``,
                               ``Vertical Units``, ``Record Length``, ``Label``...) then ``TIME,CH1,...``
                               and rows; or the older TDS layout (header in columns 1-2, time and value
                               in columns 4-5)
``generic``                    any CSV whose heading names the columns with their units (``time (s)``,
                               ``I [mA]``, ``V/V``, ``t_us``, or a units row under the names); ``#``
                               comment lines and ``key: value`` lines before the heading are metadata; a
                               ``cycle`` (or ``sweep``, ``block``) column numbers the blocks
=============================  =====================================================================
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from . import units as U
from .core import INVALID_MARK, Channel, DataFileError, Line, Measurement, number, numeric_row, read_lines

FORMATS = {
    "keysight-b1500": "Keysight B1500 EasyEXPERT CSV",
    "keysight-infiniium": "Keysight Infiniium oscilloscope CSV",
    "keysight-infiniivision": "Keysight InfiniiVision oscilloscope CSV",
    "tektronix": "Tektronix oscilloscope CSV",
    "generic": "generic CSV (columns named with units)",
}

_KV = re.compile(r"^\s*#?\s*([A-Za-z][A-Za-z0-9 _.\-/]*?)\s*[:=]\s*(.*?)\s*$")


# --------------------------------------------------------------------------- shared helpers
def _unit(path, line: int, column: str, text: str | None) -> tuple[str, float, str]:
    """(SI unit, scale, unit as written) of a column; refuses a unit it does not know."""
    if text is None or text.strip() == "":
        return "", 1.0, ""
    parsed = U.parse_unit(text)
    if parsed is None:
        raise DataFileError(path, line, f"unit {text.strip()!r} of column {column!r} is not one memspike reads "
                            f"({U.KNOWN})")
    return parsed[0], parsed[1], text.strip()


def _table(path, rows: list[Line], names: list[str], heading_line: int, first: int = 0,
           last: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse data rows (cells ``first:last`` of each) into an (n, len(names)) float array and their line numbers."""
    n = len(names)
    out = np.empty((len(rows), n))
    nos = np.empty(len(rows), int)
    for k, ln in enumerate(rows):
        cells = ln.cells[first:last]
        while len(cells) > n and cells[-1] == "":
            cells = cells[:-1]
        if len(cells) != n:
            end = " (the file ends here: truncated?)" if k == len(rows) - 1 and len(cells) < n else ""
            raise DataFileError(path, ln.no, f"{len(cells)} value{'s' if len(cells) != 1 else ''} where the heading "
                                f"(line {heading_line}) names {n} columns{end}")
        try:                                        # the common case: plain numbers
            out[k] = [float(c) for c in cells]
        except ValueError:
            for j, c in enumerate(cells):
                try:
                    out[k, j] = number(c)
                except ValueError:
                    raise DataFileError(path, ln.no, f"{c!r} in column {names[j]!r} is not a number") from None
        nos[k] = ln.no
    out[~np.isfinite(out) | (np.abs(out) >= INVALID_MARK)] = np.nan      # inf, and Keysight's 9.9E+37: no value
    return out, nos


def _declared(path, rows: int, declared, what: str, line: int) -> None:
    """Refuse a file with fewer rows than its header declares (a truncated export)."""
    try:
        want = int(float(declared))
    except (TypeError, ValueError):
        return
    if rows < want:
        raise DataFileError(path, line, f"{what} declares {want} rows but the file holds {rows} (truncated file?)")


def _no_data(path, lines: list[Line], where: int) -> DataFileError:
    return DataFileError(path, where, "no data rows after the heading (empty export or truncated file)")


# --------------------------------------------------------------------------- detection
def detect(lines: list[Line]) -> tuple[str, str]:
    """(format, the evidence) of a file's lines."""
    keys = [ln.key.lstrip("#").strip().lower() for ln in lines[:2000]]
    for ln, k in zip(lines, keys, strict=False):
        if k in ("setuptitle", "dataname"):
            return "keysight-b1500", f"'{ln.key}' row at line {ln.no} (EasyEXPERT SetupTitle/DataName/DataValue rows)"
    if keys and keys[0] == "x-axis":
        return "keysight-infiniivision", f"'x-axis' heading at line {lines[0].no} with a units row under it"
    kv = [m.group(1).lower() for ln in lines[:60] if not numeric_row(ln) and (m := _KV.match(ln.text))]
    if {"xinc", "xorg"} <= set(kv) or ({"xunits", "yunits"} <= set(kv) and "data" in kv):
        return "keysight-infiniium", "Infiniium header keys (XInc, XOrg, XUnits, YUnits) and a 'Data' line"
    tek_keys = {"model", "record length", "horizontal units", "vertical units", "sample interval", "waveform type",
                "point format", "label", "firmware version", "trigger point", "source"}
    for ln, k in zip(lines[:200], keys[:200], strict=False):
        if k == "time" and len(ln.cells) >= 2:
            if tek_keys & set(keys[: keys.index(k)]):
                return "tektronix", f"Tektronix header block, then the 'TIME' heading at line {ln.no}"
            break
    first = lines[0]
    if keys[0] == "record length" and len(first.cells) >= 5 and all(_isnum(c) for c in first.cells[3:5]):
        return "tektronix", "Tektronix TDS layout (header in columns 1-2, time and value in columns 4-5)"
    return "generic", "no instrument signature: a heading naming the columns"


def _isnum(c: str) -> bool:
    try:
        number(c)
        return c.strip() != ""
    except ValueError:
        return False


def read_measured(path, format: str | None = None) -> Measurement:
    """Read a measured file: detect its format (or use ``format``), then parse it. See :data:`FORMATS`."""
    path = Path(path)
    lines, sha = read_lines(path)
    if format is None:
        fmt, why = detect(lines)
    elif format in FORMATS:
        fmt, why = format, "given (--format)"
    else:
        raise DataFileError(path, None, f"unknown format {format!r}: one of {', '.join(FORMATS)}")
    m = READERS[fmt](path, lines)
    m.format, m.format_name, m.detected_by, m.sha256 = fmt, FORMATS[fmt], why, sha
    if not m.rows:
        raise _no_data(path, lines, m.header_line or lines[-1].no)
    return m


# --------------------------------------------------------------------------- Keysight B1500
_B1500_META = ("primitivetest", "testparameter", "metadata", "analysissetup", "dimension1", "dimension2")


def read_b1500(path, lines: list[Line]) -> Measurement:
    blocks: list[dict] = []
    cur = None
    preamble: dict[str, str] = {}

    def new(start: int, title: str = "") -> dict:
        b = {"title": title, "start": start, "names": None, "names_line": 0, "units": None, "units_line": 0,
             "rows": [], "meta": {}, "dims": {}}
        blocks.append(b)
        return b

    for ln in lines:
        k = ln.key.lower()
        if k == "setuptitle":
            cur = new(ln.no, ", ".join(ln.cells[1:]))
        elif k == "dataname":
            if cur is None or cur["names"] is not None:
                cur = new(ln.no, cur["title"] if cur else "")
            cur["names"] = _trim(ln.cells[1:])
            cur["names_line"] = ln.no
        elif k == "units" and cur is not None and cur["names"] is not None and not cur["rows"]:
            cur["units"], cur["units_line"] = _trim(ln.cells[1:]), ln.no
        elif k == "datavalue":
            if cur is None or cur["names"] is None:
                raise DataFileError(path, ln.no, "a DataValue row before any DataName row names the columns")
            cur["rows"].append(ln)
        elif cur is not None:
            if k in ("dimension1", "dimension2"):
                cur["dims"][k] = [c for c in ln.cells[1:] if c]
            key = ln.cells[1] if k in _B1500_META[:4] and len(ln.cells) > 1 else ln.key
            val = ln.cells[2:] if k in _B1500_META[:4] else ln.cells[1:]
            cur["meta"][key] = ", ".join(c for c in val if c != "")
        elif ln.key:                                 # a preamble before the first setup: kept as metadata
            preamble[ln.key] = ", ".join(c for c in ln.cells[1:] if c != "")
    blocks = [b for b in blocks if b["names"] is not None or b["rows"]]
    if not blocks:
        raise DataFileError(path, lines[-1].no, "no DataName row names the columns")
    first = blocks[0]
    names = first["names"]
    meta0 = first["meta"]
    vnames = {c.strip() for c in meta0.get("Channel.VName", "").split(",") if c.strip()}
    inames = {c.strip() for c in meta0.get("Channel.IName", "").split(",") if c.strip()}
    notes = []
    units = []
    guessed = []
    for j, name in enumerate(names):
        base, text = U.split_name(name)
        if text is None and first["units"] is not None and j < len(first["units"]):
            text = first["units"][j]
            line = first["units_line"]
        else:
            line = first["names_line"]
        if text is None:
            if base in vnames:
                text = "V"
            elif base in inames:
                text = "A"
            elif base.lower() in ("time", "t", "@time"):
                text = "s"
            elif re.match(r"^[Vv]", base):
                text, _ = "V", guessed.append(base)
            elif re.match(r"^[Ii]", base):
                text, _ = "A", guessed.append(base)
        units.append((base,) + _unit(path, line, base, text) + (line,))
    if guessed:
        notes.append(f"units of {', '.join(guessed)} taken from their names (V... volt, I... ampere): EasyEXPERT "
                     "writes SI units")
    tables, nos, block = [], [], []
    for bi, b in enumerate(blocks):
        if b["names"] is None:
            raise DataFileError(path, b["start"], "a setup block without a DataName row")
        if [n.strip() for n in b["names"]] != [n.strip() for n in names]:
            raise DataFileError(path, b["names_line"], f"this block names the columns {', '.join(b['names'])}, the "
                                f"first (line {first['names_line']}) {', '.join(names)}: one table per file")
        if not b["rows"]:
            raise DataFileError(path, b["names_line"], "a DataName row without DataValue rows (truncated file?)")
        arr, no = _table(path, b["rows"], [u[0] for u in units], b["names_line"], first=1)
        dims = b["dims"]
        if "dimension1" in dims:
            try:
                want = max(int(float(x)) for x in dims["dimension1"]) * max(
                    [int(float(x)) for x in dims.get("dimension2", ["1"])] or [1])
            except ValueError:
                want = None
            if want is not None:
                _declared(path, len(b["rows"]), want, f"the block starting at line {b['start']} (Dimension1 x "
                          "Dimension2)", b["rows"][-1].no)
        tables.append(arr)
        nos.append(no)
        block.append(np.full(len(no), bi))
    data = np.vstack(tables)
    channels = [Channel(base, si, data[:, j] * scale, written, line)
                for j, (base, si, scale, written, line) in enumerate(units)]
    meta = {**preamble, "SetupTitle": first["title"], **meta0,
            "blocks": [{"title": b["title"], "line": b["start"], "rows": len(b["rows"]),
                        **({"RecordTime": b["meta"]["TestRecord.RecordTime"]} if "TestRecord.RecordTime" in b["meta"]
                           else {})} for b in blocks]}
    return Measurement(Path(path), "", "", "", channels, np.concatenate(nos), np.concatenate(block), meta,
                       header_line=first["names_line"], notes=notes)


def _trim(cells: list[str]) -> list[str]:
    cells = list(cells)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


# --------------------------------------------------------------------------- Keysight Infiniium
def read_infiniium(path, lines: list[Line]) -> Measurement:
    wfs: list[dict] = []
    cur = None
    for ln in lines:
        if numeric_row(ln):
            if cur is None or not cur["data"]:
                raise DataFileError(path, ln.no, "numbers before the 'Data:' line that ends the waveform header")
            cur["rows"].append(ln)
            continue
        m = _KV.match(ln.text)
        if not m:
            m2 = re.match(r"^\s*([A-Za-z][A-Za-z0-9 _.]*?)\s*,\s*(.*?)\s*$", ln.text)
            if not m2:
                raise DataFileError(path, ln.no, f"{ln.text.strip()[:40]!r} is neither a 'Key:Value' header line nor "
                                    "a row of numbers")
            m = m2
        key, value = m.group(1).strip(), m.group(2).strip()
        if cur is None or cur["rows"] or key.lower() == "revision" and cur["meta"]:
            cur = {"meta": {}, "lines": {}, "rows": [], "data": False, "start": ln.no}
            wfs.append(cur)
        cur["meta"][key] = value
        cur["lines"][key.lower()] = ln.no
        if key.lower() == "data":
            cur["data"] = True
            cur["data_line"] = ln.no
    if not wfs or not any(w["rows"] for w in wfs):
        raise _no_data(path, lines, lines[-1].no)
    parsed = []
    for k, w in enumerate(wfs):
        meta = {key.lower(): v for key, v in w["meta"].items()}
        if not w["rows"]:
            raise DataFileError(path, w.get("data_line", w["start"]), "a waveform header without data rows "
                                "(truncated file?)")
        ncols = len(_trim(w["rows"][0].cells))
        src = meta.get("source") or meta.get("channel") or meta.get("waveform") or f"CH{k + 1}"
        names = ["time"] + ([src] if ncols == 2 else [f"{src}_{j}" for j in range(1, ncols)])
        arr, nos = _table(path, w["rows"], names, w.get("data_line", w["start"]))
        _declared(path, len(nos), meta.get("points"), f"the waveform header (Points, line "
                  f"{w['lines'].get('points', w['start'])})", nos[-1])
        xu = _unit(path, w["lines"].get("xunits", w["start"]), "time", _scope_unit(meta.get("xunits", "s")))
        yu = _unit(path, w["lines"].get("yunits", w["start"]), src, _scope_unit(meta.get("yunits", "")))
        parsed.append({"names": names, "arr": arr, "nos": nos, "xu": xu, "yu": yu, "meta": w["meta"],
                       "line": w.get("data_line", w["start"]), "ylines": w["lines"].get("yunits", w["start"])})
    first = parsed[0]
    same_base = all(p["arr"].shape[0] == first["arr"].shape[0] and np.allclose(
        p["arr"][:, 0] * p["xu"][1], first["arr"][:, 0] * first["xu"][1], rtol=1e-9, atol=0) for p in parsed)
    notes = []
    if same_base:                                   # channels of one acquisition
        t = first["arr"][:, 0] * first["xu"][1]
        channels = [Channel("time", first["xu"][0], t, first["xu"][2], first["line"])]
        for p in parsed:
            for j, name in enumerate(p["names"][1:], start=1):
                channels.append(Channel(name, p["yu"][0], p["arr"][:, j] * p["yu"][1], p["yu"][2], p["ylines"]))
        nos, block = first["nos"], np.zeros(first["nos"].size, int)
        if len(parsed) > 1:
            notes.append(f"{len(parsed)} waveforms on one time base: read as channels")
    else:                                           # successive records of one channel
        if any(p["yu"][0] != first["yu"][0] or len(p["names"]) != len(first["names"]) for p in parsed):
            bad = next(p for p in parsed if p["yu"][0] != first["yu"][0] or len(p["names"]) != len(first["names"]))
            raise DataFileError(path, bad["line"], "this waveform has another time base and another unit than the "
                                "first: export the channels with one time base")
        arr = np.vstack([p["arr"] for p in parsed])
        channels = [Channel("time", first["xu"][0], arr[:, 0] * first["xu"][1], first["xu"][2], first["line"])]
        channels += [Channel(n, first["yu"][0], arr[:, j] * first["yu"][1], first["yu"][2], first["ylines"])
                     for j, n in enumerate(first["names"][1:], start=1)]
        nos = np.concatenate([p["nos"] for p in parsed])
        block = np.concatenate([np.full(p["nos"].size, k) for k, p in enumerate(parsed)])
        notes.append(f"{len(parsed)} waveforms with their own time bases: read as successive records (blocks)")
    meta = dict(first["meta"])
    if len(parsed) > 1:
        meta["waveforms"] = [p["meta"] for p in parsed]
    return Measurement(Path(path), "", "", "", channels, nos, block, meta, header_line=first["line"], notes=notes)


def _scope_unit(text: str) -> str:
    """Scope unit words: 'Second', 'Volt', 'Ampere'; 'Unknown' or 'None' is no unit."""
    t = text.strip()
    return "" if t.lower() in ("unknown", "none", "") else t


# --------------------------------------------------------------------------- Keysight InfiniiVision
def read_infiniivision(path, lines: list[Line]) -> Measurement:
    head = lines[0]
    names = _trim(head.cells)
    if len(lines) < 2 or numeric_row(lines[1]):
        raise DataFileError(path, lines[1].no if len(lines) > 1 else head.no,
                            "the units row under 'x-axis,...' is missing (expected e.g. 'second,Volt,Volt')")
    urow = lines[1]
    utext = _trim(urow.cells)
    if len(utext) != len(names):
        raise DataFileError(path, urow.no, f"{len(utext)} units for {len(names)} columns named on line {head.no}")
    cols = [("time" if j == 0 else n) for j, n in enumerate(names)]
    units = [_unit(path, urow.no, c, _scope_unit(u)) for c, u in zip(cols, utext, strict=True)]
    rows = lines[2:]
    if not rows:
        raise _no_data(path, lines, urow.no)
    arr, nos = _table(path, rows, cols, head.no)
    channels = [Channel(c, u[0], arr[:, j] * u[1], u[2], urow.no) for j, (c, u) in enumerate(zip(cols, units,
                                                                                                  strict=True))]
    return Measurement(Path(path), "", "", "", channels, nos, np.zeros(nos.size, int),
                       {"x-axis": names[0], "channels": names[1:]}, header_line=head.no)


# --------------------------------------------------------------------------- Tektronix
def read_tektronix(path, lines: list[Line]) -> Measurement:
    first = lines[0]
    if first.key.lower() == "record length" and len(first.cells) >= 5:
        return _read_tek_legacy(path, lines)
    meta, meta_lines = {}, {}
    head_idx = None
    for k, ln in enumerate(lines):
        key = ln.key.lstrip("#").strip()
        if key.lower() == "time" and len(ln.cells) >= 2:
            head_idx = k
            break
        if key:
            meta[key] = _trim(ln.cells[1:])
            meta_lines[key.lower()] = ln.no
    head = lines[head_idx]
    names = ["time"] + [c.lstrip("#") for c in _trim(head.cells)[1:]]
    low = {k.lower(): v for k, v in meta.items()}
    hunit = (low.get("horizontal units") or ["s"])[0]
    vunits = low.get("vertical units") or [""]
    labels = low.get("label") or []
    n_ch = len(names) - 1
    if len(vunits) == 1 and n_ch > 1:
        vunits = vunits * n_ch
    if len(vunits) < n_ch:
        raise DataFileError(path, meta_lines.get("vertical units", head.no), f"{len(vunits)} vertical units for "
                            f"{n_ch} channels named on line {head.no}")
    tu = _unit(path, meta_lines.get("horizontal units", head.no), "time", hunit)
    vus = [_unit(path, meta_lines.get("vertical units", head.no), n, _scope_unit(u))
           for n, u in zip(names[1:], vunits, strict=False)]
    rows = [ln for ln in lines[head_idx + 1:]]
    if not rows:
        raise _no_data(path, lines, head.no)
    arr, nos = _table(path, rows, names, head.no)
    if "fastframe count" not in low:
        rl = (low.get("record length") or [None])[0]
        _declared(path, len(nos), rl, f"the header (Record Length, line {meta_lines.get('record length')})", nos[-1])
    channels = [Channel("time", tu[0], arr[:, 0] * tu[1], tu[2], meta_lines.get("horizontal units", head.no))]
    for j, (n, u) in enumerate(zip(names[1:], vus, strict=True), start=1):
        label = labels[j - 1] if j - 1 < len(labels) else ""
        channels.append(Channel(n, u[0], arr[:, j] * u[1], u[2], meta_lines.get("vertical units", head.no), label))
    meta = {k: (v[0] if len(v) == 1 else v) for k, v in meta.items()}
    return Measurement(Path(path), "", "", "", channels, nos, np.zeros(nos.size, int), meta, header_line=head.no)


def _read_tek_legacy(path, lines: list[Line]) -> Measurement:
    meta, meta_lines = {}, {}
    for ln in lines:
        if ln.cells and ln.cells[0]:
            meta[ln.cells[0]] = ln.cells[1] if len(ln.cells) > 1 else ""
            meta_lines[ln.cells[0].lower()] = ln.no
    low = {k.lower(): v for k, v in meta.items()}
    src = low.get("source", "CH1") or "CH1"
    tu = _unit(path, meta_lines.get("horizontal units", lines[0].no), "time", low.get("horizontal units", "s"))
    vu = _unit(path, meta_lines.get("vertical units", lines[0].no), src, _scope_unit(low.get("vertical units", "V")))
    arr, nos = _table(path, lines, ["time", src], lines[0].no, first=3, last=5)
    _declared(path, len(nos), low.get("record length"), f"the header (Record Length, line "
              f"{meta_lines.get('record length')})", nos[-1])
    channels = [Channel("time", tu[0], arr[:, 0] * tu[1], tu[2], meta_lines.get("horizontal units", lines[0].no)),
                Channel(src, vu[0], arr[:, 1] * vu[1], vu[2], meta_lines.get("vertical units", lines[0].no))]
    return Measurement(Path(path), "", "", "", channels, nos, np.zeros(nos.size, int), meta, header_line=lines[0].no,
                       notes=["Tektronix TDS layout (one channel per file)"])


# --------------------------------------------------------------------------- generic
_COMMENT = ("#", "%", "//")
_BLOCK_NAMES = ("cycle", "cycles", "sweep", "block", "run", "repeat", "segment")


def read_generic(path, lines: list[Line]) -> Measurement:
    body = [ln for ln in lines if not ln.text.lstrip().startswith(_COMMENT)]
    if not body:
        raise DataFileError(path, lines[-1].no, "only comment lines: no heading and no data")
    k0 = next((k for k, ln in enumerate(body) if numeric_row(ln)), None)
    if k0 is None:
        raise _no_data(path, lines, body[-1].no)
    if k0 == 0:
        raise DataFileError(path, body[0].no, "no heading: the first line holds numbers; name the columns with their "
                            "units first, e.g. 'time (s), V (V), I (A)'")
    head, urow = body[k0 - 1], None
    cand = _trim(head.cells)
    if k0 >= 2 and cand and all(c == "" or U.parse_unit(c) is not None for c in cand) and len(
            _trim(body[k0 - 2].cells)) == len(cand) and not numeric_row(body[k0 - 2]):
        urow, head = head, body[k0 - 2]
    names_raw = _trim(head.cells)
    meta = {}
    for ln in lines:
        if ln.no >= head.no:
            break
        m = _KV.match(ln.text)
        if m:
            meta[m.group(1).strip()] = m.group(2).strip().strip(",")
        elif len(ln.cells) >= 2 and ln.cells[0]:
            meta[ln.cells[0].lstrip("#").strip()] = ", ".join(c for c in ln.cells[1:] if c)
    names, units = [], []
    for j, h in enumerate(names_raw):
        base, text = U.split_name(h)
        line = head.no
        if urow is not None:
            utext = _trim(urow.cells)[j] if j < len(_trim(urow.cells)) else ""
            if utext:
                text, line = utext, urow.no
        base = base or f"column{j + 1}"
        names.append(base)
        units.append(_unit(path, line, base, text) + (line,))
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise DataFileError(path, head.no, f"the heading names {', '.join(sorted(dup))} twice")
    rows = [ln for ln in body[k0:]]
    arr, nos = _table(path, rows, names, head.no)
    channels = [Channel(n, u[0], arr[:, j] * u[1], u[2], u[3]) for j, (n, u) in enumerate(zip(names, units,
                                                                                               strict=True))]
    block = np.zeros(nos.size, int)
    notes = []
    cyc = next((c for c in channels if c.name.lower() in _BLOCK_NAMES and c.unit == ""), None)
    if cyc is not None:
        vals = cyc.values.copy()
        ok = np.isfinite(vals)
        if ok.any():                                # a row without its cycle number belongs to the one before
            idx = np.where(ok, np.arange(vals.size), 0)
            np.maximum.accumulate(idx, out=idx)
            vals = vals[idx]
            vals[: np.argmax(ok)] = vals[np.argmax(ok)]
            _, block = np.unique(vals, return_inverse=True)
            # keep file order: blocks numbered as they first appear
            order = {b: k for k, b in enumerate(dict.fromkeys(block.tolist()))}
            block = np.array([order[b] for b in block.tolist()], int)
            notes.append(f"column {cyc.name!r} numbers the blocks ({block.max() + 1})")
    return Measurement(Path(path), "", "", "", channels, nos, block, meta, header_line=head.no, notes=notes)


READERS = {"keysight-b1500": read_b1500, "keysight-infiniium": read_infiniium,
           "keysight-infiniivision": read_infiniivision, "tektronix": read_tektronix, "generic": read_generic}
