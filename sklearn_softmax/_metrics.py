"""The metric functions: cross-entropy of probabilities and the multiclass hinges of
decision values, computed by the losses the estimator fits (:mod:`._losses`).

Under array-API dispatch, inputs of another namespace or device (PyTorch, CuPy) are
read to the host first (``n x K`` numbers, once): a metric returns one float."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._array_api import on_host
from ._losses import MULTICLASS_HINGES, make_loss
from ._metric_inputs import (
    PROBA_DTYPES,
    average,
    check_decision_shape,
    check_n_columns,
    check_proba_labels,
    check_probabilities,
    clip,
    labels_and_classes,
    two_columns,
    warn_unless_rows_sum_to_one,
)


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
    y_true, y_proba, labels, sample_weight = map(on_host, (y_true, y_proba, labels, sample_weight))
    y_proba = check_array(y_proba, ensure_2d=False, dtype=PROBA_DTYPES, input_name="y_proba")
    check_probabilities(y_proba)
    check_consistent_length(y_proba, y_true, sample_weight)
    check_proba_labels(y_true, labels)
    y_true, classes = labels_and_classes(y_true, labels)
    y_proba = two_columns(y_proba)
    warn_unless_rows_sum_to_one(y_proba)
    check_n_columns(classes, y_proba.shape[1], labels, "y_proba")
    index = np.searchsorted(classes, y_true)
    losses = cross_entropies(clip(y_proba), index, label_smoothing)
    return average(losses, sample_weight, normalize)


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
    arrays = (y_true, decision, labels, sample_weight)
    y_true, decision, labels, sample_weight = map(on_host, arrays)
    decision = check_array(
        decision, ensure_2d=False, dtype=[np.float64, np.float32], input_name="decision"
    )
    check_consistent_length(y_true, decision, sample_weight)
    if decision.ndim == 2 and decision.shape[1] == 1:
        decision = decision[:, 0]
    y_true, classes = labels_and_classes(y_true, labels)
    check_decision_shape(decision, classes, labels)
    index = np.searchsorted(classes, y_true)
    n_classes = classes.size
    # Two classes: both variants are the binary hinge of the one score z_1 - z_0.
    if decision.ndim == 2 and n_classes == 2:
        decision = decision[:, 1] - decision[:, 0]
    scores = decision[None, :] if decision.ndim == 1 else decision.T
    name = "squared_hinge" if squared else "hinge"
    loss = make_loss(name, n_classes, multiclass_hinge=variant, margin=margin)
    losses, _ = loss.loss_gradient(scores, index, gradient=False)
    return average(losses, sample_weight, normalize)


def cross_entropies(p: np.ndarray, index: np.ndarray, label_smoothing: float) -> np.ndarray:
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
