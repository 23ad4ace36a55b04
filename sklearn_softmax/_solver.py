"""The L-BFGS driver: scipy's L-BFGS-B with our stopping rule, warnings and progress.

:func:`minimize_lbfgs` minimizes a smooth objective. :func:`minimize_by_smoothing`
minimizes a non-smooth one (the hinge losses) through a sequence of smooth upper
bounds, each solved by :func:`minimize_lbfgs` from the previous solution.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

#: ``fun(theta) -> (value, gradient w.r.t. theta, stationarity)``, where
#: stationarity is the measure compared with ``tol`` (the largest absolute
#: gradient entry in the problem's own coordinates).
Objective = Callable[[np.ndarray], tuple[float, np.ndarray, float]]

#: Each smoothing stage divides the smoothing parameter by this.
SMOOTHING_DECREASE = 10.0

#: Intermediate smoothing stages stop once the largest gradient entry is below
#: ``mu`` times this (or below ``tol`` if that is larger).
STAGE_TOL_PER_MU = 1e-2


@dataclass
class LbfgsResult:
    """What a run of :func:`minimize_lbfgs` found."""

    x: np.ndarray
    n_iter: int
    converged: bool
    loss_curve: list[float] = field(default_factory=list)


_BLAS_CONTROLLER: ThreadpoolController | None = None


def _blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (scanned once: scanning takes ms)."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        _BLAS_CONTROLLER = ThreadpoolController().select(user_api="blas")
    return _BLAS_CONTROLLER


class _Tracker:
    """Wraps the objective: remembers the last evaluation, records iterations.

    BLAS runs single-threaded while scipy's L-BFGS code works on the short
    ``theta`` vectors and with its usual threads inside ``fun``. NumPy and scipy
    wheels each bundle their own OpenBLAS: without this, the threads one of
    them leaves spinning after a matrix product contend with the other's, and
    each L-BFGS step costs milliseconds (20x the fit time on small data).
    """

    def __init__(self, fun: Objective, tol: float, verbose: int):
        self.blas_threads = _blas_controller().info()
        self.fun = fun
        self.tol = tol
        self.verbose = verbose
        self.last_x: np.ndarray | None = None
        self.last_stationarity = np.inf
        self.loss_curve: list[float] = []
        self.reached_tol = False

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        with _blas_controller().limit(limits=self.blas_threads, user_api="blas"):
            value, grad, stationarity = self.fun(x)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            raise FloatingPointError(
                "The objective or its gradient is not finite; the data or "
                "parameters overflow the floating point range."
            )
        self.last_x = x.copy()
        self.last_stationarity = stationarity
        return value, grad

    def callback(self, intermediate_result) -> None:
        """Called by scipy after each iteration, at the accepted point."""
        value = float(intermediate_result.fun)
        self.loss_curve.append(value)
        if self.last_x is None or not np.array_equal(self.last_x, intermediate_result.x):
            self(intermediate_result.x)
        if self.verbose:
            print(
                f"iter {len(self.loss_curve):5d}  objective {value:.10e}"
                f"  max|grad| {self.last_stationarity:.3e}",
                flush=True,
            )
        if self.last_stationarity <= self.tol:
            self.reached_tol = True
            raise StopIteration


def minimize_lbfgs(
    fun: Objective,
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    history: int = 10,
    verbose: int = 0,
) -> LbfgsResult:
    """Minimize ``fun`` from ``x0`` with L-BFGS until stationarity <= ``tol``.

    Also stops, as converged, when scipy finds that the objective no longer
    decreases at machine precision. Warns with :class:`ConvergenceWarning` when
    it stops at ``max_iter`` or because the line search failed.
    """
    tracker = _Tracker(fun, tol, verbose)
    with _blas_controller().limit(limits=1, user_api="blas"):
        result = minimize(
            tracker,
            x0,
            method="L-BFGS-B",
            jac=True,
            callback=tracker.callback,
            options={
                "maxiter": max_iter,
                "maxcor": history,
                "maxls": 50,
                "maxfun": max_iter * 60,
                "gtol": 0.0,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    converged = tracker.reached_tol or result.status == 0
    if not converged:
        gradient = f"the largest gradient entry is {tracker.last_stationarity:.3g}"
        if result.status == 1:
            reason = (
                f"stopped at max_iter={max_iter} iterations before reaching "
                f"tol={tol} ({gradient}). Increase max_iter, or scale the data."
            )
        else:
            reason = (
                "stopped because the line search failed to decrease the objective "
                f"({result.message}); {gradient}, above tol={tol}."
            )
        warnings.warn(f"L-BFGS {reason}", ConvergenceWarning, stacklevel=2)
    return LbfgsResult(
        x=result.x,
        n_iter=max(1, len(tracker.loss_curve)),
        converged=converged,
        loss_curve=tracker.loss_curve,
    )


def minimize_by_smoothing(
    fun_at: Callable[[float], Objective],
    relative_gap: Callable[[np.ndarray, float], float],
    x0: np.ndarray,
    *,
    start: float,
    tol: float,
    max_iter: int,
    verbose: int = 0,
) -> LbfgsResult:
    """Minimize a non-smooth ``F_0`` through smooth upper bounds ``F_mu >= F_0``.

    Solves ``F_mu`` for ``mu = start, start / 10, ...``, each from the previous
    solution with :func:`minimize_lbfgs`, until ``relative_gap(x, mu)`` (a bound
    on the relative suboptimality for ``F_0`` of a stationary point ``x`` of
    ``F_mu``) is at most ``tol``. ``fun_at(mu)`` is the objective ``F_mu``.
    Stages before the last stop at the looser ``max(tol, mu * STAGE_TOL_PER_MU)``:
    they only warm-start the next one; the last stage is then finished at ``tol``.
    ``max_iter`` bounds the iterations of all stages together.
    """
    x, n_iter, loss_curve = x0, 0, []
    smoothing = start
    stage_tol = max(tol, smoothing * STAGE_TOL_PER_MU)
    while True:
        if verbose:
            print(f"smoothing mu = {smoothing:.1e}, tol = {stage_tol:.1e}", flush=True)
        stage = minimize_lbfgs(
            fun_at(smoothing), x, tol=stage_tol, max_iter=max_iter - n_iter, verbose=verbose
        )
        x = stage.x
        n_iter += stage.n_iter
        loss_curve += stage.loss_curve
        if not stage.converged:
            return LbfgsResult(x, n_iter, False, loss_curve)
        gap = relative_gap(x, smoothing)
        if gap <= tol and stage_tol <= tol:
            return LbfgsResult(x, n_iter, True, loss_curve)
        if n_iter >= max_iter:
            warnings.warn(
                f"L-BFGS stopped at max_iter={max_iter} iterations with smoothing "
                f"mu={smoothing:.1e}, whose relative gap bound for the hinge objective "
                f"is {gap:.3g} (tol={tol}). Increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
            return LbfgsResult(x, n_iter, False, loss_curve)
        if gap > tol:
            smoothing /= SMOOTHING_DECREASE
        stage_tol = tol if gap <= tol else max(tol, smoothing * STAGE_TOL_PER_MU)
