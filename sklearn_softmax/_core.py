"""The fitting core below the estimators: a validated problem fitted along a sequence
of ``(C, l1_ratio)`` points, each warm-started from the one before.

For each point it minimizes

``J(W, b) = C sum_i s_i c_{y_i} l(W x_i + b, y_i) + r ||W||_1 + (1 - r) / 2 ||W||_F^2``

(``r = l1_ratio``) through ``F = J / (C S)``, ``S = sum_i s_i c_{y_i}``, and returns
the model, its iterations, ``F`` there and why it stopped (:class:`PointFit`). The
data's summary, class weights, lanes and coordinates are derived once per path
(:mod:`._summary`, :mod:`._coordinates`); each point's minimization is
:mod:`._minimize`'s. ``SoftmaxClassifier.fit`` calls :func:`fit_path` with one point,
``softmax_path`` and ``SoftmaxClassifierCV`` with many. The core neither prints nor
warns: its :class:`~._callbacks.Callbacks` observe a fit, and each point's
``message`` says what a caller may warn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._array_api_objective import ArrayAPIObjective
from ._callbacks import NO_CALLBACKS, Callbacks
from ._coordinates import AffinePreconditioner, L1Penalty, L1Split
from ._data import DataSource
from ._losses import LossSpec
from ._minimize import Run, minimize, minimize_on_working_sets
from ._newton import minimize_by_newton
from ._objective import LinearObjective
from ._settings import DEFAULT_SETTINGS, SolverSettings
from ._solver import CONVERGED, convergence_message
from ._summary import class_weights, feature_moments, weight_total
from ._threads import blas_threads, one_blas_thread


@dataclass(frozen=True)
class Problem:
    """What to fit: validated data (:mod:`._data`), the loss, the class weights
    ``c``, whether to fit the intercept, and the stopping rule (``tol=None``: the
    loss's default in the registry)."""

    data: DataSource
    loss: LossSpec = field(default_factory=LossSpec)
    class_weight: Mapping | str | None = None
    fit_intercept: bool = True
    tol: float | None = None
    max_iter: int = 5000

    @property
    def stopping_tol(self) -> float:
        return self.loss.kind.default_tol if self.tol is None else self.tol


@dataclass(frozen=True)
class Start:
    """A previous solution to start from: its classes, ``(W, b)`` and last smoothing."""

    classes: np.ndarray
    W: np.ndarray
    b: np.ndarray
    smoothing: float = 0.0


@dataclass(frozen=True)
class PointFit:
    """The fit at one point: ``W`` (n_scores, d) and ``b`` (n_scores,) in float64."""

    C: float
    l1_ratio: float
    W: np.ndarray
    b: np.ndarray
    n_iter: int
    #: ``F = J / (C S)`` at ``(W, b)``, the L1 term included (for the hinges, with
    #: the exact loss, not its last smoothing).
    objective: float
    #: Why it stopped: ``"converged"``, ``"max_iter"`` or ``"precision"``.
    reason: str
    #: The stopping measure at ``(W, b)``, compared with ``tol``.
    stationarity: float
    #: The hinges' last smoothing (0 for a smooth loss): where a warm start resumes.
    smoothing: float
    #: Why it did not converge and what to do (a ``ConvergenceWarning``), or None.
    message: str | None

    @property
    def converged(self) -> bool:
        return self.reason == CONVERGED


@dataclass(frozen=True)
class PathFit:
    """The classes of a path's fits and each point's :class:`PointFit`, in order."""

    classes: np.ndarray
    points: tuple[PointFit, ...]


def fit_path(
    problem: Problem,
    points: Sequence[tuple[float, float]],
    *,
    start: Start | None = None,
    settings: SolverSettings = DEFAULT_SETTINGS,
    callbacks: Callbacks = NO_CALLBACKS,
) -> PathFit:
    """Fit ``problem`` at each ``(C, l1_ratio)`` of ``points``, in the order given.

    The first point starts from zeros or ``start`` (a previous fit of these
    classes and features), each next one from the point before (for the hinges,
    also from its last smoothing). The stopping rule is the same for every point,
    so each is the optimum a cold fit at its ``(C, l1_ratio)`` reaches, to ``tol``;
    points ordered from the strongest penalty to the weakest cost fewest iterations.
    """
    data = problem.data
    summary = data.summarize()
    totals, classes = summary.moments.totals, summary.classes
    n_scores = 1 if classes.size == 2 else classes.size
    weights = class_weights(problem.class_weight, classes, totals)
    total = weight_total(weights, totals)
    loss = problem.loss.make(classes.size)
    work = settings.evaluation_work(data.n_stored, data.n_samples, n_scores, summary.dtype)
    threads = blas_threads()
    n_lanes = settings.lanes(work, threads)
    base = _coordinates(summary, weights, n_scores, problem.fit_intercept, settings)
    W, b, smoothing = _initial_state(start, summary, n_scores)
    warm = start is not None and start.smoothing > 0
    tol = problem.stopping_tol
    fits = []
    with one_blas_thread():
        for C, l1_ratio in points:
            C, l1_ratio = float(C), float(l1_ratio)
            if callbacks.on_point is not None:
                callbacks.on_point(C, l1_ratio)
            alpha = 1.0 / (C * total)
            objective = data.objective(
                loss,
                weights / total,
                alpha=alpha * (1 - l1_ratio),
                fit_intercept=problem.fit_intercept,
                n_scores=n_scores,
                n_lanes=n_lanes,
                settings=settings,
            )
            l1 = alpha * l1_ratio
            run = Run(tol, problem.max_iter, 0, settings, callbacks, threads)
            if l1 > 0 and _newton_applies(objective, settings, base.size):
                result = minimize_by_newton(
                    objective, L1Penalty(base, l1), base.to_solver(W, b), run
                )
                W, b = base.to_model(result.x)
            else:
                result, (W, b) = _minimize_lbfgs(
                    objective, base, l1, (W, b), run, data, n_scores, smoothing, warm
                )
            value = result.value
            if not loss.smooth:  # the last stage's value is the smoothed loss's
                value = objective.value(W, b) + l1 * float(np.abs(W).sum())
            fit = PointFit(
                C,
                l1_ratio,
                W,
                b,
                result.n_iter,
                float(value),
                result.reason,
                result.stationarity,
                result.smoothing,
                convergence_message(
                    result, tol=tol, max_iter=problem.max_iter, dtype=summary.dtype
                ),
            )
            fits.append(fit)
            if callbacks.on_point_end is not None:
                callbacks.on_point_end(fit)
            smoothing, warm = result.smoothing, result.smoothing > 0
    return PathFit(classes, tuple(fits))


def _newton_applies(objective, settings: SolverSettings, n_parameters: int) -> bool:
    """Whether an L1 point runs the proximal Newton method (:mod:`._newton`): a loss
    with a Hessian (cross-entropy), data in memory or on a device, and the settings'
    rule."""
    in_memory = isinstance(objective, (LinearObjective, ArrayAPIObjective))
    return objective.loss.has_hessian and in_memory and settings.use_newton(n_parameters)


def _minimize_lbfgs(objective, base, l1: float, start, run: Run, data, n_scores, smoothing, warm):
    """``(result, (W, b))`` of one point by L-BFGS(-B): with an L1 term on its split
    coordinates (on working sets where they pay), the hinges through their
    smoothing stages from ``smoothing`` (``warm``: a previous fit's last)."""
    settings, loss = run.settings, objective.loss
    split = settings.split if settings.split is not None else l1 > 0
    coordinates = L1Split(base, l1) if split else base
    bounded = coordinates.bounds is not None
    history = settings.lbfgs_history(data.n_stored, n_scores, coordinates.size, bounded=bounded)
    run = dataclasses.replace(run, history=history)
    theta0 = coordinates.to_solver(*start)
    on_sets = l1 > 0 and loss.smooth
    if on_sets and settings.use_working_sets(data.n_stored, n_scores, coordinates.size):
        result = minimize_on_working_sets(objective, coordinates, theta0, run)
    else:
        first = smoothing or getattr(loss, "margin", 0.0)
        result = minimize(objective, coordinates, theta0, run, smoothing_start=first, warm=warm)
    return result, coordinates.to_model(result.x)


def _coordinates(summary, weights, n_scores: int, fit_intercept: bool, settings):
    """The solver's affine coordinates of the data (the identity if not
    ``settings.precondition``)."""
    if not settings.precondition:
        return AffinePreconditioner.identity(
            summary.n_features, n_scores=n_scores, fit_intercept=fit_intercept
        )
    mean, second = feature_moments(summary.moments, weights, center=fit_intercept)
    return AffinePreconditioner.from_moments(
        mean,
        second,
        n_scores=n_scores,
        fit_intercept=fit_intercept,
        scale_floor=settings.floor(float(np.sqrt(second.sum()))),
    )


def _initial_state(start: Start | None, summary, n_scores: int):
    """``(W0, b0, smoothing)``: zeros, or ``start`` (checked against the data)."""
    if start is None:
        return np.zeros((n_scores, summary.n_features)), np.zeros(n_scores), 0.0
    if not np.array_equal(summary.classes, start.classes) or np.shape(start.W) != (
        n_scores,
        summary.n_features,
    ):
        raise ValueError(
            "warm_start=True needs the classes and number of features of the previous "
            f"fit: got classes {summary.classes!r} and {summary.n_features} features, "
            f"previously {start.classes!r} and {np.shape(start.W)[1]}."
        )
    W0, b0 = np.asarray(start.W, np.float64), np.asarray(start.b, np.float64)
    return W0, b0, start.smoothing
