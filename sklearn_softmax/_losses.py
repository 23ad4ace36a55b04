"""Per-sample losses of class scores, with their gradients w.r.t. the scores.

Layout: scores are class-major, ``Z`` of shape ``(n_scores, n_samples)``, so that
the reductions over classes run along axis 0 of a C-ordered array.
``n_scores`` is K for K >= 3 classes and 1 for two classes (one score
``z = w.x + b`` for the greater class). ``y`` holds class indices in ``0..K-1``.

Every loss has one method, :meth:`Loss.loss_gradient`, which returns the
per-sample losses ``l_i`` and, on request, the weighted gradient
``G[:, i] = s_i * dl_i / dZ[:, i]`` written over ``Z`` (so a fit needs no second
n x K buffer). The estimator's objective and the public metrics both call it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import expit, log_softmax, logsumexp, softmax


def _hinge(a: np.ndarray, squared: bool, smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """``phi(a)`` and ``phi'(a)`` for the scalar hinge, elementwise.

    ``phi(a) = max(0, a)**2`` when ``squared`` (differentiable, never smoothed);
    else ``max(0, a)`` (subgradient 0 at ``a = 0``), or with ``smoothing`` ``mu > 0``
    its smooth upper bound ``mu log(1 + exp(a / mu))`` (at most ``mu log 2`` above).
    """
    if squared:
        positive = np.maximum(a, 0)
        return positive * positive, 2 * positive
    if smoothing:
        scaled = a / smoothing
        return smoothing * np.logaddexp(0, scaled), expit(scaled)
    return np.maximum(a, 0), (a > 0).astype(a.dtype)


def _hinge_fenchel_young_gap(a: np.ndarray, smoothing: float) -> np.ndarray:
    """``max(0, a) - t a`` for the smoothed hinge's slope ``t = sigmoid(a / mu)``.

    ``max(0, a) = max_{t in [0, 1]} t a``; the conjugate of the hinge at slope ``t``
    is 0 (the margin is inside ``a``), so this is the Fenchel-Young gap.
    """
    return np.maximum(a, 0) - expit(a / smoothing) * a


class Loss(ABC):
    """A per-sample loss of the scores of one linear model."""

    #: True when the loss is differentiable, so a vanishing gradient certifies
    #: the optimum; False for the plain hinge, which has only subgradients.
    smooth: bool = True

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
            Scores, class-major. Overwritten when ``gradient`` is true.
        y : ndarray of shape (n_samples,), integer class indices.
        sample_weight : ndarray of shape (n_samples,) or None
            ``s_i``, used for the gradient only.

        Returns
        -------
        loss : ndarray of shape (n_samples,), the unweighted ``l_i``.
        grad : ndarray of shape (n_scores, n_samples) or None
            ``s_i * dl_i / dZ[:, i]``, stored in ``Z``'s memory.
        """

    def fenchel_young_gap(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per sample ``l_0(z) + l_0^*(g) - <g, z>`` with ``g = dl/dz``, shape (n_samples,).

        ``l_0`` is the exact loss, ``g`` the gradient of this (maybe smoothed)
        loss. The gap is 0 when ``g`` is a (sub)gradient of ``l_0`` at ``z``; at a
        stationary point of a smoothed objective, its weighted sum bounds the
        duality gap, hence the suboptimality, of the exact problem.
        """
        return np.zeros(Z.shape[1])


def _true_class_scores(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``Z[y_i, i]`` for every sample, as a new array of shape (n_samples,)."""
    return Z[y, np.arange(Z.shape[1])]


class MultinomialCrossEntropy(Loss):
    """``l = -sum_k q_k log softmax(z)_k`` with ``q = (1 - eps) onehot(y) + eps / K``.

    Computed with the max shift ``m = max_k z_k``:
    ``l = log sum_k exp(z_k - m) + m - sum_k q_k z_k``; gradient ``softmax(z) - q``.
    """

    def __init__(self, label_smoothing: float = 0.0):
        self.label_smoothing = label_smoothing

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        n_classes, n_samples = Z.shape
        eps = self.label_smoothing
        target_score = _true_class_scores(Z, y)
        if eps:
            target_score *= 1 - eps
            target_score += (eps / n_classes) * Z.sum(axis=0)
        shift = Z.max(axis=0)
        exp_z = Z if gradient else Z - shift
        if gradient:
            exp_z -= shift
        np.exp(exp_z, out=exp_z)
        normalizer = exp_z.sum(axis=0)
        loss = np.log(normalizer)
        loss += shift
        loss -= target_score
        if not gradient:
            return loss, None
        # exp_z is Z's memory: turn it into s_i * (softmax(z_i) - q_i) in place.
        weight = np.ones_like(normalizer) if sample_weight is None else sample_weight
        exp_z *= weight / normalizer
        exp_z[y, np.arange(n_samples)] -= (1 - eps) * weight
        if eps:
            exp_z -= (eps / n_classes) * weight
        return loss, exp_z

    @staticmethod
    def predict_proba(Z: np.ndarray) -> np.ndarray:
        """``softmax(Z)`` over axis 0."""
        return softmax(Z, axis=0)

    @staticmethod
    def predict_log_proba(Z: np.ndarray) -> np.ndarray:
        """``log softmax(Z)`` over axis 0."""
        return log_softmax(Z, axis=0)


class BinaryCrossEntropy(Loss):
    """One score ``z`` for the greater class; ``t = +1`` for it, ``-1`` otherwise.

    With smoothed targets ``q = 1 - eps / 2`` for the true class,
    ``l = -(q log p_true + (1 - q) log p_other) = softplus(-t z) + (eps / 2) t z``
    and ``dl/dz = t (eps / 2 - sigmoid(-t z))``.
    """

    def __init__(self, label_smoothing: float = 0.0):
        self.label_smoothing = label_smoothing

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        half_eps = self.label_smoothing / 2
        sign = (2 * y - 1).astype(Z.dtype)
        signed_z = Z[0] * sign  # t z
        loss = np.logaddexp(0, -signed_z)
        if half_eps:
            loss += half_eps * signed_z
        if not gradient:
            return loss, None
        dz = expit(-signed_z)
        dz -= half_eps
        dz *= -sign
        if sample_weight is not None:
            dz *= sample_weight
        Z[0] = dz
        return loss, Z

    @staticmethod
    def predict_proba(Z: np.ndarray) -> np.ndarray:
        """``[1 - sigmoid(z), sigmoid(z)]`` of shape (2, n_samples)."""
        return np.vstack([expit(-Z[0]), expit(Z[0])])

    @staticmethod
    def predict_log_proba(Z: np.ndarray) -> np.ndarray:
        """``[-softplus(z), -softplus(-z)]`` of shape (2, n_samples)."""
        return -np.vstack([np.logaddexp(0, Z[0]), np.logaddexp(0, -Z[0])])


class _Hinge(Loss):
    """Shared parameters of the hinge losses.

    ``smoothing`` ``mu >= 0`` replaces each non-differentiable max by a smooth
    upper bound that is at most ``mu log(number of terms)`` above it (0: exact).
    """

    #: Whether the squared loss is differentiable without smoothing.
    smooth_when_squared = True

    def __init__(self, margin: float = 1.0, squared: bool = False, smoothing: float = 0.0):
        self.margin = margin
        self.squared = squared
        self.smoothing = smoothing
        self.smooth = bool(smoothing) or (self.smooth_when_squared and squared)


class CrammerSingerHinge(_Hinge):
    """``l = phi(a)`` with ``a = max(0, max_{k != y} (margin + z_k - z_y))``.

    ``phi(a) = a``, or ``a**2`` when squared.

    With ``u_k = margin + z_k - z_y`` for ``k != y`` and ``u_y = 0``, ``a = max_k u_k``
    and ``da/dz = p - onehot(y)``, where ``p`` shares 1 among the maximizers of
    ``u`` (ties share equally, which keeps ``-gradient`` a descent direction at
    ``W = 0``, where every score ties). With smoothing ``mu``,
    ``a = mu log sum_k exp(u_k / mu)`` and ``p = softmax(u / mu)``: the
    cross-entropy of the margin-augmented scores at temperature ``mu``.
    Even squared, the max over classes is not differentiable at ties.
    """

    smooth_when_squared = False

    def _margins(self, Z, y, overwrite):
        """``u_k = margin + z_k - z_y`` and ``u_y = 0``, in ``Z`` if ``overwrite``."""
        u = Z if overwrite else Z.copy()
        u -= _true_class_scores(Z, y)
        u += self.margin
        u[y, np.arange(Z.shape[1])] = 0
        return u

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        cols = np.arange(Z.shape[1])
        u = self._margins(Z, y, overwrite=gradient)
        if self.smoothing:
            u /= self.smoothing
        shift = u.max(axis=0)
        if self.smoothing:
            u -= shift
            np.exp(u, out=u)
            normalizer = u.sum(axis=0)
            a = self.smoothing * (np.log(normalizer) + shift)
        else:
            a = shift
        loss = a * a if self.squared else a
        if not gradient:
            return loss, None
        dphi = 2 * a if self.squared else np.ones_like(a)
        if sample_weight is not None:
            dphi *= sample_weight
        if self.smoothing:
            u *= dphi / normalizer
        else:
            is_max = u == shift
            np.multiply(is_max, dphi / is_max.sum(axis=0), out=u)
        u[y, cols] -= dphi
        return loss, u

    def fenchel_young_gap(self, Z, y):
        """``a_0 - <p, u>``, squared: ``a_0^2 - 2 a <p, u> + (a (1 - p_y))^2``.

        ``a_0 = max_k u_k``, ``a`` the smoothed max, ``p = softmax(u / mu)``: the
        gradient is ``phi'(a) (p - onehot(y))`` and the conjugate of the hinge
        is ``-margin (1 - p_y)`` (squared: ``s^2 - 2 margin s``, ``s = a (1 - p_y)``).
        """
        if not self.smoothing:
            return super().fenchel_young_gap(Z, y)
        u = self._margins(Z, y, overwrite=False)
        exact = u.max(axis=0)
        p = softmax(u / self.smoothing, axis=0)
        expected = (p * u).sum(axis=0)
        if not self.squared:
            return exact - expected
        smoothed = self.smoothing * logsumexp(u / self.smoothing, axis=0)
        mass_off_y = 1 - _true_class_scores(p, y)
        return exact**2 - 2 * smoothed * expected + (smoothed * mass_off_y) ** 2


class WestonWatkinsHinge(_Hinge):
    """``l = sum_{k != y} phi(margin + z_k - z_y)``.

    Gradient: ``phi'(a_k)`` on each other class ``k``, minus their sum on ``y``.
    """

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        cols = np.arange(Z.shape[1])
        margins = Z if gradient else Z.copy()
        margins -= _true_class_scores(Z, y)
        margins += self.margin
        margins[y, cols] = -np.inf  # phi(-inf) = phi'(-inf) = 0: y adds nothing
        phi, dphi = _hinge(margins, self.squared, self.smoothing)
        loss = phi.sum(axis=0)
        if not gradient:
            return loss, None
        if sample_weight is not None:
            dphi *= sample_weight
        dphi[y, cols] = -dphi.sum(axis=0)
        Z[...] = dphi
        return loss, Z

    def fenchel_young_gap(self, Z, y):
        """``sum_{k != y} max(0, a_k) - t_k a_k`` with ``t_k = sigmoid(a_k / mu)``."""
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap(Z, y)
        margins = self.margin + Z - _true_class_scores(Z, y)
        margins[y, np.arange(Z.shape[1])] = 0  # contributes max(0, 0) - t * 0 = 0
        return _hinge_fenchel_young_gap(margins, self.smoothing).sum(axis=0)


class BinaryHinge(_Hinge):
    """One score ``z``; ``l = phi(margin - t z)``, ``dl/dz = -t phi'(margin - t z)``.

    For two classes Crammer-Singer and Weston-Watkins both reduce to this.
    """

    def loss_gradient(self, Z, y, sample_weight=None, *, gradient=True):
        sign = (2 * y - 1).astype(Z.dtype)
        loss, dphi = _hinge(self.margin - sign * Z[0], self.squared, self.smoothing)
        if not gradient:
            return loss, None
        dphi *= -sign
        if sample_weight is not None:
            dphi *= sample_weight
        Z[0] = dphi
        return loss, Z

    def fenchel_young_gap(self, Z, y):
        """``max(0, a) - sigmoid(a / mu) a`` with ``a = margin - t z``."""
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap(Z, y)
        sign = 2 * y - 1
        return _hinge_fenchel_young_gap(self.margin - sign * Z[0], self.smoothing)


LOSSES = ("cross_entropy", "hinge", "squared_hinge")
MULTICLASS_HINGES = ("crammer_singer", "weston_watkins")


def make_loss(
    loss: str,
    n_classes: int,
    *,
    multiclass_hinge: str = "crammer_singer",
    label_smoothing: float = 0.0,
    margin: float = 1.0,
    smoothing: float = 0.0,
) -> Loss:
    """The :class:`Loss` for a loss name and a number of classes.

    Two classes get the one-score binary form of the loss. ``smoothing`` applies
    to the hinge losses only.
    """
    binary = n_classes == 2
    if loss == "cross_entropy":
        if binary:
            return BinaryCrossEntropy(label_smoothing)
        return MultinomialCrossEntropy(label_smoothing)
    squared = loss == "squared_hinge"
    if binary:
        return BinaryHinge(margin, squared, smoothing)
    if multiclass_hinge == "crammer_singer":
        return CrammerSingerHinge(margin, squared, smoothing)
    return WestonWatkinsHinge(margin, squared, smoothing)
