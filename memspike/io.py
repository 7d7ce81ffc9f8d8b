"""Atomic file writing: a result is either complete or absent."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path, directory: bool = False) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would have (mkstemp and mkdtemp use 0600/0700)."""
    mask = _umask()
    os.chmod(path, (0o777 if directory else 0o666) & ~mask)
    if directory:
        for sub in Path(path).rglob("*"):
            os.chmod(sub, (0o777 if sub.is_dir() else 0o666) & ~mask)


def write_atomic(path, write, *, binary: bool = False, suffix: str = "") -> Path:
    """Write ``path`` through ``write(file)`` into a temporary file beside it, then rename: the file is
    complete or absent, and gets the mode the umask gives (not mkstemp's 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
        apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path, text: str) -> None:
    write_atomic(path, lambda f: f.write(text))


def write_json_atomic(path, obj, *, allow_nan: bool = True) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=json_default, allow_nan=allow_nan)
                      + "\n")


def json_default(o):
    """numpy arrays and scalars as their JSON values."""
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def save_figure_atomic(fig, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=150, bbox_inches="tight")
        apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_dir(staging: Path, target: Path) -> None:
    """Move a fully written ``staging`` directory to ``target``, replacing an earlier result folder
    (never a file: that is refused before a run starts, see ``check_out``)."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} is a file, not a result folder")
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
