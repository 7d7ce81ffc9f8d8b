"""The MNIST copy memspike carries: complete, verified on load, clear errors otherwise."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from networks.mnist import DATA, load
from pyspice_models.params import ParameterError


def test_the_full_set_loads_and_is_mnist():
    test = load("test")
    assert test.images.shape == (10000, 28, 28) and test.images.dtype == np.uint8
    assert np.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train = load("train")
    assert train.images.shape == (60000, 28, 28) and train.images.max() == 255
    assert np.bincount(train.labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_a_users_directory_of_uncompressed_files(tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(gzip.open(DATA / f"{name}.gz").read())
    assert load("test", tmp_path).labels.size == 10000


def test_corrupt_missing_or_wrong_directory_is_one_clear_error(tmp_path):
    shutil.copy(DATA / "t10k-labels-idx1-ubyte.gz", tmp_path)
    raw = bytearray(gzip.open(DATA / "t10k-images-idx3-ubyte.gz").read())
    raw[5000] ^= 0xFF                                       # one flipped byte
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(bytes(raw))
    with pytest.raises(ParameterError, match="corrupt"):
        load("test", tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(ParameterError, match="a directory holding t10k-images"):
        load("test", tmp_path)
    with pytest.raises(ParameterError, match="existing directory"):
        load("test", tmp_path / "nowhere")
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ParameterError, match="readable"):
        load("test", tmp_path)
    with pytest.raises(ParameterError, match="train or test"):
        load("validation")
