"""Input checks of the metrics, with scikit-learn's wording where its metrics have one
(``log_loss``, ``hinge_loss``), and the weighted average of per-sample losses."""

from __future__ import annotations

import numpy as np
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import type_of_target

from ._caller import warn_at_caller
from ._data import checked_sample_weight

#: The dtypes log_loss keeps its probabilities in; each is clipped with its own eps.
PROBA_DTYPES = (np.float64, np.float32, np.float16)


def labels_and_classes(y_true, labels) -> tuple[np.ndarray, np.ndarray]:
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


def check_n_columns(classes: np.ndarray, n_columns: int, labels, what: str) -> None:
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


def check_decision_shape(decision: np.ndarray, classes: np.ndarray, labels) -> None:
    """One column of decision values per class; a 1-D ``decision`` (the score of the
    greater label) for two classes only. The expected shape is named, as
    scikit-learn's ``hinge_loss`` names it."""
    if decision.ndim == 1 and classes.size > 2:
        raise ValueError(
            f"A 1-D decision holds one score per sample, for two classes; with "
            f"{classes.size} classes it must be of shape (n_samples, n_classes), that is "
            f"{(decision.shape[0], classes.size)}. Got: {decision.shape}."
        )
    check_n_columns(classes, 2 if decision.ndim == 1 else decision.shape[1], labels, "decision")


def check_proba_labels(y_true, labels) -> None:
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


def check_probabilities(y_proba: np.ndarray) -> None:
    """``0 <= p <= 1``, with log_loss's messages."""
    if y_proba.max() > 1:
        raise ValueError(f"y_proba contains values greater than 1: {y_proba.max()}")
    if y_proba.min() < 0:
        raise ValueError(f"y_proba contains values lower than 0: {y_proba.min()}")


def two_columns(y_proba: np.ndarray) -> np.ndarray:
    """A single column ``p`` (probability of the greater label) as ``[1 - p, p]``."""
    if y_proba.ndim == 2 and y_proba.shape[1] > 1:
        return y_proba
    positive = y_proba.reshape(-1)
    return np.column_stack([1 - positive, positive])


def warn_unless_rows_sum_to_one(y_proba: np.ndarray) -> None:
    """Warn unless ``|sum_k p_ik - 1| <= 1e-8 + sqrt(e)`` for all rows: log_loss's test, in
    the input dtype (``e`` its eps), so that float16 rounding does not warn."""
    rtol = np.sqrt(np.finfo(y_proba.dtype).eps)
    if not np.all(np.isclose(y_proba.sum(axis=1), 1, rtol=rtol)):
        warn_at_caller(
            "The rows of y_proba do not sum to one. Make sure to pass probabilities.",
            UserWarning,
        )


def clip(y_proba: np.ndarray) -> np.ndarray:
    """``clip(p, e, 1 - e)`` in ``p``'s dtype with ``e`` its eps (as log_loss), as float64.

    The loss is then computed in float64 whatever the input: in float16, the
    cancellation in :func:`_cross_entropies` would leave errors of ``e ~ 1e-3``.
    """
    eps = np.finfo(y_proba.dtype).eps
    return np.clip(y_proba, eps, 1 - eps).astype(np.float64)


def average(losses: np.ndarray, sample_weight, normalize: bool) -> float:
    """``sum_i s_i l_i / sum_i s_i`` (``normalize``) or ``sum_i s_i l_i``; ``s_i = 1`` by default.

    The weights must be non-negative (log_loss and hinge_loss accept negative ones),
    so that their sum is positive: the check rejects all-zero weights.
    """
    if sample_weight is None:
        return float(losses.mean() if normalize else losses.sum())
    sample_weight = checked_sample_weight(sample_weight, losses)
    return float(np.average(losses, weights=sample_weight) if normalize else losses @ sample_weight)
