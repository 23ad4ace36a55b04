"""One fit path for every data source: summary -> class weights, normalization and
coordinates -> solver.

A data source (:class:`InMemoryData` here, ``DaskData`` in :mod:`._dask`) is the only
branch: it finds the classes, summarizes its rows (:mod:`._summary`) and builds the
objective ``F = J / (C sum_i s_i c_{y_i})``; :func:`fit_linear_model` does the rest,
independent of scikit-learn's estimator API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from ._losses import Loss
from ._objective import AffinePreconditioner, L1Split, LinearObjective, largest_violation
from ._solver import MAX_ITER, Callback, LbfgsResult, minimize_by_smoothing, minimize_lbfgs
from ._summary import (
    DataSummary,
    check_classes,
    class_moments,
    class_weights,
    feature_moments,
    normalization,
)
from ._threads import blas_threads, one_blas_thread


class Objective(Protocol):
    """``F(W, b)`` for one loss, in memory or on Dask."""

    loss: Loss

    def with_loss(self, loss: Loss) -> Objective: ...

    def value_gradient(
        self, W: np.ndarray, b: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]: ...

    def value(self, W: np.ndarray, b: np.ndarray) -> float: ...

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float: ...


class DataSource(Protocol):
    """Rows to fit: their classes, one summary pass, then the objective on them."""

    classes: np.ndarray
    n_samples: int
    #: Stored entries of X (n x d when dense): the cost of an evaluation.
    n_stored: int

    def summarize(self) -> DataSummary: ...

    def objective(
        self,
        loss: Loss,
        class_factor: np.ndarray,
        *,
        alpha: float,
        fit_intercept: bool,
        n_scores: int,
        n_lanes: int = 1,
    ) -> Objective: ...


class InMemoryData:
    """Validated ``X`` (n, d), labels ``y`` and sample weights ``s`` (float64, >= 0)."""

    def __init__(self, X: np.ndarray | sp.spmatrix, y: np.ndarray, sample_weight: np.ndarray):
        self.X = X
        self.classes, inverse = np.unique(y, return_inverse=True)
        #: Class indices in the smallest unsigned type that holds them: a fit keeps
        #: them for its whole run.
        self.y = inverse.astype(np.min_scalar_type(self.classes.size - 1))
        self.sample_weight = sample_weight
        self.n_samples = X.shape[0]
        self._summary: DataSummary | None = None
        self.n_stored = X.nnz if sp.issparse(X) else X.shape[0] * X.shape[1]

    def summarize(self) -> DataSummary:
        """All rows as one chunk (computed once: fits along a path share it)."""
        if self._summary is None:
            moments = class_moments(self.X, self.y, self.sample_weight, self.classes.size)
            self._summary = DataSummary(self.classes, moments, self.X.shape[1], self.X.dtype)
        return self._summary

    def objective(
        self, loss, class_factor, *, alpha, fit_intercept, n_scores, n_lanes=1
    ) -> LinearObjective:
        """``F`` with weights ``s_i class_factor[y_i]``, evaluated in ``n_lanes`` threads."""
        return LinearObjective(
            loss,
            self.X,
            self.y,
            self.sample_weight * class_factor[self.y],
            alpha=alpha,
            fit_intercept=fit_intercept,
            n_scores=n_scores,
            n_lanes=n_lanes,
        )


@dataclass(frozen=True)
class Start:
    """A previous solution to start from: its classes, ``(W, b)`` and last smoothing."""

    classes: np.ndarray
    W: np.ndarray
    b: np.ndarray
    smoothing: float = 0.0


@dataclass(frozen=True)
class Progress:
    """Observers of a run: ``callback(iteration, value, stationarity)`` after each
    iteration; for the hinges ``on_stage(mu, stage_tol)`` before each smoothing stage;
    ``on_stage_end(gap, n_nonzero, n_weights)`` after each stage (``gap`` None for
    a smooth loss's run, or each of its working sets'), with the non-zero weights of
    ``W``. On working sets the stationarity is the set's, until the last."""

    callback: Callback | None = None
    on_stage: Callable[[float, float], None] | None = None
    on_stage_end: Callable[[float | None, int, int], None] | None = None


