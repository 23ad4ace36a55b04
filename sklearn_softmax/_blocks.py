"""Rows of ``X`` cut into lanes and blocks for an evaluation, without copies.

An evaluation (:mod:`._objective`) runs in ``n_lanes`` threads; each lane takes a
contiguous share of the rows and runs through it in :class:`Block` s of about
``block_bytes`` of stored entries (views of ``X``: a CSR block shares its arrays).
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from ._screen import SaturationScreen


class Block:
    """Rows ``start:stop`` of X (a view) and, for the hinges, their screen."""

    def __init__(self, X, start: int, stop: int):
        self.start, self.stop = start, stop
        self.X = row_view(X, start, stop) if (start, stop) != (0, X.shape[0]) else X
        self._screen: SaturationScreen | None = None

    def screen(self) -> SaturationScreen:
        """The block's :class:`~._screen.SaturationScreen` (made on first use)."""
        if self._screen is None:
            self._screen = SaturationScreen(self.X)
        return self._screen

    @property
    def screened(self) -> SaturationScreen | None:
        """The screen if one was made."""
        return self._screen


def row_blocks(X, n_lanes: int, block_bytes: int) -> list[list[Block]]:
    """Per lane, its blocks: ``n_lanes`` contiguous shares of the rows, each cut into
    blocks of about ``block_bytes`` of stored entries. Views, not copies: a CSR
    block shares X's arrays; CSC X is one block in one lane (its row slices would be
    copies)."""
    n_samples = X.shape[0]
    if sp.issparse(X) and X.format != "csr":
        return [[Block(X, 0, n_samples)]]
    stored = X.nnz if sp.issparse(X) else X.size
    row_bytes = max(stored / max(n_samples, 1), 1.0) * X.dtype.itemsize
    block_rows = max(1, int(block_bytes // row_bytes))
    edges = np.linspace(0, n_samples, max(1, n_lanes) + 1).round().astype(int)
    lanes = []
    for low, high in itertools.pairwise(edges):
        blocks = [Block(X, s, min(s + block_rows, high)) for s in range(low, high, block_rows)]
        if blocks:
            lanes.append(blocks)
    return lanes or [[Block(X, 0, n_samples)]]


def row_view(X, start: int, stop: int):
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


def gradient_product(G: np.ndarray, X_block, *, skip_zeros: bool, skip_share: float) -> np.ndarray:
    """``G @ X_block``, shape (n_scores, d). If ``skip_zeros``, the samples whose
    gradient column is exactly zero are left out when they are at least
    ``1 - skip_share`` of the block (the hinges beyond their margins): the rows of the
    others are gathered, at most a block's."""
    if skip_zeros:
        active = np.flatnonzero(G.any(axis=0))
        if active.size <= skip_share * G.shape[1]:
            G, X_block = G[:, active], X_block[active]
    if sp.issparse(X_block):
        return (X_block.T @ G.T).T  # (d, n_scores) from scipy: transposed here
    return G @ X_block
