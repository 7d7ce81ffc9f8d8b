"""One executor interface for many independent simulations.

Local runs use a process pool (libngspice is one global instance per
process, so parallelism means processes); when a Dask scheduler address is
given the same calls go to that ``distributed`` cluster instead.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

from .runner import Waveforms, simulate


def _run_one(args) -> Waveforms:
    text, backend, timeout = args
    return simulate(text, backend=backend, timeout=timeout)


def simulate_many(netlists: list[str], *, backend: str = "shared", timeout: float = 300.0,
                  workers: int | None = None, scheduler: str | None = None,
                  progress: bool = False) -> list[Waveforms]:
    """Simulate each deck text; results in input order. Errors propagate (first failure wins)."""
    jobs = [(t, backend, timeout) for t in netlists]
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = client.map(_run_one, jobs, pure=False)
            return client.gather(futures)
    workers = workers or int(os.environ.get("MEMSPIKE_WORKERS", 0)) or (os.cpu_count() or 1)
    workers = min(workers, len(jobs))
    if workers <= 1 or len(jobs) <= 2:
        return list(_progress(map(_run_one, jobs), len(jobs), progress))
    # fork is safe (and needs no __main__ guard) while this process has not loaded
    # libngspice; once it has, children must start clean
    from . import runner

    method = "fork" if runner._shared is None and "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        return list(_progress(pool.map(_run_one, jobs), len(jobs), progress))


def _progress(it, total, enabled):
    if not enabled:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, leave=False, unit="sim")
