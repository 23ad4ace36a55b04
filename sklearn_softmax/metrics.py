"""Cross-entropy and multiclass hinge metrics, and scorers, for any classifier.

The metrics evaluate the very losses :class:`~sklearn_softmax.SoftmaxClassifier`
minimizes (the same code, :mod:`sklearn_softmax._losses`). The scorers take
the class labels from the fitted estimator's ``classes_``, so that a test fold
lacking a class still gets a finite score, and they support scikit-learn's
metadata routing (``set_score_request(sample_weight=True)``).

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.model_selection import cross_val_score
>>> from sklearn_softmax.metrics import SCORERS, neg_cross_entropy_scorer
>>> X, y = load_iris(return_X_y=True)
>>> model = LogisticRegression(max_iter=1000)
>>> scores = cross_val_score(model, X, y, scoring=neg_cross_entropy_scorer)
>>> bool(scores.max() < 0)
True
>>> sorted(SCORERS)
['neg_cross_entropy', 'neg_hinge', 'neg_squared_hinge', 'neg_weston_watkins_hinge']
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

from ._caller import warn_at_caller
from ._losses import MULTICLASS_HINGES, make_loss

__all__ = [
    "SCORERS",
    "cross_entropy_loss",
    "loss_scorer",
    "multiclass_hinge_loss",
    "neg_cross_entropy_scorer",
    "neg_hinge_scorer",
    "neg_squared_hinge_scorer",
    "neg_weston_watkins_hinge_scorer",
]


#: The dtypes log_loss keeps its probabilities in; each is clipped with its own eps.
_PROBA_DTYPES = (np.float64, np.float32, np.float16)


def _classes(y_true, labels) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` as 1-D and the sorted classes: the unique ``labels``, else those of ``y_true``.

    Checks, with :func:`sklearn.metrics.log_loss`'s wording, that ``y_true`` is
    within ``labels`` and that there are at least 2 classes.
    """
    y_true = column_or_1d(y_true)
    classes = np.unique(y_true if labels is None else column_or_1d(labels))
    if labels is not None and not np.all(np.isin(y_true, classes)):
        undeclared = set(np.setdiff1d(y_true, classes).tolist())
        raise ValueError(
            f"y_true contains values {undeclared} not belonging to the passed labels {labels}."
        )
    if classes.size < 2:
        raise ValueError(
            f"y_true contains only one label ({classes[0]}). Please provide the list of "
            "all expected class labels explicitly through the labels argument."
            if labels is None
            else f"The labels array needs to contain at least two labels, got {classes}."
        )
    return y_true, classes


def _check_n_columns(classes: np.ndarray, n_columns: int, labels, what: str) -> None:
    """One column of ``what`` per class, with log_loss's wording."""
    if n_columns == classes.size:
        return
    raise ValueError(
        f"y_true and {what} contain different number of classes: {classes.size} vs "
        f"{n_columns}. Please provide the true labels explicitly through the labels "
        f"argument. Classes found in y_true: {classes}"
        if labels is None
        else f"The number of classes in labels is different from that in {what}. "
        f"Classes found in labels: {classes}"
    )


def _check_proba_labels(y_true, labels) -> None:
    """Discrete labels; ``labels`` distinct, and a warning unless sorted (the columns
    of ``y_proba`` follow the sorted order).

    As log_loss, which rejects continuous labels, fails on duplicates and warns alike.
    """
    given = column_or_1d(y_true if labels is None else labels)
    classes = np.unique(given)
    if type_of_target(classes) == "continuous":
        raise ValueError(f"Unknown label type: continuous labels {classes}; pass class labels.")
    if labels is None:
        return
    if classes.size != given.size:
        raise ValueError(f"The labels must be distinct, got {labels}.")
    if np.any(classes != given):
        warn_at_caller(
            f"Labels passed were {labels}. But this function assumes labels are ordered "
            f"lexicographically. Pass the ordered labels={classes.tolist()} and ensure "
            "that the columns of y_proba correspond to this ordering.",
            UserWarning,
        )


