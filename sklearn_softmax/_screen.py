"""The hinges' saturation screens: which samples of a block have loss and gradient
exactly 0 at a model, proved from an earlier evaluation without scoring them."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class ModelSnapshot:
    """A float64 snapshot of ``(W, b)`` and its largest row norms: the reference of
    the screens refreshed at one evaluation (shared by them, not one copy each)."""

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.W = np.array(W, dtype=np.float64)
        self.b = np.array(b, dtype=np.float64)
        self.W_norm = float(np.sqrt(np.einsum("kj,kj->k", self.W, self.W)).max(initial=0.0))
        self.b_norm = float(np.abs(self.b).max(initial=0.0))

    def distance(self, other: ModelSnapshot) -> tuple[float, float]:
        """``(max_k ||W_k - W'_k||, max_k |b_k - b'_k|)``."""
        change = self.W - other.W
        moved = float(np.sqrt(np.einsum("kj,kj->k", change, change)).max(initial=0.0))
        return moved, float(np.abs(self.b - other.b).max(initial=0.0))


class SaturationScreen:
    """Which samples of a block are saturated for a multiclass hinge at ``(W, b)``,
    without their scores.

    It keeps, from the block's last full evaluation at ``(W_0, b_0)``, each sample's
    largest score gap ``g_i = max_{k != y_i} (z_ik - z_iy_i)``, so that its largest
    margin is ``v_i = margin + g_i``. Each gap moves by at most
    ``2 (max_k ||W_k - W_0k|| ||x_i|| + max_k |b_k - b_0k|)``, and each computed one
    is off by at most ``rho (max_k ||W_k|| ||x_i|| + max_k |b_k| + margin)`` with
    ``rho = 8 (d + 2) eps`` (both evaluations' rounding, the larger model's norms). A
    sample is saturated when ``v_i`` plus both bounds is below the loss's
    :meth:`~sklearn_softmax._loss.Loss.saturation_threshold`; a NaN bound is not.
    """

    def __init__(self, X_block):
        if sp.issparse(X_block):
            squares = X_block.multiply(X_block).sum(axis=1, dtype=np.float64)
        else:
            squares = np.einsum("ij,ij->i", X_block, X_block, dtype=np.float64)
        self.norms = np.sqrt(np.asarray(squares, dtype=np.float64).ravel())
        self.rho = 8 * (X_block.shape[1] + 2) * np.finfo(X_block.dtype).eps
        self.gaps: np.ndarray | None = None
        self.reference: ModelSnapshot | None = None

    @property
    def nbytes(self) -> int:
        """Bytes of its per-sample arrays (the reference model is shared)."""
        return self.norms.nbytes + (0 if self.gaps is None else self.gaps.nbytes)

    def refresh(self, Z: np.ndarray, y: np.ndarray, model: ModelSnapshot) -> None:
        """Keep ``g`` from the block's scores ``Z`` (n_scores, rows) at ``model``."""
        columns = np.arange(Z.shape[1])
        target = Z[y, columns]
        Z[y, columns] = -np.inf
        largest_other = Z.max(axis=0)
        Z[y, columns] = target
        self.gaps = largest_other.astype(np.float64) - target
        self.reference = model

    def live(self, model: ModelSnapshot, threshold: float, margin: float, distances: dict):
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
