"""Per-sample losses of class scores, with their gradients w.r.t. the scores.

Layout: scores are class-major, ``Z`` of shape ``(n_scores, n_samples)``, so that
the reductions over classes run along axis 0 of a C-ordered array.
``n_scores`` is K for K >= 3 classes and 1 for two classes (one score
``z = w.x + b`` for the greater class). ``y`` holds class indices in ``0..K-1``.

Every loss has one method, :meth:`Loss.loss_gradient`, which returns the
per-sample losses ``l_i`` and, on request, the weighted gradient
``G[:, i] = s_i * dl_i / dZ[:, i]`` written over ``Z`` (so an evaluation needs no
second score buffer). The estimator's objective and the public metrics both call it.

A fit evaluates the same loss hundreds of times on blocks of rows of at most one
length: each loss keeps its temporaries in a workspace and reuses them (fresh
temporaries cost page faults on every call, as much as the arithmetic). The
per-sample losses it returns live there too.

A loss is a frozen value: its parameters compare and hash, and its workspace is
not part of it (a copy made by :func:`dataclasses.replace`, or an unpickled one,
starts with empty buffers: one per thread or Dask task).

Each loss also has :meth:`Loss.loss_gradient_xp`: the same formula out of place, in
any array-API namespace (PyTorch, CuPy, ...), where data under array-API dispatch
are fitted on their device (:mod:`._array_api_objective`). It takes the targets as a
mask ``T`` of shape ``(n_scores, n_samples)``: ``T[k, i] = (y_i == k)``, and for one
score ``T[0, i] = (y_i == 1)``.

The losses themselves live in :mod:`._cross_entropy` and :mod:`._hinges`; the
registry of their names, which the estimator, the metrics and the CLI read, in
:mod:`._losses`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


class Workspace:
    """Reused temporaries of one loss, by name and dtype.

    Each name holds one flat array, grown when a larger one is asked for, and a
    request gets a view of its first entries: the blocks of a fit differ in length
    (a screened block's live samples, a lane's last block), and one array per
    length would pile up. Copies and unpickled copies start empty: buffers are never
    shared between two losses (which may run in two threads).
    """

    def __init__(self):
        self.buffers: dict = {}
        self._arange = np.arange(0)

    def __reduce__(self):
        return (Workspace, ())

    def __copy__(self) -> Workspace:
        return Workspace()

    def __deepcopy__(self, memo) -> Workspace:
        return Workspace()

    def buffer(self, name: str, shape, dtype) -> np.ndarray:
        """A C-contiguous array of this shape and dtype, in the buffer of ``name``."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        size = math.prod(shape)
        key = (name, np.dtype(dtype))
        flat = self.buffers.get(key)
        if flat is None or flat.size < size:
            flat = self.buffers[key] = np.empty(size, dtype=dtype)
        return flat[:size].reshape(shape)

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return sum(array.nbytes for array in self.buffers.values()) + self._arange.nbytes

    def arange(self, n: int) -> np.ndarray:
        """``0, 1, ..., n - 1``."""
        if self._arange.size < n:
            self._arange = np.arange(n)
        return self._arange[:n]


