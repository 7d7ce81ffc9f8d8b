"""One executor interface for many independent simulations.

Local runs use a process pool (libngspice is one global instance per
process, so parallelism means processes); when a Dask scheduler address is
given the same calls go to that ``distributed`` cluster instead.

The local pool lives as long as the process: each worker loads libngspice
once, and ``reproduce`` pays the start-up once, not once per experiment.
Workers ignore SIGINT; on Ctrl-C the caller cancels what is queued and
terminates the workers, so an interrupt ends at once and prints nothing
from the children.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor

from .runner import Waveforms

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _run_one(args) -> Waveforms:
    engine, deck, backend, timeout = args
    if engine == "ngspice":
        from .runner import simulate

        return simulate(deck, backend=backend, timeout=timeout)
    from .engines import get

    return get(engine).run(deck, timeout=timeout)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def workers_default() -> int:
    """``MEMSPIKE_WORKERS`` (a positive integer), else one worker per core."""
    text = os.environ.get("MEMSPIKE_WORKERS", "").strip()
    if not text:
        return os.cpu_count() or 1
    if not text.isdigit() or int(text) < 1:
        from pyspice_models.params import ParameterError

        raise ParameterError("MEMSPIKE_WORKERS", text, "a positive integer (the number of worker processes)")
    return int(text)


def _get_pool(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        shutdown()
        # fork is cheap (and needs no __main__ guard) while this process has not loaded
        # libngspice, which it never does while a pool exists; otherwise children start clean
        from . import runner

        method = "fork" if runner._shared is None and "fork" in mp.get_all_start_methods() else "spawn"
        # a Ctrl-C that lands while the workers are forked would be swallowed by Python's at-fork
        # handlers (and the run would go on): hold SIGINT until every worker has started, then let
        # a pending one through
        blocked = threading.current_thread() is threading.main_thread()
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method),
                                        initializer=_ignore_sigint)
            list(_pool.map(_noop, range(workers)))
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _pool_size = workers
    return _pool


def _noop(_):
    return None


def shutdown(kill: bool = False) -> None:
    """Stop the local pool (``kill``: now, dropping queued and running simulations)."""
    global _pool
    if _pool is None:
        return
    pool, _pool = _pool, None
    if kill:
        procs = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
    else:
        pool.shutdown(wait=True)


atexit.register(shutdown, kill=True)


def simulate_many(netlists: list, *, engine: str = "ngspice", backend: str = "shared", timeout: float = 300.0,
                  workers: int | None = None, scheduler: str | None = None,
                  progress: str | None = None) -> list[Waveforms]:
    """Simulate each :class:`~circuits.netlist.Netlist` (or, for ngspice, deck text) with ``engine``;
    results in input order. Errors propagate (first failure wins).

    An engine with ``run_many`` (one batch: the vector engine) gets the whole list at once; the
    others are mapped over the local process pool, or over a Dask cluster with ``scheduler``.
    ``progress``: a label for a progress bar on stderr (shown only on a terminal), or None.
    """
    if engine != "ngspice":
        from .engines import get

        batch = getattr(get(engine), "run_many", None)
        if batch is not None:
            return batch(list(netlists), timeout=timeout)
    jobs = [(engine, t, backend, timeout) for t in netlists]
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = client.map(_run_one, jobs, pure=False)
            return client.gather(futures)
    workers = workers or workers_default()
    if workers <= 1:
        return list(with_progress(map(_run_one, jobs), len(jobs), progress))
    pool = _get_pool(workers)
    try:
        return list(with_progress(pool.map(_run_one, jobs), len(jobs), progress))
    except BaseException:
        shutdown(kill=True)      # a failure or Ctrl-C: drop what is queued, the next call starts afresh
        raise


def with_progress(it, total: int, label: str | None):
    """``it`` with a tqdm bar on stderr labelled ``label`` (only on a terminal; None: no bar)."""
    if not label:
        return it
    import sys

    from tqdm import tqdm

    return tqdm(it, total=total, leave=False, unit="sim", desc=label, file=sys.stderr,
                disable=not sys.stderr.isatty())
