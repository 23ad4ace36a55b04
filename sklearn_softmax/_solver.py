"""The L-BFGS driver: scipy's L-BFGS-B with our stopping rule, warnings and progress.

:func:`minimize_lbfgs` minimizes a smooth objective. :func:`minimize_by_smoothing`
minimizes a non-smooth one (the hinge losses) through a sequence of smooth upper
bounds, each solved by :func:`minimize_lbfgs` from the previous solution. Neither
warns; :func:`warn_if_not_converged` words the warning for the user's settings.
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

#: Smoothing stages stop once the largest gradient entry is below ``mu`` times
#: this (or below ``tol`` if that is larger): they only warm-start the next one.
STAGE_TOL_PER_MU = 1e-2

#: Why a run stopped.
CONVERGED, MAX_ITER, LINE_SEARCH, PRECISION = "converged", "max_iter", "line_search", "precision"


@dataclass
class LbfgsResult:
    """What a run of :func:`minimize_lbfgs` or :func:`minimize_by_smoothing` found."""

    x: np.ndarray
    n_iter: int
    reason: str
    #: The stopping measure at ``x``: the largest gradient entry.
    stationarity: float
    loss_curve: list[float] = field(default_factory=list)
    #: The last smoothing of :func:`minimize_by_smoothing` (0: none).
    smoothing: float = 0.0

    @property
    def converged(self) -> bool:
        return self.reason == CONVERGED


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

    def __init__(self, fun: Objective, tol: float, verbose: int, first_iter: int):
        self.blas_threads = _blas_controller().info()
        self.fun = fun
        self.tol = tol
        self.verbose = verbose
        self.first_iter = first_iter
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

    def stationarity_at(self, x: np.ndarray) -> float:
        """The stopping measure at ``x``, evaluating ``fun`` again only if needed."""
        if self.last_x is None or not np.array_equal(self.last_x, x):
            self(x)
        return self.last_stationarity

    def callback(self, intermediate_result) -> None:
        """Called by scipy after each iteration, at the accepted point."""
        value = float(intermediate_result.fun)
        self.loss_curve.append(value)
        stationarity = self.stationarity_at(intermediate_result.x)
        if self.verbose:
            iteration = self.first_iter + len(self.loss_curve) - 1
            print(
                f"iter {iteration:5d}  objective {value:.10e}  max|grad| {stationarity:.3e}",
                flush=True,
            )
        if stationarity <= self.tol:
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
    first_iter: int = 1,
) -> LbfgsResult:
    """Minimize ``fun`` from ``x0`` with L-BFGS until stationarity <= ``tol``.

    Stops with reason ``MAX_ITER`` after ``max_iter`` iterations, ``LINE_SEARCH``
    when the line search fails, and ``PRECISION`` when the objective no longer
    decreases at machine precision (scipy's ``ftol`` test) above ``tol``.
    ``first_iter`` numbers the iterations in verbose output.
    """
    tracker = _Tracker(fun, tol, verbose, first_iter)
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
    stationarity = tracker.stationarity_at(result.x)
    if tracker.reached_tol or stationarity <= tol:
        reason = CONVERGED
    elif result.status == 0:
        reason = PRECISION
    elif result.status == 1:
        reason = MAX_ITER
    else:
        reason = LINE_SEARCH
    return LbfgsResult(
        x=result.x,
        n_iter=max(1, len(tracker.loss_curve)),
        reason=reason,
        stationarity=stationarity,
        loss_curve=tracker.loss_curve,
    )


def minimize_by_smoothing(
    fun_at: Callable[[float], Objective],
    smoothing_gap: Callable[[np.ndarray], float],
    x0: np.ndarray,
    *,
    start: float,
    tol: float,
    max_iter: int,
    history: int = 10,
    verbose: int = 0,
) -> LbfgsResult:
    """Minimize a non-smooth ``F_0`` through smooth upper bounds ``F_mu >= F_0``.

    ``fun_at(mu)`` is the objective ``F_mu``. Starting at ``mu = start``, each
    stage runs :func:`minimize_lbfgs` from the previous solution ``x`` and then
    divides ``mu`` by 10, until ``smoothing_gap(x)`` (how much the smoothing
    alone can cost, in units the caller chose) is at most ``tol`` at the end of
    a stage that met the gradient rule at ``tol``. Stages before that stop at the
    looser ``max(tol, mu * STAGE_TOL_PER_MU)``: they only warm-start the next
    one. ``max_iter`` bounds the iterations of all stages together.
    """
    x, n_iter, loss_curve = x0, 0, []
    smoothing = start
    stage_tol = max(tol, smoothing * STAGE_TOL_PER_MU)
    while True:
        if verbose:
            print(f"smoothing mu = {smoothing:.1e}, gradient tol = {stage_tol:.1e}", flush=True)
        stage = minimize_lbfgs(
            fun_at(smoothing),
            x,
            tol=stage_tol,
            max_iter=max_iter - n_iter,
            history=history,
            verbose=verbose,
            first_iter=n_iter + 1,
        )
        x = stage.x
        n_iter += stage.n_iter
        loss_curve += stage.loss_curve
        # A stage stopped by the precision of the arithmetic still warm-starts
        # the next smoothing well; the others end the run.
        if stage.reason not in (CONVERGED, PRECISION):
            return LbfgsResult(x, n_iter, stage.reason, stage.stationarity, loss_curve, smoothing)
        gap = smoothing_gap(x)
        if verbose:
            print(f"relative smoothing gap {gap:.2e}", flush=True)
        if gap <= tol and stage_tol <= tol:
            reason = stage.reason
        elif n_iter >= max_iter:
            reason = MAX_ITER
        else:
            reason = None
        if reason is not None:
            return LbfgsResult(x, n_iter, reason, stage.stationarity, loss_curve, smoothing)
        if gap > tol:
            smoothing /= SMOOTHING_DECREASE
        stage_tol = tol if gap <= tol else max(tol, smoothing * STAGE_TOL_PER_MU)


def warn_if_not_converged(result: LbfgsResult, *, tol: float, max_iter: int) -> None:
    """Warn with :class:`ConvergenceWarning` saying why ``result`` is not converged."""
    if result.converged:
        return
    state = f"the largest gradient entry is {result.stationarity:.3g} (tol={tol})"
    if result.reason == MAX_ITER:
        why = f"stopped at max_iter={max_iter} iterations; {state}. Increase max_iter."
    elif result.reason == PRECISION:
        why = (
            f"stopped because the objective no longer decreases at the floating point "
            f"precision of the computation; {state}. Use float64 data, scale extreme "
            "features, or a larger tol."
        )
    else:
        why = f"stopped because the line search failed to decrease the objective; {state}."
    warnings.warn(f"L-BFGS {why}", ConvergenceWarning, stacklevel=3)