@dataclass(frozen=True)
class Loss(ABC):
    """A per-sample loss of the scores of one linear model."""

    _workspace: Workspace = field(default_factory=Workspace, init=False, repr=False, compare=False)

    #: Whether :meth:`curvature` gives the Hessian w.r.t. the scores.
    has_hessian = False

    #: Whether the gradient of many samples is exactly zero (the hinges': beyond the
    #: margin, and with smoothing once the exponentials underflow), so that the
    #: gradient product may skip them.
    zero_gradient_beyond_margin = False

    @property
    def smooth(self) -> bool:
        """True when the loss is differentiable, so a vanishing gradient certifies
        the optimum; False for the plain hinge, which has only subgradients."""
        return True

    @abstractmethod
    def loss_gradient(
        self,
        Z: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        *,
        gradient: bool = True,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-sample losses and, if ``gradient``, the weighted gradient.

        Parameters
        ----------
        Z : ndarray of shape (n_scores, n_samples)
            Scores, class-major; C-contiguous when ``gradient`` is true, and
            then overwritten.
        y : ndarray of shape (n_samples,), integer class indices.
        sample_weight : ndarray of shape (n_samples,) or None
            ``s_i``, used for the gradient only.

        Returns
        -------
        loss : ndarray of shape (n_samples,), the unweighted ``l_i``. It lives in
            this loss's workspace: valid until the next call.
        grad : ndarray of shape (n_scores, n_samples) or None
            ``s_i * dl_i / dZ[:, i]``, stored in ``Z``'s memory.
        """

    @abstractmethod
    def loss_gradient_xp(self, Z, T, sample_weight, xp, *, gradient: bool = True) -> tuple:
        """:meth:`loss_gradient` in the namespace ``xp`` of ``Z``, out of place.

        ``Z`` (n_scores, n_samples) scores, ``T`` the boolean target mask of the
        same shape, ``sample_weight`` ``s`` (n_samples,). Returns the per-sample
        losses (n_samples,) and, if ``gradient``, ``s_i dl_i / dZ[:, i]``.
        """

    def curvature(
        self, Z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The Hessian of the weighted losses w.r.t. the scores, per sample, as
        ``s_i d^2 l_i / dZ[:, i]^2 = diag(D[:, i]) - U[:, i] U[:, i]^T``: ``(D, U)``, each
        of shape (n_scores, n_samples) (``U`` None when the Hessian is diagonal); None
        for a loss without one (the hinges)."""
        return None

    def saturation_threshold(self, dtype) -> float | None:
        """``t``: a sample whose margins ``u_k = margin + z_k - z_y`` (``k != y``, as
        computed in ``dtype``) are all below ``t`` has loss and gradient exactly 0;
        None for a loss without such samples."""
        return None

    def fenchel_young_gap(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per sample ``l_0(z) + l_0^*(g) - <g, z>``, ``g = dl/dz``; shape (n_samples,).

        ``l_0`` is the exact loss, ``g`` the gradient of this (maybe smoothed)
        loss. The gap is 0 when ``g`` is a (sub)gradient of ``l_0`` at ``z``.
        Summed with the sample weights, it is the smoothing's share of the
        duality gap of the exact problem at the dual point ``g``.
        """
        return np.zeros(Z.shape[1])

    def fenchel_young_gap_xp(self, Z, T, xp):
        """:meth:`fenchel_young_gap` in the namespace ``xp``, with the target mask ``T``."""
        return xp.zeros_like(Z[0, ...])

    def _buffer(self, name: str, shape, dtype) -> np.ndarray:
        return self._workspace.buffer(name, shape, dtype)

    def _target_positions(self, y: np.ndarray, n_samples: int) -> np.ndarray:
        """Positions ``y_i n + i`` of the scores ``Z[y_i, i]`` in ``Z.reshape(-1)``."""
        positions = self._buffer("positions", n_samples, np.intp)
        np.multiply(y, n_samples, out=positions, dtype=np.intp)
        positions += self._workspace.arange(n_samples)
        return positions

    def _work(self, Z: np.ndarray, gradient: bool) -> np.ndarray:
        """Where to compute: ``Z`` itself for a gradient, else a workspace copy."""
        if gradient:
            if not Z.flags.c_contiguous:
                raise ValueError("The scores must be C-contiguous to hold the gradient.")
            return Z
        work = self._buffer("work", Z.shape, Z.dtype)
        np.copyto(work, Z)
        return work


def take_at(Z: np.ndarray, positions: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[i] = Z.reshape(-1)[positions[i]]`` (positions from
    :meth:`Loss._target_positions`, in range: ``mode="clip"`` writes ``out``
    directly, where the default mode first fills a temporary of its size)."""
    return np.take(Z.reshape(-1), positions, out=out, mode="clip")


def subtract_at(Z: np.ndarray, positions: np.ndarray, values, buffer: np.ndarray) -> None:
    """``Z.reshape(-1)[positions] -= values`` through ``buffer`` (length n, free): an
    in-place fancy-index update would gather into a temporary of its own. The
    write-back is an index assignment, about twice as fast as ``np.put``."""
    target = take_at(Z, positions, out=buffer)
    target -= values
    Z.reshape(-1)[positions] = target


def signs(y: np.ndarray, dtype, out: np.ndarray) -> np.ndarray:
    """``t_i = +1`` for the greater class (``y_i = 1``), ``-1`` otherwise."""
    np.multiply(y, 2, out=out, casting="unsafe")
    out -= 1
    return out


def xp_sigmoid(a, xp):
    """``1 / (1 + exp(-a))`` as ``exp(-log(1 + exp(-a)))``: no overflow for any ``a``."""
    return xp.exp(-xp.logaddexp(xp.zeros_like(a), -a))


def xp_target_scores(Z, T, xp):
    """``z_{y_i}`` (n_samples,): the scores at the target mask ``T``."""
    return xp.sum(xp.where(T, Z, xp.zeros_like(Z)), axis=0)
