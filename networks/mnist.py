"""The MNIST handwritten digits (IDX files), verified on load.

memspike carries the complete set (60,000 training and 10,000 test images with labels, gzipped
IDX) in ``networks/data/mnist/`` with its provenance, citation and licence (``PROVENANCE.md``), so
a machine without internet runs the Fig. 6 network. :func:`load` reads it (or a directory of the
user's holding the same four files, gzipped or not) and checks every file against the MD5 of its
uncompressed content before use.

The MNIST database is by Y. LeCun, C. Cortes and C. J. C. Burges (derived from NIST Special
Databases 1 and 3), usually cited as licensed under CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyspice_models.params import ParameterError

DATA = Path(__file__).resolve().parent / "data" / "mnist"
FILES = {  # name -> (MD5 of the uncompressed IDX file, its size in bytes, magic, count)
    "train-images-idx3-ubyte": ("6bbc9ace898e44ae57da46a324031adb", 47040016, 2051, 60000),
    "train-labels-idx1-ubyte": ("a25bea736e30d166cdddb491f175f624", 60008, 2049, 60000),
    "t10k-images-idx3-ubyte": ("2646ac647ad5339dbf082846283269ea", 7840016, 2051, 10000),
    "t10k-labels-idx1-ubyte": ("27ae3e4e09519cfbb04c329615203637", 10008, 2049, 10000),
}
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


@dataclass(frozen=True)
class Digits:
    images: np.ndarray       # (n, 28, 28) uint8, 0..255
    labels: np.ndarray       # (n,) uint8, 0..9
    source: str              # the directory read


def _read(directory: Path, name: str) -> bytes:
    md5, size, _, _ = FILES[name]
    for path in (directory / f"{name}.gz", directory / name):
        if path.is_file():
            try:
                raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
            except (OSError, EOFError) as e:
                raise ParameterError("mnist", str(path), f"a readable (gzipped) IDX file ({e})") from None
            if len(raw) != size or hashlib.md5(raw).hexdigest() != md5:
                raise ParameterError("mnist", str(path), f"the MNIST file {name}: {size} bytes with MD5 {md5} "
                                     f"(this one: {len(raw)} bytes, MD5 {hashlib.md5(raw).hexdigest()}): corrupt "
                                     "or another file")
            return raw
    raise ParameterError("mnist", str(directory), f"a directory holding {name}.gz (or {name}); see "
                         f"{DATA / 'PROVENANCE.md'}")


def load(split: str, directory: str | Path | None = None) -> Digits:
    """The ``split`` ("train" or "test") of MNIST, checked; ``directory``: the user's copy (default: memspike's)."""
    if split not in SPLITS:
        raise ParameterError("split", split, "train or test")
    directory = Path(directory) if directory is not None else DATA
    if not directory.is_dir():
        raise ParameterError("mnist", str(directory), "an existing directory with the four MNIST IDX files")
    img_name, lab_name = SPLITS[split]
    img, lab = _read(directory, img_name), _read(directory, lab_name)
    n = FILES[img_name][3]
    # the header: magic, count (and rows, columns for images), big-endian; checked by the MD5 already
    images = np.frombuffer(img, dtype=np.uint8, offset=16).reshape(n, 28, 28)
    labels = np.frombuffer(lab, dtype=np.uint8, offset=8)
    return Digits(images, labels, str(directory))


__all__ = ["DATA", "Digits", "FILES", "load"]
