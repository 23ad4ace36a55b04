"""The penalized objective of a linear model and the solver's coordinates for it.

``F(W, b) = sum_i s_i l(W x_i + b, y_i) + alpha / 2 ||W||_F^2``

with ``W`` of shape ``(n_scores, d)``, ``b`` of shape ``(n_scores,)`` (not penalized),
``l`` a :class:`~sklearn_softmax._losses.Loss` and weights ``s`` (the estimator
passes ``s_i = w_i / sum w`` and ``alpha = 1 / (C sum w)``, i.e. ``F = J / (C sum w)``).

The solver does not see ``(W, b)`` but ``theta = (V, c)``, the same model written
on centered and scaled features ``(x - mu) / sigma``: ``W = V / sigma`` and
``b = c - W mu``. The map is exact and affine, so the optimum and the penalty
(on the original ``W``) do not change; only the conditioning does. ``X`` itself
is never centered, scaled or copied: scores and gradients are computed in the
original coordinates and mapped with ``O(n_scores d)`` work.
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp

from ._losses import Loss


class LinearObjective:
    """``F(W, b)`` and its gradient for a fixed data set ``(X, y, s)``.

    Holds one ``(n_scores, n_samples)`` buffer in ``X``'s dtype, reused by every
    evaluation: it holds the scores, then the loss gradient w.r.t. them.
    """

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def with_loss(self, loss: Loss) -> LinearObjective:
        """The same data, penalty and buffer with another loss (a smoothing stage)."""
        view = copy.copy(self)
        view.loss = loss
        return view

    def __init__(
        self,
        loss: Loss,
        X: np.ndarray | sp.spmatrix,
        y: np.ndarray,
        weights: np.ndarray,
        *,
        alpha: float,
        fit_intercept: bool,
        n_scores: int,
    ):
        self.loss = loss
        self.X = X
        self.y = y
        #: ``s`` in X's dtype: a float32 fit keeps no float64 copy of length n.
        self.weights = np.asarray(weights).astype(X.dtype, copy=False)
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_scores = n_scores
        self._scores = np.empty((n_scores, X.shape[0]), dtype=X.dtype)

    def _compute_scores(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``Z = W X^T + b`` into the buffer, shape (n_scores, n_samples)."""
        Z = self._scores
        if sp.issparse(self.X):
            Z[...] = (self.X @ W.T).T
        else:
            np.matmul(W, self.X.T, out=Z)
        if self.fit_intercept:
            Z += b[:, None]
        return Z

    def value_gradient(self, W: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``F(W, b)``, ``dF/dW`` of shape (n_scores, d) and ``dF/db``, all float64."""
        dtype = self.X.dtype
        W_x = W.astype(dtype, copy=False)
        Z = self._compute_scores(W_x, b.astype(dtype, copy=False))
        loss, G = self.loss.loss_gradient(Z, self.y, self.weights)
        value = _weighted_sum(loss, self.weights)
        if sp.issparse(self.X):
            grad_W = (self.X.T @ G.T).T  # (d, n_scores) from scipy: transposed here
        else:
            grad_W = G @ self.X
        grad_W = np.ascontiguousarray(grad_W, dtype=np.float64)
        grad_b = G.sum(axis=1).astype(np.float64)
        if not self.fit_intercept:
            grad_b[:] = 0.0
        if self.alpha:
            value += 0.5 * self.alpha * float(np.vdot(W, W))
            grad_W += self.alpha * W
        return value, grad_W, grad_b

    def value(self, W: np.ndarray, b: np.ndarray) -> float:
        """``F(W, b)`` without the gradient."""
        dtype = self.X.dtype
        Z = self._compute_scores(W.astype(dtype), b.astype(dtype))
        per_sample, _ = self.loss.loss_gradient(Z, self.y, gradient=False)
        penalty = 0.5 * self.alpha * float(np.vdot(W, W))
        return _weighted_sum(per_sample, self.weights) + penalty

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float:
        """``sum_i s_i FY_i``: the smoothing's share of the duality gap, in units of ``F``.

        With ``g_i`` the gradient of the (smoothed) loss at ``z_i`` as dual point,
        the duality gap of the exact problem is
        ``sum_i s_i FY_i + ||dF/dW||^2 / (2 alpha)`` (exact without an intercept;
        with one, the dual point is feasible once ``dF/db = 0``): the Fenchel-Young
        gaps (:meth:`Loss.fenchel_young_gap`) plus the distance of ``W`` from the
        stationary point of the smoothed problem.
        """
        dtype = self.X.dtype
        Z = self._compute_scores(W.astype(dtype), b.astype(dtype))
        return _weighted_sum(self.loss.fenchel_young_gap(Z, self.y), self.weights)


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> float:
    """``sum_i values_i weights_i``, accumulated in float64 (by blocks: a float32
    pair is not first copied to float64)."""
    return float(np.einsum("i,i->", values, weights, dtype=np.float64))


class AffinePreconditioner:
    """The solver's coordinates ``theta = (V, c)``: ``W = V / sigma``, ``b = c - W mu``.

    ``theta`` is a flat float64 vector: ``V`` row-major, then ``c`` if there is
    an intercept. ``mu`` is the weighted feature mean (0 without intercept): the
    intercept absorbs the offsets, which otherwise couple it to every weight.
    ``sigma_j = max(sd_j, 1)`` with ``sd_j`` the weighted spread of feature ``j``
    about ``mu_j``: features are scaled down to unit spread, never up. The
    penalty on ``W`` has curvature ``alpha`` in every original coordinate, so
    dividing a feature by a small spread makes its penalty directions the
    stiffest of the problem (full standardization takes several times more
    iterations on wide data: ``benchmarks/notes.md``).
    """

    def __init__(self, mean: np.ndarray, scale: np.ndarray, n_scores: int, fit_intercept: bool):
        self.mean = mean
        self.scale = scale
        self.n_scores = n_scores
        self.fit_intercept = fit_intercept
        self._shift = mean / scale

    @classmethod
    def from_moments(
        cls, mean: np.ndarray, second_moment: np.ndarray, *, n_scores: int, fit_intercept: bool
    ) -> AffinePreconditioner:
        """``mu = mean`` and ``sigma = sqrt(max(second_moment, 1))``, the second moment
        about ``mean`` (see :func:`~sklearn_softmax._summary.feature_moments`)."""
        return cls(mean, np.sqrt(np.maximum(second_moment, 1.0)), n_scores, fit_intercept)

    @classmethod
    def identity(cls, n_features: int, *, n_scores: int, fit_intercept: bool):
        """``theta = (W, b)`` itself: for comparisons."""
        return cls(np.zeros(n_features), np.ones(n_features), n_scores, fit_intercept)

    #: Bounds of ``theta`` for L-BFGS-B: none.
    bounds = None
    #: No other ``theta`` gives the same model (see :meth:`L1Split.canonical`).
    canonical = None

    @property
    def size(self) -> int:
        """Length of ``theta``."""
        return self.n_scores * (self.mean.size + int(self.fit_intercept))

    def penalty(self, theta: np.ndarray, grad_W: np.ndarray, grad_b: np.ndarray):
        """``(0, dF/dtheta)``: no penalty beyond the objective's own (see :class:`L1Split`)."""
        return 0.0, self.gradient_to_solver(grad_W, grad_b)

    def stationarity(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The stopping measure at ``theta`` with gradient ``grad``: ``max |grad|``.

        Measured here, not on ``dF/dW``: ``dF/dV_kj = dF/dW_kj / sigma_j`` (at
        ``dF/db = 0``) does not grow with a feature's scale, so ``tol`` asks the same
        accuracy of a feature in any unit; ``dF/dW`` of a feature of spread 1e5 is
        1e5 times larger and can stay above ``tol`` at the optimum's rounding.
        """
        return max(float(grad.max(initial=0.0)), -float(grad.min(initial=0.0)))

    def to_model(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)`` from ``theta``."""
        n_weights = self.n_scores * self.mean.size
        W = theta[:n_weights].reshape(self.n_scores, -1) / self.scale
        if not self.fit_intercept:
            return W, np.zeros(self.n_scores)
        return W, theta[n_weights:] - W @ self.mean

    def to_solver(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``theta`` from ``(W, b)``."""
        V = np.asarray(W, dtype=np.float64) * self.scale
        if not self.fit_intercept:
            return V.ravel()
        return np.concatenate([V.ravel(), b + W @ self.mean])

    def gradient_to_solver(self, grad_W: np.ndarray, grad_b: np.ndarray) -> np.ndarray:
        """``dF/dtheta`` from ``dF/dW`` and ``dF/db``.

        ``dF/dV = (dF/dW - dF/db mu^T) / sigma`` and ``dF/dc = dF/db``.
        """
        grad = np.empty(self.size)
        n_weights = self.n_scores * self.mean.size
        grad_V = grad[:n_weights].reshape(self.n_scores, -1)
        np.divide(grad_W, self.scale, out=grad_V)
        if self.fit_intercept:
            grad_V -= np.multiply.outer(grad_b, self._shift)
            grad[n_weights:] = grad_b
        return grad


class L1Split:
    """Coordinates for ``F + a ||W||_1``: ``theta = (P, N, c)`` with ``P, N >= 0``.

    ``V = P - N`` in the coordinates of ``base`` (an :class:`AffinePreconditioner`),
    so ``a ||W||_1 = a sum_kj (P_kj + N_kj) / sigma_j`` at any point where
    ``min(P, N) = 0`` (an upper bound elsewhere, so the optimum has it): linear,
    and the problem is smooth with simple bounds (L-BFGS-B's). The positive scaling
    keeps the signs; centering moves only the intercept. A weight at both bounds
    is an exact zero.
    """

    def __init__(self, base: AffinePreconditioner, strength: float):
        self.base = base
        self.strength = strength
        self._n_weights = base.n_scores * base.mean.size
        n_intercepts = base.size - self._n_weights
        self.bounds = [(0.0, None)] * (2 * self._n_weights) + [(None, None)] * n_intercepts
        #: ``a / sigma_j`` for each entry of ``P`` (and ``N``), row-major.
        self._slope = np.tile(strength / base.scale, base.n_scores)

    @property
    def size(self) -> int:
        return self.base.size + self._n_weights

    def _split(self, theta: np.ndarray):
        m = self._n_weights
        return theta[:m], theta[m : 2 * m], theta[2 * m :]

    def to_model(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P, N, c = self._split(theta)
        return self.base.to_model(np.concatenate([P - N, c]))

    def to_solver(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        theta = self.base.to_solver(W, b)
        return _sign_split(theta[: self._n_weights], theta[self._n_weights :])

    def canonical(self, theta: np.ndarray) -> np.ndarray:
        """``(max(V, 0), max(-V, 0), c)`` for ``V = P - N``: the same model with
        ``min(P, N) = 0``, where the linear term is exactly ``a ||W||_1`` (it is
        larger wherever both are positive). L-BFGS-B can stall at a point with
        both positive; it continues from this one."""
        P, N, c = self._split(theta)
        return _sign_split(P - N, c)

    def penalty(self, theta: np.ndarray, grad_W: np.ndarray, grad_b: np.ndarray):
        """``(a ||W||_1, dF/dtheta + its gradient)``: ``dP = dV + a / sigma``,
        ``dN = -dV + a / sigma``."""
        P, N, _ = self._split(theta)
        grad = self.base.gradient_to_solver(grad_W, grad_b)
        grad_V, grad_c = grad[: self._n_weights], grad[self._n_weights :]
        # An elementwise sum, not a BLAS dot: a threaded dot of this length costs
        # milliseconds of thread wake-up, a quarter of a wide fit's time.
        value = float(np.sum(self._slope * (P + N)))
        return value, np.concatenate([grad_V + self._slope, self._slope - grad_V, grad_c])

    def stationarity(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The KKT measure in ``(V, c)``: the largest entry of the minimum-norm
        subgradient of ``F + a ||W||_1``, with ``g = dF/dV`` and ``t = a / sigma``:
        ``|g + t sign(V)|`` where ``V != 0``, ``max(0, |g| - t)`` where ``V = 0``;
        ``|dF/dc|`` for the intercept. The KKT conditions on ``W``, each entry
        divided by its feature's ``sigma`` (see :meth:`AffinePreconditioner.stationarity`).
        """
        P, N, _ = self._split(theta)
        m = self._n_weights
        grad_V, grad_c = grad[:m] - self._slope, grad[2 * m :]
        V = P - N
        violation = np.where(
            V != 0,
            np.abs(grad_V + self._slope * np.sign(V)),
            np.maximum(np.abs(grad_V) - self._slope, 0.0),
        )
        # np.max, not max: a NaN in either part must come out
        return float(np.max([violation.max(initial=0.0), np.abs(grad_c).max(initial=0.0)]))


def _sign_split(V: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``(max(V, 0), max(-V, 0), c)``: ``L1Split`` coordinates with ``min(P, N) = 0``."""
    return np.concatenate([np.maximum(V, 0.0), np.maximum(-V, 0.0), c])
