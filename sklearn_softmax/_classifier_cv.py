"""SoftmaxClassifierCV: ``C`` and ``l1_ratio`` chosen by cross-validation along
warm-started regularization paths."""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import _fit_context
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_method_params, _check_sample_weight, validate_data

from ._classifier import SoftmaxClassifier
from ._path import c_grid, fit_path
from .metrics import loss_scorer


class SoftmaxClassifierCV(SoftmaxClassifier):
    """``SoftmaxClassifier`` with ``C`` (and ``l1_ratio``) chosen by cross-validation.

    For each fold and each ``l1_ratio``, the whole path of ``Cs`` is fitted in one
    warm-started sweep (:func:`softmax_path`: strongest penalty first, each fit
    starting from the previous optimum, every point the optimum a cold fit
    reaches) and scored on the held-out part. The ``(C, l1_ratio)`` of the best mean
    score is refitted on all the data. The conventions are those of
    ``LogisticRegressionCV`` with ``use_legacy_attributes=False``.

    Parameters
    ----------
    Cs : int or array-like of shape (n_Cs,), default=10
        The values of ``C`` tried; an int ``n``: ``n`` values from 1e-4 to 1e4 on a
        log scale.
    l1_ratios : array-like of shape (n_l1_ratios,), default=(0.0,)
        The values of ``l1_ratio`` tried, each in ``[0, 1]``.
    cv : int, cross-validation generator or iterable, default=None
        As in ``cross_val_score``: ``None`` is 5-fold ``StratifiedKFold``.
    scoring : str, callable or None, default=None
        The score to maximize; ``None``: the negative of the loss being fitted
        (:func:`~sklearn_softmax.metrics.loss_scorer`: cross-entropy for
        ``loss="cross_entropy"``, the matching hinge otherwise), so the penalty is
        chosen on the model's own loss.
    refit : bool, default=True
        Refit on all the data at the best ``(C, l1_ratio)``; if False, average the
        coefficients, ``C`` and ``l1_ratio`` of each fold's best point (as
        ``LogisticRegressionCV`` does).
    n_jobs : int or None, default=None
        Folds and ``l1_ratios`` fitted in parallel by joblib.
    loss : {"cross_entropy", "hinge", "squared_hinge"}, default="cross_entropy"
        As ``SoftmaxClassifier``'s.
    multiclass_hinge : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
        As ``SoftmaxClassifier``'s.
    fit_intercept : bool, default=True
        Fit the unpenalized intercept.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as ``SoftmaxClassifier``'s.
    label_smoothing : float, default=0.0
        As ``SoftmaxClassifier``'s.
    margin : float, default=1.0
        As ``SoftmaxClassifier``'s.
    tol : float or None, default=None
        The stopping rule of every fit, as ``SoftmaxClassifier``'s.
    max_iter : int, default=5000
        Maximum L-BFGS iterations of each fit.
    verbose : int, default=0
        Passed to every fit (see ``SoftmaxClassifier``).

    Attributes
    ----------
    Cs_ : ndarray of shape (n_Cs,)
        The values of ``C`` tried, in the order given.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The values of ``l1_ratio`` tried.
    C_ : float
        The chosen ``C`` (with ``refit=False``, the mean of each fold's best).
    l1_ratio_ : float
        The chosen ``l1_ratio`` (with ``refit=False``, the mean of each fold's best).
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs)
        The score of each point on each fold's held-out part.
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs, n_scores, n_columns)
        Each fold's coefficients: ``n_columns = n_features + fit_intercept``, the
        intercept the last column when fitted; ``n_scores`` is 1 for two classes.
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs)
        L-BFGS iterations of each point's fit (warm-started along the path).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features), or (1, n_features) for two classes
        The weights of the model at ``C_`` and ``l1_ratio_``.
    intercept_ : ndarray of shape (n_classes,), or (1,) for two classes
        Its intercepts.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in ``fit``, when they are all strings.

    See Also
    --------
    SoftmaxClassifier : One fit at a given ``C``.
    softmax_path : The warm-started path alone.
    sklearn.linear_model.LogisticRegressionCV : The same for cross-entropy.

    Notes
    -----
    A fold whose training part lacks a class gives it, on the held-out part,
    probability 0 and the score ``min(other scores) - margin`` per sample: the
    cross-entropy of its samples there is the clipped ``-log(eps)`` at every ``C``,
    their hinge is bounded, and the fold's scores stay comparable across ``C``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import SoftmaxClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxClassifierCV(Cs=[0.01, 0.1, 1.0, 10.0]).fit(X, y)
    >>> model.scores_.shape
    (5, 1, 4)
    >>> float(model.C_) in (0.01, 0.1, 1.0, 10.0)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **{
            key: value
            for key, value in SoftmaxClassifier._parameter_constraints.items()
            if key not in ("C", "l1_ratio", "warm_start")
        },
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        Cs=10,
        *,
        l1_ratios=(0.0,),
        cv=None,
        scoring=None,
        refit: bool = True,
        n_jobs: int | None = None,
        loss: str = "cross_entropy",
        multiclass_hinge: str = "crammer_singer",
        fit_intercept: bool = True,
        class_weight: dict | str | None = None,
        label_smoothing: float = 0.0,
        margin: float = 1.0,
        tol: float | None = None,
        max_iter: int = 5000,
        verbose: int = 0,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.loss = loss
        self.multiclass_hinge = multiclass_hinge
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.margin = margin
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    def _base_estimator(self, class_weight=None, **params) -> SoftmaxClassifier:
        """A ``SoftmaxClassifier`` with this estimator's loss and fit parameters."""
        shared = set(SoftmaxClassifier._get_param_names()) & set(self._get_param_names())
        own = {name: getattr(self, name) for name in shared if name != "class_weight"}
        return SoftmaxClassifier(**own, class_weight=class_weight, **params)

    def _get_scorer(self):
        """The scorer: ``scoring``, or the negative of the fitted loss."""
        if self.scoring is None:
            return loss_scorer(
                self.loss,
                multiclass_hinge=self.multiclass_hinge,
                label_smoothing=self.label_smoothing,
                margin=self.margin,
            )
        return check_scoring(self._base_estimator(self.class_weight), scoring=self.scoring)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **params) -> SoftmaxClassifierCV:
        """Cross-validate the path for each ``l1_ratio``, then refit at the best point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, used in every fit (and, under
            metadata routing when the scorer requests them, in scoring).
        **params : dict
            ``groups`` for the splitter; under metadata routing, any parameter the
            splitter or the scorer requests.

        Returns
        -------
        self : SoftmaxClassifierCV
            The fitted estimator.
        """
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
        )
        check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        self.Cs_ = c_grid(self.Cs)
        self.l1_ratios_ = np.asarray(self.l1_ratios, dtype=np.float64).ravel()
        if self.l1_ratios_.size == 0 or np.any((self.l1_ratios_ < 0) | (self.l1_ratios_ > 1)):
            raise ValueError(
                f"l1_ratios must be a non-empty list of values in [0, 1]; got {self.l1_ratios!r}."
            )
        scorer = self._get_scorer()
        splitter_params, score_params = self._route(params, sample_weight)
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y, **splitter_params))
        classes = np.unique(y)
        # "balanced" weighs the classes by their counts in all the data, in every
        # fold as in the refit (as LogisticRegressionCV does).
        self._class_weight = self.class_weight
        if self.class_weight == "balanced":
            factors = compute_class_weight(
                "balanced", classes=classes, y=y, sample_weight=sample_weight
            )
            self._class_weight = dict(zip(classes.tolist(), factors.tolist(), strict=True))
        paths = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_path)(
                self._base_estimator(self._class_weight, l1_ratio=float(l1_ratio)),
                X,
                y,
                sample_weight,
                train,
                test,
                self.Cs_,
                scorer,
                _check_method_params(X, score_params, test),
                classes,
            )
            for train, test in folds
            for l1_ratio in self.l1_ratios_
        )
        shape = (len(folds), self.l1_ratios_.size, self.Cs_.size)
        self.scores_ = np.array([scores for scores, _, _ in paths]).reshape(shape)
        self.n_iter_ = np.array([n_iter for _, _, n_iter in paths]).reshape(shape)
        models = [fitted for _, fitted, _ in paths]
        self.coefs_paths_ = _stack_paths(models, shape, self.fit_intercept, classes)
        self.classes_ = classes
        if self.refit:
            self._refit(X, y, sample_weight, models, shape)
        else:
            self._average_fold_bests(models, shape)
        return self

    def _route(self, params, sample_weight):
        """``(splitter params, scorer params)`` from ``fit``'s ``**params``."""
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            return routed.splitter.split, routed.scorer.score
        groups = params.pop("groups", None)
        _raise_for_params(params, self, "fit")
        return ({} if groups is None else {"groups": groups}), {}

    def _refit(self, X, y, sample_weight, models, shape) -> None:
        """The best mean score's ``(C, l1_ratio)``, fitted on all the data from the
        folds' mean coefficients there (when every fold has every class)."""
        mean_scores = self.scores_.mean(axis=0)
        best_l1, best_C = np.unravel_index(np.argmax(mean_scores), mean_scores.shape)
        self.C_ = float(self.Cs_[best_C])
        self.l1_ratio_ = float(self.l1_ratios_[best_l1])
        final = self._base_estimator(self._class_weight, C=self.C_, l1_ratio=self.l1_ratio_)
        best = [models[fold * shape[1] + best_l1][best_C] for fold in range(shape[0])]
        if all(np.array_equal(model.classes_, self.classes_) for model in best):
            final.set_params(warm_start=True)
            final.classes_ = self.classes_
            final.coef_ = np.mean([model.coef_ for model in best], axis=0)
            final.intercept_ = np.mean([model.intercept_ for model in best], axis=0)
            final._final_smoothing = max(model._final_smoothing for model in best)
        final.fit(X, y, sample_weight=sample_weight)
        self.coef_, self.intercept_ = final.coef_, final.intercept_
        self._final_smoothing = final._final_smoothing

    def _average_fold_bests(self, models, shape) -> None:
        """``refit=False``: the mean of each fold's best coefficients, ``C`` and ``l1_ratio``."""
        coefs, intercepts, Cs, l1_ratios = [], [], [], []
        for fold in range(shape[0]):
            best_l1, best_C = np.unravel_index(np.argmax(self.scores_[fold]), shape[1:])
            model = models[fold * shape[1] + best_l1][best_C]
            if not np.array_equal(model.classes_, self.classes_):
                missing = np.setdiff1d(self.classes_, model.classes_)
                raise ValueError(
                    f"refit=False averages the folds' coefficients, which needs every class "
                    f"in every training fold; fold {fold} lacks {missing.tolist()}. Use "
                    "refit=True or a splitter that keeps every class in training."
                )
            coefs.append(model.coef_)
            intercepts.append(model.intercept_)
            Cs.append(self.Cs_[best_C])
            l1_ratios.append(self.l1_ratios_[best_l1])
        self.coef_ = np.mean(coefs, axis=0)
        self.intercept_ = np.mean(intercepts, axis=0)
        self.C_ = float(np.mean(Cs))
        self.l1_ratio_ = float(np.mean(l1_ratios))
        self._final_smoothing = 0.0

    def score(self, X, y, sample_weight=None, **score_params) -> float:
        """Score the model on ``(X, y)`` with ``scoring`` (default: the negative loss).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, passed to the scorer (under metadata routing,
            if it requests them).
        **score_params : dict
            Parameters the scorer requests (metadata routing only).

        Returns
        -------
        score : float
            The scorer's value: greater is better.
        """
        _raise_for_params(score_params, self, "score")
        scorer = self._get_scorer()
        if _routing_enabled():
            routed = process_routing(self, "score", sample_weight=sample_weight, **score_params)
            return scorer(self, X, y, **routed.scorer.score)
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return scorer(self, X, y, **params)

    def get_metadata_routing(self) -> MetadataRouter:
        """Get the routing of ``fit``'s metadata.

        ``groups`` goes to the splitter, what the scorer requests to the scorer.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=self._get_scorer(),
                method_mapping=MethodMapping()
                .add(caller="score", callee="score")
                .add(caller="fit", callee="score"),
            )
        )


def _fold_path(estimator, X, y, sample_weight, train, test, Cs, scorer, score_params, classes):
    """One fold's path on ``train``, scored on ``test``: ``(scores, fitted, n_iter)``."""
    weight = None if sample_weight is None else sample_weight[train]
    fitted = fit_path(estimator, _safe_indexing(X, train), y[train], Cs, weight)
    X_test, y_test = _safe_indexing(X, test), y[test]
    scores = [
        scorer(_AllClassesModel.of(model, classes), X_test, y_test, **score_params)
        for model in fitted
    ]
    return np.array(scores), fitted, np.array([model.n_iter_ for model in fitted])


