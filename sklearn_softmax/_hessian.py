"""The Hessian of ``F`` in the solver's coordinates, for the losses that have one
(cross-entropy), on data in memory: what the proximal Newton method (:mod:`._newton`)
models the smooth part with.

In the coordinates ``theta = (V, c)`` of :class:`~._coordinates.AffinePreconditioner`
the scores are ``z = V x~ + c`` with ``x~ = (x - mu) / sigma``, so with the loss's
curvature ``s_i d^2 l / dz^2 = diag(D_i) - U_i U_i^T`` (:meth:`~._loss.Loss.curvature`)

``H = sum_i (diag(D_i) - U_i U_i^T) kron (x~_i x~_i^T) + alpha diag(1 / sigma^2)``

over ``(V, c)`` (the L2 term on ``W = V / sigma`` only). It is assembled by row
blocks of ``x~`` in float64 (at most ``block_bytes`` for the block's
``U kron x~`` rows), in lanes like an evaluation (:func:`hessian_work`: about
``(n_scores + 2) d~ / 4`` evaluations' work, ``d~ = d + 1``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import dsyrk

from ._array_api_objective import ArrayAPIObjective
from ._coordinates import AffinePreconditioner
from ._objective import LinearObjective
from ._threads import run_lanes


def hessian_work(n_samples: int, n_scores: int, width: int) -> float:
    """Multiply-adds of :func:`hessian` over ``n_samples`` rows of ``width`` columns
    (``d + 1`` with an intercept): the outer part's symmetric product and the
    diagonal blocks."""
    return n_samples * ((n_scores * width) ** 2 / 2 + n_scores * width**2)


def hessian(
    objective: LinearObjective | ArrayAPIObjective,
    theta: np.ndarray,
    coordinates: AffinePreconditioner,
    *,
    block_bytes: int,
    n_lanes: int,
) -> np.ndarray:
    """``d^2 F / d theta^2``, shape ``(theta.size, theta.size)``, float64, summed over
    ``n_lanes`` threads (each on contiguous rows), or on an array-API objective's device."""
    n_scores, fit_intercept = coordinates.n_scores, coordinates.fit_intercept
    n_features = coordinates.active_scale.size  # the features in theta
    width = n_features + int(fit_intercept)
    n_weights = coordinates.n_weights
    model = np.empty((n_scores, width))
    model[:, :n_features] = theta[:n_weights].reshape(n_scores, n_features)
    if fit_intercept:
        model[:, n_features] = theta[n_weights:]
    if isinstance(objective, ArrayAPIObjective):
        layout = objective.curvature_layout(model, coordinates)
    else:
        layout = _layout_in_lanes(objective, model, coordinates, block_bytes, n_lanes)
    layout = np.triu(layout) + np.triu(layout, 1).T  # the outer part filled the upper triangle
    order = _theta_order(n_scores, n_features, fit_intercept)
    H = layout[np.ix_(order, order)]
    H[np.arange(n_weights), np.arange(n_weights)] += objective.alpha / np.tile(
        coordinates.active_scale**2, n_scores
    )
    return H


def _layout_in_lanes(objective, model, coordinates, block_bytes: int, n_lanes: int):
    """The data's part of the Hessian (upper triangle of its outer part), by row
    blocks in ``n_lanes`` threads."""
    n_scores, width = model.shape
    rows = max(1, int(block_bytes // (8 * n_scores * width)))
    edges = np.linspace(0, objective.n_samples, n_lanes + 1).round().astype(int)

    def lane(index: int) -> np.ndarray:
        total = np.zeros((n_scores * width, n_scores * width))
        for start in range(edges[index], edges[index + 1], rows):
            stop = min(start + rows, edges[index + 1])
            _add_block(total, objective, model, coordinates, start, stop)
        return total

    lanes = run_lanes(lane, n_lanes)
    layout = lanes[0]
    for other in lanes[1:]:
        layout += other
    return layout


def _add_block(total, objective: LinearObjective, model, coordinates, start: int, stop: int):
    """Add rows ``start:stop``'s share to ``total`` (layout: class-major blocks of
    ``x~``'s columns, the intercept's last)."""
    X = objective.X[start:stop]
    X = (X.toarray() if sp.issparse(X) else X)[:, coordinates.active]
    n_scores, width = model.shape
    n_features = coordinates.active_scale.size
    features = np.empty((stop - start, width))
    np.subtract(X, coordinates.active_mean, out=features[:, :n_features])
    features[:, :n_features] /= coordinates.active_scale
    if coordinates.fit_intercept:
        features[:, -1] = 1.0
    Z = model @ features.T
    weights = np.asarray(objective.weights[start:stop], dtype=np.float64)
    D, U = objective.loss.curvature(Z, objective.y[start:stop], weights)
    for k in range(n_scores):
        block = slice(k * width, (k + 1) * width)
        total[block, block] += features.T @ (D[k][:, None] * features)
    if U is not None:
        outer = (U.T[:, :, None] * features[:, None, :]).reshape(stop - start, -1)
        # outer^T outer's upper triangle, from the F-ordered transpose (no copy)
        total -= dsyrk(1.0, outer.T, trans=0)


def _theta_order(n_scores: int, n_features: int, fit_intercept: bool) -> np.ndarray:
    """For each entry of ``theta`` (``V`` row-major, then ``c``), its position in the
    layout of :func:`_add_block`."""
    width = n_features + int(fit_intercept)
    weights = (np.arange(n_scores)[:, None] * width + np.arange(n_features)).ravel()
    if not fit_intercept:
        return weights
    return np.concatenate([weights, np.arange(n_scores) * width + n_features])
