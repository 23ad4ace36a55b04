"""The one front end of a fit: inputs validated, labels encoded, feature names kept.

:func:`fit_data` turns what a user passes to ``fit`` (or to :func:`softmax_path`)
into a data source for the core: :class:`InMemoryData` for arrays and sparse
matrices, ``DaskData`` (:mod:`._dask`) for Dask collections, and under array-API
dispatch :class:`~._array_api_data.ArrayAPIData` for arrays of another namespace
than NumPy (PyTorch, CuPy...), which stay on their device. All are validated by
scikit-learn's own functions, so a bad input gets the same message from each:
in memory by ``validate_data``, on Dask by the same checks run on each chunk
where it lives (the chunked part is :mod:`._dask`'s). Labels are encoded here for
all, as indices into the sorted classes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import scipy.sparse as sp
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_array, check_X_y, validate_data

from ._array_api import Namespace, device_namespace, on_host, to_numpy
from ._array_api_data import ArrayAPIData
from ._loss import Loss
from ._objective import LinearObjective
from ._summary import DataSummary, class_moments

#: What ``fit`` accepts in memory: dense arrays are kept in float64 or float32.
ACCEPTED = {"accept_sparse": ["csr", "csc"], "dtype": [np.float64, np.float32]}


class Objective(Protocol):
    """``F(W, b)`` for one loss, in memory or on Dask (see ``LinearObjective``)."""

    loss: Loss
    n_samples: int
    n_lanes: int
    #: Rows whose scores the last ``value_gradient`` computed.
    rows_scored: int

    def with_loss(self, loss: Loss) -> Objective: ...

    def value_gradient(
        self, W: np.ndarray, b: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]: ...

    def value(self, W: np.ndarray, b: np.ndarray) -> float: ...

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float: ...


class DataSource(Protocol):
    """Validated rows to fit: their classes, one summary pass, then objectives on them."""

    classes: np.ndarray
    n_samples: int
    n_features: int
    #: Stored entries of X (n x d when dense): the cost of an evaluation.
    n_stored: int
    dtype: np.dtype

    def summarize(self) -> DataSummary: ...

    def objective(self, loss: Loss, class_factor: np.ndarray, **options) -> Objective:
        """``F`` with weights ``s_i class_factor[y_i]``; ``options``: ``alpha``,
        ``fit_intercept``, ``n_scores``, ``n_lanes`` (threads) and ``settings``."""


class InMemoryData:
    """Validated ``X`` (n, d), class indices ``y`` into ``classes`` and sample weights
    ``s`` (float64, >= 0)."""

    def __init__(self, X, y: np.ndarray, sample_weight: np.ndarray, classes: np.ndarray):
        self.X = X
        self.classes = classes
        #: Class indices in the smallest unsigned type that holds them: a fit keeps
        #: them for its whole run.
        self.y = y.astype(np.min_scalar_type(max(classes.size - 1, 0)), copy=False)
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.n_stored = X.nnz if sp.issparse(X) else X.shape[0] * X.shape[1]
        self.dtype = X.dtype
        self._summary: DataSummary | None = None

    def rows(self, indices: np.ndarray) -> InMemoryData:
        """The rows ``indices`` (a cross-validation fold), with the same classes."""
        return InMemoryData(
            _safe_indexing(self.X, indices),
            self.y[indices],
            self.sample_weight[indices],
            self.classes,
        )

    def summarize(self) -> DataSummary:
        """All rows as one chunk (computed once: fits along a path share it)."""
        if self._summary is None:
            moments = class_moments(self.X, self.y, self.sample_weight, self.classes.size)
            self._summary = DataSummary(self.classes, moments, self.n_features, self.dtype)
        return self._summary

    def objective(self, loss: Loss, class_factor: np.ndarray, **options) -> LinearObjective:
        """``F`` with weights ``s_i class_factor[y_i]``; ``options``: those of
        :class:`~._objective.LinearObjective` (``alpha``, ``fit_intercept``,
        ``n_scores``, ``n_lanes``, ``settings``)."""
        weights = self.sample_weight * class_factor[self.y]
        return LinearObjective(loss, self.X, self.y, weights, **options)


def fitted_attributes(data, W: np.ndarray, b: np.ndarray) -> tuple:
    """``(classes_, coef_, intercept_)`` of a fit ``(W, b)`` (float64, NumPy) on the
    data source ``data``: in X's dtype, and for array-API data in X's namespace and
    on its device (``classes_`` in ``y``'s namespace)."""
    if isinstance(data, ArrayAPIData):
        return (data.fitted_classes, *data.fitted_arrays(W, b))
    return data.classes, W.astype(data.dtype), b.astype(data.dtype)


def labels_of(data):
    """The labels of ``data``'s rows (``classes[y]``), in the namespace and on the
    device of its fitted ``classes_``: what a scorer compares predictions with."""
    if isinstance(data, ArrayAPIData):
        return data.fitted_labels()
    return data.classes[data.y]


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a Dask collection (array, data frame, ...), without importing Dask.

    As in Dask's own test, a ``__dask_graph__`` that returns None (an xarray object
    holding NumPy data) does not count.
    """
    graph = getattr(X, "__dask_graph__", None)
    return callable(graph) and graph() is not None


def fit_data(X, y, sample_weight=None, *, estimator=None, in_memory: bool = False):
    """The validated data source of ``fit(X, y, sample_weight)``.

    With an ``estimator``, its ``n_features_in_`` and ``feature_names_in_`` are set
    as scikit-learn's ``validate_data`` sets them (for Dask too); without one
    (:func:`softmax_path`), the same checks run without recording anything. Dask
    collections stay where they are unless ``in_memory`` (then they are computed);
    arrays of other array-API namespaces (under dispatch) stay on their device.
    """
    name = type(estimator).__name__ if estimator is not None else "SoftmaxClassifier"
    if not in_memory and any(map(is_dask_collection, (X, y, sample_weight))):
        from . import _dask

        source = _dask.prepare(X, y, sample_weight, estimator_name=name)
        check_targets(source.classes, name)
        if estimator is not None:  # the features' number and names, as in memory
            validate_data(estimator, _dask.columns_of(X), skip_check_array=True)
        return source
    space = device_namespace(X)
    if space is not None:
        source = _array_api_fit_data(X, y, sample_weight, space, estimator)
        check_targets(source.classes, name)
        return source
    y, sample_weight = on_host(y), on_host(sample_weight)
    if estimator is not None:
        X, y = validate_data(estimator, X, y, **ACCEPTED)
    else:
        X, y = check_X_y(X, y, **ACCEPTED)
    check_classification_targets(y)
    classes = np.unique(y)
    check_targets(classes, name)
    sample_weight = checked_sample_weight(sample_weight, X)
    return InMemoryData(X, encode_labels(y, classes), sample_weight, classes)


def _array_api_fit_data(X, y, sample_weight, space: Namespace, estimator) -> ArrayAPIData:
    """``fit_data`` of ``X`` in the array-API namespace ``space``: ``X`` validated
    there (float64 kept, float32 kept), the labels and weights (of any namespace)
    checked and encoded on the host; ``classes_`` in ``y``'s namespace."""
    accepted = {"dtype": [space.xp.float64, space.xp.float32]}
    if estimator is not None:
        X, y = validate_data(estimator, X, y, **accepted)
    else:
        X, y = check_X_y(X, y, **accepted)
    labels = to_numpy(y)
    check_classification_targets(labels)
    classes = np.unique(labels)
    y_space = device_namespace(y)
    fitted_classes = classes if y_space is None else y_space.asarray(classes)
    sample_weight = checked_sample_weight(to_numpy(sample_weight), labels)
    return ArrayAPIData(
        X, encode_labels(labels, classes), sample_weight, classes, fitted_classes, space
    )


