"""SoftmaxClassifier: a linear classifier fitted by L-BFGS on cross-entropy or hinge."""

from __future__ import annotations

import copy
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils._array_api import get_namespace
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _dask
from ._array_api import check_fitted_namespace, device_namespace, to_numpy
from ._caller import warn_at_caller
from ._core import PointFit, Problem, Start, fit_path
from ._cross_entropy import BinaryCrossEntropy, MultinomialCrossEntropy
from ._data import fit_data, fitted_attributes, is_dask_collection
from ._losses import LOSSES, MULTICLASS_HINGES, LossSpec, loss_kind
from ._report import fit_callbacks

#: The constraints of the parameters that define a problem beyond its penalty (the
#: loss, the classes' weights, the intercept, the stopping rule): the estimators'
#: and ``softmax_path``'s.
PROBLEM_CONSTRAINTS = {
    "loss": [StrOptions(set(LOSSES))],
    "multiclass_hinge": [StrOptions(set(MULTICLASS_HINGES))],
    "fit_intercept": ["boolean"],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    "margin": [Interval(Real, 0, None, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
}


def _has_proba(estimator: SoftmaxClassifier) -> bool:
    """``predict_proba`` exists for the losses whose scores are log-probabilities."""
    if not loss_kind(estimator.loss).has_proba:
        with_proba = [name for name, kind in LOSSES.items() if kind.has_proba]
        raise AttributeError(
            f"predict_proba is not available when loss={estimator.loss!r}; only "
            f"loss={' or '.join(map(repr, with_proba))} models class probabilities."
        )
    return True


def _probability_model(n_classes: int):
    """The cross-entropy loss class whose scores are log-probabilities."""
    return BinaryCrossEntropy if n_classes == 2 else MultinomialCrossEntropy


class SoftmaxClassifier(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Linear classifier ``z = W x + b`` fitted by L-BFGS with analytic gradients.

    Minimizes ``J(W, b) = C sum_i s_i c_{y_i} loss(W x_i + b, y_i) + r ||W||_1
    + (1 - r) / 2 ||W||_F^2`` with sample weights ``s``, class weights ``c``,
    ``r = l1_ratio`` and an unpenalized intercept. With ``r > 0``, cross-entropy on
    few parameters is minimized by a proximal Newton method, and otherwise the
    weights are split into positive and negative parts bounded below by 0
    (L-BFGS-B's bounds); weights that are zero at the optimum come out as exact
    zeros.

    Parameters
    ----------
    loss : {"cross_entropy", "hinge", "squared_hinge"}, default="cross_entropy"
        Cross-entropy (softmax / log loss; binary cross-entropy for two classes),
        the multiclass hinge, or its square.
    multiclass_hinge : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
        Which multiclass hinge for three or more classes:
        ``max(0, margin + max_{k != y} z_k - z_y)`` (Crammer-Singer) or
        ``sum_{k != y} max(0, margin + z_k - z_y)`` (Weston-Watkins).
    C : float, default=1.0
        Inverse penalty strength, ``0 < C <= inf``; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        ``r`` in ``[0, 1]``: 0 is the L2 penalty, 1 the L1 penalty (sparse
        models), in between the elastic net, as ``LogisticRegression``'s.
    fit_intercept : bool, default=True
        Fit the unpenalized intercept ``b``.
    class_weight : dict, "balanced" or None, default=None
        Weights ``c_k`` of the classes, as in scikit-learn.
    label_smoothing : float, default=0.0
        ``eps`` in ``[0, 1)``: cross-entropy against ``(1 - eps) onehot(y) + eps / K``.
        Only with ``loss="cross_entropy"``.
    margin : float, default=1.0
        The margin of the hinge losses, ``> 0``.
    tol : float or None, default=None
        Stop when the largest absolute gradient entry of ``J / (C sum_i s_i c_{y_i})``
        is at most ``tol`` (with ``l1_ratio > 0``, of its minimum-norm
        subgradient), w.r.t. the weights of the centered features
        ``(x_j - mean_j) / max(1, sd_j)`` (mean and spread weighted by the sample
        and class weights; without intercept, not centered and ``sd_j`` the root
        mean square): ``LogisticRegression(solver="lbfgs")``'s rule for features
        of spread at most 1, up to the centering, and one that asks the same of a
        feature in any unit (in dollars, a gradient w.r.t. the raw weight is
        ``sd_j`` times larger and cannot reach ``tol`` at float64's rounding). The
        hinge losses are minimized through smooth upper bounds, made tighter
        until their Fenchel-Young gap is at most ``tol`` times the loss of the
        zero model. ``None``: the loss's default in the registry, ``1e-5`` for
        cross-entropy (below ``LogisticRegression``'s ``1e-4``, so that its
        objective ends at least as low) and ``1e-4`` for the hinge losses, which
        pay more for each digit (figures: ``benchmarks/notes.md``).
    max_iter : int, default=5000
        Maximum number of solver iterations, all smoothing stages of a hinge
        fit together; set with room above what raw, unscaled real data sets need
        (``benchmarks/notes.md``).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` (and, for the
        hinges, the previous fit's last smoothing). A start that already meets
        the stopping rule returns at once: ``n_iter_`` is then 0.
    verbose : int, default=0
        ``1``: print a header (loss, samples, features, classes, ``C``,
        ``l1_ratio``, ``tol``), the iteration, objective and stopping measure at
        iteration 1 and every 10th, each hinge smoothing stage, and a summary
        (iterations, time, why it stopped); ``2``: the same, every iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit``, sorted; column ``k`` of
        :meth:`predict_proba` and of :meth:`decision_function` is ``classes_[k]``.
    coef_ : ndarray of shape (n_classes, n_features), or (1, n_features) for two classes
        The weights ``W``, in the dtype of ``X`` (float32 stays float32). With two
        classes, one row: the score of ``classes_[1]`` against ``classes_[0]``.
        With ``l1_ratio > 0``, weights that are zero at the optimum are exact
        zeros; :meth:`sparsify` stores them as a scipy sparse matrix.
    intercept_ : ndarray of shape (n_classes,), or (1,) for two classes
        The unpenalized intercepts ``b`` (zeros if ``fit_intercept=False``).
    n_iter_ : int
        Solver iterations run: L-BFGS's (all smoothing stages together), or the
        proximal Newton method's; 0 when a warm start already met the stopping rule.
    loss_curve_ : list of float
        The objective ``J / (C sum of weights)`` after each iteration (with
        ``C = inf``: the weighted mean loss). For the hinge losses, the smoothed
        objective of the stage running at that iteration (an upper bound).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen in ``fit``. Defined only when ``X`` has
        feature names that are all strings (a pandas DataFrame).

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same cross-entropy objective.
    sklearn.svm.LinearSVC : The Crammer-Singer hinge with
        ``multi_class="crammer_singer"`` (and a penalized intercept).
    sklearn_softmax.metrics : The same losses as metrics and scorers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxClassifier(C=10.0).fit(X, y)
    >>> model.predict(X[:2])
    array([0, 0])
    >>> model.predict_proba(X[:1]).round(3)
    array([[0.997, 0.003, 0.   ]])
    >>> hinge = SoftmaxClassifier(loss="hinge", multiclass_hinge="weston_watkins").fit(X, y)
    >>> round(hinge.score(X, y), 2)
    0.99
    """

    _parameter_constraints: ClassVar[dict] = {
        **PROBLEM_CONSTRAINTS,
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        loss: str = "cross_entropy",
        *,
        multiclass_hinge: str = "crammer_singer",
        C: float = 1.0,
        l1_ratio: float = 0.0,
        fit_intercept: bool = True,
        class_weight: dict | str | None = None,
        label_smoothing: float = 0.0,
        margin: float = 1.0,
        tol: float | None = None,
        max_iter: int = 5000,
        warm_start: bool = False,
        verbose: int = 0,
    ):
        self.loss = loss
        self.multiclass_hinge = multiclass_hinge
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.margin = margin
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> SoftmaxClassifier:
        """Fit the model to ``X`` of shape (n_samples, n_features) and labels ``y``.

        ``X`` may be dense (float64 kept, float32 kept), scipy sparse CSR/CSC, a
        Dask array (fitted chunk by chunk where it lives), or under
        ``array_api_dispatch=True`` an array of PyTorch, CuPy or another array-API
        library (fitted on its device; ``coef_`` and ``intercept_`` are then arrays
        of that library there, ``classes_`` one of ``y``'s).

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array, array} of shape (n_samples, n_features)
            Training data: float64 and float32 are kept, other dtypes converted
            to float64.
        y : array-like of shape (n_samples,)
            Class labels (any type scikit-learn accepts: integers, strings...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i`` of the samples in ``J``; ``None``: all 1.
            A weight of 2 is the same as the sample repeated.

        Returns
        -------
        self : SoftmaxClassifier
            The fitted estimator.
        """
        loss = self._loss_spec()
        data = fit_data(X, y, sample_weight, estimator=self)
        problem = self._problem(data, loss, self.class_weight)
        curve: list[float] = []
        callbacks = fit_callbacks(type(self).__name__, problem, self.verbose, curve)
        path = fit_path(
            problem, [(self.C, self.l1_ratio)], start=self._warm_start(), callbacks=callbacks
        )
        (point,) = path.points
        warn_unless_converged(point)
        self._set_fit(point, data)
        self.loss_curve_ = curve
        return self

    def _loss_spec(self) -> LossSpec:
        """The loss of these parameters, checked against the registry."""
        return LossSpec(self.loss, self.multiclass_hinge, self.label_smoothing, self.margin)

    def _problem(self, data, loss: LossSpec, class_weight) -> Problem:
        """The core's problem of ``data`` at these parameters."""
        return Problem(data, loss, class_weight, self.fit_intercept, self.tol, self.max_iter)

    def _set_fit(self, point: PointFit, data) -> None:
        """The fitted attributes of the core's fit at ``point`` on the data source
        ``data`` (``W`` in X's dtype, namespace and device)."""
        self.classes_, self.coef_, self.intercept_ = fitted_attributes(data, point.W, point.b)
        self.n_iter_ = point.n_iter
        self._final_smoothing = point.smoothing

    def _warm_start(self) -> Start | None:
        """The previous solution, under ``warm_start``."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        coef = self.coef_.toarray() if sp.issparse(self.coef_) else to_numpy(self.coef_)
        classes, intercept = to_numpy(self.classes_), to_numpy(self.intercept_)
        return Start(classes, coef, intercept, self._final_smoothing)

    def decision_function(self, X):
        """Compute the scores ``W x + b`` of each sample.

        For a Dask array, a Dask array computed lazily, chunk by chunk (as are
        :meth:`predict`, :meth:`predict_proba` and :meth:`predict_log_proba`).

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            Column ``k`` scores ``classes_[k]``; with two classes, the score of
            ``classes_[1]`` (positive) against ``classes_[0]``.
        """
        if is_dask_collection(X):
            return self._map_dask(X, "decision_function")
        return super().decision_function(X)

    def predict(self, X):
        """Predict the class of each sample: the class of the largest score.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Elements of ``classes_``.
        """
        if is_dask_collection(X):
            return self._map_dask(X, "predict")
        return super().predict(X)

    def _map_dask(self, X, method: str):
        """``method`` of a frozen copy of this model, applied lazily to each row chunk
        of the Dask array ``X`` (a later refit does not change the result)."""
        check_is_fitted(self)
        frozen = copy.deepcopy(self)._move_to_host()  # (a device fit's arrays, read back)
        classes = frozen.classes_
        if method == "predict":
            n_outputs, dtype = None, classes.dtype
        else:  # scores or probabilities, one column per class (one score for two)
            binary_scores = method == "decision_function" and classes.size == 2
            n_outputs, dtype = None if binary_scores else classes.size, frozen.coef_.dtype
        frame = X if _dask.is_frame(X) else None
        X = _dask.check_array_2d(X, known_rows=False)
        validate_data(
            self,
            _dask.columns_of(frame if frame is not None else X),
            reset=False,
            skip_check_array=True,
        )
        dtype = np.result_type(dtype, X.dtype) if dtype.kind == "f" else dtype
        if frame is not None:  # the names are checked above; the chunks are arrays
            frozen.__dict__.pop("feature_names_in_", None)
            if method == "predict":  # a Series on the frame's index and partitions
                return _dask.map_partitions_to_series(frame, frozen.predict, dtype)
        return _dask.map_rows(X, getattr(frozen, method), n_outputs=n_outputs, dtype=dtype)

    def sparsify(self) -> SoftmaxClassifier:
        """Store ``coef_`` as a scipy sparse matrix (for ``l1_ratio > 0``: its exact zeros).

        A model fitted on a device (array-API inputs) moves to the host first: a
        sparse ``coef_`` is a scipy matrix, and ``intercept_`` and ``classes_`` become
        NumPy arrays beside it.

        Returns
        -------
        self : SoftmaxClassifier
            The model, with a sparse ``coef_``.
        """
        check_is_fitted(self)
        self._move_to_host()
        return super().sparsify()

    def _move_to_host(self) -> SoftmaxClassifier:
        """The fitted arrays as NumPy (those of a device fit are read to the host)."""
        for name in ("classes_", "coef_", "intercept_"):
            value = getattr(self, name)
            if not sp.issparse(value):
                setattr(self, name, to_numpy(value))
        return self

    def _scores(self, X) -> np.ndarray:
        """Class-major scores ``Z`` of shape (n_scores, n_samples), in X's namespace."""
        scores = self.decision_function(X)
        xp, _ = get_namespace(scores)
        return xp.reshape(scores, (1, -1)) if scores.ndim == 1 else scores.T

    def _probabilities(self, X, method: str):
        """``predict_proba`` or ``predict_log_proba`` of X in memory, in its namespace."""
        check_is_fitted(self)
        check_fitted_namespace(X, self, method)
        space = device_namespace(X)
        model = _probability_model(self.classes_.shape[0])
        Z = self._scores(X)
        return getattr(model, method)(Z, xp=None if space is None else space.xp).T

    @available_if(_has_proba)
    def predict_proba(self, X) -> np.ndarray:
        """Estimate the probability of each class: ``softmax(z)`` of the scores.

        With two classes, ``[1 - sigmoid(z), sigmoid(z)]`` of the one score.
        Cross-entropy only: the hinge losses do not model probabilities, so this
        method is absent for them.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Column ``k`` is the probability of ``classes_[k]``; rows sum to 1.
        """
        if is_dask_collection(X):
            return self._map_dask(X, "predict_proba")
        return self._probabilities(X, "predict_proba")

    @available_if(_has_proba)
    def predict_log_proba(self, X) -> np.ndarray:
        """Estimate the log-probability of each class, computed without underflow.

        ``log_softmax(z)``: finite where :meth:`predict_proba` rounds to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Column ``k`` is the log-probability of ``classes_[k]``.
        """
        if is_dask_collection(X):
            return self._map_dask(X, "predict_log_proba")
        return self._probabilities(X, "predict_log_proba")


def warn_unless_converged(point: PointFit) -> None:
    """A ``ConvergenceWarning`` at the user's line if the fit at ``point`` did not converge."""
    if point.message is not None:
        warn_at_caller(point.message, ConvergenceWarning)


def fitted_classifier(params: dict, point: PointFit, data) -> SoftmaxClassifier:
    """A ``SoftmaxClassifier(**params)`` fitted at the core's ``point`` on the classes
    and features of the data source ``data``: how ``SoftmaxClassifierCV`` hands each
    fold's fit at each ``C`` to a scorer."""
    model = SoftmaxClassifier(**params)
    model._set_fit(point, data)
    model.n_features_in_ = data.n_features
    return model
