"""Minimizing one point's objective over the solver's coordinates.

:func:`minimize` hands L-BFGS(-B) (:mod:`._solver`) the function
``theta -> (F + L1 term, gradient, stationarity)`` of an objective
(:mod:`._objective`) over coordinates (:mod:`._coordinates`); for a non-smooth loss
it runs the smoothing stages. :func:`minimize_on_working_sets` does the same for a
smooth loss with an L1 term over growing working sets of the weights. Both report
to the :class:`~._callbacks.Callbacks` they are given and read their tuning from
:class:`~._settings.SolverSettings`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from ._callbacks import Callbacks, Evaluation
from ._coordinates import AffinePreconditioner, L1Split, largest_violation
from ._data import Objective
from ._settings import SolverSettings
from ._solver import MAX_ITER, LbfgsResult, minimize_by_smoothing, minimize_lbfgs


@dataclass(frozen=True)
class Run:
    """How one point is minimized: the stopping rule, the L-BFGS history, the
    settings, the observers and the BLAS threads the process had before the fit (the
    budget of lanes)."""

    tol: float
    max_iter: int
    history: int
    settings: SolverSettings
    callbacks: Callbacks
    threads: int = 1


def _evaluator(stage: Objective, coordinates, callbacks: Callbacks):
    """``theta -> (value, gradient, stationarity)`` of ``stage`` plus the L1 term of
    :class:`L1Split` coordinates, reporting each evaluation to ``on_evaluation``."""
    on_evaluation = callbacks.on_evaluation

    def evaluate(W, b):
        if on_evaluation is None:
            return stage.value_gradient(W, b)
        start = time.perf_counter()
        result = stage.value_gradient(W, b)
        seconds = time.perf_counter() - start
        on_evaluation(Evaluation(seconds, stage.n_lanes, stage.rows_scored, stage.n_samples))
        return result

    def fun(theta):
        value, grad_W, grad_b = evaluate(*coordinates.to_model(theta))
        penalty, grad = coordinates.penalty(theta, grad_W, grad_b)
        return value + penalty, grad, coordinates.stationarity(theta, grad)

    return fun


def minimize(
    objective: Objective,
    coordinates: AffinePreconditioner | L1Split,
    theta0: np.ndarray,
    run: Run,
    *,
    smoothing_start: float = 0.0,
    warm: bool = False,
) -> LbfgsResult:
    """Run the solver on ``objective`` (plus the L1 term of :class:`L1Split`
    coordinates) over ``coordinates`` from ``theta0``, stopping on their stationarity.

    A non-smooth loss is minimized through its smoothed versions from
    ``smoothing_start`` (:func:`~._solver.minimize_by_smoothing`; ``warm``: a warm
    start at a previous fit's last smoothing).
    """
    callbacks, settings = run.callbacks, run.settings
    options = {
        "tol": run.tol,
        "max_iter": run.max_iter,
        "history": run.history,
        "bounds": coordinates.bounds,
        "restart": coordinates.canonical,
        "max_restarts": settings.max_restarts,
        "callback": callbacks.on_iteration,
    }

    def report(theta: np.ndarray, gap: float | None) -> None:
        if callbacks.on_stage_end is not None:
            W, _ = coordinates.to_model(theta)
            callbacks.on_stage_end(gap, int(np.count_nonzero(W)), W.size)

    if objective.loss.smooth:
        result = minimize_lbfgs(_evaluator(objective, coordinates, callbacks), theta0, **options)
        report(result.x, None)
        return result

    stages: dict[float, Objective] = {}

    def stage_at(smoothing: float) -> Objective:
        if smoothing not in stages:
            stages[smoothing] = objective.with_loss(
                dataclasses.replace(objective.loss, smoothing=smoothing)
            )
        return stages[smoothing]

    # The smoothing's gap is measured against the exact loss of the zero model
    # (margin per sample for Crammer-Singer): a scale that, unlike the optimum,
    # does not shrink on nearly separable data.
    zero_model_loss = objective.value(*map(np.zeros_like, coordinates.to_model(theta0)))

    def relative_gap(theta: np.ndarray, smoothing: float) -> float:
        gap = stage_at(smoothing).fenchel_young_gap(*coordinates.to_model(theta))
        return gap / zero_model_loss

    return minimize_by_smoothing(
        lambda smoothing: _evaluator(stage_at(smoothing), coordinates, callbacks),
        relative_gap,
        theta0,
        start=smoothing_start,
        warm=warm,
        highest=getattr(objective.loss, "margin", np.inf),
        decrease=settings.smoothing_decrease,
        stage_tol_per_mu=settings.stage_tol_per_mu,
        on_stage=callbacks.on_stage,
        after_stage=report,
        **options,
    )


def minimize_on_working_sets(
    objective: Objective, split: L1Split, theta0: np.ndarray, run: Run
) -> LbfgsResult:
    """:func:`minimize` of a smooth loss with an L1 term, over working sets: the
    solver moves only the weights of a set (the others held at exactly zero) until
    they are stationary; then the weights outside whose KKT violation
    (:meth:`L1Split.violations`) exceeds ``tol`` join it, the worst first and at
    most as many as it holds (at least ``settings.working_set_growth``), and the
    solver continues. It stops when none is left: the stopping rule of all the
    weights, so the optimum is :func:`minimize`'s. The first set holds ``theta0``'s
    non-zero weights. Iterations are counted on across the sets.

    On wide sparse data few weights are non-zero at the optimum (R8 at
    ``l1_ratio=1``: about 500 of 160,000), and L-BFGS-B's step and scipy's handling
    of the bounds cost time in proportion to the free variables. (Not for the
    hinges' smoothing stages: each set would run the schedule again, and on R8 the
    Crammer-Singer fit reached ``max_iter``.)
    """
    tol, growth = run.tol, run.settings.working_set_growth
    free = np.flatnonzero(split.weights(theta0))
    theta, n_iter, result = theta0, 0, None
    while True:
        _, grad_W, grad_b = objective.value_gradient(*split.to_model(theta))
        per_weight, intercepts = split.violations(theta, split.penalty(theta, grad_W, grad_b)[1])
        stationarity = largest_violation(per_weight, intercepts)
        per_weight[free] = 0.0
        outside = np.flatnonzero(per_weight > tol)
        if result is not None and (outside.size == 0 or result.reason == MAX_ITER):
            return dataclasses.replace(result, x=theta, n_iter=n_iter, stationarity=stationarity)
        if n_iter >= run.max_iter:
            return LbfgsResult(theta, n_iter, MAX_ITER, stationarity)
        worst = np.argsort(per_weight[outside])[::-1][: max(free.size, growth)]
        free = np.union1d(free, outside[worst])
        if run.callbacks.on_working_set is not None:
            run.callbacks.on_working_set(free.size)
        working = split.restricted(free)
        set_run = dataclasses.replace(
            run, max_iter=run.max_iter - n_iter, callbacks=run.callbacks.counting_from(n_iter)
        )
        result = minimize(objective, working, working.contract(theta), set_run)
        theta = working.expand(result.x)
        n_iter += result.n_iter
