"""Shared fixtures for the memspike test suite.

Tests that need ngspice carry ``@pytest.mark.ngspice``; they are skipped (not
failed) on a machine without the ngspice executable or libngspice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _have_ngspice() -> bool:
    if shutil.which("ngspice") is None:
        return False
    try:
        from circuits.runner import find_libngspice

        find_libngspice()
    except Exception:
        return False
    return True


HAVE_NGSPICE = _have_ngspice()


def pytest_collection_modifyitems(config, items):
    if HAVE_NGSPICE:
        return
    skip = pytest.mark.skip(reason="ngspice / libngspice not installed")
    for item in items:
        if "ngspice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tmp_out(tmp_path) -> Path:
    """An empty output directory for one test."""
    out = tmp_path / "out"
    out.mkdir()
    return out


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
