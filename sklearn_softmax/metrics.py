"""Cross-entropy and multiclass hinge metrics, and scorers, for any classifier.

The metrics evaluate the very losses :class:`~sklearn_softmax.SoftmaxClassifier`
minimizes (the same code, read from the registry of losses,
:mod:`sklearn_softmax._losses`). The scorers take
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
>>> sorted(SCORERS)  # doctest: +NORMALIZE_WHITESPACE
['neg_cross_entropy', 'neg_hinge', 'neg_squared_hinge', 'neg_weston_watkins_hinge',
 'neg_weston_watkins_squared_hinge']
"""

from __future__ import annotations

from ._metrics import cross_entropy_loss, multiclass_hinge_loss
from ._scorers import SCORERS, loss_scorer

__all__ = [
    "SCORERS",
    "cross_entropy_loss",
    "loss_scorer",
    "multiclass_hinge_loss",
    "neg_cross_entropy_scorer",
    "neg_hinge_scorer",
    "neg_squared_hinge_scorer",
    "neg_weston_watkins_hinge_scorer",
    "neg_weston_watkins_squared_hinge_scorer",
]

#: ``-cross_entropy_loss`` of ``predict_proba``.
neg_cross_entropy_scorer = SCORERS["neg_cross_entropy"]
#: ``-multiclass_hinge_loss`` (Crammer-Singer) of ``decision_function``.
neg_hinge_scorer = SCORERS["neg_hinge"]
#: ``-multiclass_hinge_loss(variant="weston_watkins")`` of ``decision_function``.
neg_weston_watkins_hinge_scorer = SCORERS["neg_weston_watkins_hinge"]
#: ``-multiclass_hinge_loss(squared=True)`` (Crammer-Singer) of ``decision_function``.
neg_squared_hinge_scorer = SCORERS["neg_squared_hinge"]
#: ``-multiclass_hinge_loss(variant="weston_watkins", squared=True)`` of
#: ``decision_function``.
neg_weston_watkins_squared_hinge_scorer = SCORERS["neg_weston_watkins_squared_hinge"]
