"""What the estimators record and print of a fit, through the core's callbacks: the
objective after each iteration (``loss_curve_``) and, with ``verbose``, progress."""

from __future__ import annotations

import time

from ._callbacks import Callbacks
from ._core import PointFit, Problem

#: At ``verbose=1``, progress is printed at iteration 1 and every this many.
VERBOSE_EVERY = 10


def fit_callbacks(
    name: str, problem: Problem, verbose: int, curve: list | None = None
) -> Callbacks:
    """Callbacks that append each iteration's objective to ``curve`` (if given) and,
    at ``verbose >= 1``, print for each point of ``problem`` a header (the
    estimator's ``name``, loss, data, ``C``, ``l1_ratio``, ``tol``), the iteration,
    objective and stopping measure at iteration 1 and every :data:`VERBOSE_EVERY`
    (every one at ``verbose >= 2``), each hinge smoothing stage, and a summary."""
    started = [0.0]

    def on_iteration(iteration: int, value: float, stationarity: float) -> None:
        if curve is not None:
            curve.append(value)
        if verbose >= 2 or (verbose and (iteration == 1 or iteration % VERBOSE_EVERY == 0)):
            _print(f"iter {iteration:5d}  objective {value:.10e}  max|grad| {stationarity:.3e}")

    if not verbose:
        return Callbacks(on_iteration=on_iteration)
    data, tol = problem.data, problem.stopping_tol

    def on_point(C: float, l1_ratio: float) -> None:
        started[0] = time.perf_counter()
        _print(
            f"{name}: loss={problem.loss.name!r}, {data.n_samples} samples, "
            f"{data.n_features} features, {data.classes.size} classes, "
            f"C={C}, l1_ratio={l1_ratio}, tol={tol}, dtype={data.dtype}"
        )

    def on_stage_end(gap: float | None, n_nonzero: int, n_weights: int) -> None:
        gap_text = "" if gap is None else f"relative smoothing gap {gap:.2e}, "
        _print(f"{gap_text}{n_nonzero} of {n_weights} weights non-zero")

    def on_point_end(point: PointFit) -> None:
        seconds = time.perf_counter() - started[0]
        outcome = point.message or (
            f"converged, stopping measure {point.stationarity:.3e} <= tol={tol}"
        )
        _print(f"{point.n_iter} iterations in {seconds:.3f} s: {outcome}")

    return Callbacks(
        on_point=on_point,
        on_iteration=on_iteration,
        on_stage=lambda mu, stage_tol: _print(
            f"smoothing mu = {mu:.1e}, gradient tol = {stage_tol:.1e}"
        ),
        on_stage_end=on_stage_end,
        on_point_end=on_point_end,
    )


def _print(line: str) -> None:
    print(line, flush=True)
