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

import warnings

import numpy as np
from sklearn import get_config
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.validation import _check_sample_weight

from ._losses import (
    MULTICLASS_HINGES,
    BinaryHinge,
    CrammerSingerHinge,
    MultinomialCrossEntropy,
    WestonWatkinsHinge,
)

__all__ = [
    "SCORERS",
    "cross_entropy_loss",
    "multiclass_hinge_loss",
    "neg_cross_entropy_scorer",
    "neg_hinge_scorer",
    "neg_squared_hinge_scorer",
    "neg_weston_watkins_hinge_scorer",
]


def _encode_labels(y_true, labels, n_columns: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Class indices of ``y_true`` in the sorted ``labels`` (or its own labels)."""
    y_true = column_or_1d(y_true)
    classes = np.unique(y_true if labels is None else column_or_1d(labels))
    if classes.size < 2:
        raise ValueError(
            f"The loss needs at least 2 labels, got {classes.tolist()!r}; "
            "pass all class labels through the labels argument."
        )
    if n_columns != classes.size:
        hint = (
            "pass all class labels through the labels argument"
            if labels is None
            else "its columns must match the sorted labels"
        )
        raise ValueError(
            f"{what} has {n_columns} columns but there are {classes.size} labels "
            f"{classes.tolist()!r}; {hint}."
        )
    index = np.searchsorted(classes, y_true).clip(0, classes.size - 1)
    unknown = classes[index] != y_true
    if np.any(unknown):
        raise ValueError(
            f"y_true contains labels that are not in labels: "
            f"{np.unique(y_true[unknown]).tolist()!r}."
        )
    return index, classes


def _average(losses: np.ndarray, sample_weight, normalize: bool) -> float:
    """Weighted mean (``normalize``) or weighted sum of the per-sample losses."""
    if sample_weight is None:
        return float(losses.mean() if normalize else losses.sum())
    sample_weight = _check_sample_weight(
        sample_weight, losses, dtype=np.float64, ensure_non_negative=True
    )
    total = float(losses @ sample_weight)
    if not normalize:
        return total
    weight_sum = sample_weight.sum()
    if not weight_sum > 0:
        raise ValueError("The sample weights sum to zero; the mean loss is undefined.")
    return total / weight_sum


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
    clipped to ``[e, 1 - e]`` with ``e`` the machine epsilon of their dtype, so a
    certain miss costs ``-log(e)`` instead of infinity.

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
    normalize : bool, default=True
        Return the (weighted) mean; else the (weighted) sum.
    label_smoothing : float, default=0.0
        ``eps`` in ``[0, 1)``.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> from sklearn_softmax.metrics import cross_entropy_loss
    >>> round(cross_entropy_loss(["a", "b"], [[0.9, 0.1], [0.2, 0.8]]), 6)
    0.164252
    >>> round(cross_entropy_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]], label_smoothing=0.2), 6)
    0.343428
    """
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
    y_proba = check_array(
        y_proba, ensure_2d=False, dtype=[np.float64, np.float32], input_name="y_proba"
    )
    check_consistent_length(y_true, y_proba, sample_weight)
    if y_proba.ndim == 1 or y_proba.shape[1] == 1:
        positive = y_proba.reshape(-1)
        y_proba = np.column_stack([1 - positive, positive])
    if y_proba.min() < 0 or y_proba.max() > 1:
        raise ValueError(
            f"y_proba must hold probabilities in [0, 1]; got values from "
            f"{y_proba.min()!r} to {y_proba.max()!r}."
        )
    index, _ = _encode_labels(y_true, labels, y_proba.shape[1], "y_proba")
    eps = np.finfo(y_proba.dtype).eps
    if not np.allclose(y_proba.sum(axis=1), 1, rtol=np.sqrt(eps), atol=0):
        warnings.warn(
            "The rows of y_proba do not sum to one; they are normalized. "
            "Make sure to pass probabilities.",
            UserWarning,
            stacklevel=2,
        )
    scores = np.log(np.clip(y_proba, eps, 1 - eps)).T  # softmax(log p) = p / sum(p)
    losses, _ = MultinomialCrossEntropy(label_smoothing).loss_gradient(
        scores, index, gradient=False
    )
    return _average(losses, sample_weight, normalize)


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
    decision : array-like of shape (n_samples, n_classes) or (n_samples,)
        Scores, columns in the sorted order of the labels.
    variant : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
    margin : float, default=1.0
    squared : bool, default=False
    labels : array-like, default=None
        All class labels; by default those in ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
    normalize : bool, default=True
        Return the (weighted) mean; else the (weighted) sum.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> from sklearn_softmax.metrics import multiclass_hinge_loss
    >>> scores = [[2.0, 1.5, -1.0], [0.0, 0.3, 0.2]]
    >>> round(multiclass_hinge_loss([0, 2], scores, labels=[0, 1, 2]), 6)
    0.8
    >>> round(multiclass_hinge_loss([0, 2], scores, labels=[0, 1, 2], variant="weston_watkins"), 6)
    1.2
    """
    if variant not in MULTICLASS_HINGES:
        raise ValueError(f"variant must be one of {MULTICLASS_HINGES}, got {variant!r}.")
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin!r}.")
    decision = check_array(
        decision, ensure_2d=False, dtype=[np.float64, np.float32], input_name="decision"
    )
    check_consistent_length(y_true, decision, sample_weight)
    if decision.ndim == 2 and decision.shape[1] == 1:
        decision = decision[:, 0]
    n_columns = 2 if decision.ndim == 1 else decision.shape[1]
    index, _ = _encode_labels(y_true, labels, n_columns, "decision")
    if decision.ndim == 1:
        loss = BinaryHinge(margin, squared)
        scores = decision[None, :]
    else:
        hinge = CrammerSingerHinge if variant == "crammer_singer" else WestonWatkinsHinge
        loss = hinge(margin, squared)
        scores = decision.T
    losses, _ = loss.loss_gradient(scores, index, gradient=False)
    return _average(losses, sample_weight, normalize)


class _LossScorer:
    """``scorer(estimator, X, y) = -metric(y, estimator.<method>(X), labels=estimator.classes_)``.

    Greater is better. Routes ``sample_weight`` to the metric when requested
    through :meth:`set_score_request` (metadata routing enabled).
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

        Returns a new scorer; the shared module-level instance stays unrequested.
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
        """The metadata this scorer consumes: ``sample_weight`` if requested."""
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

#: The scorers by name, for ``scoring=SCORERS`` (multimetric) or ``SCORERS[name]``.
SCORERS = {
    "neg_cross_entropy": neg_cross_entropy_scorer,
    "neg_hinge": neg_hinge_scorer,
    "neg_weston_watkins_hinge": neg_weston_watkins_hinge_scorer,
    "neg_squared_hinge": neg_squared_hinge_scorer,
}
