"""Independent references for the tests: textbook formulas, finite differences and
small synthetic problems that share no code with the library, and the loss
configurations every test file draws from."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import log_softmax

#: Every loss and multiclass variant the estimator fits, as estimator parameters.
LOSS_CONFIGS = [
    {"loss": "cross_entropy"},
    {"loss": "hinge", "multiclass_hinge": "crammer_singer"},
    {"loss": "hinge", "multiclass_hinge": "weston_watkins"},
    {"loss": "squared_hinge", "multiclass_hinge": "crammer_singer"},
    {"loss": "squared_hinge", "multiclass_hinge": "weston_watkins"},
]

#: The hinge configurations alone.
HINGE_CONFIGS = [config for config in LOSS_CONFIGS if config["loss"] != "cross_entropy"]

#: The loss names, each with its default multiclass hinge (Crammer-Singer).
LOSS_NAMES = ["cross_entropy", "hinge", "squared_hinge"]

#: The parameters that change a loss beyond its name and variant.
LABEL_SMOOTHING_CONFIG = {"loss": "cross_entropy", "label_smoothing": 0.1}
MARGIN_CONFIG = {"loss": "hinge", "multiclass_hinge": "weston_watkins", "margin": 0.5}

#: Every loss function the estimator fits: LOSS_CONFIGS and label-smoothed cross-entropy.
FIT_CONFIGS = [*LOSS_CONFIGS, LABEL_SMOOTHING_CONFIG]

#: The estimator's parameters of a loss function (``smoothing`` is a parameter of
#: the library's losses only); what :func:`per_sample_loss` takes.
LOSS_PARAMETERS = ("loss", "multiclass_hinge", "label_smoothing", "margin")


def config_id(config: dict) -> str:
    """A short test id: the parameter values joined by dashes (a dict as ``k:v,k:v``)."""
    return "-".join(
        ",".join(f"{k}:{v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        for value in config.values()
    )


def loss_params(config: dict) -> dict:
    """The loss parameters of a configuration (without ``C``, weights, intercept...)."""
    return {key: value for key, value in config.items() if key in LOSS_PARAMETERS}


def is_smooth(config: dict) -> bool:
    """Whether the fitted loss is differentiable (a vanishing gradient certifies it):
    cross-entropy, the squared Weston-Watkins hinge, any hinge with ``smoothing > 0``."""
    if config["loss"] == "cross_entropy" or config.get("smoothing", 0) > 0:
        return True
    return config["loss"] == "squared_hinge" and (
        config.get("multiclass_hinge", "crammer_singer") == "weston_watkins"
    )


#: The non-differentiable hinges made smooth by the library's own smoothing (a
#: parameter of its losses, not of the estimator): for gradient checks.
SMOOTHED_HINGE_CONFIGS = [
    {**config, "smoothing": 0.3} for config in HINGE_CONFIGS if not is_smooth(config)
]

#: Differentiable configurations, where finite differences apply.
SMOOTH_CONFIGS = [
    *(config for config in FIT_CONFIGS if is_smooth(config)),
    *SMOOTHED_HINGE_CONFIGS,
]

#: Gradient checks: every loss function, the smoothed hinges and another margin.
GRADIENT_CONFIGS = [*FIT_CONFIGS, *SMOOTHED_HINGE_CONFIGS, MARGIN_CONFIG]


def make_problem(n_samples=60, n_features=5, n_classes=3, seed=0, separation=1.0):
    """Gaussian classes with overlapping means: not separable, well conditioned."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    centers = separation * rng.standard_normal((n_classes, n_features))
    X = centers[y] + rng.standard_normal((n_samples, n_features))
    return X, y


def central_differences(fun: Callable[[np.ndarray], float], x: np.ndarray, step=1e-6):
    """``(f(x + h e_j) - f(x - h e_j)) / 2h`` for every coordinate j."""
    grad = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = step
        grad.flat[j] = (fun(x + e) - fun(x - e)) / (2 * step)
    return grad


