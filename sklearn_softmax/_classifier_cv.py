"""SoftmaxClassifierCV: ``C`` and ``l1_ratio`` chosen by cross-validation along
warm-started regularization paths."""

from __future__ import annotations

import dataclasses
import inspect
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params

from ._array_api_data import ArrayAPIData
from ._classifier import SoftmaxClassifier, fitted_classifier, warn_unless_converged
from ._core import Problem, Start, fit_path
from ._data import InMemoryData, fit_data, fitted_attributes, labels_of
from ._path import c_grid
from ._report import fit_callbacks
from ._summary import class_weights
from .metrics import loss_scorer


class SoftmaxClassifierCV(SoftmaxClassifier):
    """``SoftmaxClassifier`` with ``C`` (and ``l1_ratio``) chosen by cross-validation.

    For each fold and each ``l1_ratio``, the whole path of ``Cs`` is fitted in one
    warm-started sweep (:func:`softmax_path`: strongest penalty first, each fit
    starting from the previous optimum, every point the optimum a cold fit
    reaches) and scored on the held-out part. The ``(C, l1_ratio)`` of the best mean
    score is refitted on all the data. The conventions are those of
    ``LogisticRegressionCV`` with ``use_legacy_attributes=False``. Under array-API
    dispatch, arrays of PyTorch or CuPy are fitted on their device, fold by fold (in
    threads with ``n_jobs``), and every fitted array is there.

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
        Maximum solver iterations of each fit.
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
        Solver iterations of each point's fit (warm-started along the path).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features), or (1, n_features) for two classes
        The weights of the model at ``C_`` and ``l1_ratio_``.
    intercept_ : ndarray of shape (n_classes,), or (1,) for two classes
        Its intercepts.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen in ``fit``, when they are all strings.

    See Also
    --------
    SoftmaxClassifier : One fit at a given ``C``.
    softmax_path : The warm-started path alone.
    sklearn.linear_model.LogisticRegressionCV : The same for cross-entropy.

    Notes
    -----
    Every fold is fitted with all the classes of the data, as ``LogisticRegressionCV``
    does: a class that a fold's training part lacks keeps its row of ``W`` and ``b``,
    pushed below the others until the stopping rule holds (for cross-entropy its
    probability is then of the order of ``tol``; for the hinges its scores are a
    margin below the others'), so that its held-out samples cost a bounded loss and
    ``coefs_paths_`` holds every class's row. A scorer given by name whose metric
    takes ``labels`` (``"neg_log_loss"``, ``"neg_brier_score"``) gets the classes of
    the whole data, so a held-out part that lacks a class is scored too.

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
    # score's sample_weight is the scorer's to request, not this estimator's (as in
    # LogisticRegressionCV): under routing, a scorer that does not request it refuses it.
    __metadata_request__score: ClassVar[dict] = {"sample_weight": UNUSED}

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

    def _fold_params(self, class_weight) -> dict:
        """``SoftmaxClassifier`` parameters of each fold's models (``C`` and
        ``l1_ratio`` aside)."""
        shared = set(SoftmaxClassifier._get_param_names()) & set(self._get_param_names())
        params = {name: getattr(self, name) for name in shared}
        return {**params, "class_weight": class_weight}

    def _get_scorer(self):
        """The scorer: ``scoring``, or the negative of the fitted loss."""
        if self.scoring is None:
            return loss_scorer(
                self.loss,
                multiclass_hinge=self.multiclass_hinge,
                label_smoothing=self.label_smoothing,
                margin=self.margin,
            )
        return get_scorer(self.scoring)

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
        loss = self._loss_spec()
        data = fit_data(X, y, sample_weight, estimator=self, in_memory=True)
        on_device = isinstance(data, ArrayAPIData)
        self.Cs_ = c_grid(self.Cs)
        self.l1_ratios_ = np.asarray(self.l1_ratios, dtype=np.float64).ravel()
        if self.l1_ratios_.size == 0 or np.any((self.l1_ratios_ < 0) | (self.l1_ratios_ > 1)):
            raise ValueError(
                f"l1_ratios must be a non-empty list of values in [0, 1]; got {self.l1_ratios!r}."
            )
        classes, labels = data.classes, data.classes[data.y]
        scorer = _with_labels(self._get_scorer(), classes)
        splitter_params, score_params = self._route(params, sample_weight)
        folds = list(
            check_cv(self.cv, labels, classifier=True).split(data.X, labels, **splitter_params)
        )
        # "balanced" weighs the classes by their (weighted) counts in all the data, in
        # every fold as in the refit (as LogisticRegressionCV does).
        class_weight = self.class_weight
        if class_weight == "balanced":
            totals = np.bincount(data.y, weights=data.sample_weight, minlength=classes.size)
            factors = class_weights("balanced", classes, totals)
            class_weight = dict(zip(classes.tolist(), factors.tolist(), strict=True))
        problem = self._problem(data, loss, class_weight)
        fold_params = self._fold_params(class_weight)
        # Threads for device arrays: processes would copy them through the host.
        paths = Parallel(n_jobs=self.n_jobs, prefer="threads" if on_device else None)(
            delayed(_fold_path)(
                problem,
                train,
                test,
                [(C, float(l1_ratio)) for C in self.Cs_],
                _FoldScorer(scorer, fold_params, _check_method_params(data.X, score_params, test)),
                self.verbose,
            )
            for train, test in folds
            for l1_ratio in self.l1_ratios_
        )
        shape = (len(folds), self.l1_ratios_.size, self.Cs_.size)
        self.scores_ = np.array([scores for scores, _ in paths]).reshape(shape)
        points = [path for _, path in paths]
        self.coefs_paths_ = _stack_paths(points, shape, self.fit_intercept)
        self.classes_ = classes
        if self.refit:
            self._refit(problem, points, shape)
        else:
            self._average_fold_bests(points, shape, data)
        self.n_iter_ = np.array([[p.n_iter for p in path] for path in points]).reshape(shape)
        if on_device:  # every fitted array where X is, as the refit's
            for name in ("Cs_", "l1_ratios_", "scores_", "coefs_paths_", "n_iter_"):
                setattr(self, name, data.to_namespace(getattr(self, name)))
        return self

    def _route(self, params, sample_weight):
        """``(splitter params, scorer params)`` from ``fit``'s ``**params``."""
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            return routed.splitter.split, routed.scorer.score
        groups = params.pop("groups", None)
        _raise_for_params(params, self, "fit")
        return ({} if groups is None else {"groups": groups}), {}

    def _refit(self, problem: Problem, points, shape) -> None:
        """The best mean score's ``(C, l1_ratio)``, fitted on all the data from the
        folds' mean coefficients there (every fold has every class's row)."""
        mean_scores = self.scores_.mean(axis=0)
        best_l1, best_C = np.unravel_index(np.argmax(mean_scores), mean_scores.shape)
        self.C_ = float(self.Cs_[best_C])
        self.l1_ratio_ = float(self.l1_ratios_[best_l1])
        best = [points[fold * shape[1] + best_l1][best_C] for fold in range(shape[0])]
        start = Start(
            self.classes_,
            np.mean([point.W for point in best], axis=0),
            np.mean([point.b for point in best], axis=0),
            max(point.smoothing for point in best),
        )
        callbacks = fit_callbacks(type(self).__name__, problem, self.verbose)
        path = fit_path(problem, [(self.C_, self.l1_ratio_)], start=start, callbacks=callbacks)
        (point,) = path.points
        warn_unless_converged(point)
        self._set_fit(point, problem.data)

    def _average_fold_bests(self, points, shape, data) -> None:
        """``refit=False``: the mean of each fold's best coefficients, ``C`` and ``l1_ratio``."""
        best = []
        for fold in range(shape[0]):
            best_l1, best_C = np.unravel_index(np.argmax(self.scores_[fold]), shape[1:])
            best.append(points[fold * shape[1] + best_l1][best_C])
        W = np.mean([point.W for point in best], axis=0)
        b = np.mean([point.b for point in best], axis=0)
        self.classes_, self.coef_, self.intercept_ = fitted_attributes(data, W, b)
        self.C_ = float(np.mean([point.C for point in best]))
        self.l1_ratio_ = float(np.mean([point.l1_ratio for point in best]))
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
            only if it requests them: else an error, as scikit-learn's).
        **score_params : dict
            Parameters the scorer requests (metadata routing only).

        Returns
        -------
        score : float
            The scorer's value: greater is better.
        """
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        scorer = self._get_scorer()
        if _routing_enabled():
            routed = process_routing(self, "score", **score_params)
            return scorer(self, X, y, **routed.scorer.score)
        return scorer(self, X, y, **score_params)

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


@dataclasses.dataclass(frozen=True)
class _FoldScorer:
    """Scores a fold's fit at one point: a ``SoftmaxClassifier`` of those parameters
    and coefficients (:func:`~._classifier.fitted_classifier`) handed to the scorer
    with the held-out rows."""

    scorer: object
    params: dict
    score_params: dict

    def __call__(self, point, held_out: InMemoryData | ArrayAPIData) -> float:
        params = {**self.params, "C": point.C, "l1_ratio": point.l1_ratio}
        model = fitted_classifier(params, point, held_out)
        return self.scorer(model, held_out.X, labels_of(held_out), **self.score_params)


def _fold_path(problem: Problem, train, test, points, score: _FoldScorer, verbose: int):
    """One fold's path over ``points`` on ``train`` (strongest penalty first), scored
    on ``test``: ``(scores, fits)`` in the order of ``points``."""
    fold = dataclasses.replace(problem, data=problem.data.rows(train))
    order = np.argsort([C for C, _ in points], kind="stable")
    callbacks = fit_callbacks("SoftmaxClassifierCV", fold, verbose)
    path = fit_path(fold, [points[index] for index in order], callbacks=callbacks)
    fits = [None] * len(points)
    for index, point in zip(order, path.points, strict=True):
        warn_unless_converged(point)
        fits[index] = point
    held_out = problem.data.rows(test)
    scores = [score(point, held_out) for point in fits]
    return np.array(scores), fits


def _with_labels(scorer, classes: np.ndarray):
    """``scorer``, or for a scikit-learn scorer whose metric takes ``labels`` (and
    ``pos_label``) and was not given them, the same scorer with ``labels=classes``
    (and the greater class positive, for two): a held-out part that lacks a class is
    then scored against all of them, as ``LogisticRegressionCV`` does."""
    metric = getattr(scorer, "_score_func", None)
    if metric is None:
        return scorer
    accepted = inspect.signature(metric).parameters
    defaults = {}
    if "labels" in accepted:
        defaults["labels"] = classes
        if classes.size == 2 and "pos_label" in accepted:
            defaults["pos_label"] = classes[-1]
    kwargs = getattr(scorer, "_kwargs", {})
    if not set(defaults) - set(kwargs):
        return scorer
    return make_scorer(
        metric,
        greater_is_better=scorer._sign > 0,
        response_method=scorer._response_method,
        **{**defaults, **kwargs},
    )


def _stack_paths(points, shape, fit_intercept: bool) -> np.ndarray:
    """``coefs_paths_``: each point's ``[W, b]`` (``W`` alone without intercept), one
    row per class (one row for two classes)."""
    n_scores, n_features = points[0][0].W.shape
    paths = np.zeros((*shape, n_scores, n_features + int(fit_intercept)))
    for index, path in enumerate(points):
        fold, l1 = divmod(index, shape[1])
        for position, point in enumerate(path):
            paths[fold, l1, position, :, :n_features] = point.W
            if fit_intercept:
                paths[fold, l1, position, :, -1] = point.b
    return paths
