"""``softmax_path``: optimal models for a sequence of ``C``, each fit warm-started from
the previous one (the core's :func:`~._core.fit_path` over the validated data)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from ._classifier import PROBLEM_CONSTRAINTS, warn_unless_converged
from ._core import Problem, fit_path
from ._data import fit_data, fitted_attributes
from ._losses import LossSpec


class SoftmaxPath(NamedTuple):
    """What :func:`softmax_path` returns: a named tuple, which unpacks as
    ``coefs, intercepts, Cs, n_iter``.

    Attributes
    ----------
    coefs : ndarray of shape (n_Cs, n_scores, n_features)
        ``W`` at each ``C``; ``n_scores`` is 1 for two classes, else the number of classes.
    intercepts : ndarray of shape (n_Cs, n_scores)
        ``b`` at each ``C`` (zeros without an intercept).
    Cs : ndarray of shape (n_Cs,)
        The ``C`` of each point, in the order given.
    n_iter : ndarray of shape (n_Cs,)
        Solver iterations of each point's fit (0 when its start was already optimal).
    """

    coefs: np.ndarray
    intercepts: np.ndarray
    Cs: np.ndarray
    n_iter: np.ndarray


def c_grid(Cs) -> np.ndarray:
    """``Cs`` as a float array: an int ``n`` is ``n`` values from 1e-4 to 1e4 on a log
    scale (``LogisticRegressionCV``'s grid); a list must be non-empty and positive."""
    if isinstance(Cs, Integral):
        return np.logspace(-4, 4, int(Cs))
    grid = np.asarray(Cs, dtype=np.float64).ravel()
    if grid.size == 0 or not np.all(grid > 0):
        raise ValueError(f"Cs must be a positive int or a non-empty list of C > 0; got {Cs!r}.")
    return grid


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "sample_weight": ["array-like", None],
        **PROBLEM_CONSTRAINTS,
    },
    prefer_skip_nested_validation=False,
)
def softmax_path(
    X,
    y,
    *,
    Cs=10,
    l1_ratio: float = 0.0,
    loss: str = "cross_entropy",
    multiclass_hinge: str = "crammer_singer",
    sample_weight=None,
    class_weight=None,
    fit_intercept: bool = True,
    label_smoothing: float = 0.0,
    margin: float = 1.0,
    tol: float | None = None,
    max_iter: int = 5000,
) -> SoftmaxPath:
    """Fit ``SoftmaxClassifier`` along a sequence of ``C``, warm-starting each fit.

    Each point minimizes ``J(W, b) = C sum_i s_i c_{y_i} loss(W x_i + b, y_i)
    + r ||W||_1 + (1 - r) / 2 ||W||_F^2`` (``r = l1_ratio``) exactly as a cold
    ``SoftmaxClassifier(C=C, ...)`` fit does, to the same ``tol``: the fits run from
    the strongest penalty (smallest ``C``) to the weakest, each starting from the
    previous optimum (and, for the hinges, its last smoothing), which costs far
    fewer iterations than starting from zero.

    Parameters
    ----------
    X : {array-like, sparse matrix, array} of shape (n_samples, n_features)
        Training data (under ``array_api_dispatch=True``, an array of PyTorch, CuPy
        or another array-API library is fitted on its device).
    y : array-like of shape (n_samples,)
        Class labels.
    Cs : int or array-like of shape (n_Cs,), default=10
        The values of ``C``; an int ``n``: ``n`` values from 1e-4 to 1e4 on a log scale.
    l1_ratio : float, default=0.0
        ``r`` in ``[0, 1]``, as ``SoftmaxClassifier``'s.
    loss : {"cross_entropy", "hinge", "squared_hinge"}, default="cross_entropy"
        The loss, as ``SoftmaxClassifier``'s.
    multiclass_hinge : {"crammer_singer", "weston_watkins"}, default="crammer_singer"
        The multiclass hinge, as ``SoftmaxClassifier``'s.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights ``s_i``; ``None``: all 1.
    class_weight : dict, "balanced" or None, default=None
        Weights ``c_k`` of the classes.
    fit_intercept : bool, default=True
        Fit the unpenalized intercept.
    label_smoothing : float, default=0.0
        As ``SoftmaxClassifier``'s (cross-entropy only).
    margin : float, default=1.0
        The hinge losses' margin.
    tol : float or None, default=None
        The stopping rule of every point, as ``SoftmaxClassifier``'s.
    max_iter : int, default=5000
        Maximum solver iterations of each point.

    Returns
    -------
    path : SoftmaxPath
        A named tuple ``(coefs, intercepts, Cs, n_iter)``: ``coefs`` of shape
        (n_Cs, n_scores, n_features), ``intercepts`` (n_Cs, n_scores), both in X's
        dtype (under array-API dispatch, in X's namespace and on its device), ``Cs``
        (n_Cs,) in the order given, and the solver iterations of each point
        (n_Cs,); ``n_scores`` is 1 for two classes, else the number of classes.

    See Also
    --------
    SoftmaxClassifier : One fit at one ``C``.
    SoftmaxClassifierCV : ``C`` (and ``l1_ratio``) chosen by cross-validation
        along this path.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import softmax_path
    >>> X, y = load_iris(return_X_y=True)
    >>> coefs, intercepts, Cs, n_iter = softmax_path(X, y, Cs=[0.01, 0.1, 1.0])
    >>> coefs.shape
    (3, 3, 4)
    >>> bool(abs(coefs[0]).sum() < abs(coefs[-1]).sum())  # weaker penalty, larger W
    True
    """
    loss_spec = LossSpec(loss, multiclass_hinge, label_smoothing, margin)
    data = fit_data(X, y, sample_weight)
    problem = Problem(data, loss_spec, class_weight, fit_intercept, tol, max_iter)
    Cs = c_grid(Cs)
    order = np.argsort(Cs, kind="stable")  # strongest penalty first
    path = fit_path(problem, [(Cs[index], l1_ratio) for index in order])
    points = [None] * Cs.size
    for index, point in zip(order, path.points, strict=True):
        warn_unless_converged(point)
        points[index] = point
    _, coefs, intercepts = fitted_attributes(
        data, np.stack([point.W for point in points]), np.stack([point.b for point in points])
    )
    return SoftmaxPath(
        coefs,
        intercepts,
        Cs,
        np.array([point.n_iter for point in points]),
    )
