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
    **loss_params,
) -> float:
    """``J = C sum_i s_i loss(W x_i + b, y_i) + ||W||_F^2 / 2`` (``C = inf``: the
    weighted loss alone), in float64."""
    coef = np.asarray(coef, dtype=np.float64)
    Z = np.asarray(X @ coef.T, dtype=np.float64) + np.asarray(intercept, dtype=np.float64)
    losses = per_sample_loss(Z, np.asarray(y), **loss_params)
    s = np.ones(len(losses)) if sample_weight is None else np.asarray(sample_weight, float)
    if np.isinf(C):
        return float(losses @ s)
    return float(C * (losses @ s) + 0.5 * np.sum(coef**2))


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
