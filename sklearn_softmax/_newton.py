"""A proximal Newton method for ``F + a ||W||_1`` on models with few parameters.

Each iteration models the smooth part ``F`` (the loss and the L2 term) at ``theta``
by its exact Hessian (:mod:`._hessian`), plus a small ridge, and minimizes the
model plus the exact L1 term (:mod:`._l1_qp`); a backtracking line search on the
true objective accepts the step. This is the method of glmnet and of
scikit-learn's newton-cd solvers, with an active-set subproblem solver instead of
coordinate descent: the multinomial loss is flat along each feature's class sum,
and collinear features add flat directions, valleys that only the L1 kinks bound,
where L-BFGS-B (and coordinate descent) creep; the exact subproblem crosses them in
one step, so that a fit takes a few iterations, as the L2 fits do.

The stopping rule is the L-BFGS-B path's (:meth:`~._coordinates.L1Penalty.stationarity`:
the KKT conditions at ``tol`` in the same coordinates), so both reach the same
optimum to ``tol``.
"""

from __future__ import annotations

import time

import numpy as np

from ._array_api_objective import ArrayAPIObjective
from ._callbacks import Evaluation
from ._coordinates import L1Penalty
from ._hessian import hessian, hessian_work
from ._l1_qp import solve_l1_qp
from ._minimize import Run
from ._objective import LinearObjective
from ._solver import CONVERGED, MAX_ITER, PRECISION, LbfgsResult, finite

#: Armijo's sufficient-decrease fraction, and the halvings of a step at most.
SUFFICIENT_DECREASE, MAX_HALVINGS = 1e-4, 40


def minimize_by_newton(
    objective: LinearObjective | ArrayAPIObjective, penalty: L1Penalty, theta0: np.ndarray, run: Run
) -> LbfgsResult:
    """Minimize ``F + penalty`` from ``theta0`` in ``penalty.base``'s coordinates until
    its KKT measure is at most ``run.tol``; ``n_iter`` counts Newton iterations."""
    coordinates, settings, callbacks = penalty.base, run.settings, run.callbacks

    @finite
    def evaluate(theta: np.ndarray):
        W, b = coordinates.to_model(theta)
        start = time.perf_counter()
        value, grad_W, grad_b = objective.value_gradient(W, b)
        if callbacks.on_evaluation is not None:
            seconds = time.perf_counter() - start
            callbacks.on_evaluation(
                Evaluation(seconds, objective.n_lanes, objective.rows_scored, objective.n_samples)
            )
        grad = coordinates.gradient_to_solver(grad_W, grad_b)
        return value + penalty.value(theta), grad, penalty.stationarity(theta, grad)

    width = coordinates.active_scale.size + int(coordinates.fit_intercept)
    work = hessian_work(objective.n_samples, coordinates.n_scores, width)
    n_lanes = settings.lanes(work, run.threads)

    def fresh_hessian(theta: np.ndarray) -> np.ndarray:
        H = hessian(
            objective, theta, coordinates, block_bytes=settings.block_bytes, n_lanes=n_lanes
        )
        # definite along the flat directions (class sums, the intercepts' common shift)
        H[np.diag_indices_from(H)] += settings.newton_ridge * np.trace(H) / theta.size
        return H

    def damped(H: np.ndarray) -> np.ndarray:
        if not damping:
            return H
        model = H.copy()
        model[np.diag_indices_from(model)] += damping * np.trace(H) / theta.size
        return model

    theta = np.array(theta0, dtype=np.float64)
    value, grad, stationarity = evaluate(theta)
    H, reuse, damping = None, False, 0.0
    for n_iter in range(run.max_iter):
        if stationarity <= run.tol:
            return LbfgsResult(theta, n_iter, CONVERGED, stationarity, value=value)
        if not reuse:
            H = fresh_hessian(theta)
        accepted = _newton_step(evaluate, damped(H), theta, value, grad, penalty, run)
        if accepted is None and reuse:  # the kept Hessian was too stale: a fresh one
            H = fresh_hessian(theta)
            accepted = _newton_step(evaluate, damped(H), theta, value, grad, penalty, run)
        if accepted is None:
            return LbfgsResult(theta, n_iter, PRECISION, stationarity, value=value)
        theta, (value, grad, new_stationarity), t = accepted
        # A full step that cut the KKT measure by newton_reuse or more: the model
        # still fits; keep it for the next step (a Hessian costs p / 4 evaluations).
        reuse = t == 1 and not reuse and new_stationarity <= settings.newton_reuse * stationarity
        # Levenberg-Marquardt: a step the line search cut means the Hessian promised
        # too much (saturated probabilities); damp the next ones until steps are full.
        damping = max(10 * damping, 1e-3) if t < 1 else damping / 10 if damping > 1e-6 else 0.0
        stationarity = new_stationarity
        if callbacks.on_iteration is not None:
            callbacks.on_iteration(n_iter + 1, value, stationarity)
    reason = CONVERGED if stationarity <= run.tol else MAX_ITER
    return LbfgsResult(theta, run.max_iter, reason, stationarity, value=value)


def _newton_step(evaluate, model, theta, value: float, grad, penalty: L1Penalty, run: Run):
    """The step that minimizes the quadratic ``model`` of ``F`` at ``theta`` plus the
    L1 term, shortened by the line search: ``(new theta, its evaluation, t)``, or
    None if no step decreases the objective."""
    settings = run.settings
    target, _ = solve_l1_qp(
        model,
        grad - model @ theta,
        penalty.slopes,
        theta,
        tol=settings.newton_subproblem_tol * run.tol,
        batch=settings.newton_batch,
        max_steps=settings.newton_max_steps,
    )
    step = target - theta
    coordinates = penalty.base
    if coordinates.fit_intercept and coordinates.n_scores > 2:
        # The softmax does not see the intercepts' common shift, nor does the penalty:
        # the model's tiny ridge leaves the step's share of it to rounding, amplified.
        # Remove it, as the L-BFGS-B path (whose gradient has none) never takes one.
        intercepts = step[coordinates.size - coordinates.n_scores :]
        intercepts -= intercepts.mean()
        target = theta + step
    decrease = grad @ step + penalty.value(target) - penalty.value(theta)
    return _line_search(evaluate, theta, step, value, decrease)


def _line_search(evaluate, theta, step, value: float, decrease: float):
    """``(theta + t step, its evaluation, t)`` for the first ``t`` in 1, 1/2, ...
    that decreases the objective, by ``SUFFICIENT_DECREASE t decrease`` at least;
    None if ``step`` is no descent direction or no ``t`` decreases it (the rounding
    of the arithmetic: a decrease that rounds to none is none)."""
    if not decrease < 0:
        return None
    t = 1.0
    for _ in range(MAX_HALVINGS):
        candidate = theta + t * step
        evaluation = evaluate(candidate)
        new_value = evaluation[0]
        if new_value < value and new_value <= value + SUFFICIENT_DECREASE * t * decrease:
            return candidate, evaluation, t
        t /= 2
    return None
