"""Observing a fit: the core's callbacks and what they receive.

The core calls each callback of :class:`Callbacks` that is set, in the thread that
runs the fit; none may change the fit. The estimator records its ``loss_curve_`` and
prints its ``verbose`` output through them; tests and benchmarks observe
evaluations, working sets and smoothing stages the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the objective and its gradient."""

    #: Wall time of the evaluation.
    seconds: float
    #: Threads it ran in (:mod:`._threads`); 1 on Dask, whose tasks bring their own.
    n_lanes: int
    #: Rows whose scores were computed: fewer than ``n_rows`` when the hinges'
    #: screens proved the others saturated.
    rows_scored: int
    #: Rows of the data.
    n_rows: int


@dataclass(frozen=True)
class Callbacks:
    """Optional observers of a fit; the arguments each receives:

    - ``on_point(C, l1_ratio)``: before each point of a path;
    - ``on_iteration(iteration, value, stationarity)``: after each L-BFGS iteration
      (from 1, counted on across smoothing stages and working sets), the objective
      ``J / (C sum of weights)`` (the smoothed stage's for the hinges; with an L1
      term, in the split coordinates) and the stopping measure;
    - ``on_stage(mu, stage_tol)``: before each smoothing stage of a hinge;
    - ``on_stage_end(gap, n_nonzero, n_weights)``: after each stage (``gap`` the
      relative smoothing gap, None for a smooth loss's run or each working set's),
      with the non-zero weights of ``W``;
    - ``on_working_set(size)``: when an L1 fit starts on a working set of ``size``
      weights;
    - ``on_evaluation(evaluation)``: after each evaluation, an :class:`Evaluation`.
    - ``on_point_end(point)``: after each point, its ``PointFit`` (:mod:`._core`).
    """

    on_point: Callable[[float, float], None] | None = None
    on_iteration: Callable[[int, float, float], None] | None = None
    on_stage: Callable[[float, float], None] | None = None
    on_stage_end: Callable[[float | None, int, int], None] | None = None
    on_working_set: Callable[[int], None] | None = None
    on_evaluation: Callable[[Evaluation], None] | None = None
    on_point_end: Callable[[object], None] | None = None

    def counting_from(self, n_iter: int) -> Callbacks:
        """These callbacks with ``on_iteration``'s iterations counted on from ``n_iter``."""
        if self.on_iteration is None or n_iter == 0:
            return self
        on_iteration = self.on_iteration
        return replace(
            self, on_iteration=lambda iteration, *values: on_iteration(n_iter + iteration, *values)
        )


#: No observers.
NO_CALLBACKS = Callbacks()