def _check_probabilities(y_proba: np.ndarray) -> None:
    """``0 <= p <= 1``, with log_loss's messages."""
    if y_proba.max() > 1:
        raise ValueError(f"y_proba contains values greater than 1: {y_proba.max()}")
    if y_proba.min() < 0:
        raise ValueError(f"y_proba contains values lower than 0: {y_proba.min()}")


def _two_columns(y_proba: np.ndarray) -> np.ndarray:
    """A single column ``p`` (probability of the greater label) as ``[1 - p, p]``."""
    if y_proba.ndim == 2 and y_proba.shape[1] > 1:
        return y_proba
    positive = y_proba.reshape(-1)
    return np.column_stack([1 - positive, positive])


def _warn_unless_rows_sum_to_one(y_proba: np.ndarray) -> None:
    """Warn unless ``|sum_k p_ik - 1| <= 1e-8 + sqrt(e)`` for all rows: log_loss's test, in
    the input dtype (``e`` its eps), so that float16 rounding does not warn."""
    rtol = np.sqrt(np.finfo(y_proba.dtype).eps)
    if not np.all(np.isclose(y_proba.sum(axis=1), 1, rtol=rtol)):
        warn_at_caller(
            "The rows of y_proba do not sum to one. Make sure to pass probabilities.",
            UserWarning,
        )


def _clip(y_proba: np.ndarray) -> np.ndarray:
    """``clip(p, e, 1 - e)`` in ``p``'s dtype with ``e`` its eps (as log_loss), as float64.

    The loss is then computed in float64 whatever the input: in float16, the
    cancellation in :func:`_cross_entropies` would leave errors of ``e ~ 1e-3``.
    """
    eps = np.finfo(y_proba.dtype).eps
    return np.clip(y_proba, eps, 1 - eps).astype(np.float64)


def _cross_entropies(p: np.ndarray, index: np.ndarray, label_smoothing: float) -> np.ndarray:
    """``-sum_k q_ik log p_ik`` per sample, of ``p`` as given (not renormalized).

    The shared loss code gives, at the scores ``z = log p``,
    ``logsumexp(z) - q.z = log(sum_k p_k) - q.log p``; the first term is removed.
    """
    log_p = np.log(p)
    n_classes = p.shape[1]
    # Two classes: the one score log(p_1 / p_0) of the binary loss, which is the same.
    scores = log_p.T if n_classes > 2 else (log_p[:, 1] - log_p[:, 0])[None, :]
    loss = make_loss("cross_entropy", n_classes, label_smoothing=label_smoothing)
    losses, _ = loss.loss_gradient(scores, index, gradient=False)
    return losses - np.log(p.sum(axis=1))


