"""Hinge losses of class scores: Crammer-Singer and Weston-Watkins for three classes
or more, the binary hinge of one score, each plain, squared or smoothed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp, softmax

from ._loss import Loss, signs, subtract_at, take_at, xp_sigmoid, xp_target_scores


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

    def _scalar_hinge_xp(self, a, keep, xp):
        """:meth:`_scalar_hinge` in ``xp``, out of place: ``(sum over the rows of
        phi(a) where keep, phi'(a) where keep and 0 elsewhere)``."""
        zeros = xp.zeros_like(a)
        if self.squared:
            positive = xp.maximum(a, zeros)
            phi, dphi = positive * positive, 2 * positive
        elif self.smoothing:
            scaled = a / self.smoothing
            phi = self.smoothing * xp.logaddexp(zeros, scaled)
            dphi = xp_sigmoid(scaled, xp)
        else:
            phi, dphi = xp.maximum(a, zeros), xp.astype(a > 0, a.dtype)
        return xp.sum(xp.where(keep, phi, zeros), axis=0), xp.where(keep, dphi, zeros)

    def _margins_xp(self, Z, T, xp):
        """``u_k = margin + z_k - z_y`` (all ``k``; the caller masks ``k = y``)."""
        return Z - xp_target_scores(Z, T, xp) + self.margin

    def _margins(self, Z, y, gradient):
        """``u_k = margin + z_k - z_y`` for ``k != y``, ``u_y = true_class_margin``
        (in ``Z`` if ``gradient``, else in the workspace), and the positions of ``y``."""
        n_samples = Z.shape[1]
        u = self._work(Z, gradient)
        positions = self._target_positions(y, n_samples)
        true_score = take_at(u, positions, out=self._buffer("t", n_samples, Z.dtype))
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
        subtract_at(u, positions, dphi, buffer=self._buffer("t", n_samples, dtype))
        return loss, u

    def loss_gradient_xp(self, Z, T, sample_weight, xp, *, gradient=True):
        u = xp.where(T, xp.zeros_like(Z), self._margins_xp(Z, T, xp))
        if self.smoothing:
            scaled = u / self.smoothing
            shift = xp.max(scaled, axis=0)
            exponentials = xp.exp(scaled - shift)
            normalizer = xp.sum(exponentials, axis=0)
            a = self.smoothing * (xp.log(normalizer) + shift)
            share = exponentials / normalizer
        else:
            a = xp.max(u, axis=0)
            is_max = xp.astype(u == a, Z.dtype)
            share = is_max / xp.sum(is_max, axis=0)
        loss = a * a if self.squared else a
        if not gradient:
            return loss, None
        dphi = (2 * a if self.squared else 1.0) * sample_weight
        return loss, dphi * (share - xp.astype(T, Z.dtype))

    def fenchel_young_gap_xp(self, Z, T, xp):
        if not self.smoothing:
            return super().fenchel_young_gap_xp(Z, T, xp)
        u = xp.where(T, xp.zeros_like(Z), self._margins_xp(Z, T, xp))
        exact = xp.max(u, axis=0)
        scaled = u / self.smoothing
        shift = xp.max(scaled, axis=0)
        exponentials = xp.exp(scaled - shift)
        normalizer = xp.sum(exponentials, axis=0)
        p = exponentials / normalizer
        expected = xp.sum(p * u, axis=0)
        if not self.squared:
            return exact - expected
        smoothed = self.smoothing * (xp.log(normalizer) + shift)
        mass_off_y = 1 - xp.sum(xp.where(T, p, xp.zeros_like(p)), axis=0)
        return exact**2 - 2 * smoothed * expected + (smoothed * mass_off_y) ** 2

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

    def loss_gradient_xp(self, Z, T, sample_weight, xp, *, gradient=True):
        loss, dphi = self._scalar_hinge_xp(self._margins_xp(Z, T, xp), ~T, xp)
        if not gradient:
            return loss, None
        dphi = dphi * sample_weight
        return loss, xp.where(T, -xp.sum(dphi, axis=0), dphi)

    def fenchel_young_gap_xp(self, Z, T, xp):
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap_xp(Z, T, xp)
        a = self._margins_xp(Z, T, xp)
        gap = xp.maximum(a, xp.zeros_like(a)) - xp_sigmoid(a / self.smoothing, xp) * a
        return xp.sum(xp.where(T, xp.zeros_like(gap), gap), axis=0)

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
        sign = signs(y, dtype, self._buffer("sign", n_samples, dtype))
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

    def loss_gradient_xp(self, Z, T, sample_weight, xp, *, gradient=True):
        sign = xp.astype(T, Z.dtype) * 2 - 1
        loss, dphi = self._scalar_hinge_xp(self.margin - sign * Z, xp.ones_like(T), xp)
        if not gradient:
            return loss, None
        return loss, -sign * dphi * sample_weight

    def fenchel_young_gap_xp(self, Z, T, xp):
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap_xp(Z, T, xp)
        a = self.margin - (xp.astype(T, Z.dtype) * 2 - 1) * Z
        return (xp.maximum(a, xp.zeros_like(a)) - xp_sigmoid(a / self.smoothing, xp) * a)[0, ...]

    def fenchel_young_gap(self, Z, y):
        """``max(0, a) - sigmoid(a / mu) a`` with ``a = margin - t z``."""
        if not self.smoothing or self.squared:
            return super().fenchel_young_gap(Z, y)
        a, _ = self._signed_margins(Z, y)
        return (np.maximum(a, 0) - expit(a / self.smoothing) * a)[0]