def _rows_by_class(model: SoftmaxClassifier, classes: np.ndarray):
    """``(W, b, present)``: a fold model's weights and intercepts as one row per class
    of ``classes`` (two-class folds: the rows ``0`` and ``w``), zero rows for the
    classes its training part lacked, and the mask of the classes it had."""
    coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
    if coef.shape[0] == 1 and classes.size > 2:  # two classes in a multiclass problem
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    if classes.size == 2:  # the problem's one score: the fold has both classes
        return coef, intercept, np.ones(2, dtype=bool)
    present = np.isin(classes, model.classes_)
    W = np.zeros((classes.size, coef.shape[1]), dtype=coef.dtype)
    b = np.zeros(classes.size, dtype=intercept.dtype)
    W[present], b[present] = coef, intercept
    return W, b, present


class _AllClassesModel(SoftmaxClassifier):
    """A fold's fitted model seen with every class of the data set, for scoring.

    The classes its training part lacked get probability 0 and, per sample, the
    score ``min(other scores) - margin``: below every class it knows, by the
    margin, so that a held-out sample of such a class costs a bounded hinge
    (``2 margin`` plus the spread of its other scores) and the fold's scores stay
    comparable across ``C``.
    """

    @classmethod
    def of(cls, model: SoftmaxClassifier, classes: np.ndarray) -> SoftmaxClassifier:
        """``model`` itself if it knows every class, else this view of it."""
        if np.array_equal(model.classes_, classes):
            return model
        view = cls(**model.get_params())
        view.fold_model = model
        view.classes_ = classes
        view.coef_, view.intercept_, view._present = _rows_by_class(model, classes)
        view.n_features_in_ = model.n_features_in_
        return view

    def decision_function(self, X) -> np.ndarray:
        scores = super().decision_function(X)
        known = scores[:, self._present]
        scores[:, ~self._present] = (known.min(axis=1) - self.margin)[:, None]
        return scores

    def predict(self, X) -> np.ndarray:
        return self.fold_model.predict(X)

    def predict_proba(self, X) -> np.ndarray:
        proba = np.zeros((X.shape[0], self.classes_.size))
        proba[:, self._present] = self.fold_model.predict_proba(X)
        return proba

    def predict_log_proba(self, X) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


def _stack_paths(models, shape, fit_intercept: bool, classes: np.ndarray) -> np.ndarray:
    """``coefs_paths_``: each point's ``[W, b]`` (``W`` alone without intercept), one
    row per class (one row for two classes); a class a fold lacked stays at 0."""
    first = models[0][0]
    n_scores = 1 if classes.size == 2 else classes.size
    n_columns = first.coef_.shape[1] + int(fit_intercept)
    paths = np.zeros((*shape, n_scores, n_columns))
    for index, path in enumerate(models):
        fold, l1 = divmod(index, shape[1])
        for point, model in enumerate(path):
            W, b, _ = _rows_by_class(model, classes)
            paths[fold, l1, point, :, : W.shape[1]] = W
            if fit_intercept:
                paths[fold, l1, point, :, -1] = b
    return paths
