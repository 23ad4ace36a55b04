"""Fitting a linear model: build the objective, choose coordinates, run the solver.

The glue between :mod:`._losses`, :mod:`._objective` and :mod:`._solver`,
independent of scikit-learn's estimator API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from ._losses import Loss
from ._objective import AffinePreconditioner, LinearObjective
from ._solver import LbfgsResult, minimize_by_smoothing, minimize_lbfgs, warn_if_not_converged


class Objective(Protocol):
    """What the solver needs of an objective ``F(W, b)``: in memory or on Dask."""

    loss: Loss

    def value_gradient(
        self, W: np.ndarray, b: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]: ...

    def value(self, W: np.ndarray, b: np.ndarray, loss: Loss | None = None) -> float: ...

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float: ...


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
    precondition: bool = True,
) -> tuple[np.ndarray, np.ndarray, LbfgsResult]:
    """Minimize ``J(W, b)`` from ``init = (W0, b0)``.

    Returns ``W``, ``b`` (float64) and the solver's result.

    ``make_loss(smoothing=mu)`` gives the loss (``mu = 0``: exact). A smooth loss
    is minimized by L-BFGS directly; a non-smooth one through smooth upper
    bounds with ``mu = smoothing_start, smoothing_start / 10, ...``
    (:func:`minimize_by_smoothing`).
    L-BFGS works on the preconditioned coordinates of
    :class:`AffinePreconditioner` (on ``(W, b)`` itself if not ``precondition``);
    the stopping rule is checked on the gradient in the original coordinates.
    """
    objective = build_objective(
        make_loss(), X, y, weight, C=C, fit_intercept=fit_intercept, n_scores=n_scores
    )
    if precondition:
        coordinates = AffinePreconditioner.from_data(
            X, objective.weights, n_scores=n_scores, fit_intercept=fit_intercept
        )
    else:  # theta = (W, b): for comparisons
        n_features = X.shape[1]
        coordinates = AffinePreconditioner(
            np.zeros(n_features), np.ones(n_features), n_scores, fit_intercept
        )
    return minimize_objective(
        objective,
        make_loss,
        coordinates,
        init=init,
        smoothing_start=smoothing_start,
        tol=tol,
        max_iter=max_iter,
        history=lbfgs_history(X, coordinates.size),
        verbose=verbose,
    )


def minimize_objective(
    objective: Objective,
    make_loss: Callable[..., Loss],
    coordinates: AffinePreconditioner,
    *,
    init: tuple[np.ndarray, np.ndarray],
    smoothing_start: float,
    tol: float,
    max_iter: int,
    history: int,
    verbose: int = 0,
) -> tuple[np.ndarray, np.ndarray, LbfgsResult]:
    """Minimize ``objective`` (in memory or on Dask) over ``coordinates`` from ``init``.

    See :func:`fit_linear_model`; ``objective.loss`` is replaced by each
    smoothing stage's loss.
    """

    def fun(theta):
        W, b = coordinates.to_model(theta)
        value, grad_W, grad_b = objective.value_gradient(W, b)
        stationarity = max(np.abs(grad_W).max(), np.abs(grad_b).max(initial=0.0))
        return value, coordinates.gradient_to_solver(grad_W, grad_b), stationarity

    theta0 = coordinates.to_solver(*init)
    options = {"tol": tol, "max_iter": max_iter, "verbose": verbose, "history": history}
    if objective.loss.smooth:
        result = minimize_lbfgs(fun, theta0, **options)
    else:
        exact_loss = objective.loss

        def fun_at(smoothing):
            objective.loss = make_loss(smoothing=smoothing)
            return fun

        # The smoothing's gap is measured against the exact loss of the zero
        # model (margin per sample for Crammer-Singer): a scale that, unlike the
        # optimum, does not shrink on nearly separable data.
        zero_model_loss = objective.value(
            np.zeros_like(init[0]), np.zeros_like(init[1]), exact_loss
        )

        def relative_gap(theta):
            return objective.fenchel_young_gap(*coordinates.to_model(theta)) / zero_model_loss

        result = minimize_by_smoothing(
            fun_at, relative_gap, theta0, start=smoothing_start, **options
        )
    warn_if_not_converged(result, tol=tol, max_iter=max_iter)
    W, b = coordinates.to_model(result.x)
    return W, b, result


def lbfgs_history(X: np.ndarray | sp.spmatrix, n_parameters: int) -> int:
    """How many L-BFGS correction pairs to keep: as many as stay cheap, 10 to 100.

    An L-BFGS step costs about ``10 * history * n_parameters`` flops, an
    evaluation about ``4 * n_scores * nnz(X)``. On small, badly conditioned
    problems (raw shuttle: 70 parameters) 100 pairs need ten times fewer
    iterations than 10; on wide sparse ones (R8: 190k parameters) the steps
    would cost more than the evaluations.
    """
    nnz = X.nnz if sp.issparse(X) else X.shape[0] * X.shape[1]
    n_scores = max(1, n_parameters // (X.shape[1] + 1))
    return int(np.clip(nnz * n_scores / (10 * n_parameters), 10, 100))