def _average(losses: np.ndarray, sample_weight, normalize: bool) -> float:
    """``sum_i s_i l_i / sum_i s_i`` (``normalize``) or ``sum_i s_i l_i``; ``s_i = 1`` by default.

    The weights must be non-negative (log_loss and hinge_loss accept negative ones),
    so that their sum is positive: the check rejects all-zero weights.
    """
    if sample_weight is None:
        return float(losses.mean() if normalize else losses.sum())
    sample_weight = _check_sample_weight(
        sample_weight, losses, dtype=np.float64, ensure_non_negative=True
    )
    return float(np.average(losses, weights=sample_weight) if normalize else losses @ sample_weight)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_proba": ["array-like"],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
        "normalize": ["boolean"],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def cross_entropy_loss(
    y_true,
    y_proba,
    *,
    labels=None,
    sample_weight=None,
    normalize: bool = True,
    label_smoothing: float = 0.0,
) -> float:
    """Cross-entropy (log loss) of predicted probabilities.

    ``loss_i = -sum_k q_ik log p_ik`` with ``q_i = (1 - eps) onehot(y_i) + eps / K``
    (``eps = label_smoothing``: PyTorch's ``cross_entropy(label_smoothing=eps)``).
    With ``eps = 0`` it equals :func:`sklearn.metrics.log_loss`: probabilities are
    clipped to ``[e, 1 - e]`` with ``e`` the machine epsilon of their dtype
    (float64, float32 or float16), so a certain miss costs ``-log(e)`` instead of
    infinity; rows that do not sum to one get a warning and are used as given;
    unsorted ``labels`` get a warning.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the sorted order of the labels (as
        ``predict_proba`` gives them); a single column is the probability of the
        greater of two labels.
    labels : array-like, default=None
        All class labels; by default those in ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample's loss; ``None``: all 1.
    normalize : bool, default=True
        Return the (weighted) mean; else the (weighted) sum.
    label_smoothing : float, default=0.0
        ``eps`` in ``[0, 1)``.

    Returns
    -------
    loss : float
        The weighted mean (or sum) of ``loss_i``, in nats.

    See Also
    --------
    sklearn.metrics.log_loss : The same loss without label smoothing.
    multiclass_hinge_loss : The hinge losses of decision values.
    neg_cross_entropy_scorer : Its negative as a scorer, for model selection.

    Examples
    --------
    >>> from sklearn_softmax.metrics import cross_entropy_loss
    >>> round(cross_entropy_loss(["a", "b"], [[0.9, 0.1], [0.2, 0.8]]), 6)
    0.164252
    >>> round(cross_entropy_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]], label_smoothing=0.2), 6)
    0.343428
    """
    y_proba = check_array(y_proba, ensure_2d=False, dtype=_PROBA_DTYPES, input_name="y_proba")
    _check_probabilities(y_proba)
    check_consistent_length(y_proba, y_true, sample_weight)
    _check_proba_labels(y_true, labels)
    y_true, classes = _classes(y_true, labels)
    y_proba = _two_columns(y_proba)
    _warn_unless_rows_sum_to_one(y_proba)
    _check_n_columns(classes, y_proba.shape[1], labels, "y_proba")
    index = np.searchsorted(classes, y_true)
    losses = _cross_entropies(_clip(y_proba), index, label_smoothing)
    return _average(losses, sample_weight, normalize)