def per_sample_loss(
    Z: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "cross_entropy",
    multiclass_hinge: str = "crammer_singer",
    label_smoothing: float = 0.0,
    margin: float = 1.0,
) -> np.ndarray:
    """``loss(z_i, y_i)`` for sample-major scores ``Z`` (n, K), or (n,) / (n, 1) for two
    classes (the score of class 1), written from the definitions in DESIGN.md."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1 or Z.shape[1] == 1:
        z = Z.reshape(-1)
        t = np.where(y == 1, 1.0, -1.0)
        if loss == "cross_entropy":
            q_true = 1 - label_smoothing / 2
            log_p_true, log_p_other = -np.logaddexp(0, -t * z), -np.logaddexp(0, t * z)
            return -(q_true * log_p_true + (1 - q_true) * log_p_other)
        power = 2 if loss == "squared_hinge" else 1
        return np.maximum(0.0, margin - t * z) ** power
    n, K = Z.shape
    rows = np.arange(n)
    if loss == "cross_entropy":
        q = np.full((n, K), label_smoothing / K)
        q[rows, y] += 1 - label_smoothing
        return -(q * log_softmax(Z, axis=1)).sum(axis=1)
    power = 2 if loss == "squared_hinge" else 1
    terms = np.maximum(0.0, margin + Z - Z[rows, y][:, None])
    terms[rows, y] = 0.0
    if multiclass_hinge == "crammer_singer":
        return terms.max(axis=1) ** power
    return (terms**power).sum(axis=1)


def objective(
    coef: np.ndarray,
    intercept: np.ndarray,
    X,
    y: np.ndarray,
    *,
    C: float = 1.0,
    sample_weight: np.ndarray | None = None,
    l1_ratio: float = 0.0,
    **loss_params,
) -> float:
    """``J = C sum_i s_i loss(W x_i + b, y_i) + r ||W||_1 + (1 - r) / 2 ||W||_F^2``
    with ``r = l1_ratio`` (``C = inf``: the weighted loss alone), in float64."""
    coef = np.asarray(coef, dtype=np.float64)
    Z = np.asarray(X @ coef.T, dtype=np.float64) + np.asarray(intercept, dtype=np.float64)
    losses = per_sample_loss(Z, np.asarray(y), **loss_params)
    s = np.ones(len(losses)) if sample_weight is None else np.asarray(sample_weight, float)
    if np.isinf(C):
        return float(losses @ s)
    penalty = l1_ratio * np.sum(np.abs(coef)) + (1 - l1_ratio) / 2 * np.sum(coef**2)
    return float(C * (losses @ s) + penalty)


def scaled_objective(
    coef: np.ndarray,
    intercept: np.ndarray,
    X,
    y: np.ndarray,
    *,
    C: float = 1.0,
    sample_weight: np.ndarray | None = None,
    **loss_params,
) -> float:
    """``F = J / (C sum w)`` (the weighted mean loss for ``C = inf``): the objective
    whose largest gradient entry the fit's ``tol`` bounds."""
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    J = objective(coef, intercept, X, y, C=C, sample_weight=s, **loss_params)
    return J / s.sum() if np.isinf(C) else J / (C * s.sum())


def model_objective(model, X, y: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """:func:`scaled_objective` at a fitted estimator's ``coef_`` and ``intercept_``,
    with its ``l1_ratio`` (the L1 term included).

    ``y`` holds class indices; ``sample_weight`` the effective weights ``s_i c_{y_i}``
    (class weights included).
    """
    return scaled_objective(
        model.coef_,
        model.intercept_,
        X,
        y,
        C=model.C,
        sample_weight=sample_weight,
        l1_ratio=model.l1_ratio,
        **loss_params(model.get_params()),
    )


def standardized_problem(
    n_classes=3, *, n_samples=200, n_features=8, n_informative=4, min_weight=0.2, seed=0
):
    """Standardized ``make_classification`` data (label noise: not separable) and
    sample weights uniform in ``[min_weight, 3)``: ``(X, y, weight)``."""
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=1,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )
    X = StandardScaler().fit_transform(X)
    return X, y, np.random.default_rng(seed).uniform(min_weight, 3.0, len(y))


def solver_scales(X, sample_weight: np.ndarray, *, fit_intercept: bool = True):
    """``(mu, sigma)`` of the coordinates the stopping rule is measured in, by the
    textbook weighted moments: ``mu`` the weighted feature means (0 without an
    intercept) and ``sigma_j = max(1, sqrt(sum_i w_i (x_ij - mu_j)^2 / sum w))``."""
    w = np.asarray(sample_weight, dtype=float) / np.sum(sample_weight)
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=float)
    mu = w @ X if fit_intercept else np.zeros(X.shape[1])
    spread = np.sqrt(w @ (X - mu) ** 2)
    return mu, np.maximum(spread, 1.0)


