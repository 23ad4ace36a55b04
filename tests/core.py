"""The library's fitting core, called as the estimators call it, with other settings or
observers: how tests reach what the public API keeps at its defaults."""

from __future__ import annotations

from sklearn_softmax._callbacks import NO_CALLBACKS, Callbacks
from sklearn_softmax._core import PathFit, PointFit, Problem, fit_path
from sklearn_softmax._data import fit_data
from sklearn_softmax._losses import LossSpec
from sklearn_softmax._settings import DEFAULT_SETTINGS, SolverSettings

#: ``SoftmaxClassifier``'s parameters that name its loss.
LOSS_NAMES = {"loss": "name", "multiclass_hinge": "multiclass_hinge"}
LOSS_VALUES = ("label_smoothing", "margin")
#: ``SoftmaxClassifier``'s parameters that do not define its problem.
IGNORED = ("warm_start", "verbose")


def problem(X, y, sample_weight=None, **params) -> tuple[Problem, float, float]:
    """``(problem, C, l1_ratio)`` of ``SoftmaxClassifier(**params).fit(X, y,
    sample_weight)``, its data validated by the library's front end."""
    params = {key: value for key, value in params.items() if key not in IGNORED}
    names = [key for key in [*LOSS_NAMES, *LOSS_VALUES] if key in params]
    loss = {LOSS_NAMES.get(key, key): params.pop(key) for key in names}
    C, l1_ratio = params.pop("C", 1.0), params.pop("l1_ratio", 0.0)
    data = fit_data(X, y, sample_weight)
    return Problem(data, LossSpec(**loss), **params), C, l1_ratio


def fit(
    X,
    y,
    sample_weight=None,
    *,
    settings: SolverSettings = DEFAULT_SETTINGS,
    callbacks: Callbacks = NO_CALLBACKS,
    **params,
) -> PointFit:
    """The core's fit of ``SoftmaxClassifier(**params)``'s problem under ``settings``."""
    fitted = path(X, y, sample_weight, settings=settings, callbacks=callbacks, **params)
    return fitted.points[0]


def path(
    X,
    y,
    sample_weight=None,
    *,
    Cs=None,
    settings: SolverSettings = DEFAULT_SETTINGS,
    callbacks: Callbacks = NO_CALLBACKS,
    **params,
) -> PathFit:
    """The core's path over ``Cs`` (default: the one ``C`` of ``params``)."""
    problem_, C, l1_ratio = problem(X, y, sample_weight, **params)
    points = [(C, l1_ratio)] if Cs is None else [(value, l1_ratio) for value in Cs]
    return fit_path(problem_, points, settings=settings, callbacks=callbacks)
