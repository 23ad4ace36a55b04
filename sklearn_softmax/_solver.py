"""The L-BFGS driver: scipy's L-BFGS-B with our stopping rule, observed by a callback.

:func:`minimize_lbfgs` minimizes a smooth objective. :func:`minimize_by_smoothing`
minimizes a non-smooth one (the hinge losses) through a sequence of smooth upper
bounds, each solved by :func:`minimize_lbfgs` from the previous solution. Both
report each iteration to ``callback(iteration, value, stationarity)`` and neither
prints nor warns: :func:`convergence_message` words what a caller may warn. Their
tuning (restarts, the smoothing schedule) comes from the caller's
:class:`~sklearn_softmax._settings.SolverSettings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

#: ``fun(theta) -> (value, gradient w.r.t. theta, stationarity)``, where
#: stationarity is the measure compared with ``tol`` (the largest absolute
#: entry of the minimum-norm subgradient in the solver's coordinates).
Objective = Callable[[np.ndarray], tuple[float, np.ndarray, float]]

#: ``callback(iteration, value, stationarity)``, after each iteration (from 1).
Callback = Callable[[int, float, float], None]

#: Why a run stopped.
CONVERGED, MAX_ITER, PRECISION = "converged", "max_iter", "precision"


@dataclass
class LbfgsResult:
    """What a run of :func:`minimize_lbfgs` or :func:`minimize_by_smoothing` found."""

    x: np.ndarray
    #: Iterations run: 0 when the start already met the stopping rule.
    n_iter: int
    reason: str
    #: The stopping measure at ``x``: the largest gradient entry.
    stationarity: float
    #: The last smoothing of :func:`minimize_by_smoothing` (0: none).
    smoothing: float = 0.0
    #: The objective at ``x`` (of the last smoothing stage: an upper bound).
    value: float = np.nan

    @property
    def converged(self) -> bool:
        return self.reason == CONVERGED


def finite(fun: Objective) -> Objective:
    """``fun`` that raises FloatingPointError instead of returning a non-finite value.

    The stationarity is a largest absolute value over every gradient entry: it is
    not finite when one of them is not, so the gradient needs no pass of its own.
    """

    def checked(x):
        value, grad, stationarity = fun(x)
        if not (np.isfinite(value) and np.isfinite(stationarity)):
            raise FloatingPointError(
                "The objective or its gradient is not finite; the data or "
                "parameters overflow the floating point range."
            )
        return value, grad, stationarity

    return checked


class _LastEvaluation:
    """``fun`` that remembers its last point, so that the stationarity at the point
    scipy accepts (its last evaluation) costs no second evaluation."""

    def __init__(self, fun: Objective):
        self.fun = fun
        self.x: np.ndarray | None = None
        self.result: tuple[float, np.ndarray, float] | None = None

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray, float]:
        if self.x is None or not np.array_equal(self.x, x):
            self.result = self.fun(x)
            self.x = x.copy()
        return self.result

    def value_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """What scipy calls: value and gradient."""
        value, grad, _ = self(x)
        return value, grad


def minimize_lbfgs(
    fun: Objective,
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    history: int = 10,
    callback: Callback | None = None,
    first_iter: int = 1,
    bounds: list | None = None,
    restart: Callable[[np.ndarray], np.ndarray] | None = None,
    max_restarts: int = 0,
) -> LbfgsResult:
    """Minimize ``fun`` from ``x0`` with L-BFGS until stationarity <= ``tol``.

    A start that meets the rule returns at once, with ``n_iter = 0``. Stops with
    reason ``MAX_ITER`` after ``max_iter`` iterations, and ``PRECISION`` when no
    step along the search direction (after scipy's restart from steepest descent)
    decreases the objective as computed: its changes there are below the rounding
    of the arithmetic. scipy's own relative-decrease test (``ftol``) is off: it is
    absolute below 1, so it stopped fits of small objectives early.
    ``callback(first_iter + k, value, stationarity)`` follows the k-th iteration.
    ``bounds``: L-BFGS-B's, per entry of ``x`` (``x0`` must satisfy them).
    ``restart(x)``: a point with the same model as ``x`` and an objective no higher
    (:meth:`L1Split.canonical`); after a ``PRECISION`` stop at an ``x`` where it is
    lower, L-BFGS starts again from it with an empty memory (``max_restarts`` times
    at most). The caller sets BLAS's threads (the core runs a whole fit
    on one: ``fun`` brings its own parallelism).
    """
    evaluate = _LastEvaluation(finite(fun))
    value, _, stationarity = evaluate(x0)
    if stationarity <= tol:
        return LbfgsResult(x0, 0, CONVERGED, stationarity, value=value)
    x, n_iter, restarts = x0, 0, 0
    while True:
        x, run_iter, scipy_status = _run_lbfgs_b(
            evaluate,
            x,
            tol=tol,
            max_iter=max_iter - n_iter,
            history=history,
            callback=callback,
            first_iter=first_iter + n_iter,
            bounds=bounds,
        )
        n_iter += run_iter
        value, _, stationarity = evaluate(x)
        if stationarity <= tol:
            return LbfgsResult(x, n_iter, CONVERGED, stationarity, value=value)
        if n_iter >= max_iter or scipy_status == 1:
            return LbfgsResult(x, n_iter, MAX_ITER, stationarity, value=value)
        moved = restart(x) if restart is not None and restarts < max_restarts else x
        if moved is x or not evaluate(moved)[0] < value:
            return LbfgsResult(x, n_iter, PRECISION, stationarity, value=value)
        x, restarts = moved, restarts + 1


def _run_lbfgs_b(evaluate, x0, *, tol, max_iter, history, callback, first_iter, bounds):
    """One scipy L-BFGS-B run from ``x0``, stopped by our rule through its callback:
    ``(x, iterations, scipy's status)``."""
    n_iter = 0

    def after_iteration(intermediate_result) -> None:
        nonlocal n_iter
        n_iter += 1
        _, _, stationarity = evaluate(intermediate_result.x)
        if callback is not None:
            callback(first_iter + n_iter - 1, float(intermediate_result.fun), stationarity)
        if stationarity <= tol:
            raise StopIteration

    result = minimize(
        evaluate.value_gradient,
        x0,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        callback=after_iteration,
        options={
            "maxiter": max_iter,
            "maxcor": history,
            "maxls": 50,
            "maxfun": max_iter * 60,
            "gtol": 0.0,
            "ftol": 0.0,
        },
    )
    return result.x, n_iter, result.status


def minimize_by_smoothing(
    fun_at: Callable[[float], Objective],
    smoothing_gap: Callable[[np.ndarray, float], float],
    x0: np.ndarray,
    *,
    start: float,
    tol: float,
    max_iter: int,
    warm: bool = False,
    highest: float = np.inf,
    history: int = 10,
    bounds: list | None = None,
    restart: Callable[[np.ndarray], np.ndarray] | None = None,
    max_restarts: int = 0,
    decrease: float,
    stage_tol_per_mu: float,
    callback: Callback | None = None,
    on_stage: Callable[[float, float], None] | None = None,
    after_stage: Callable[[np.ndarray, float], None] | None = None,
) -> LbfgsResult:
    """Minimize a non-smooth ``F_0`` through smooth upper bounds ``F_mu >= F_0``.

    ``fun_at(mu)`` is the objective ``F_mu``. Starting at ``mu = start``, each
    stage runs :func:`minimize_lbfgs` from the previous solution ``x`` and then
    divides ``mu`` by ``decrease``, until ``smoothing_gap(x, mu)`` (how much the smoothing
    alone can cost, in units the caller chose) is at most ``tol`` at the end of
    a stage that met the gradient rule at ``tol``. Stages before that stop at the
    looser ``max(tol, mu * stage_tol_per_mu)``: they only warm-start the next
    one. ``max_iter`` bounds the iterations of all stages together. A start that
    meets both rules at ``mu = start`` returns with ``n_iter = 0``. A ``warm`` start
    (``start`` the last smoothing of a previous fit) that meets the gap there but
    not the gradient rule (a fit of another ``C``, say) re-enters the schedule one
    stage higher, at ``decrease * start`` (at most ``highest``, where a cold fit's schedule
    starts): from a point that is not the optimum, the smallest smoothing alone
    was slower than the schedule from zero (hinge paths with an L1 term,
    ``tests/test_cv.py``).
    ``on_stage(mu, stage_tol)`` precedes each stage, ``after_stage(x, gap)`` follows it;
    ``bounds``, ``restart`` and ``max_restarts`` go to each stage's run.
    """
    x, n_iter = x0, 0
    smoothing = start
    stage_tol = max(tol, smoothing * stage_tol_per_mu)
    if smoothing_gap(x, smoothing) <= tol:  # a warm start at its final smoothing: check it at tol
        stage_tol = tol
        if warm:
            value, _, stationarity = finite(fun_at(smoothing))(x)
            if stationarity <= tol:
                return LbfgsResult(x, 0, CONVERGED, stationarity, smoothing, value)
            smoothing = min(smoothing * decrease, highest)
            stage_tol = max(tol, smoothing * stage_tol_per_mu)
    while True:
        if on_stage is not None:
            on_stage(smoothing, stage_tol)
        stage = minimize_lbfgs(
            fun_at(smoothing),
            x,
            tol=stage_tol,
            max_iter=max_iter - n_iter,
            history=history,
            callback=callback,
            first_iter=n_iter + 1,
            bounds=bounds,
            restart=restart,
            max_restarts=max_restarts,
        )
        x = stage.x
        n_iter += stage.n_iter
        # A stage stopped by the precision of the arithmetic still warm-starts
        # the next smoothing well; running out of iterations ends the run.
        if stage.reason == MAX_ITER:
            return LbfgsResult(x, n_iter, MAX_ITER, stage.stationarity, smoothing, stage.value)
        gap = smoothing_gap(x, smoothing)
        if after_stage is not None:
            after_stage(x, gap)
        if gap <= tol and stage_tol <= tol:
            reason = stage.reason
        elif n_iter >= max_iter:
            reason = MAX_ITER
        else:
            reason = None
        if reason is not None:
            return LbfgsResult(x, n_iter, reason, stage.stationarity, smoothing, stage.value)
        if gap > tol:
            smoothing /= decrease
        stage_tol = tol if gap <= tol else max(tol, smoothing * stage_tol_per_mu)


def convergence_message(result: LbfgsResult, *, tol: float, max_iter: int, dtype) -> str | None:
    """Why ``result`` did not converge and what to do, or None if it did."""
    if result.converged:
        return None
    state = f"the largest gradient entry is {result.stationarity:.3g} (tol={tol})"
    if result.reason == MAX_ITER:
        return f"L-BFGS stopped at max_iter={max_iter} iterations; {state}. Increase max_iter."
    dtype = np.dtype(dtype)
    advice = "Use float64 data or a larger tol." if dtype == np.float32 else "Use a larger tol."
    return (
        "L-BFGS stopped because no step decreases the objective by more than the rounding "
        f"of its {dtype} arithmetic; {state}: below what this precision resolves here. "
        f"{advice}"
    )