def kkt_violation(W, grad_W, grad_b, l1, mu, sigma):
    """The stopping measure's entries, from ``dF/dW`` and ``dF/db``: the minimum-norm
    subgradient of ``F + l1 ||W||_1`` w.r.t. ``V = W sigma`` (with ``c = b + W mu``),
    ``g = (dF/dW - dF/db mu^T) / sigma``: ``|g + t sign(w)|`` where ``w != 0``,
    ``max(0, |g| - t)`` where ``w == 0``, ``t = l1 / sigma``; and ``|dF/db|``."""
    g = (grad_W - np.outer(grad_b, mu)) / sigma
    t = l1 / sigma
    on_W = np.where(W != 0, np.abs(g + t * np.sign(W)), np.maximum(np.abs(g) - t, 0.0))
    return on_W, np.abs(grad_b)


def largest_scale(X) -> float:
    """An upper bound on every ``sigma_j`` of :func:`solver_scales`, whatever the
    weights: ``max(1, max_j (max_i x_ij - min_i x_ij))``."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    return float(max(1.0, np.ptp(np.asarray(X, dtype=float), axis=0).max(initial=0.0)))


def distance_to_optimum(
    model, X, y: np.ndarray, sample_weight: np.ndarray | None = None, *, tol: float
) -> tuple[float, float]:
    """Bounds ``(F - F*, ||W - W*||_F)`` for a fit of ``model`` stopped by the rule at ``tol``.

    The fit stops once every gradient entry of ``F = J / (C sum w)`` w.r.t. the
    solver's coordinates ``V = W sigma`` (:func:`solver_scales`) is at most ``tol``.
    ``F`` is ``1 / (C sum w)``-strongly convex in ``W`` (the penalty), so at least
    ``1 / (C sum w sigma_max^2)`` in ``V`` and
    ``F - F* <= ||grad||^2 C sum w sigma_max^2 / 2``: with the ``p`` entries of ``W``
    and ``b`` (the unpenalized intercept is held by the data, whose curvature is
    larger), at most ``p tol^2 C sum w sigma_max^2``, twice the bound for ``W`` alone
    (``sigma_max`` bounded by :func:`largest_scale`). The hinges are
    minimized through smoothing stopped once its Fenchel-Young gap is at most
    ``tol F(0)`` (``F(0)``: the loss of the zero model), which adds to ``F - F*``.
    Float32 evaluations resolve ``F`` only to about ``eps32 F``: L-BFGS stops
    within a few of those; 10 are allowed. A stop at the precision of float64
    (the ConvergenceWarning "no longer decreases") leaves ``F`` within about
    ``64 eps F`` of ``F*``, far below this bound for ``tol >= 1e-8``.
    Strong convexity in ``W`` then bounds ``||W - W*||^2 <= 2 (F - F*) C sum w``.
    No bound without a penalty (``C = inf``).
    """
    if np.isinf(model.C):
        raise ValueError("without a penalty (C=inf), F is not strongly convex in W")
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    C_total = model.C * s.sum()
    n_params = model.coef_.size + model.intercept_.size
    slack = n_params * tol**2 * C_total * largest_scale(X) ** 2
    config = loss_params(model.get_params())
    if not is_smooth(config):
        zero = objective(
            np.zeros(model.coef_.shape),
            np.zeros(model.intercept_.shape),
            X,
            y,
            C=np.inf,
            sample_weight=s,
            **config,
        )
        slack += tol * zero / s.sum()
    if model.coef_.dtype == np.float32:
        slack += 10 * np.finfo(np.float32).eps * model_objective(model, X, y, s)
    return slack, float(np.sqrt(2 * slack * C_total))


def gradient(
    coef: np.ndarray,
    intercept: np.ndarray,
    X,
    y: np.ndarray,
    *,
    C: float = 1.0,
    sample_weight: np.ndarray | None = None,
    loss: str = "cross_entropy",
    multiclass_hinge: str = "crammer_singer",
    label_smoothing: float = 0.0,
    margin: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of :func:`scaled_objective` w.r.t. ``(coef, intercept)`` for the
    differentiable losses (cross-entropy, the squared Weston-Watkins hinge, the binary
    squared hinge), from the derivatives of the textbook losses w.r.t. the scores:
    ``softmax(z) - q``; ``2 max(0, margin + z_k - z_y)`` for each other class ``k``,
    minus their sum at ``y``; ``-2 t max(0, margin - t z)`` for one score."""
    coef = np.asarray(coef, dtype=np.float64)
    Z = np.asarray(X @ coef.T, dtype=np.float64) + np.asarray(intercept, dtype=np.float64)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    n, n_scores = Z.shape
    rows = np.arange(n)
    if loss == "cross_entropy" and n_scores == 1:
        q_one = np.where(y == 1, 1 - label_smoothing / 2, label_smoothing / 2)
        dZ = np.exp(-np.logaddexp(0, -Z[:, 0]))[:, None] - q_one[:, None]
    elif loss == "cross_entropy":
        q = np.full(Z.shape, label_smoothing / n_scores)
        q[rows, y] += 1 - label_smoothing
        dZ = np.exp(log_softmax(Z, axis=1)) - q
    elif loss == "squared_hinge" and n_scores == 1:
        t = np.where(y == 1, 1.0, -1.0)
        dZ = (-2 * t * np.maximum(0.0, margin - t * Z[:, 0]))[:, None]
    elif loss == "squared_hinge" and multiclass_hinge == "weston_watkins":
        dZ = 2 * np.maximum(0.0, margin + Z - Z[rows, y][:, None])
        dZ[rows, y] = 0.0
        dZ[rows, y] = -dZ.sum(axis=1)
    else:
        raise ValueError(f"{loss!r} ({multiclass_hinge}) is not differentiable")
    weighted = dZ * (s / s.sum())[:, None]
    grad_coef = np.asarray(X.T @ weighted).T
    if not np.isinf(C):
        grad_coef = grad_coef + coef / (C * s.sum())
    return grad_coef, weighted.sum(axis=0)