@dataclass(frozen=True)
class FittedLinearModel:
    """``W`` (n_scores, d) and ``b`` (n_scores,) in float64, for ``classes``."""

    classes: np.ndarray
    W: np.ndarray
    b: np.ndarray
    result: LbfgsResult


def fit_linear_model(
    source: DataSource,
    make_loss: Callable[[int], Loss],
    *,
    C: float,
    class_weight,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
    l1_ratio: float = 0.0,
    start: Start | None = None,
    progress: Progress = Progress(),
    precondition: bool = True,
    split: bool | None = None,
) -> FittedLinearModel:
    """Minimize ``J(W, b)`` on ``source`` from zeros or ``start``.

    ``J = C sum_i s_i c_{y_i} l_i + r ||W||_1 + (1 - r) / 2 ||W||_F^2`` with
    ``r = l1_ratio``; L-BFGS minimizes ``F = J / (C sum_i s_i c_{y_i})``. With an L1
    term the coordinates are split (:class:`L1Split`: L-BFGS-B's bounds), as they
    are at ``l1_ratio=0`` too if ``split`` (for comparisons).

    ``make_loss(n_classes)`` gives the loss. A smooth loss is minimized by L-BFGS
    directly; a non-smooth one through smooth upper bounds with
    ``mu = margin, margin / 10, ...`` (:func:`minimize_by_smoothing`; a start
    continues from its last smoothing). L-BFGS works on the coordinates of
    :class:`AffinePreconditioner` (on ``(W, b)`` itself if not ``precondition``),
    and the stopping rule is checked there: the largest entry of the (minimum-norm
    sub)gradient w.r.t. those coordinates, which does not grow with a feature's scale.
    """
    check_classes(source.classes)
    summary = source.summarize()
    totals = summary.moments.totals
    n_classes = summary.classes.size
    n_scores = 1 if n_classes == 2 else n_classes
    weights = class_weights(class_weight, summary.classes, totals)
    total, alpha = normalization(weights, totals, C)
    loss = make_loss(n_classes)
    objective = source.objective(
        loss,
        weights / total,
        alpha=alpha * (1 - l1_ratio),
        fit_intercept=fit_intercept,
        n_scores=n_scores,
        n_lanes=evaluation_lanes(
            evaluation_work(source.n_stored, source.n_samples, n_scores, summary.dtype),
            blas_threads(),
        ),
    )
    if precondition:
        mean, second = feature_moments(summary.moments, weights, center=fit_intercept)
        coordinates = AffinePreconditioner.from_moments(
            mean, second, n_scores=n_scores, fit_intercept=fit_intercept
        )
    else:
        coordinates = AffinePreconditioner.identity(
            summary.n_features, n_scores=n_scores, fit_intercept=fit_intercept
        )
    l1 = alpha * l1_ratio
    if split or (split is None and l1 > 0):
        coordinates = L1Split(coordinates, l1)
    init, smoothing = _initial_state(start, summary, n_scores, loss)
    options = {
        "tol": tol,
        "max_iter": max_iter,
        "history": lbfgs_history(
            source.n_stored, n_scores, coordinates.size, bounded=coordinates.bounds is not None
        ),
        "progress": progress,
    }
    theta0 = coordinates.to_solver(*init)
    with one_blas_thread():
        if l1 > 0 and loss.smooth and working_sets_pay(source.n_stored, n_scores, coordinates.size):
            result = _minimize_on_working_sets(objective, coordinates, theta0, **options)
        else:
            result = _minimize(
                objective,
                coordinates,
                theta0,
                smoothing_start=smoothing,
                warm=start is not None and start.smoothing > 0,
                **options,
            )
    W, b = coordinates.to_model(result.x)
    return FittedLinearModel(summary.classes, W, b, result)


def _initial_state(start: Start | None, summary: DataSummary, n_scores: int, loss: Loss):
    """``(W0, b0)`` and the first smoothing (a hinge's ``margin`` from zeros)."""
    first_smoothing = getattr(loss, "margin", 0.0)
    if start is None:
        return (np.zeros((n_scores, summary.n_features)), np.zeros(n_scores)), first_smoothing
    if not np.array_equal(summary.classes, start.classes) or start.W.shape != (
        n_scores,
        summary.n_features,
    ):
        raise ValueError(
            "warm_start=True needs the classes and number of features of the previous "
            f"fit: got classes {summary.classes!r} and {summary.n_features} features, "
            f"previously {start.classes!r} and {start.W.shape[1]}."
        )
    W0, b0 = np.asarray(start.W, np.float64), np.asarray(start.b, np.float64)
    return (W0, b0), start.smoothing or first_smoothing


