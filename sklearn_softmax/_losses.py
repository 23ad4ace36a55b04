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
starts with empty buffers: one per thread or Dask task). :data:`LOSSES` is the
registry of loss names that the estimator, the metrics and the CLI read.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, log_softmax, logsumexp, softmax


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


def _take(Z: np.ndarray, positions: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[i] = Z.reshape(-1)[positions[i]]`` (positions from
    :meth:`Loss._target_positions`, in range: ``mode="clip"`` writes ``out``
    directly, where the default mode first fills a temporary of its size)."""
    return np.take(Z.reshape(-1), positions, out=out, mode="clip")


def _subtract_at(Z: np.ndarray, positions: np.ndarray, values, buffer: np.ndarray) -> None:
    """``Z.reshape(-1)[positions] -= values`` through ``buffer`` (length n, free): an
    in-place fancy-index update would gather into a temporary of its own. The
    write-back is an index assignment, about twice as fast as ``np.put``."""
    target = _take(Z, positions, out=buffer)
    target -= values
    Z.reshape(-1)[positions] = target


@dataclass(frozen=True)
class MultinomialCrossEntropy(Loss):
    """``l = -sum_k q_k log softmax(z)_k`` with ``q = (1 - eps) onehot(y) + eps / K``.

    Computed with the max shift ``m = max_k z_k``:
    ``l = log sum_k exp(z_k - m) + m - sum_k q_k z_k``; gradient ``softmax(z) - q``.
    """

    label_smoothing: float = 0.0

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_classes, n_samples = Z.shape
        eps = self.label_smoothing
        work = self._work(Z, gradient)
        positions = self._target_positions(y, n_samples)
        target_score = _take(work, positions, out=self._buffer("t", n_samples, Z.dtype))
        if eps:
            target_score *= 1 - eps
            target_score += (eps / n_classes) * work.sum(axis=0)
        shift = np.max(work, axis=0, out=self._buffer("shift", n_samples, Z.dtype))
        work -= shift
        target_score -= shift
        np.exp(work, out=work)
        normalizer = np.sum(work, axis=0, out=self._buffer("sum", n_samples, Z.dtype))
        loss = np.log(normalizer, out=shift)  # three length-n buffers, not four
        loss -= target_score
        if not gradient:
            return loss, None
        # work is Z's memory: turn it into s_i * (softmax(z_i) - q_i) in place.
        scale = np.reciprocal(normalizer, out=normalizer)
        if sample_weight is not None:
            scale *= sample_weight
        work *= scale
        if eps:
            work -= (eps / n_classes) * (1.0 if sample_weight is None else sample_weight)
        if sample_weight is None:
            at_target = 1 - eps
        else:
            at_target = sample_weight if not eps else (1 - eps) * sample_weight
        _subtract_at(work, positions, at_target, buffer=target_score)
        return loss, work

    @staticmethod
    def predict_proba(Z: np.ndarray) -> np.ndarray:
        """``softmax(Z)`` over axis 0."""
        return softmax(Z, axis=0)

    @staticmethod
    def predict_log_proba(Z: np.ndarray) -> np.ndarray:
        """``log softmax(Z)`` over axis 0."""
        return log_softmax(Z, axis=0)


def _signs(y: np.ndarray, dtype, out: np.ndarray) -> np.ndarray:
    """``t_i = +1`` for the greater class (``y_i = 1``), ``-1`` otherwise."""
    np.multiply(y, 2, out=out, casting="unsafe")
    out -= 1
    return out


@dataclass(frozen=True)
class BinaryCrossEntropy(Loss):
    """One score ``z`` for the greater class; ``t = +1`` for it, ``-1`` otherwise.

    With smoothed targets ``q = 1 - eps / 2`` for the true class,
    ``l = -(q log p_true + (1 - q) log p_other) = softplus(-t z) + (eps / 2) t z``
    and ``dl/dz = t (eps / 2 - sigmoid(-t z))``.
    """

    label_smoothing: float = 0.0

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_samples, dtype = Z.shape[1], Z.dtype
        half_eps = self.label_smoothing / 2
        sign = _signs(y, dtype, self._buffer("sign", n_samples, dtype))
        minus_tz = np.multiply(Z[0], sign, out=self._buffer("tz", n_samples, dtype))
        np.negative(minus_tz, out=minus_tz)
        loss = np.logaddexp(0, minus_tz, out=self._buffer("loss", n_samples, dtype))
        if half_eps:
            loss -= half_eps * minus_tz
        if not gradient:
            return loss, None
        dz = expit(minus_tz, out=Z[0])
        dz -= half_eps
        dz *= sign
        np.negative(dz, out=dz)
        if sample_weight is not None:
            dz *= sample_weight
        return loss, Z

    @staticmethod
    def predict_proba(Z: np.ndarray) -> np.ndarray:
        """``[1 - sigmoid(z), sigmoid(z)]`` of shape (2, n_samples)."""
        return np.vstack([expit(-Z[0]), expit(Z[0])])

    @staticmethod
    def predict_log_proba(Z: np.ndarray) -> np.ndarray:
        """``[-softplus(z), -softplus(-z)]`` of shape (2, n_samples)."""
        return -np.vstack([np.logaddexp(0, Z[0]), np.logaddexp(0, -Z[0])])


@dataclass(frozen=True)
class _Hinge(Loss):
    """Shared parameters of the hinge losses.

    ``phi(a) = max(0, a)``, or ``max(0, a)**2`` when ``squared``. ``smoothing``
    ``mu >= 0`` replaces each non-differentiable max by a smooth upper bound
    that is at most ``mu log(number of terms)`` above it (0: exact).
    """

    #: Whether the squared loss is differentiable without smoothing.
    smooth_when_squared = True
    zero_gradient_beyond_margin = True
    #: ``u_y``, written at the true class by :meth:`_margins`.
    true_class_margin = 0.0

    margin: float = 1.0
    squared: bool = False
    smoothing: float = 0.0

    @property
    def smooth(self) -> bool:
        return bool(self.smoothing) or (self.smooth_when_squared and self.squared)

    def saturation_threshold(self, dtype) -> float | None:
        """0 without smoothing (no margin reaches the kink). With smoothing ``mu``,
        ``-mu (L + 2)``, where ``exp(-L)`` is the smallest subnormal of ``dtype``: every
        ``exp(u_k / mu)`` and ``sigmoid(u_k / mu)`` underflows to 0, so the Crammer-Singer
        smoothed max is exactly 0 (``u_y = 0``) and Weston-Watkins' terms vanish."""
        if not self.smoothing:
            return 0.0
        return -self.smoothing * (2.0 - float(np.log(np.finfo(dtype).smallest_subnormal)))

    def _scalar_hinge(self, a: np.ndarray, loss: np.ndarray) -> np.ndarray:
        """``loss += sum over the rows of phi(a)``; then ``a`` becomes ``phi'(a)``.

        ``phi'`` is ``2 max(0, a)`` squared; ``1[a > 0]`` (subgradient 0 at the
        kink) exact; and with smoothing, ``phi(a) = mu log(1 + exp(a / mu))``
        (at most ``mu log 2`` above the hinge) has ``phi'(a) = sigmoid(a / mu)``.
        Rows of ``a`` equal to ``-inf`` add nothing and get ``phi' = 0``.
        """
        row = self._buffer("row", a.shape[1], a.dtype)
        if self.squared:
            np.maximum(a, 0, out=a)
            for a_k in a:
                loss += np.multiply(a_k, a_k, out=row)
            a *= 2
        elif self.smoothing:
            a /= self.smoothing
            for a_k in a:
                loss += np.logaddexp(0, a_k, out=row)
            loss *= self.smoothing
            expit(a, out=a)
        else:
            for a_k in a:
                loss += np.maximum(a_k, 0, out=row)
            np.greater(a, 0, out=a, casting="unsafe")
        return a

    def _margins(self, Z, y, gradient):
        """``u_k = margin + z_k - z_y`` for ``k != y``, ``u_y = true_class_margin``
        (in ``Z`` if ``gradient``, else in the workspace), and the positions of ``y``."""
        n_samples = Z.shape[1]
        u = self._work(Z, gradient)
        positions = self._target_positions(y, n_samples)
        true_score = _take(u, positions, out=self._buffer("t", n_samples, Z.dtype))
        u -= true_score
        u += self.margin
        u.reshape(-1)[positions] = self.true_class_margin
        return u, positions


@dataclass(frozen=True)
class CrammerSingerHinge(_Hinge):
    """``l = phi(a)`` with ``a = max(0, max_{k != y} (margin + z_k - z_y))``.

    With ``u_k = margin + z_k - z_y`` for ``k != y`` and ``u_y = 0``, ``a = max_k u_k``
    and ``da/dz = p - onehot(y)``, where ``p`` shares 1 among the maximizers of
    ``u`` (ties share equally, which keeps ``-gradient`` a descent direction at
    ``W = 0``, where every score ties). With smoothing ``mu``,
    ``a = mu log sum_k exp(u_k / mu)`` and ``p = softmax(u / mu)``: the
    cross-entropy of the margin-augmented scores at temperature ``mu``.
    Even squared, the max over classes is not differentiable at ties.
    """

    smooth_when_squared = False
    true_class_margin = 0.0  # so that a = max_k u_k >= 0

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_samples, dtype = Z.shape[1], Z.dtype
        u, positions = self._margins(Z, y, gradient)
        if self.smoothing:
            u /= self.smoothing
        shift = np.max(u, axis=0, out=self._buffer("shift", n_samples, dtype))
        a = self._buffer("a", n_samples, dtype)
        if self.smoothing:
            u -= shift
            np.exp(u, out=u)
            normalizer = np.sum(u, axis=0, out=self._buffer("sum", n_samples, dtype))
            np.log(normalizer, out=a)
            a += shift
            a *= self.smoothing
        else:
            a[:] = shift
        loss = self._buffer("loss", n_samples, dtype)
        if self.squared:
            np.multiply(a, a, out=loss)
        else:
            np.copyto(loss, a)
        if not gradient:
            return loss, None
        dphi = np.multiply(a, 2, out=a) if self.squared else np.ones_like(a)
        if sample_weight is not None:
            dphi *= sample_weight
        if self.smoothing:
            u *= dphi / normalizer
        else:
            is_max = np.equal(u, shift, out=self._buffer("is_max", u.shape, bool))
            np.multiply(is_max, dphi / is_max.sum(axis=0), out=u)
        _subtract_at(u, positions, dphi, buffer=self._buffer("t", n_samples, dtype))
        return loss, u

    def fenchel_young_gap(self, Z, y):
        """``a_0 - <p, u>``, squared: ``a_0^2 - 2 a <p, u> + (a (1 - p_y))^2``.

        ``a_0 = max_k u_k``, ``a`` the smoothed max, ``p = softmax(u / mu)``: the
        gradient is ``phi'(a) (p - onehot(y))`` and the conjugate of the hinge
        is ``-margin (1 - p_y)`` (squared: ``s^2 - 2 margin s``, ``s = a (1 - p_y)``).
        """
        if not self.smoothing:
            return super().fenchel_young_gap(Z, y)
        u, positions = self._margins(Z, y, gradient=False)
        exact = u.max(axis=0)
        p = softmax(u / self.smoothing, axis=0)
        expected = (p * u).sum(axis=0)
        if not self.squared:
            return exact - expected
        smoothed = self.smoothing * logsumexp(u / self.smoothing, axis=0)
        mass_off_y = 1 - p.reshape(-1)[positions]
        return exact**2 - 2 * smoothed * expected + (smoothed * mass_off_y) ** 2


@dataclass(frozen=True)
class WestonWatkinsHinge(_Hinge):
    """``l = sum_{k != y} phi(margin + z_k - z_y)``.

    Gradient: ``phi'(a_k)`` on each other class ``k``, minus their sum on ``y``.
    """

    true_class_margin = -np.inf  # phi(-inf) = 0: the true class adds nothing

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_samples = Z.shape[1]
        a, positions = self._margins(Z, y, gradient)
        loss = self._buffer("loss", n_samples, Z.dtype)
        loss[:] = 0
        dphi = self._scalar_hinge(a, loss)
        if not gradient:
            return loss, None
        if sample_weight is not None:
            dphi *= sample_weight
        total = np.sum(dphi, axis=0, out=self._buffer("total", n_samples, Z.dtype))
        np.negative(total, out=total)
        dphi.reshape(-1)[positions] = total
        return loss, dphi

    def fenchel_young_gap(self, Z, y):
        """``sum_{k != y} max(0, a_k) - t_k a_k`` with ``t_k = sigmoid(a_k / mu)``.

        ``max(0, a) = max_{t in [0, 1]} t a``: the hinge's conjugate at slope ``t``
        is 0 (the margin is inside ``a``).
        """
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap(Z, y)
        a, _ = self._margins(Z, y, gradient=False)
        gap = np.maximum(a, 0) - expit(a / self.smoothing) * np.nan_to_num(a, neginf=0.0)
        return gap.sum(axis=0)


@dataclass(frozen=True)
class BinaryHinge(_Hinge):
    """One score ``z``; ``l = phi(margin - t z)``, ``dl/dz = -t phi'(margin - t z)``.

    For two classes Crammer-Singer and Weston-Watkins both reduce to this.
    """

    def saturation_threshold(self, dtype) -> None:
        """None: one score, whose margin is not the multiclass ``u_k``."""
        return None

    def _signed_margins(self, Z, y):
        """``a = margin - t z`` (workspace) and the signs ``t = +-1`` of ``y``."""
        n_samples, dtype = Z.shape[1], Z.dtype
        sign = _signs(y, dtype, self._buffer("sign", n_samples, dtype))
        a = np.multiply(Z, -sign, out=self._buffer("a", (1, n_samples), dtype))
        a += self.margin
        return a, sign

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        a, sign = self._signed_margins(Z, y)
        loss = self._buffer("loss", Z.shape[1], Z.dtype)
        loss[:] = 0
        dphi = self._scalar_hinge(a, loss)
        if not gradient:
            return loss, None
        np.multiply(dphi, -sign, out=Z)
        if sample_weight is not None:
            Z *= sample_weight
        return loss, Z

    def fenchel_young_gap(self, Z, y):
        """``max(0, a) - sigmoid(a / mu) a`` with ``a = margin - t z``."""
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap(Z, y)
        a, _ = self._signed_margins(Z, y)
        return (np.maximum(a, 0) - expit(a / self.smoothing) * a)[0]


MULTICLASS_HINGES = ("crammer_singer", "weston_watkins")


@dataclass(frozen=True)
class LossKind:
    """What the library knows of one loss name: its classes and its defaults."""

    #: The loss of one score, for two classes.
    binary: type[Loss]
    #: The loss of K >= 3 scores, by ``multiclass_hinge`` variant.
    multiclass: Mapping[str, type[Loss]]
    #: The ``tol`` of a fit when ``tol=None``.
    default_tol: float
    #: Whether the scores are log-probabilities up to a constant (``predict_proba``).
    has_proba: bool
    #: Parameters set by the name itself.
    fixed: Mapping[str, object] = field(default_factory=dict)


def _hinges(squared: bool) -> LossKind:
    variants = {"crammer_singer": CrammerSingerHinge, "weston_watkins": WestonWatkinsHinge}
    # The hinges pay more iterations for each digit of tol than cross-entropy.
    return LossKind(BinaryHinge, variants, 1e-4, False, {"squared": squared})


#: The registry: every loss name the library fits and measures.
LOSSES: Mapping[str, LossKind] = {
    # 1e-5: an objective at least as low as LogisticRegression's at its default
    # 1e-4 (benchmarks/results.md).
    "cross_entropy": LossKind(
        BinaryCrossEntropy,
        dict.fromkeys(MULTICLASS_HINGES, MultinomialCrossEntropy),
        1e-5,
        True,
    ),
    "hinge": _hinges(squared=False),
    "squared_hinge": _hinges(squared=True),
}


def loss_kind(loss: str) -> LossKind:
    """The registry entry of ``loss``; an unknown name raises ValueError."""
    try:
        return LOSSES[loss]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown loss {loss!r}; expected one of {sorted(LOSSES)}.") from None


def make_loss(
    loss: str,
    n_classes: int,
    *,
    multiclass_hinge: str = "crammer_singer",
    **params,
) -> Loss:
    """The :class:`Loss` named ``loss`` for ``n_classes`` classes.

    Two classes get the one-score binary form. ``params`` (``label_smoothing``,
    ``margin``, ``smoothing``) go to the losses that have them; the others ignore
    them. Unknown names raise ValueError.
    """
    kind = loss_kind(loss)
    if multiclass_hinge not in MULTICLASS_HINGES:
        raise ValueError(
            f"Unknown multiclass_hinge {multiclass_hinge!r}; expected one of {MULTICLASS_HINGES}."
        )
    cls = kind.binary if n_classes == 2 else kind.multiclass[multiclass_hinge]
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    return cls(**{k: v for k, v in {**params, **kind.fixed}.items() if k in names})