@validate_params(
    {
        "y_true": ["array-like"],
        "decision": ["array-like"],
        "variant": [StrOptions(set(MULTICLASS_HINGES))],
        "margin": [Interval(Real, 0, None, closed="neither")],
        "squared": ["boolean"],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
        "normalize": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def multiclass_hinge_loss(
    y_true,
    decision,
    *,
    variant: str = "crammer_singer",
    margin: float = 1.0,
    squared: bool = False,
    labels=None,
    sample_weight=None,
    normalize: bool = True,
) -> float:
    """Multiclass hinge loss of decision values (class scores).

    - ``variant="crammer_singer"``: ``max(0, margin + max_{k != y} z_k - z_y)``,
      which equals :func:`sklearn.metrics.hinge_loss` (and ``LinearSVC``'s
      ``multi_class="crammer_singer"`` loss).
    - ``variant="weston_watkins"``: ``sum_{k != y} max(0, margin + z_k - z_y)``, the
      CS231n SVM loss; PyTorch's ``MultiMarginLoss`` is this divided by K.

    ``squared=True`` squares each ``max(0, .)``. For two labels, a 1-D ``decision``
    is the score of the greater label (as ``decision_function`` gives it) and
    both variants are ``max(0, margin - t z)`` with ``t = +1`` for the greater label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    decision : array-like of shape (n_samples, n_classes) or (n_samples,)
        Scores, columns in the sorted order of the labels.
    variant : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
        Which multiclass hinge (above).
    margin : float, default=1.0
        The margin, ``> 0``.
    squared : bool, default=False
        Square each ``max(0, .)`` (the squared hinge).
    labels : array-like, default=None
        All class labels; by default those in ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample's loss; ``None``: all 1.
    normalize : bool, default=True
        Return the (weighted) mean; else the (weighted) sum.

    Returns
    -------
    loss : float
        The weighted mean (or sum) of the per-sample hinge losses.

    See Also
    --------
    sklearn.metrics.hinge_loss : The Crammer-Singer hinge.
    cross_entropy_loss : The loss of predicted probabilities.
    neg_hinge_scorer : Its negative as a scorer, for model selection.

    Examples
    --------
    >>> from sklearn_softmax.metrics import multiclass_hinge_loss
    >>> scores = [[2.0, 1.5, -1.0], [0.0, 0.3, 0.2]]
    >>> round(multiclass_hinge_loss([0, 2], scores, labels=[0, 1, 2]), 6)
    0.8
    >>> round(multiclass_hinge_loss([0, 2], scores, labels=[0, 1, 2], variant="weston_watkins"), 6)
    1.2
    """
    decision = check_array(
        decision, ensure_2d=False, dtype=[np.float64, np.float32], input_name="decision"
    )
    check_consistent_length(y_true, decision, sample_weight)
    if decision.ndim == 2 and decision.shape[1] == 1:
        decision = decision[:, 0]
    y_true, classes = _classes(y_true, labels)
    _check_n_columns(classes, 2 if decision.ndim == 1 else decision.shape[1], labels, "decision")
    index = np.searchsorted(classes, y_true)
    n_classes = classes.size
    # Two classes: both variants are the binary hinge of the one score z_1 - z_0.
    if decision.ndim == 2 and n_classes == 2:
        decision = decision[:, 1] - decision[:, 0]
    scores = decision[None, :] if decision.ndim == 1 else decision.T
    name = "squared_hinge" if squared else "hinge"
    loss = make_loss(name, n_classes, multiclass_hinge=variant, margin=margin)
    losses, _ = loss.loss_gradient(scores, index, gradient=False)
    return _average(losses, sample_weight, normalize)


class _LossScorer:
    """A scorer: ``-metric(y, estimator.<response_method>(X), labels=estimator.classes_)``.

    Greater is better. Routes ``sample_weight`` to the metric when requested
    through :meth:`set_score_request` (metadata routing enabled). The module's
    instances (``neg_cross_entropy_scorer``, ``neg_hinge_scorer``, ...) are what
    users pass as ``scoring``.

    Parameters
    ----------
    name : str
        The scorer's name, as in :data:`SCORERS`.
    metric : callable
        ``metric(y_true, response, *, labels, sample_weight, **metric_params)``.
    response_method : {"predict_proba", "decision_function"}
        The estimator's method whose output the metric scores.
    **metric_params : dict
        Further keyword arguments of ``metric``.

    See Also
    --------
    sklearn.metrics.make_scorer : The scorers of scikit-learn, which these follow.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_softmax import SoftmaxClassifier
    >>> from sklearn_softmax.metrics import neg_cross_entropy_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_val_score(SoftmaxClassifier(), X, y, scoring=neg_cross_entropy_scorer)
    >>> bool(scores.mean() < 0)
    True
    """

    def __init__(self, name: str, metric, response_method: str, **metric_params):
        self._name = name
        self._metric = metric
        self._response_method = response_method
        self._metric_params = metric_params
        self._sample_weight_request = None

    def __repr__(self) -> str:
        return f"sklearn_softmax.metrics.{self._name}_scorer"

    def __call__(self, estimator, X, y_true, sample_weight=None) -> float:
        """Score a fitted classifier on ``(X, y_true)``: the negative loss.

        Parameters
        ----------
        estimator : fitted classifier
            With ``classes_`` and the scorer's response method.
        X : array-like of shape (n_samples, n_features)
            The samples.
        y_true : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples' losses.

        Returns
        -------
        score : float
            ``-metric(...)``: greater is better.
        """
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise AttributeError(
                f"{self!r} needs a fitted classifier with classes_; got {estimator!r}."
            )
        if not hasattr(estimator, self._response_method):
            raise AttributeError(
                f"{self!r} needs the {self._response_method} method, which "
                f"{estimator!r} does not have."
            )
        response = getattr(estimator, self._response_method)(X)
        return -self._metric(
            y_true,
            response,
            labels=classes,
            sample_weight=sample_weight,
            **self._metric_params,
        )

    def set_score_request(self, *, sample_weight: bool | str | None = None) -> _LossScorer:
        """Request ``sample_weight`` to be routed to this scorer (metadata routing).

        Parameters
        ----------
        sample_weight : bool, str or None, default=None
            ``True``: route ``sample_weight``; a string: route the metadata of that
            name as ``sample_weight``; ``False`` or ``None``: do not.

        Returns
        -------
        scorer : _LossScorer
            A new scorer; the shared module-level instance stays unrequested.
        """
        if not get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You "
                "can enable it using sklearn.set_config(enable_metadata_routing=True)."
            )
        scorer = _LossScorer(self._name, self._metric, self._response_method, **self._metric_params)
        scorer._sample_weight_request = sample_weight
        return scorer

    def get_metadata_routing(self) -> MetadataRequest:
        """Get the metadata this scorer consumes: ``sample_weight`` if requested.

        Returns
        -------
        routing : MetadataRequest
            The request of the ``score`` method.
        """
        request = MetadataRequest(owner=self)
        request.score.add_request(param="sample_weight", alias=self._sample_weight_request)
        return request


neg_cross_entropy_scorer = _LossScorer("neg_cross_entropy", cross_entropy_loss, "predict_proba")
neg_hinge_scorer = _LossScorer("neg_hinge", multiclass_hinge_loss, "decision_function")
neg_weston_watkins_hinge_scorer = _LossScorer(
    "neg_weston_watkins_hinge",
    multiclass_hinge_loss,
    "decision_function",
    variant="weston_watkins",
)
neg_squared_hinge_scorer = _LossScorer(
    "neg_squared_hinge", multiclass_hinge_loss, "decision_function", squared=True
)


def loss_scorer(
    loss: str = "cross_entropy",
    *,
    multiclass_hinge: str = "crammer_singer",
    label_smoothing: float = 0.0,
    margin: float = 1.0,
) -> _LossScorer:
    """Get the scorer of a ``SoftmaxClassifier`` loss: its negative, greater is better.

    ``SoftmaxClassifierCV``'s default scoring: the penalty is then chosen on the
    loss the model fits, with the same parameters.

    Parameters
    ----------
    loss : {"cross_entropy", "hinge", "squared_hinge"}, default="cross_entropy"
        The loss, named as ``SoftmaxClassifier``'s ``loss``.
    multiclass_hinge : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
        The multiclass hinge of the hinge losses.
    label_smoothing : float, default=0.0
        The cross-entropy's label smoothing.
    margin : float, default=1.0
        The hinge losses' margin.

    Returns
    -------
    scorer : _LossScorer
        ``neg_cross_entropy_scorer``, ``neg_hinge_scorer``, ... for the default
        parameters, else a scorer of the same loss with these parameters.

    See Also
    --------
    SCORERS : The scorers of the default parameters, by name.

    Examples
    --------
    >>> from sklearn_softmax.metrics import loss_scorer
    >>> loss_scorer("hinge", multiclass_hinge="weston_watkins")
    sklearn_softmax.metrics.neg_weston_watkins_hinge_scorer
    """
    if loss == "cross_entropy":
        if label_smoothing == 0.0:
            return neg_cross_entropy_scorer
        return _LossScorer(
            f"neg_cross_entropy(label_smoothing={label_smoothing})",
            cross_entropy_loss,
            "predict_proba",
            label_smoothing=label_smoothing,
        )
    squared = loss == "squared_hinge"
    name = "neg_squared_hinge" if squared else "neg_hinge"
    if multiclass_hinge == "weston_watkins":
        name = name.replace("neg_", "neg_weston_watkins_")
    if margin == 1.0 and name in SCORERS:
        return SCORERS[name]
    return _LossScorer(
        name if margin == 1.0 else f"{name}(margin={margin})",
        multiclass_hinge_loss,
        "decision_function",
        variant=multiclass_hinge,
        squared=squared,
        margin=margin,
    )


#: The scorers by name, for ``scoring=SCORERS`` (multimetric) or ``SCORERS[name]``.
SCORERS = {
    "neg_cross_entropy": neg_cross_entropy_scorer,
    "neg_hinge": neg_hinge_scorer,
    "neg_weston_watkins_hinge": neg_weston_watkins_hinge_scorer,
    "neg_squared_hinge": neg_squared_hinge_scorer,
}