def encode_labels(y, classes: np.ndarray) -> np.ndarray:
    """Indices of the labels ``y`` in the sorted ``classes`` (which hold them all)."""
    return np.searchsorted(classes, y)


def check_targets(classes: np.ndarray, name: str) -> None:
    """Class labels, at least two of them. (``classes`` are the unique labels: enough
    to tell continuous targets, which a Dask fit sees only this way.)"""
    if type_of_target(classes) == "continuous":
        check_classification_targets(classes)
    if classes.size < 2:
        raise ValueError(
            f"{name} needs samples of at least 2 classes in the data, but the data "
            f"contains only {classes.size} class: {classes.tolist()!r}."
        )


def validate_chunk(X, sample_weight: np.ndarray, estimator_name: str) -> None:
    """The checks ``fit_data`` runs on data in memory, on one Dask chunk: finite
    ``X``, finite non-negative ``sample_weight``, with scikit-learn's messages."""
    check_array(
        X,
        accept_sparse=ACCEPTED["accept_sparse"],
        dtype=None,
        ensure_min_samples=0,
        estimator=estimator_name,
        input_name="X",
    )
    # All-zero weights are an error of the whole data, not of one chunk (the core's).
    checked_sample_weight(sample_weight, X, allow_all_zero=True)


def checked_sample_weight(sample_weight, X, *, allow_all_zero: bool = False) -> np.ndarray:
    """``sample_weight`` as float64 of ``X``'s length (all 1 if None), finite and
    non-negative, with scikit-learn's messages; and, unless ``allow_all_zero``, with
    a non-zero entry (scikit-learn 1.9's wording, which 1.7 does not check)."""
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not allow_all_zero and not np.any(sample_weight):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight
