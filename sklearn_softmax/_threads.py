"""Threads of a fit: BLAS on one thread, evaluations split over lanes.

During a fit every BLAS call runs on one thread (:func:`one_blas_thread`): scipy's
L-BFGS code, and each lane of an evaluation. The parallelism is the lanes':
:class:`~sklearn_softmax._objective.LinearObjective` splits the rows into
contiguous shares and evaluates each on a thread of :func:`run_lanes`' pool, its
matrix products and its loss arithmetic alike. Two lanes of one-thread products
were faster than one product on two BLAS threads (which also leaves the loss's
elementwise work on one core), and no BLAS threads are left spinning between
evaluations to contend with scipy's (``benchmarks/notes.md``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

T = TypeVar("T")

_BLAS_CONTROLLER: ThreadpoolController | None = None


def _blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (scanned once: scanning takes ms)."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        _BLAS_CONTROLLER = ThreadpoolController().select(user_api="blas")
    return _BLAS_CONTROLLER


def blas_threads() -> int:
    """The BLAS threads this process may use now (its limit, or the cores): the
    budget of a fit's lanes, so that a limit set by the user or by joblib holds."""
    return max((info["num_threads"] for info in _blas_controller().info()), default=1)


def one_blas_thread():
    """Context: every BLAS library on one thread."""
    return _blas_controller().limit(limits=1, user_api="blas")


_POOL_LOCK = threading.Lock()
#: ``(process id, workers, pool)``: a forked child makes its own pool, as the
#: parent's threads do not exist there.
_POOL: tuple[int, int, ThreadPoolExecutor] | None = None


def _pool(workers: int) -> ThreadPoolExecutor:
    """A shared pool of at least ``workers`` threads. A pool it replaces is not shut
    down: a fit in another thread may still be submitting to it (its idle threads
    end once it is no longer referenced)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid() or _POOL[1] < workers:
            pool = ThreadPoolExecutor(workers, thread_name_prefix="sklearn_softmax-lane")
            _POOL = (os.getpid(), workers, pool)
        return _POOL[2]


def run_lanes(task: Callable[[int], T], n_lanes: int) -> list[T]:
    """``[task(0), ..., task(n_lanes - 1)]``, lane 0 on the calling thread and the
    others on the pool's, under the caller's NumPy floating-point error settings
    (``np.errstate`` is per thread). Every lane finishes before this returns or raises."""
    if n_lanes == 1:
        return [task(0)]
    settings = np.geterr()

    def with_settings(lane: int) -> T:
        with np.errstate(**settings):
            return task(lane)

    pool = _pool(n_lanes - 1)
    others = [pool.submit(with_settings, lane) for lane in range(1, n_lanes)]
    try:
        first = task(0)
    finally:
        wait(others)
    return [first] + [future.result() for future in others]
