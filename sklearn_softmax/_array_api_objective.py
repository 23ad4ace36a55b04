"""The penalized objective on data of an array-API namespace, evaluated on its device.

``F(W, b) = sum_i s_i l(W x_i + b, y_i) + alpha / 2 ||W||_F^2``, as
:class:`~._objective.LinearObjective`'s, for ``X`` (n, d) of PyTorch, CuPy or any
array-API namespace: the scores ``Z = W X^T + b`` (n_scores, n), the loss arithmetic
(:meth:`~._loss.Loss.loss_gradient_xp`) and the gradient product ``G X`` run in
``X``'s namespace and on its device, on all rows at once. The model comes from the
solver as float64 NumPy arrays on the host and the gradient goes back there: one
transfer of ``n_scores x (d + 1)`` numbers each way per evaluation.
"""

from __future__ import annotations

import copy

import numpy as np

from ._array_api import Namespace, to_numpy
from ._loss import Loss

#: Entries of the per-block temporaries of :meth:`ArrayAPIObjective.curvature_layout`.
HESSIAN_BLOCK_ELEMENTS = 1 << 22


class ArrayAPIObjective:
    """``F(W, b)`` and its gradient for ``X`` of an array-API namespace.

    ``targets``: the boolean target mask ``T`` (n_scores, n) on X's device
    (:meth:`~._loss.Loss.loss_gradient_xp`); ``weights``: ``s`` (n,) there, in X's
    dtype. Sums of losses are taken in the device's widest float.
    """

    n_lanes = 1

    def __init__(
        self,
        loss: Loss,
        X,
        targets,
        weights,
        *,
        alpha: float,
        fit_intercept: bool,
        n_scores: int,
        space: Namespace,
    ):
        self.loss = loss
        self.X = X
        self.targets = targets
        self.weights = weights
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_scores = n_scores
        self.space = space
        self.n_samples = X.shape[0]
        self.rows_scored = 0

    def with_loss(self, loss: Loss) -> ArrayAPIObjective:
        """The same data and penalty with another loss (a smoothing stage)."""
        view = copy.copy(self)
        view.loss = loss
        return view

    def _scores(self, W: np.ndarray, b: np.ndarray):
        """``Z = W X^T + b`` (n_scores, n) on the device, in X's dtype."""
        Z = self.space.asarray(W, self.X.dtype) @ self.X.T
        if self.fit_intercept:
            Z = Z + self.space.xp.reshape(self.space.asarray(b, self.X.dtype), (-1, 1))
        return Z

    def _weighted_sum(self, per_sample) -> float:
        """``sum_i s_i v_i`` in the device's widest float, as a host float."""
        xp, wide = self.space.xp, self.space.sum_dtype
        return float(xp.sum(xp.astype(per_sample, wide) * xp.astype(self.weights, wide)))

    def value_gradient(self, W: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``F(W, b)``, ``dF/dW`` (n_scores, d) and ``dF/db`` (n_scores,), float64 on the host."""
        xp = self.space.xp
        per_sample, G = self.loss.loss_gradient_xp(
            self._scores(W, b), self.targets, self.weights, xp
        )
        value = self._weighted_sum(per_sample)
        grad_W = to_numpy(G @ self.X, np.float64)
        grad_b = to_numpy(xp.sum(G, axis=1), np.float64)
        if not self.fit_intercept:
            grad_b[:] = 0.0
        self.rows_scored = self.n_samples
        if self.alpha:
            value += 0.5 * self.alpha * float(np.vdot(W, W))
            grad_W += self.alpha * W
        return value, grad_W, grad_b

    def value(self, W: np.ndarray, b: np.ndarray) -> float:
        """``F(W, b)`` without the gradient."""
        per_sample, _ = self.loss.loss_gradient_xp(
            self._scores(W, b), self.targets, self.weights, self.space.xp, gradient=False
        )
        return self._weighted_sum(per_sample) + 0.5 * self.alpha * float(np.vdot(W, W))

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float:
        """``sum_i s_i FY_i`` (see :meth:`~._objective.LinearObjective.fenchel_young_gap`)."""
        gaps = self.loss.fenchel_young_gap_xp(self._scores(W, b), self.targets, self.space.xp)
        return self._weighted_sum(gaps)

    def curvature_layout(self, model: np.ndarray, coordinates) -> np.ndarray:
        """``sum_i (diag(D_i) - U_i U_i^T) kron (x~_i x~_i^T)``: the data's part of the
        Hessian (:func:`~._hessian.hessian`), on the device by blocks of rows.

        ``model`` (n_scores, width) holds ``(V, c)``; ``x~_i`` the active features
        ``(x_i - mu) / sigma`` of ``coordinates``, then 1 with an intercept. Returns
        the ``(n_scores width)``-square layout (class-major blocks), float64 on the host.
        """
        xp, wide, device = self.space.xp, self.space.sum_dtype, self.space.device
        n_scores, width = model.shape
        size = n_scores * width
        mean = self.space.asarray(coordinates.active_mean, wide)
        scale = self.space.asarray(coordinates.active_scale, wide)
        active = coordinates.active
        columns = None if isinstance(active, slice) else self.space.asarray(active)
        model = self.space.asarray(model, wide)
        weights = xp.astype(self.weights, wide)
        rows = max(1, HESSIAN_BLOCK_ELEMENTS // size)
        total = xp.zeros((size, size), dtype=wide, device=device)
        for start in range(0, self.n_samples, rows):
            stop = min(start + rows, self.n_samples)
            X = xp.astype(self.X[start:stop, ...], wide)
            if columns is not None:
                X = xp.take(X, columns, axis=1)
            features = (X - mean) / scale
            if coordinates.fit_intercept:
                ones = xp.ones((stop - start, 1), dtype=wide, device=device)
                features = xp.concat([features, ones], axis=1)
            D, U = self.loss.curvature_xp(model @ features.T, weights[start:stop], xp)
            for k in range(n_scores):
                block = slice(k * width, (k + 1) * width)
                scaled = xp.reshape(D[k, ...], (-1, 1)) * features
                total[block, block] = total[block, block] + features.T @ scaled
            if U is not None:
                outer = xp.reshape(U.T, (-1, n_scores, 1)) * xp.reshape(features, (-1, 1, width))
                outer = xp.reshape(outer, (-1, size))
                total = total - outer.T @ outer
        return to_numpy(total, np.float64)
