"""Data of an array-API namespace (PyTorch, CuPy, ...) as a data source of the core.

Under ``array_api_dispatch=True``, ``X`` of a namespace other than NumPy stays on its
device: it is validated by scikit-learn's ``validate_data`` there, summarized there
(the class moments, by blocks of rows, merged on the host) and evaluated there
(:class:`~._array_api_objective.ArrayAPIObjective`). The labels and sample weights,
of length n, are encoded and checked on the host and moved to X's device once; ``y``
and ``sample_weight`` may come from another namespace or device than ``X``.
"""

from __future__ import annotations

from functools import reduce

import numpy as np
from sklearn.utils._array_api import get_namespace_and_device

from ._array_api import Namespace, to_numpy
from ._array_api_objective import ArrayAPIObjective
from ._loss import Loss
from ._summary import ClassMoments, DataSummary, merge_moments

#: Elements of X summarized per block (in the device's widest float): a few blocks
#: of temporaries, small next to X.
SUMMARY_BLOCK_ELEMENTS = 1 << 22


class ArrayAPIData:
    """Validated ``X`` (n, d) on its device; class indices ``y`` into the sorted
    ``classes`` and sample weights ``s`` (float64, >= 0) on the host.

    ``classes`` are NumPy (what the core reads); ``fitted_classes`` the same labels
    in ``y``'s namespace (the estimator's ``classes_``)."""

    def __init__(
        self,
        X,
        y: np.ndarray,
        sample_weight: np.ndarray,
        classes: np.ndarray,
        fitted_classes,
        space: Namespace,
    ):
        self.X = X
        self.space = space
        self.classes = classes
        self.fitted_classes = fitted_classes
        self.y = y
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.n_stored = self.n_samples * self.n_features
        self.dtype = np.dtype(np.float32 if X.dtype == space.xp.float32 else np.float64)
        self._summary: DataSummary | None = None
        self._device_labels = None

    def fitted_arrays(self, W: np.ndarray, b: np.ndarray):
        """``(coef_, intercept_)`` of a fit ``(W, b)``: in X's dtype, namespace and device."""
        return self.space.asarray(W, self.X.dtype), self.space.asarray(b, self.X.dtype)

    def rows(self, indices: np.ndarray) -> ArrayAPIData:
        """The rows ``indices`` (a cross-validation fold), with the same classes."""
        X = self.space.xp.take(self.X, self.space.asarray(indices.astype(np.int64)), axis=0)
        return ArrayAPIData(
            X,
            self.y[indices],
            self.sample_weight[indices],
            self.classes,
            self.fitted_classes,
            self.space,
        )

    def fitted_labels(self):
        """The labels of the rows, ``classes[y]``, in ``fitted_classes``' namespace."""
        if isinstance(self.fitted_classes, np.ndarray):
            return self.classes[self.y]
        xp, _, device = get_namespace_and_device(self.fitted_classes)
        indices = Namespace(xp, device).asarray(self.y.astype(np.int64))
        return xp.take(self.fitted_classes, indices, axis=0)

    def to_namespace(self, array: np.ndarray):
        """A NumPy array of the fit's (``coefs_paths_``, ``scores_``...) on X's device,
        its dtype kept (floats narrowed where the device has no float64)."""
        if array.dtype.kind == "f":
            return self.space.asarray(array, self.space.sum_dtype)
        return self.space.asarray(array)

    @property
    def device_labels(self):
        """The class indices on X's device (moved once)."""
        if self._device_labels is None:
            self._device_labels = self.space.asarray(self.y.astype(np.int64))
        return self._device_labels

    def summarize(self) -> DataSummary:
        """The class moments, computed on the device by blocks of rows (once)."""
        if self._summary is None:
            weights = self.space.asarray(self.sample_weight, self.space.sum_dtype)
            step = max(1, SUMMARY_BLOCK_ELEMENTS // max(1, self.n_features))
            moments = (
                self._block_moments(slice(start, min(start + step, self.n_samples)), weights)
                for start in range(0, self.n_samples, step)
            )
            self._summary = DataSummary(
                self.classes, reduce(merge_moments, moments), self.n_features, self.dtype
            )
        return self._summary

    def _block_moments(self, rows: slice, weights) -> ClassMoments:
        """:class:`ClassMoments` of the rows ``rows``: two passes on the device,
        ``T_k``, ``m_k`` and ``S_k = sum_{y_i = k} s_i (x_i - m_k)^2``."""
        xp, wide = self.space.xp, self.space.sum_dtype
        X = xp.astype(self.X[rows, ...], wide)
        labels = self.device_labels[rows]
        n_classes = self.classes.size
        classes = xp.arange(n_classes, device=self.space.device)
        member = xp.astype(xp.reshape(labels, (1, -1)) == xp.reshape(classes, (-1, 1)), wide)
        member = member * weights[rows]
        totals = xp.sum(member, axis=1)
        safe = xp.where(totals > 0, totals, xp.ones_like(totals))
        means = (member @ X) / xp.reshape(safe, (-1, 1))
        deviations = X - xp.take(means, labels, axis=0)
        squares = member @ (deviations * deviations)
        return ClassMoments(*(to_numpy(a, np.float64) for a in (totals, means, squares)))

    def objective(self, loss: Loss, class_factor: np.ndarray, **options) -> ArrayAPIObjective:
        """``F`` with weights ``s_i class_factor[y_i]``; ``options``: ``alpha``,
        ``fit_intercept`` and ``n_scores`` (``n_lanes`` and ``settings`` tune the
        NumPy path's blocks and threads, not a device's evaluation)."""
        n_scores = options["n_scores"]
        xp = self.space.xp
        labels = xp.reshape(self.device_labels, (1, -1))
        if n_scores == 1:
            targets = labels == 1
        else:
            targets = labels == xp.reshape(xp.arange(n_scores, device=self.space.device), (-1, 1))
        weights = self.space.asarray(self.sample_weight * class_factor[self.y], self.X.dtype)
        return ArrayAPIObjective(
            loss,
            self.X,
            targets,
            weights,
            alpha=options["alpha"],
            fit_intercept=options["fit_intercept"],
            n_scores=n_scores,
            space=self.space,
        )
