"""The penalized objective of a linear model on data in memory, and its gradient.

``F(W, b) = sum_i s_i l(W x_i + b, y_i) + alpha / 2 ||W||_F^2``

with ``W`` of shape ``(n_scores, d)``, ``b`` of shape ``(n_scores,)`` (not penalized),
``l`` a :class:`~sklearn_softmax._loss.Loss` and weights ``s`` (the core passes
``s_i = w_i c_{y_i} / sum_j w_j c_{y_j}`` and ``alpha = (1 - r) / (C sum w c)``, i.e.
``F = J / (C sum w c)`` without its L1 term).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import scipy.sparse as sp

from ._blocks import Block, gradient_product, row_blocks
from ._loss import Loss
from ._screen import ModelSnapshot
from ._settings import DEFAULT_SETTINGS, SolverSettings
from ._threads import run_lanes


class LinearObjective:
    """``F(W, b)`` and its gradient for a fixed data set ``(X, y, s)``.

    Evaluated by row blocks in ``n_lanes`` lanes (:func:`~._threads.run_lanes`):
    each lane takes a contiguous share of the rows and runs through it in blocks of
    about ``settings.block_bytes`` of ``X`` (:mod:`._blocks`), with its own
    ``(n_scores, block rows)`` buffer (the scores, then the loss gradient w.r.t.
    them) and its own copy of the loss (its workspace). Sums are taken per lane and
    then over lanes in lane order: the result does not depend on which thread
    finishes first (it does on the number of lanes, and for the hinges on which
    samples were screened: the order of the sums). No ``n x K`` array is held,
    unless X is CSC (one block). ``rows_scored``: the rows whose scores the last
    :meth:`value_gradient` computed (the others were screened out).
    """

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
        settings: SolverSettings = DEFAULT_SETTINGS,
    ):
        self.loss = loss
        self.X = X
        self.y = y
        #: ``s`` in X's dtype: a float32 fit keeps no float64 copy of length n.
        self.weights = np.asarray(weights).astype(X.dtype, copy=False)
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_scores = n_scores
        self.skip_share = settings.skip_share
        self.rows_scored = 0
        self._lanes = row_blocks(X, n_lanes, settings.block_bytes)
        self._losses = _lane_losses(loss, self.n_lanes)
        self._block_rows = max(block.stop - block.start for lane in self._lanes for block in lane)
        self._buffers = [np.empty(n_scores * self._block_rows, X.dtype) for _ in self._lanes]
        #: Per lane, room for the rows of X a screened block gathers (made when first used).
        self._gathered: list[np.ndarray | None] = [None] * self.n_lanes

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_lanes(self) -> int:
        return len(self._lanes)

    @property
    def blocks(self) -> list[Block]:
        """Every lane's blocks, in order."""
        return [block for lane in self._lanes for block in lane]

    def with_loss(self, loss: Loss) -> LinearObjective:
        """The same data, penalty, lanes and buffers with another loss (a smoothing
        stage; stages run one after the other)."""
        view = copy.copy(self)
        view.loss = loss
        view._losses = _lane_losses(loss, self.n_lanes)
        return view

    @property
    def buffer_bytes(self) -> int:
        """Bytes this objective holds for its evaluations (not the data's): score
        buffers, gathered rows, the losses' workspaces and the hinges' screens."""
        rooms = [room for room in self._gathered if room is not None]
        held = sum(array.nbytes for array in [*self._buffers, *rooms])
        held += sum(loss._workspace.nbytes for loss in self._losses)
        screens = [block.screened for block in self.blocks if block.screened is not None]
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

    def _gather(self, lane: int, block: Block, rows: np.ndarray):
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
        that its :class:`~._screen.SaturationScreen` proves saturated (loss and
        gradient exactly 0) are left out when they are at least ``1 - skip_share`` of
        it: the others' rows are gathered and only their scores computed.
        """
        threshold = self.loss.saturation_threshold(self.X.dtype)
        model = None if threshold is None else ModelSnapshot(W, b)
        distances: dict = {}

        def block_sum(lane, block, loss, W_x, b_x):
            y = self.y[block.start : block.stop]
            weights = self.weights[block.start : block.stop]
            live = None
            if model is not None:
                live = block.screen().live(model, threshold, loss.margin, distances)
            if live is not None and live.size <= self.skip_share * y.size:
                X_rows, y, weights = self._gather(lane, block, live), y[live], weights[live]
            else:
                X_rows, live = block.X, None
            Z = self._scores(lane, X_rows, W_x, b_x)
            if model is not None and live is None:  # all rows scored: a new reference
                block.screen().refresh(Z, y, model)
            per_sample, G = loss.loss_gradient(Z, y, weights)
            grad_W = gradient_product(
                G, X_rows, skip_zeros=loss.zero_gradient_beyond_margin, skip_share=self.skip_share
            )
            return (
                _weighted_sum(per_sample, weights),
                # one pass: C-ordered float64 (a sparse product comes transposed)
                np.asarray(grad_W, dtype=np.float64, order="C"),
                G.sum(axis=1).astype(np.float64),
                y.size,
            )

        lanes = self._sum_over_blocks(block_sum, W, b)
        value = float(sum(lane[0] for lane in lanes))
        self.rows_scored = int(sum(lane[3] for lane in lanes))
        grad_W = lanes[0][1]
        grad_b = lanes[0][2]
        for _, lane_grad_W, lane_grad_b, _ in lanes[1:]:
            grad_W += lane_grad_W
            grad_b += lane_grad_b
        if not self.fit_intercept:
            grad_b[:] = 0.0
        if self.alpha:
            value += 0.5 * self.alpha * float(np.vdot(W, W))
            grad_W += self.alpha * W  # (one temporary of W's size)
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
