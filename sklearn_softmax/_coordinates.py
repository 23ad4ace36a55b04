"""The solver's coordinates of a linear model: an exact affine reparametrization, and
the L1 split with its working sets.

The solver does not see ``(W, b)`` but ``theta = (V, c)``, the same model written
on centered and scaled features ``(x - mu) / sigma``: ``W = V / sigma`` and
``b = c - W mu`` (:class:`AffinePreconditioner`). The map is exact and affine, so the
optimum and the penalty (on the original ``W``) do not change; only the conditioning
does. ``X`` itself is never centered, scaled or copied: scores and gradients are
computed in the original coordinates (:mod:`._objective`) and mapped here with
``O(n_scores d)`` work. With an L1 term, :class:`L1Split` writes ``V = P - N`` with
``P, N >= 0``, optionally on a working set of the weights.
"""

from __future__ import annotations

import numpy as np


class AffinePreconditioner:
    """The solver's coordinates ``theta = (V, c)``: ``W = V / sigma``, ``b = c - W mu``.

    ``theta`` is a flat float64 vector: ``V`` row-major, then ``c`` if there is
    an intercept. ``mu`` is the weighted feature mean (0 without intercept): the
    intercept absorbs the offsets, which otherwise couple it to every weight.
    ``sigma_j = max(sd_j, floor)`` with ``sd_j`` the weighted spread of feature ``j``
    about ``mu_j``: features are scaled to unit spread, but never up by more than
    ``1 / floor``. The penalty on ``W`` has curvature ``alpha`` in every original
    coordinate, so dividing a feature by a small spread makes its penalty
    directions the stiffest of the problem (full standardization takes several
    times more iterations on wide data: ``benchmarks/notes.md``).

    The stopping measure is taken in the coordinates of ``stop_scale`` (the
    documented ``max(sd_j, 1)``) whatever ``scale`` the solver works in:
    :meth:`stationarity` rescales each weight's entry by ``scale / stop_scale``.
    """

    def __init__(
        self,
        mean: np.ndarray,
        scale: np.ndarray,
        n_scores: int,
        fit_intercept: bool,
        stop_scale: np.ndarray | None = None,
        inert: np.ndarray | None = None,
    ):
        self.mean = mean
        self.scale = scale
        self.n_scores = n_scores
        self.fit_intercept = fit_intercept
        #: The features in ``theta``: all, or (an index array) those not ``inert``.
        self.active = slice(None)
        if inert is not None and inert.any():
            self.active = np.flatnonzero(~inert)
        #: The mean and scale of the features in ``theta``.
        self.active_mean, self.active_scale = mean[self.active], scale[self.active]
        #: Entries of ``V`` in ``theta``: ``n_scores`` times the features in it.
        self.n_weights = n_scores * self.active_scale.size
        self._shift = self.active_mean / self.active_scale
        #: Per entry of ``V`` (row-major), ``scale / stop_scale``; None where all are 1.
        self.stop_factor = None
        if stop_scale is not None and not np.array_equal(stop_scale, scale):
            self.stop_factor = np.tile(self.active_scale / stop_scale[self.active], n_scores)

    @classmethod
    def from_moments(
        cls,
        mean: np.ndarray,
        second_moment: np.ndarray,
        *,
        n_scores: int,
        fit_intercept: bool,
        scale_floor: float = 1.0,
    ) -> AffinePreconditioner:
        """``mu = mean`` and ``sigma = max(sd, scale_floor)`` with ``sd`` the root of the
        second moment about ``mean`` (see :func:`~sklearn_softmax._summary.feature_moments`);
        1 for a constant feature. The stopping measure's coordinates use ``max(sd, 1)``.

        Features of no spread (zero second moment: constant with an intercept, zero
        in every sample without one) are inert: the loss does not depend on their
        weights, the penalty pulls those to 0, so their optimum is 0 and ``theta``
        leaves them out (hashed text features: most of 2^18 columns empty).
        """
        scale = np.sqrt(np.maximum(second_moment, scale_floor**2))
        stop_scale = np.sqrt(np.maximum(second_moment, 1.0))
        scale = np.where(scale > 0, scale, 1.0)
        inert = ~(second_moment > 0)
        return cls(mean, scale, n_scores, fit_intercept, stop_scale, inert)

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
        return self.n_weights + self.n_scores * int(self.fit_intercept)

    def penalty(self, theta: np.ndarray, grad_W: np.ndarray, grad_b: np.ndarray):
        """``(0, dF/dtheta)``: no penalty beyond the objective's own (see :class:`L1Split`)."""
        return 0.0, self.gradient_to_solver(grad_W, grad_b)

    def stationarity(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The stopping measure at ``theta`` with gradient ``grad``: ``max |grad|``.

        Measured here, not on ``dF/dW``: ``dF/dV_kj = dF/dW_kj / sigma_j`` (at
        ``dF/db = 0``) does not grow with a feature's scale, so ``tol`` asks the same
        accuracy of a feature in any unit; ``dF/dW`` of a feature of spread 1e5 is
        1e5 times larger and can stay above ``tol`` at the optimum's rounding.
        Each weight's entry in the coordinates of ``stop_scale``. (The inert
        features' entries are 0 at their weights' optimum, 0.)
        """
        if self.stop_factor is None:
            return max(float(grad.max(initial=0.0)), -float(grad.min(initial=0.0)))
        weights = np.abs(grad[: self.n_weights])
        weights *= self.stop_factor
        intercepts = np.abs(grad[self.n_weights :])
        # np.max: a NaN must come out
        return float(np.max([weights.max(initial=0.0), intercepts.max(initial=0.0)]))

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """``V`` (n_scores, features in ``theta``) of ``theta``: a view."""
        return theta[: self.n_weights].reshape(self.n_scores, -1)

    def to_model(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)`` from ``theta`` (the inert features' weights 0)."""
        active = self.weights(theta) / self.active_scale
        if isinstance(self.active, slice):
            W = active
        else:
            W = np.zeros((self.n_scores, self.mean.size))
            W[:, self.active] = active
        if not self.fit_intercept:
            return W, np.zeros(self.n_scores)
        return W, theta[self.n_weights :] - active @ self.active_mean

    def to_solver(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``theta`` from ``(W, b)`` (the inert features' weights dropped: their
        optimum is 0)."""
        active = np.asarray(W, dtype=np.float64)[:, self.active]
        V = active * self.active_scale
        if not self.fit_intercept:
            return V.ravel()
        return np.concatenate([V.ravel(), b + active @ self.active_mean])

    def gradient_to_solver(self, grad_W: np.ndarray, grad_b: np.ndarray) -> np.ndarray:
        """``dF/dtheta`` from ``dF/dW`` and ``dF/db``.

        ``dF/dV = (dF/dW - dF/db mu^T) / sigma`` and ``dF/dc = dF/db``.
        """
        grad = np.empty(self.size)
        grad_V = self.weights(grad)
        np.divide(grad_W[:, self.active], self.active_scale, out=grad_V)
        if self.fit_intercept:
            # An infinite dF/db (an overflowed evaluation) times a zero shift is NaN:
            # the gradient is not finite either way, which the solver's stationarity
            # check reports as an error; the arithmetic need not warn first.
            with np.errstate(invalid="ignore"):
                for row, slope in zip(grad_V, grad_b, strict=True):  # no n_scores x d temporary
                    row -= slope * self._shift
            grad[self.n_weights :] = grad_b
        return grad


class L1Split:
    """Coordinates for ``F + a ||W||_1``: ``theta = (P, N, c)`` with ``P, N >= 0``.

    ``V = P - N`` in the coordinates of ``base`` (an :class:`AffinePreconditioner`),
    so ``a ||W||_1 = a sum_kj (P_kj + N_kj) / sigma_j`` at any point where
    ``min(P, N) = 0`` (an upper bound elsewhere, so the optimum has it): linear,
    and the problem is smooth with simple bounds (L-BFGS-B's). The positive scaling
    keeps the signs; centering moves only the intercept. A weight at both bounds
    is an exact zero.

    ``free``: the indices (into ``V`` row-major, the base's features in ``theta``) of
    the weights the solver may move,
    all of them if None; the others are held at exactly zero (a working set,
    :meth:`restricted`).
    """

    def __init__(self, base: AffinePreconditioner, strength: float, free: np.ndarray | None = None):
        self.base = base
        self.strength = strength
        self.free = free
        self._n_weights = base.n_weights
        self._pick = slice(None) if free is None else free
        self._n_free = self._n_weights if free is None else free.size
        n_intercepts = base.size - self._n_weights
        self.bounds = [(0.0, None)] * (2 * self._n_free) + [(None, None)] * n_intercepts
        #: ``a / sigma_j`` for each entry of ``P`` (and ``N``), row-major.
        self._slope = np.tile(strength / base.active_scale, base.n_scores)[self._pick]

    def restricted(self, free: np.ndarray) -> L1Split:
        """The same coordinates with only the weights ``free`` (sorted indices) free."""
        return L1Split(self.base, self.strength, free)

    @property
    def size(self) -> int:
        return self.base.size - self._n_weights + 2 * self._n_free

    def _split(self, theta: np.ndarray):
        m = self._n_free
        return theta[:m], theta[m : 2 * m], theta[2 * m :]

    def _all_weights(self, free_values: np.ndarray) -> np.ndarray:
        """Row-major ``V`` (or ``P``, ``N``) of every weight: zero where not free."""
        if self.free is None:
            return free_values
        values = np.zeros(self._n_weights)
        values[self.free] = free_values
        return values

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """``V = P - N`` of every weight of the base's ``theta``, row-major (0 where
        not free)."""
        P, N, _ = self._split(theta)
        return self._all_weights(P - N)

    def to_model(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P, N, c = self._split(theta)
        return self.base.to_model(np.concatenate([self._all_weights(P - N), c]))

    def to_solver(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``theta`` of ``(W, b)``, whose weights outside ``free`` must be zero."""
        theta = self.base.to_solver(W, b)
        return _sign_split(theta[: self._n_weights][self._pick], theta[self._n_weights :])

    def expand(self, theta: np.ndarray) -> np.ndarray:
        """The same point in the coordinates with every weight free (exactly: the
        weights outside ``free`` are zeros)."""
        P, N, c = self._split(theta)
        return np.concatenate([self._all_weights(P), self._all_weights(N), c])

    def contract(self, theta: np.ndarray) -> np.ndarray:
        """The point ``theta`` of the coordinates with every weight free, in these
        (its weights outside ``free`` must be zeros): the inverse of :meth:`expand`."""
        m = self._n_weights
        return np.concatenate([theta[:m][self._pick], theta[m : 2 * m][self._pick], theta[2 * m :]])

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
        grad_V, grad_c = grad[: self._n_weights][self._pick], grad[self._n_weights :]
        # An elementwise sum, not a BLAS dot: a threaded dot of this length costs
        # milliseconds of thread wake-up, a quarter of a wide fit's time.
        value = float(np.sum(self._slope * (P + N)))
        return value, np.concatenate([grad_V + self._slope, self._slope - grad_V, grad_c])

    def violations(self, theta: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """The minimum-norm subgradient of ``F + a ||W||_1`` in ``(V, c)``: per free
        weight, with ``g = dF/dV`` and ``t = a / sigma``, ``|g + t sign(V)|`` where
        ``V != 0`` and ``max(0, |g| - t)`` where ``V = 0``; and the intercepts' largest
        ``|dF/dc|``. The KKT conditions on ``W``, each entry divided by its feature's
        stopping scale (see :meth:`AffinePreconditioner.stationarity`)."""
        P, N, _ = self._split(theta)
        m = self._n_free
        grad_V, grad_c = grad[:m] - self._slope, grad[2 * m :]
        per_weight = minimum_norm_subgradient(P - N, grad_V, self._slope)
        if self.base.stop_factor is not None:
            per_weight *= self.base.stop_factor[self._pick]
        return per_weight, float(np.abs(grad_c).max(initial=0.0))

    def stationarity(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The KKT measure: the largest entry of :meth:`violations`."""
        return largest_violation(*self.violations(theta, grad))


class L1Penalty:
    """``a ||W||_1`` on the coordinates ``theta = (V, c)`` of ``base`` itself (no split):
    ``sum_kj slopes_kj |V_kj|`` with ``slopes = a / sigma_j``, and 0 on ``c``. Linear
    on each orthant; the proximal Newton method (:mod:`._newton`) handles its kinks."""

    def __init__(self, base: AffinePreconditioner, strength: float):
        self.base = base
        self.strength = strength
        self._n_weights = base.n_weights
        #: ``a / sigma_j`` for each entry of ``theta`` (0 for the intercepts).
        self.slopes = np.zeros(base.size)
        self.slopes[: self._n_weights] = np.tile(strength / base.active_scale, base.n_scores)

    def value(self, theta: np.ndarray) -> float:
        return float(self.slopes @ np.abs(theta))

    def violations(self, theta: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """As :meth:`L1Split.violations`, with ``grad = dF/dtheta`` of the smooth part."""
        m = self._n_weights
        per_weight = minimum_norm_subgradient(theta[:m], grad[:m], self.slopes[:m])
        if self.base.stop_factor is not None:
            per_weight *= self.base.stop_factor
        return per_weight, float(np.abs(grad[m:]).max(initial=0.0))

    def stationarity(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The KKT measure: the largest entry of :meth:`violations`."""
        return largest_violation(*self.violations(theta, grad))


def minimum_norm_subgradient(V: np.ndarray, grad_V: np.ndarray, slopes) -> np.ndarray:
    """Per weight, the minimum-norm subgradient of ``F + sum slopes |V|``:
    ``|g + t sign(V)|`` where ``V != 0``, ``max(0, |g| - t)`` where ``V = 0``."""
    return np.where(
        V != 0, np.abs(grad_V + slopes * np.sign(V)), np.maximum(np.abs(grad_V) - slopes, 0.0)
    )


def largest_violation(per_weight: np.ndarray, intercepts: float) -> float:
    """The largest of :meth:`L1Split.violations`' parts (NaN if either is)."""
    # np.max, not max: a NaN in either part must come out
    return float(np.max([per_weight.max(initial=0.0), intercepts]))


def _sign_split(V: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``(max(V, 0), max(-V, 0), c)``: ``L1Split`` coordinates with ``min(P, N) = 0``."""
    return np.concatenate([np.maximum(V, 0.0), np.maximum(-V, 0.0), c])
