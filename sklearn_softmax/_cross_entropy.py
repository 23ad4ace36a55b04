"""Cross-entropy of class scores: the multinomial (softmax) loss and, for two classes,
the binary cross-entropy of one score, both with label smoothing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax, softmax

from ._loss import Loss, signs, subtract_at, take_at, xp_sigmoid, xp_target_scores


@dataclass(frozen=True)
class MultinomialCrossEntropy(Loss):
    """``l = -sum_k q_k log softmax(z)_k`` with ``q = (1 - eps) onehot(y) + eps / K``.

    Computed with the max shift ``m = max_k z_k``:
    ``l = log sum_k exp(z_k - m) + m - sum_k q_k z_k``; gradient ``softmax(z) - q``.
    """

    label_smoothing: float = 0.0
    has_hessian = True

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_classes, n_samples = Z.shape
        eps = self.label_smoothing
        work = self._work(Z, gradient)
        positions = self._target_positions(y, n_samples)
        target_score = take_at(work, positions, out=self._buffer("t", n_samples, Z.dtype))
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
        subtract_at(work, positions, at_target, buffer=target_score)
        return loss, work

    def loss_gradient_xp(self, Z, T, sample_weight, xp, *, gradient=True):
        n_classes = Z.shape[0]
        eps = self.label_smoothing
        target_score = xp_target_scores(Z, T, xp)
        if eps:
            target_score = (1 - eps) * target_score + (eps / n_classes) * xp.sum(Z, axis=0)
        shift = xp.max(Z, axis=0)
        exponentials = xp.exp(Z - shift)
        normalizer = xp.sum(exponentials, axis=0)
        loss = xp.log(normalizer) + shift - target_score
        if not gradient:
            return loss, None
        q = xp.astype(T, Z.dtype) * (1 - eps) + eps / n_classes
        return loss, (exponentials / normalizer - q) * sample_weight

    def curvature(self, Z, y, sample_weight):
        """``s (diag(p) - p p^T)`` with ``p = softmax(z)``: ``D = s p``, ``U = sqrt(s) p``
        (label smoothing changes the targets, not the curvature)."""
        p = softmax(Z, axis=0)
        return p * sample_weight, p * np.sqrt(sample_weight)

    def curvature_xp(self, Z, sample_weight, xp):
        """:meth:`curvature` in the namespace ``xp``."""
        p = self.predict_proba(Z, xp)
        return p * sample_weight, p * xp.sqrt(sample_weight)

    @staticmethod
    def predict_proba(Z: np.ndarray, xp=None) -> np.ndarray:
        """``softmax(Z)`` over axis 0 (in the namespace ``xp``, if given)."""
        if xp is None:
            return softmax(Z, axis=0)
        exponentials = xp.exp(Z - xp.max(Z, axis=0))
        return exponentials / xp.sum(exponentials, axis=0)

    @staticmethod
    def predict_log_proba(Z: np.ndarray, xp=None) -> np.ndarray:
        """``log softmax(Z)`` over axis 0 (in the namespace ``xp``, if given)."""
        if xp is None:
            return log_softmax(Z, axis=0)
        shifted = Z - xp.max(Z, axis=0)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=0))


@dataclass(frozen=True)
class BinaryCrossEntropy(Loss):
    """One score ``z`` for the greater class; ``t = +1`` for it, ``-1`` otherwise.

    With smoothed targets ``q = 1 - eps / 2`` for the true class,
    ``l = -(q log p_true + (1 - q) log p_other) = softplus(-t z) + (eps / 2) t z``
    and ``dl/dz = t (eps / 2 - sigmoid(-t z))``.
    """

    label_smoothing: float = 0.0
    has_hessian = True

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_samples, dtype = Z.shape[1], Z.dtype
        half_eps = self.label_smoothing / 2
        sign = signs(y, dtype, self._buffer("sign", n_samples, dtype))
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

    def loss_gradient_xp(self, Z, T, sample_weight, xp, *, gradient=True):
        half_eps = self.label_smoothing / 2
        sign = xp.astype(T[0, ...], Z.dtype) * 2 - 1
        minus_tz = -sign * Z[0, ...]
        loss = xp.logaddexp(xp.zeros_like(minus_tz), minus_tz)
        if half_eps:
            loss = loss - half_eps * minus_tz
        if not gradient:
            return loss, None
        dz = -sign * (xp_sigmoid(minus_tz, xp) - half_eps) * sample_weight
        return loss, xp.reshape(dz, (1, -1))

    def curvature(self, Z, y, sample_weight):
        """``s sigmoid(z) sigmoid(-z)``, diagonal."""
        return (expit(Z[0]) * expit(-Z[0]) * sample_weight)[None, :], None

    def curvature_xp(self, Z, sample_weight, xp):
        """:meth:`curvature` in the namespace ``xp``."""
        z = Z[0, ...]
        return xp.reshape(xp_sigmoid(z, xp) * xp_sigmoid(-z, xp) * sample_weight, (1, -1)), None

    @staticmethod
    def predict_proba(Z: np.ndarray, xp=None) -> np.ndarray:
        """``[1 - sigmoid(z), sigmoid(z)]`` of shape (2, n_samples) (in ``xp``, if given)."""
        if xp is None:
            return np.vstack([expit(-Z[0]), expit(Z[0])])
        return xp.stack([xp_sigmoid(-Z[0, ...], xp), xp_sigmoid(Z[0, ...], xp)])

    @staticmethod
    def predict_log_proba(Z: np.ndarray, xp=None) -> np.ndarray:
        """``[-softplus(z), -softplus(-z)]`` of shape (2, n_samples) (in ``xp``, if given)."""
        if xp is None:
            return -np.vstack([np.logaddexp(0, Z[0]), np.logaddexp(0, -Z[0])])
        zeros = xp.zeros_like(Z[0, ...])
        return -xp.stack([xp.logaddexp(zeros, Z[0, ...]), xp.logaddexp(zeros, -Z[0, ...])])