def _minimize(
    objective: Objective,
    coordinates: AffinePreconditioner | L1Split,
    theta0: np.ndarray,
    *,
    smoothing_start: float,
    warm: bool,
    tol: float,
    max_iter: int,
    history: int,
    progress: Progress,
) -> LbfgsResult:
    """Run the solver on ``objective`` (plus the L1 term of :class:`L1Split`
    coordinates) over ``coordinates`` from ``theta0``, stopping on their stationarity."""

    def fun_of(stage: Objective):
        def fun(theta):
            W, b = coordinates.to_model(theta)
            value, grad_W, grad_b = stage.value_gradient(W, b)
            penalty, grad = coordinates.penalty(theta, grad_W, grad_b)
            return value + penalty, grad, coordinates.stationarity(theta, grad)

        return fun

    options = {
        "tol": tol,
        "max_iter": max_iter,
        "history": history,
        "bounds": coordinates.bounds,
        "restart": coordinates.canonical,
    }

    def report(theta: np.ndarray, gap: float | None) -> None:
        if progress.on_stage_end is not None:
            W, _ = coordinates.to_model(theta)
            progress.on_stage_end(gap, int(np.count_nonzero(W)), W.size)

    if objective.loss.smooth:
        result = minimize_lbfgs(fun_of(objective), theta0, callback=progress.callback, **options)
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
        lambda smoothing: fun_of(stage_at(smoothing)),
        relative_gap,
        theta0,
        start=smoothing_start,
        warm=warm,
        highest=getattr(objective.loss, "margin", np.inf),
        callback=progress.callback,
        on_stage=progress.on_stage,
        after_stage=report,
        **options,
    )


def _minimize_on_working_sets(
    objective: Objective,
    split: L1Split,
    theta0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    history: int,
    progress: Progress,
) -> LbfgsResult:
    """:func:`_minimize` of a smooth loss with an L1 term, over working sets: the
    solver moves only the weights of a set (the others held at exactly zero) until
    they are stationary; then the weights outside whose KKT violation
    (:meth:`L1Split.violations`) exceeds ``tol`` join it, the worst first and at
    most as many as it holds (at least ``WORKING_SET_GROWTH``), and the solver
    continues. It stops when none is left: the stopping rule of all the weights,
    so the optimum is :func:`_minimize`'s. The first set holds ``theta0``'s
    non-zero weights.

    On wide sparse data few weights are non-zero at the optimum (R8 at
    ``l1_ratio=1``: about 500 of 160,000), and L-BFGS-B's step and scipy's handling
    of the bounds cost time in proportion to the free variables. (Not for the
    hinges' smoothing stages: each set would run the schedule again, and on R8 the
    Crammer-Singer fit reached ``max_iter``.)
    """
    free = np.flatnonzero(split.to_model(theta0)[0])
    theta, n_iter, result = theta0, 0, None
    while True:
        _, grad_W, grad_b = objective.value_gradient(*split.to_model(theta))
        per_weight, intercepts = split.violations(theta, split.penalty(theta, grad_W, grad_b)[1])
        stationarity = largest_violation(per_weight, intercepts)
        per_weight[free] = 0.0
        outside = np.flatnonzero(per_weight > tol)
        if result is not None and (outside.size == 0 or result.reason == MAX_ITER):
            return LbfgsResult(theta, n_iter, result.reason, stationarity)
        if n_iter >= max_iter:
            return LbfgsResult(theta, n_iter, MAX_ITER, stationarity)
        worst = np.argsort(per_weight[outside])[::-1][: max(free.size, WORKING_SET_GROWTH)]
        free = np.union1d(free, outside[worst])
        working = split.restricted(free)
        result = _minimize(
            objective,
            working,
            working.contract(theta),
            smoothing_start=0.0,
            warm=False,
            tol=tol,
            max_iter=max_iter - n_iter,
            history=history,
            progress=_after(progress, n_iter),
        )
        theta = working.expand(result.x)
        n_iter += result.n_iter