def stationarity(model, X, y: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """The stopping measure at a fitted model (of a differentiable loss, L2 penalty):
    the largest gradient entry of ``F = J / (C sum w)`` w.r.t. the solver's
    coordinates (:func:`kkt_violation` with ``l1 = 0``), from :func:`gradient`: what
    the stopping rule bounds by ``tol``. ``y`` holds class indices,
    ``sample_weight`` the effective weights."""
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    grad_coef, grad_intercept = gradient(
        model.coef_,
        model.intercept_,
        X,
        y,
        C=model.C,
        sample_weight=s,
        **loss_params(model.get_params()),
    )
    if not model.fit_intercept:
        grad_intercept = np.zeros_like(grad_intercept)
    mu, sigma = solver_scales(X, s, fit_intercept=model.fit_intercept)
    on_W, on_b = kkt_violation(model.coef_, grad_coef, grad_intercept, 0.0, mu, sigma)
    return float(max(on_W.max(), on_b.max()))


def golden_problems() -> dict:
    """Small fixed problems for the golden test: name -> (X, y, fit parameters)."""
    import scipy.sparse as sp

    def gaussian_classes(n_samples, n_features, n_classes, seed):
        rng = np.random.default_rng(seed)
        y = np.arange(n_samples) % n_classes
        rng.shuffle(y)
        centers = rng.standard_normal((n_classes, n_features))
        return centers[y] + rng.standard_normal((n_samples, n_features)), y, rng

    X3, y3, rng = gaussian_classes(90, 5, 3, seed=0)
    weight3 = rng.uniform(0.5, 2.0, len(y3))
    X2, y2, _ = gaussian_classes(70, 4, 2, seed=1)
    X4, y4, rng = gaussian_classes(100, 8, 4, seed=2)
    X4[rng.random(X4.shape) < 0.5] = 0.0
    weight4 = rng.uniform(0.2, 3.0, len(y4))
    return {
        "dense3-weighted": (X3, y3, {"sample_weight": weight3}, {"C": 1.0}),
        "dense2": (X2, y2, {}, {"C": 10.0}),
        "sparse4-balanced-no-intercept": (
            sp.csr_matrix(X4),
            y4,
            {"sample_weight": weight4},
            {"C": 0.5, "class_weight": "balanced", "fit_intercept": False},
        ),
    }


#: Configurations of the golden test: every loss, plus the parameters that change it.
GOLDEN_CONFIGS = [
    *LOSS_CONFIGS,
    LABEL_SMOOTHING_CONFIG,
    MARGIN_CONFIG,
    {"loss": "squared_hinge", "multiclass_hinge": "crammer_singer", "C": np.inf},
]
