"""Fitting a linear model: build the objective, choose coordinates, run the solver.

The glue between :mod:`._losses`, :mod:`._objective` and :mod:`._solver`,
independent of scikit-learn's estimator API.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from ._losses import Loss
from ._objective import AffinePreconditioner, LinearObjective
from ._solver import LbfgsResult, minimize_by_smoothing, minimize_lbfgs, warn_if_not_converged


def build_objective(
    loss: Loss,
    X: np.ndarray | sp.spmatrix,
    y: np.ndarray,
    weight: np.ndarray,
    *,
    C: float,
    fit_intercept: bool,
    n_scores: int,
) -> LinearObjective:
    """The objective ``F = J / (C sum w)``.

    Its weights are ``w / sum w`` and its penalty ``alpha = 1 / (C sum w)``.
    """
    total = float(weight.sum())
    return LinearObjective(
        loss,
        X,
        y,
        weight / total,
        alpha=1.0 / (C * total),
        fit_intercept=fit_intercept,
        n_scores=n_scores,
    )


def fit_linear_model(
    make_loss: Callable[..., Loss],
    X: np.ndarray | sp.spmatrix,
    y: np.ndarray,
    weight: np.ndarray,
    *,
    C: float,
    fit_intercept: bool,
    n_scores: int,
    init: tuple[np.ndarray, np.ndarray],
    smoothing_start: float,
    tol: float,
    max_iter: int,
    verbose: int = 0,
) -> tuple[np.ndarray, np.ndarray, LbfgsResult]:
    """Minimize ``J(W, b)`` from ``init = (W0, b0)``.

    Returns ``W``, ``b`` (float64) and the solver's result.

    ``make_loss(smoothing=mu)`` gives the loss (``mu = 0``: exact). A smooth loss
    is minimized by L-BFGS directly; a non-smooth one through smooth upper
    bounds with ``mu = smoothing_start, smoothing_start / 10, ...``
    (:func:`minimize_by_smoothing`).
    L-BFGS works on the preconditioned coordinates of
    :class:`AffinePreconditioner`; the stopping rule is checked on the
    gradient in the original coordinates.
    """
    objective = build_objective(
        make_loss(), X, y, weight, C=C, fit_intercept=fit_intercept, n_scores=n_scores
    )
    coordinates = AffinePreconditioner.from_data(
        X,
        objective.weights,
        alpha=objective.alpha,
        n_scores=n_scores,
        fit_intercept=fit_intercept,
    )

    def fun(theta):
        W, b = coordinates.to_model(theta)
        value, grad_W, grad_b = objective.value_gradient(W, b)
        stationarity = max(np.abs(grad_W).max(), np.abs(grad_b).max(initial=0.0))
        return value, coordinates.gradient_to_solver(grad_W, grad_b), stationarity

    theta0 = coordinates.to_solver(*init)
    options = {"tol": tol, "max_iter": max_iter, "verbose": verbose}
    if objective.loss.smooth:
        result = minimize_lbfgs(fun, theta0, **options)
    else:
        exact_loss = objective.loss

        def fun_at(smoothing):
            objective.loss = make_loss(smoothing=smoothing)
            return fun

        def smoothing_gap(theta):
            return relative_smoothing_gap(objective, exact_loss, *coordinates.to_model(theta))

        result = minimize_by_smoothing(
            fun_at, smoothing_gap, theta0, start=smoothing_start, **options
        )
    warn_if_not_converged(result, tol=tol, max_iter=max_iter)
    W, b = coordinates.to_model(result.x)
    return W, b, result


def relative_smoothing_gap(
    objective: LinearObjective, exact_loss: Loss, W: np.ndarray, b: np.ndarray
) -> float:
    """``sum_i s_i FY_i / F_0(W, b)``: the smoothing's share of the duality gap.

    With ``g_i`` the gradient of the smoothed loss at ``z_i`` as dual point, the
    duality gap of the exact problem is, in units of ``F = J / (C sum w)``,
    ``sum_i s_i FY_i + ||dF_mu/dW||^2 / (2 alpha)`` (without an intercept; with one,
    the dual point is feasible once ``dF_mu/db = 0``): the Fenchel-Young gaps of
    the smoothing, which this returns relative to the exact objective, plus the
    distance of ``W`` from the stationary point of the smoothed problem.
    """
    exact = objective.value(W, b, exact_loss)
    if exact <= 0:  # J = 0: W = 0 and every margin met, the minimum
        return 0.0
    return objective.fenchel_young_gap(W, b) / exact