def _after(progress: Progress, n_iter: int) -> Progress:
    """``progress`` with its callback's iterations counted on from ``n_iter``."""
    if progress.callback is None:
        return progress
    callback = progress.callback
    return dataclasses.replace(
        progress, callback=lambda iteration, *values: callback(n_iter + iteration, *values)
    )


def working_sets_pay(n_stored: int, n_scores: int, n_variables: int) -> bool:
    """Whether an L1 fit runs on working sets (:func:`_minimize_on_working_sets`):
    on ``WIDE`` solver variables or more, when an evaluation's work (stored entries
    times scores) is below ``WORKING_SET_WORK`` times their number. There
    L-BFGS-B's step and scipy's conversion of the bounds (a Python loop, about
    2.7 us per bounded variable and run) cost more than the evaluations: R8 has
    8.2, MNIST 5,000. Tiny problems have small ratios too, but steps of
    microseconds (and scikit-learn's sample-weight check would see the repeated
    and the weighted data take different paths)."""
    return n_variables >= WIDE and n_stored * n_scores < WORKING_SET_WORK * n_variables


#: See :func:`working_sets_pay`.
WORKING_SET_WORK = 100

#: The fewest weights a working set grows by (R8 at 1,024, 4,096 and 16,384: 4,096
#: fastest, ``benchmarks/notes.md`` h).
WORKING_SET_GROWTH = 4096


#: The loss's arithmetic per score (exponentials, logarithms, divisions), counted in
#: multiply-adds of a matrix product.
LOSS_WORK_PER_SCORE = 25

#: An evaluation's work (:func:`evaluation_work`) per lane, at least: below it a second
#: lane cost more than it saved. satimage (1.6e6), USPS (5.6e6) and R8 (3.7e6) were
#: slower per iteration in two lanes; shuttle in float64 (1.0e7) was 1.2x faster
#: (``bench_design.py --sections lanes``, ``benchmarks/notes.md`` g).
LANE_WORK = 4_000_000


def evaluation_work(n_stored: int, n_samples: int, n_scores: int, dtype) -> float:
    """An evaluation's work in float64 multiply-adds: one product over the stored
    entries of X and the loss's arithmetic on the ``n_samples x n_scores`` scores
    (``LOSS_WORK_PER_SCORE`` each); float32 arithmetic counts half."""
    work = n_scores * (n_stored + LOSS_WORK_PER_SCORE * n_samples)
    return work * np.dtype(dtype).itemsize / 8


def evaluation_lanes(work: float, threads: int) -> int:
    """Lanes (threads) of an evaluation of ``work`` (:func:`evaluation_work`): one per
    ``LANE_WORK``, at most ``threads``."""
    return int(np.clip(work // LANE_WORK, 1, max(threads, 1)))


#: Parameters from which :func:`lbfgs_history` may keep fewer than 10 pairs.
WIDE = 10_000


def lbfgs_history(n_stored: int, n_scores: int, n_parameters: int, *, bounded: bool = False) -> int:
    """How many L-BFGS correction pairs to keep: as many as stay cheap.

    An L-BFGS step costs about ``10 * history * n_parameters`` flops, an
    evaluation about ``4 * n_scores * n_stored`` (``n_stored``: entries of X).
    Small, badly conditioned problems need far fewer iterations with a long
    history; on wide sparse ones the steps would cost more than the evaluations:
    there (R8: 160k parameters, 2 pairs) a short history needs more iterations
    but each costs half as much (``benchmarks/notes.md``): 2 to 100 pairs. Below
    ``WIDE`` parameters a step costs microseconds at any history: at least 10 pairs.
    With bounds (L1), L-BFGS-B's generalized Cauchy point and subspace step make a
    step about 4 times dearer, and a history beyond 40 pairs cost more time than it
    saved on satimage, letter and USPS (``benchmarks/notes.md``): 10 to 40 pairs.
    """
    if bounded:
        return int(np.clip(n_stored * n_scores / (40 * n_parameters), 10, 40))
    fewest = 2 if n_parameters >= WIDE else 10
    return int(np.clip(n_stored * n_scores / (10 * n_parameters), fewest, 100))
