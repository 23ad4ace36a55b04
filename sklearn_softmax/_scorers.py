"""Scorers of the registry's losses: the negative loss of a fitted classifier's output,
for ``cross_val_score``, ``GridSearchCV`` and ``SoftmaxClassifierCV``."""

from __future__ import annotations

from numbers import Real

from sklearn import get_config
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.metadata_routing import MetadataRequest

from ._losses import LOSSES, MULTICLASS_HINGES, LossSpec
from ._metrics import cross_entropy_loss, multiclass_hinge_loss


class _LossScorer:
    """A scorer: ``-metric(y, estimator.<response_method>(X), labels=estimator.classes_)``.

    Greater is better. The metric and the response method are the loss's (the
    registry's): :func:`cross_entropy_loss` of ``predict_proba`` for cross-entropy,
    :func:`multiclass_hinge_loss` of ``decision_function`` for the hinges. Routes
    ``sample_weight`` to the metric when requested through :meth:`set_score_request`
    (metadata routing enabled). The module's instances (``neg_cross_entropy_scorer``,
    ``neg_hinge_scorer``, ...) and :func:`loss_scorer`'s are what users pass as
    ``scoring``.

    Parameters
    ----------
    loss : LossSpec
        The loss, by registry name and parameters.

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

    def __init__(self, loss: LossSpec):
        self._loss = loss
        self._sample_weight_request = None

    def __repr__(self) -> str:
        return f"sklearn_softmax.metrics.{self._loss.scorer_name}_scorer"

    def _metric(self):
        """``(metric, its keyword arguments)`` of the loss."""
        loss, kind = self._loss, self._loss.kind
        if kind.has_proba:
            return cross_entropy_loss, {"label_smoothing": loss.label_smoothing}
        return multiclass_hinge_loss, {
            "variant": loss.multiclass_hinge,
            "squared": kind.fixed["squared"],
            "margin": loss.margin,
        }

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
        response_method = self._loss.kind.response_method
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise AttributeError(
                f"{self!r} needs a fitted classifier with classes_; got {estimator!r}."
            )
        if not hasattr(estimator, response_method):
            raise AttributeError(
                f"{self!r} needs the {response_method} method, which {estimator!r} does not have."
            )
        metric, params = self._metric()
        response = getattr(estimator, response_method)(X)
        return -metric(y_true, response, labels=classes, sample_weight=sample_weight, **params)

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
        scorer = _LossScorer(self._loss)
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


def _default_losses() -> list[LossSpec]:
    """Each registry loss at its default parameters, each multiclass hinge variant apart."""
    specs = []
    for name, kind in LOSSES.items():
        variants = MULTICLASS_HINGES if kind.has_variants else MULTICLASS_HINGES[:1]
        specs += [LossSpec(name, variant) for variant in variants]
    return specs


#: The scorers by name, for ``scoring=SCORERS`` (multimetric) or ``SCORERS[name]``:
#: every loss of the registry at its default parameters.
SCORERS = {spec.scorer_name: _LossScorer(spec) for spec in _default_losses()}


@validate_params(
    {
        "loss": [StrOptions(set(LOSSES))],
        "multiclass_hinge": [StrOptions(set(MULTICLASS_HINGES))],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "margin": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
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
    loss the model fits, with the same parameters. As in ``SoftmaxClassifier``,
    ``margin`` is ignored by cross-entropy and ``multiclass_hinge`` by it too, while
    ``label_smoothing`` with a hinge is an error.

    Parameters
    ----------
    loss : {"cross_entropy", "hinge", "squared_hinge"}, default="cross_entropy"
        The loss, named as ``SoftmaxClassifier``'s ``loss``.
    multiclass_hinge : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
        The multiclass hinge of the hinge losses.
    label_smoothing : float, default=0.0
        The cross-entropy's label smoothing, in ``[0, 1)``.
    margin : float, default=1.0
        The hinge losses' margin, ``> 0``.

    Returns
    -------
    scorer : _LossScorer
        ``neg_cross_entropy_scorer``, ``neg_hinge_scorer``, ... (:data:`SCORERS`) for
        the default parameters, else a scorer of the same loss with these parameters.

    See Also
    --------
    SCORERS : The scorers of the default parameters, by name.

    Examples
    --------
    >>> from sklearn_softmax.metrics import loss_scorer
    >>> loss_scorer("hinge", multiclass_hinge="weston_watkins")
    sklearn_softmax.metrics.neg_weston_watkins_hinge_scorer
    >>> loss_scorer("hinge", margin=0.5)
    sklearn_softmax.metrics.neg_hinge(margin=0.5)_scorer
    """
    spec = LossSpec(loss, multiclass_hinge, label_smoothing, margin)
    return SCORERS.get(spec.scorer_name) or _LossScorer(spec)
