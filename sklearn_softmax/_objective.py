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
import dataclasses
import itertools

import numpy as np
import scipy.sparse as sp

from ._losses import Loss
from ._threads import run_lanes


class LinearObjective:
    """``F(W, b)`` and its gradient for a fixed data set ``(X, y, s)``.

    Evaluated by row blocks in ``n_lanes`` lanes (:func:`~._threads.run_lanes`):
    each lane takes a contiguous share of the rows and runs through it in blocks of
    about ``BLOCK_BYTES`` of ``X``, with its own ``(n_scores, block rows)`` buffer
    (the scores, then the loss gradient w.r.t. them) and its own copy of the loss
    (its workspace). Sums are taken per lane and then over lanes in lane order:
    the result does not depend on which thread finishes first (it does on the
    number of lanes, and for the hinges on which samples were screened: the order
    of the sums). No ``n x K`` array is held, unless X is CSC (one block).
    """

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_lanes(self) -> int:
        return len(self._lanes)

    def with_loss(self, loss: Loss) -> LinearObjective:
        """The same data, penalty, lanes and buffers with another loss (a smoothing
        stage; stages run one after the other)."""
        view = copy.copy(self)
        view.loss = loss
        view._losses = _lane_losses(loss, self.n_lanes)
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
        n_lanes: int = 1,
    ):
        self.loss = loss
        self.X = X
        self.y = y
        #: ``s`` in X's dtype: a float32 fit keeps no float64 copy of length n.
        self.weights = np.asarray(weights).astype(X.dtype, copy=False)
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_scores = n_scores
        self._lanes = _row_blocks(X, n_lanes)
        self._losses = _lane_losses(loss, self.n_lanes)
        self._block_rows = max(block.stop - block.start for lane in self._lanes for block in lane)
        self._buffers = [np.empty(n_scores * self._block_rows, X.dtype) for _ in self._lanes]
        #: Per lane, room for the rows of X a screened block gathers (made when first used).
        self._gathered: list[np.ndarray | None] = [None] * self.n_lanes

    @property
    def buffer_bytes(self) -> int:
        """Bytes this objective holds for its evaluations (not the data's): score
        buffers, gathered rows, the losses' workspaces and the hinges' screens."""
        rooms = [room for room in self._gathered if room is not None]
        held = sum(array.nbytes for array in [*self._buffers, *rooms])
        held += sum(loss._workspace.nbytes for loss in self._losses)
        screens = [block._screen for lane in self._lanes for block in lane]
        screens = [screen for screen in screens if screen is not None]
        references = {id(s.reference): s.reference for s in screens if s.reference is not None}
        held += sum(screen.nbytes for screen in screens)
        return held + sum(model.W.nbytes + model.b.nbytes for model in references.values())

    def _scores(self, lane: int, X_rows, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``Z = W X_rows^T + b`` into the lane's buffer, shape (n_scores, rows)."""
        rows = X_rows.shape[0]
        Z = self._buffers[lane][: self.n_scores * rows].reshape(self.n_scores, rows)
        if sp.issparse(X_rows):
            Z[...] = (X_rows @ W.T).T
        else:
            np.matmul(W, X_rows.T, out=Z)
        if self.fit_intercept:
            Z += b[:, None]
        return Z

    def _sum_over_blocks(self, block_sum, W: np.ndarray, b: np.ndarray) -> list:
        """Per lane, the sum over its blocks of ``block_sum(lane, block, loss, W_x, b_x)``
        (a tuple of parts), with ``(W_x, b_x)`` the model cast to X's dtype."""
        dtype = self.X.dtype
        W_x, b_x = W.astype(dtype, copy=False), b.astype(dtype, copy=False)

        def lane_sum(lane: int):
            total = None
            for block in self._lanes[lane]:
                parts = block_sum(lane, block, self._losses[lane], W_x, b_x)
                total = parts if total is None else tuple(map(_add_to, total, parts))
            return total

        return run_lanes(lane_sum, self.n_lanes)

    def _gather(self, lane: int, block: _Block, rows: np.ndarray):
        """``block.X[rows]``: into the lane's reused room if dense."""
        if sp.issparse(block.X):
            return block.X[rows]
        room = self._gathered[lane]
        if room is None:
            room = self._gathered[lane] = np.empty(
                (self._block_rows, self.X.shape[1]), self.X.dtype
            )
        # mode='clip' writes into out directly (the rows are in range)
        return np.take(block.X, rows, axis=0, out=room[: rows.size], mode="clip")

    def value_gradient(self, W: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``F(W, b)``, ``dF/dW`` of shape (n_scores, d) and ``dF/db``, all float64.

        For a multiclass hinge (:meth:`Loss.saturation_threshold`), a block's samples
        that its :class:`_SaturationScreen` proves saturated (loss and gradient exactly
        0) are left out when they are at least half of it: the others' rows are
        gathered and only their scores computed.
        """
        threshold = self.loss.saturation_threshold(self.X.dtype)
        model = None if threshold is None else _Model(W, b)
        distances: dict = {}

        def block_sum(lane, block, loss, W_x, b_x):
            y = self.y[block.start : block.stop]
            weights = self.weights[block.start : block.stop]
            live = None
            if model is not None:
                live = block.screen().live(model, threshold, loss.margin, distances)
            if live is not None and live.size <= SKIP_SHARE * y.size:
                X_rows, y, weights = self._gather(lane, block, live), y[live], weights[live]
            else:
                X_rows, live = block.X, None
            Z = self._scores(lane, X_rows, W_x, b_x)
            if model is not None and live is None:  # all rows scored: a new reference
                block.screen().refresh(Z, y, model)
            per_sample, G = loss.loss_gradient(Z, y, weights)
            grad_W = _gradient_product(G, X_rows, loss.zero_gradient_beyond_margin)
            return (
                _weighted_sum(per_sample, weights),
                grad_W.astype(np.float64, copy=False),
                G.sum(axis=1).astype(np.float64),
            )

        lanes = self._sum_over_blocks(block_sum, W, b)
        value = float(sum(lane[0] for lane in lanes))
        grad_W = np.ascontiguousarray(lanes[0][1])
        grad_b = lanes[0][2]
        for _, lane_grad_W, lane_grad_b in lanes[1:]:
            grad_W += lane_grad_W
            grad_b += lane_grad_b
        if not self.fit_intercept:
            grad_b[:] = 0.0
        if self.alpha:
            value += 0.5 * self.alpha * float(np.vdot(W, W))
            grad_W += self.alpha * W
        return value, grad_W, grad_b

    def value(self, W: np.ndarray, b: np.ndarray) -> float:
        """``F(W, b)`` without the gradient."""

        def block_sum(lane, block, loss, W_x, b_x):
            Z = self._scores(lane, block.X, W_x, b_x)
            per_sample, _ = loss.loss_gradient(Z, self.y[block.start : block.stop], gradient=False)
            return (_weighted_sum(per_sample, self.weights[block.start : block.stop]),)

        lanes = self._sum_over_blocks(block_sum, W, b)
        penalty = 0.5 * self.alpha * float(np.vdot(W, W))
        return float(sum(lane[0] for lane in lanes)) + penalty

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float:
        """``sum_i s_i FY_i``: the smoothing's share of the duality gap, in units of ``F``.

        With ``g_i`` the gradient of the (smoothed) loss at ``z_i`` as dual point,
        the duality gap of the exact problem is
        ``sum_i s_i FY_i + ||dF/dW||^2 / (2 alpha)`` (exact without an intercept;
        with one, the dual point is feasible once ``dF/db = 0``): the Fenchel-Young
        gaps (:meth:`Loss.fenchel_young_gap`) plus the distance of ``W`` from the
        stationary point of the smoothed problem.
        """

        def block_sum(lane, block, loss, W_x, b_x):
            Z = self._scores(lane, block.X, W_x, b_x)
            gaps = loss.fenchel_young_gap(Z, self.y[block.start : block.stop])
            return (_weighted_sum(gaps, self.weights[block.start : block.stop]),)

        lanes = self._sum_over_blocks(block_sum, W, b)
        return float(sum(lane[0] for lane in lanes))


#: The samples left in a product (those of nonzero gradient, or not screened out)
#: are gathered when they are at most this share of a block: gathering their rows
#: costs a pass over them.
SKIP_SHARE = 0.5


def _gradient_product(G: np.ndarray, X_block, skip_zeros: bool) -> np.ndarray:
    """``G @ X_block``, shape (n_scores, d). If ``skip_zeros``, the samples whose
    gradient column is exactly zero are left out when that saves work (the hinges
    beyond their margins): the rows of the others are gathered, at most a block's."""
    if skip_zeros:
        active = np.flatnonzero(G.any(axis=0))
        if active.size <= SKIP_SHARE * G.shape[1]:
            G, X_block = G[:, active], X_block[active]
    if sp.issparse(X_block):
        return (X_block.T @ G.T).T  # (d, n_scores) from scipy: transposed here
    return G @ X_block


#: Bytes of ``X`` per block of an evaluation (2 to 4 MB blocks evaluated fastest
#: on synthetic and MNIST; ``benchmarks/notes.md``).
BLOCK_BYTES = 4 << 20


class _Block:
    """Rows ``start:stop`` of X (a view) and, for the hinges, their screen."""

    def __init__(self, X, start: int, stop: int):
        self.start, self.stop = start, stop
        self.X = _rows(X, start, stop) if (start, stop) != (0, X.shape[0]) else X
        self._screen: _SaturationScreen | None = None

    def screen(self) -> _SaturationScreen:
        """The block's :class:`_SaturationScreen` (made on first use)."""
        if self._screen is None:
            self._screen = _SaturationScreen(self.X)
        return self._screen


class _Model:
    """A float64 snapshot of ``(W, b)`` and its largest row norms: the reference of
    the screens refreshed at one evaluation (shared by them, not one copy each)."""

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.W = np.array(W, dtype=np.float64)
        self.b = np.array(b, dtype=np.float64)
        self.W_norm = float(np.sqrt(np.einsum("kj,kj->k", self.W, self.W)).max(initial=0.0))
        self.b_norm = float(np.abs(self.b).max(initial=0.0))

    def distance(self, other: _Model) -> tuple[float, float]:
        """``(max_k ||W_k - W'_k||, max_k |b_k - b'_k|)``."""
        change = self.W - other.W
        moved = float(np.sqrt(np.einsum("kj,kj->k", change, change)).max(initial=0.0))
        return moved, float(np.abs(self.b - other.b).max(initial=0.0))


class _SaturationScreen:
    """Which samples of a block are saturated for a multiclass hinge at ``(W, b)``,
    without their scores.

    It keeps, from the block's last full evaluation at ``(W_0, b_0)``, each sample's
    largest score gap ``g_i = max_{k != y_i} (z_ik - z_iy_i)``, so that its largest
    margin is ``v_i = margin + g_i``. Each gap moves by at most
    ``2 (max_k ||W_k - W_0k|| ||x_i|| + max_k |b_k - b_0k|)``, and each computed one
    is off by at most ``rho (max_k ||W_k|| ||x_i|| + max_k |b_k| + margin)`` with
    ``rho = 8 (d + 2) eps`` (both evaluations' rounding, the larger model's norms). A
    sample is saturated when ``v_i`` plus both bounds is below the loss's
    :meth:`~sklearn_softmax._losses.Loss.saturation_threshold`; a NaN bound is not.
    """

    def __init__(self, X_block):
        if sp.issparse(X_block):
            squares = X_block.multiply(X_block).sum(axis=1, dtype=np.float64)
        else:
            squares = np.einsum("ij,ij->i", X_block, X_block, dtype=np.float64)
        self.norms = np.sqrt(np.asarray(squares, dtype=np.float64).ravel())
        self.rho = 8 * (X_block.shape[1] + 2) * np.finfo(X_block.dtype).eps
        self.gaps: np.ndarray | None = None
        self.reference: _Model | None = None

    @property
    def nbytes(self) -> int:
        """Bytes of its per-sample arrays (the reference model is shared)."""
        return self.norms.nbytes + (0 if self.gaps is None else self.gaps.nbytes)

    def refresh(self, Z: np.ndarray, y: np.ndarray, model: _Model) -> None:
        """Keep ``g`` from the block's scores ``Z`` (n_scores, rows) at ``model``."""
        columns = np.arange(Z.shape[1])
        target = Z[y, columns]
        Z[y, columns] = -np.inf
        largest_other = Z.max(axis=0)
        Z[y, columns] = target
        self.gaps = largest_other.astype(np.float64) - target
        self.reference = model

    def live(self, model: _Model, threshold: float, margin: float, distances: dict):
        """Indices of the samples not proven saturated at ``model``; None before the
        first :meth:`refresh`. ``distances``: one evaluation's distances from
        ``model`` to the references, by ``id`` (the screens share a few)."""
        if self.reference is None:
            return None
        reference = self.reference
        if id(reference) not in distances:
            distances[id(reference)] = model.distance(reference)
        moved, b_moved = distances[id(reference)]
        W_norm = max(model.W_norm, reference.W_norm)
        b_norm = max(model.b_norm, reference.b_norm)
        slope = 2 * moved + self.rho * W_norm
        offset = margin + 2 * b_moved + self.rho * (b_norm + margin)
        bound = self.gaps + offset
        bound += slope * self.norms
        return np.flatnonzero(~(bound < threshold))


def _row_blocks(X, n_lanes: int) -> list[list[_Block]]:
    """Per lane, its blocks: ``n_lanes`` contiguous shares of the rows, each cut into
    blocks of about ``BLOCK_BYTES`` of stored entries. Views, not copies: a CSR
    block shares X's arrays; CSC X is one block in one lane (its row slices would be
    copies)."""
    n_samples = X.shape[0]
    if sp.issparse(X) and X.format != "csr":
        return [[_Block(X, 0, n_samples)]]
    stored = X.nnz if sp.issparse(X) else X.size
    row_bytes = max(stored / max(n_samples, 1), 1.0) * X.dtype.itemsize
    block_rows = max(1, int(BLOCK_BYTES // row_bytes))
    edges = np.linspace(0, n_samples, max(1, n_lanes) + 1).round().astype(int)
    lanes = []
    for low, high in itertools.pairwise(edges):
        blocks = [_Block(X, s, min(s + block_rows, high)) for s in range(low, high, block_rows)]
        if blocks:
            lanes.append(blocks)
    return lanes or [[_Block(X, 0, n_samples)]]


def _rows(X, start: int, stop: int):
    """``X[start:stop]`` as a view (CSR: sharing X's data and indices). The CSR block
    gets its arrays by assignment: scipy's constructor checks the format and copies a
    slice much shorter than its base, or narrows int64 indices."""
    if not sp.issparse(X):
        return X[start:stop]
    low, high = X.indptr[start], X.indptr[stop]
    block = sp.csr_matrix((stop - start, X.shape[1]), dtype=X.dtype)
    block.data, block.indices = X.data[low:high], X.indices[low:high]
    block.indptr = X.indptr[start : stop + 1] - low
    return block


def _lane_losses(loss: Loss, n_lanes: int) -> list[Loss]:
    """``loss`` for lane 0 and an equal copy with its own workspace for each other lane."""
    return [loss] + [dataclasses.replace(loss) for _ in range(n_lanes - 1)]


def _add_to(total, part):
    """``total + part``, in place for arrays (a lane's running sum)."""
    if isinstance(total, np.ndarray):
        total += part
        return total
    return total + part


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

    ``free``: the indices (into ``W`` row-major) of the weights the solver may move,
    all of them if None; the others are held at exactly zero (a working set,
    :meth:`restricted`).
    """

    def __init__(self, base: AffinePreconditioner, strength: float, free: np.ndarray | None = None):
        self.base = base
        self.strength = strength
        self.free = free
        self._n_weights = base.n_scores * base.mean.size
        self._pick = slice(None) if free is None else free
        self._n_free = self._n_weights if free is None else free.size
        n_intercepts = base.size - self._n_weights
        self.bounds = [(0.0, None)] * (2 * self._n_free) + [(None, None)] * n_intercepts
        #: ``a / sigma_j`` for each entry of ``P`` (and ``N``), row-major.
        self._slope = np.tile(strength / base.scale, base.n_scores)[self._pick]

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
        ``sigma`` (see :meth:`AffinePreconditioner.stationarity`)."""
        P, N, _ = self._split(theta)
        m = self._n_free
        grad_V, grad_c = grad[:m] - self._slope, grad[2 * m :]
        V = P - N
        per_weight = np.where(
            V != 0,
            np.abs(grad_V + self._slope * np.sign(V)),
            np.maximum(np.abs(grad_V) - self._slope, 0.0),
        )
        return per_weight, float(np.abs(grad_c).max(initial=0.0))

    def stationarity(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The KKT measure: the largest entry of :meth:`violations`."""
        return largest_violation(*self.violations(theta, grad))


def largest_violation(per_weight: np.ndarray, intercepts: float) -> float:
    """The largest of :meth:`L1Split.violations`' parts (NaN if either is)."""
    # np.max, not max: a NaN in either part must come out
    return float(np.max([per_weight.max(initial=0.0), intercepts]))


def _sign_split(V: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``(max(V, 0), max(-V, 0), c)``: ``L1Split`` coordinates with ``min(P, N) = 0``."""
    return np.concatenate([np.maximum(V, 0.0), np.maximum(-V, 0.0), c])
