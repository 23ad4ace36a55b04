"""What a fit needs to know of its data before the first evaluation, for any data source.

A data source (in memory or Dask chunks) reduces its rows to a :class:`DataSummary`:
the classes, and per class ``k`` the weight total ``T_k = sum_{y_i = k} s_i``, the
weighted feature mean ``m_k`` and the weighted sum of squared deviations ``S_k``
about it. Chunks are summarized by :func:`class_moments` and merged by
:func:`merge_moments` (Chan et al.'s parallel formula, exact and free of the
cancellation of ``E[x^2] - E[x]^2``); in-memory data is one chunk.

From the summary alone follow the class weights ``c_k`` (:func:`class_weights`),
the normalization ``F = J / (C sum_i s_i c_{y_i})`` (:func:`weight_total`) and the
feature moments under the weights ``s_i c_{y_i}`` (:func:`feature_moments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_class_weight

#: Elements (rows x features, or stored values) handled per block: small next to
#: the score buffers of a fit's blocks, so that the summary never sets the peak memory.
BLOCK_ELEMENTS = 1 << 14


@dataclass(frozen=True)
class ClassMoments:
    """Per class ``k``: ``totals[k] = T_k`` (K,), ``means[k] = m_k`` and
    ``squares[k] = S_k`` (K, d), all float64."""

    totals: np.ndarray
    means: np.ndarray
    squares: np.ndarray


@dataclass(frozen=True)
class DataSummary:
    """The classes of a data set and its :class:`ClassMoments`."""

    classes: np.ndarray
    moments: ClassMoments
    n_features: int
    dtype: np.dtype


def merge_moments(a: ClassMoments, b: ClassMoments) -> ClassMoments:
    """The moments of the union of two disjoint sets of rows (Chan et al.):
    ``S = S_a + S_b + T_a T_b / (T_a + T_b) (m_b - m_a)^2``."""
    totals = a.totals + b.totals
    share_b = (b.totals / np.where(totals > 0, totals, 1.0))[:, None]
    delta = b.means - a.means
    means = a.means + share_b * delta
    squares = a.squares + b.squares + (a.totals[:, None] * share_b) * delta * delta
    return ClassMoments(totals, means, squares)


def class_moments(
    X: np.ndarray | sp.spmatrix, y: np.ndarray, sample_weight: np.ndarray, n_classes: int
) -> ClassMoments:
    """:class:`ClassMoments` of ``X`` (n, d) with class indices ``y`` and weights ``s``.

    Dense ``X`` is read in row blocks converted to float64 (no copy of ``X``),
    each summarized in two passes and merged; sparse ``X`` in blocks of stored values.
    """
    if sp.issparse(X):
        return _sparse_class_moments(X, y, sample_weight, n_classes)
    step = max(1, BLOCK_ELEMENTS // max(1, X.shape[1]))
    blocks = (slice(start, start + step) for start in range(0, X.shape[0], step))
    return reduce(
        merge_moments,
        (
            _dense_class_moments(
                np.asarray(X[rows], dtype=np.float64), y[rows], sample_weight[rows], n_classes
            )
            for rows in blocks
        ),
    )


def _dense_class_moments(X, y, weight, n_classes) -> ClassMoments:
    weighted_onehot = np.zeros((len(y), n_classes))
    weighted_onehot[np.arange(len(y)), y] = weight
    totals = weighted_onehot.sum(axis=0)
    means = (weighted_onehot.T @ X) / np.where(totals > 0, totals, 1.0)[:, None]
    deviations = X - means[y]
    return ClassMoments(totals, means, weighted_onehot.T @ (deviations * deviations))


def _stored_values(X: sp.spmatrix):
    """Blocks ``(rows, cols, values)`` of the stored entries of a canonical CSR/CSC."""
    by_row = X.format == "csr"
    for start in range(0, X.nnz, BLOCK_ELEMENTS):
        stop = min(start + BLOCK_ELEMENTS, X.nnz)
        major = np.searchsorted(X.indptr, np.arange(start, stop), side="right") - 1
        minor = X.indices[start:stop]
        rows, cols = (major, minor) if by_row else (minor, major)
        yield rows, cols, X.data[start:stop].astype(np.float64)


def _sparse_class_moments(X, y, weight, n_classes) -> ClassMoments:
    """Two passes over the stored values; each implicit zero of class ``k`` adds
    ``m_k^2`` times its weight: ``S = sum_stored s ((x - m)^2 - m^2) + m^2 T``.
    Only non-canonical input (duplicate entries) is copied, to sum duplicates."""
    if X.format not in ("csr", "csc") or not X.has_canonical_format:
        X = X.tocsr(copy=True)
        X.sum_duplicates()
    n_features = X.shape[1]
    size = n_classes * n_features
    totals = np.bincount(y, weights=weight, minlength=n_classes)
    sums = np.zeros(size)
    for rows, cols, values in _stored_values(X):
        cell = y[rows].astype(np.intp) * n_features + cols  # y may be a small integer type
        sums += np.bincount(cell, values * weight[rows], minlength=size)
    means = sums.reshape(n_classes, n_features) / np.where(totals > 0, totals, 1.0)[:, None]
    squares = (means * means * totals[:, None]).reshape(-1)
    flat_means = means.reshape(-1)
    for rows, cols, values in _stored_values(X):
        cell = y[rows].astype(np.intp) * n_features + cols
        deviation = values - flat_means[cell]
        excess = (deviation * deviation - flat_means[cell] ** 2) * weight[rows]
        squares += np.bincount(cell, excess, minlength=size)
    return ClassMoments(totals, means, np.maximum(squares, 0.0).reshape(n_classes, n_features))


def class_weights(class_weight, classes: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """``c_k``: 1, a dict's values, or "balanced" ``sum_k T_k / (K T_k)``, scikit-learn's
    rule with sample weights (0 for a class whose samples all weigh 0)."""
    if class_weight is None:
        return np.ones(classes.size)
    if isinstance(class_weight, str) and class_weight == "balanced":
        with np.errstate(divide="ignore"):
            weights = totals.sum() / (classes.size * totals)
        return np.where(totals > 0, weights, 0.0)
    return compute_class_weight(class_weight, classes=classes, y=classes)


def weight_total(class_weight: np.ndarray, totals: np.ndarray) -> float:
    """``S = sum_i s_i c_{y_i} = sum_k c_k T_k``, the normalization of ``F = J / (C S)``
    (whose weights are ``s_i c_{y_i} / S`` and penalty ``alpha = 1 / (C S)``); it must
    be positive."""
    if not totals.sum() > 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    total = float(class_weight @ totals)
    if not total > 0:
        raise ValueError(
            "The sample weights (times the class weights) sum to zero; "
            "at least one sample needs a positive weight."
        )
    return total


def feature_moments(
    moments: ClassMoments, class_weight: np.ndarray, *, center: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``mu`` (0 unless ``center``) and second moment about it of each feature,
    under the weights ``s_i c_{y_i}``, normalized: shapes (d,), (d,).

    ``mu = sum_k p_k m_k`` with ``p_k = c_k T_k / sum_j c_j T_j``, and
    ``sum_k (c_k S_k / sum_j c_j T_j + p_k (m_k - mu)^2)``.
    """
    weighted_totals = class_weight * moments.totals
    share = weighted_totals / weighted_totals.sum()
    mean = share @ moments.means if center else np.zeros(moments.means.shape[1])
    deviation = moments.means - mean
    second = (class_weight @ moments.squares) / weighted_totals.sum()
    return mean, second + share @ (deviation * deviation)
