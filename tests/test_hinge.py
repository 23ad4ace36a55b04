"""The hinge losses reach their optimum: LinearSVC's objective, duality gaps, accuracy."""

import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklearn_softmax import SoftmaxClassifier
from tests.oracles import HINGE_CONFIGS, config_id, distance_to_optimum, objective


def standardized(shared_data, name, n_samples):
    X, y = shared_data(name)
    rng = np.random.default_rng(0)
    keep = rng.permutation(len(y))[:n_samples]
    return StandardScaler().fit_transform(X[keep]), y[keep]


def dual_value(G, X, y, C, loss, variant, sample_weight, margin=1.0):
    """Fenchel dual ``D(G) = -sum_i c_i l*(g_i) - ||sum_i c_i g_i x_i^T||^2 / 2``.

    Lower bound of the no-intercept primal minimum for every feasible ``G`` (n x K):
    ``g_ik >= 0`` for ``k != y_i`` and ``g_iy = -sum_{k != y} g_ik``, plus
    ``sum_{k != y} g_ik <= 1`` (Crammer-Singer hinge) or ``g_ik <= 1``
    (Weston-Watkins hinge). With ``s_i = sum_{k != y} g_ik``, the conjugates are
    ``-margin s_i`` (both hinges), ``s_i^2 - 2 margin s_i`` (squared
    Crammer-Singer, ``g = 2 a (p - e_y)``) and ``sum_k g_k^2 / 4 - margin g_k``
    (squared Weston-Watkins).
    """
    rows = np.arange(len(y))
    others = G.copy()
    others[rows, y] = 0.0
    assert np.all(others >= 0) and np.allclose(G.sum(axis=1), 0.0)
    total = others.sum(axis=1)
    if loss == "hinge":
        bound = total if variant == "crammer_singer" else others.max(axis=1)
        assert np.all(bound <= 1 + 1e-12)
        conjugate = -margin * total
    elif variant == "crammer_singer":
        half = total / 2
        conjugate = half**2 - 2 * margin * half
    else:
        conjugate = (others**2 / 4 - margin * others).sum(axis=1)
    weights = C * sample_weight
    W = (weights[:, None] * G).T @ X
    return -conjugate @ weights - 0.5 * np.sum(W**2)


def dual_candidates(coef, X, y, loss, variant, margin=1.0):
    """Feasible dual points built from the scores: smoothed (sub)gradients."""
    Z = X @ coef.T
    rows = np.arange(len(y))
    u = margin + Z - Z[rows, y][:, None]
    u[rows, y] = 0.0  # u_y = 0 stands for the max(0, .)
    for temperature in np.logspace(-1, -6, 51):
        if variant == "crammer_singer":
            p = softmax(u / temperature, axis=1)
            G = p - np.eye(Z.shape[1])[y]
            if loss == "squared_hinge":
                G *= 2 * u.max(axis=1, keepdims=True)
        else:
            u[rows, y] = -np.inf
            with np.errstate(over="ignore"):
                G = (
                    1 / (1 + np.exp(-u / temperature))
                    if loss == "hinge"
                    else 2 * np.maximum(u, 0.0)
                )
            G[rows, y] = -G.sum(axis=1)
        yield G


def relative_duality_gap(coef, X, y, C, loss, variant, sample_weight):
    primal = objective(
        coef, 0.0, X, y, C=C, sample_weight=sample_weight, loss=loss, multiclass_hinge=variant
    )
    best_dual = max(
        dual_value(G, X, y, C, loss, variant, sample_weight)
        for G in dual_candidates(coef, X, y, loss, variant)
    )
    assert best_dual <= primal * (1 + 1e-12)  # weak duality
    return (primal - best_dual) / primal


@pytest.mark.parametrize("config", HINGE_CONFIGS, ids=config_id)
def test_duality_gap_certifies_the_optimum(shared_data, config):
    loss, variant = config["loss"], config["multiclass_hinge"]
    X, y = standardized(shared_data, "satimage", 1500)
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    # tol=1e-5: at the default 1e-4 the gap is about 1e-3, most of it from the
    # gradient left at the stopping point (it enters the gap squared, times C n).
    model = SoftmaxClassifier(**config, fit_intercept=False, tol=1e-5, max_iter=20000)
    model.fit(X, y, sample_weight=sample_weight)
    gap = relative_duality_gap(model.coef_, X, y, 1.0, loss, variant, sample_weight)
    # The stopping rule bounds the exact gap (the smoothing's Fenchel-Young gap plus the
    # gradient's share) by distance_to_optimum's slack, 1e-4 to 3e-4 of the primal here;
    # the dual points above are not the best ones, hence the larger threshold.
    assert gap < 1e-3
    # The certificate is not vacuous: a visibly worse model fails it.
    assert relative_duality_gap(0.8 * model.coef_, X, y, 1.0, loss, variant, sample_weight) > 1e-3


def test_crammer_singer_reaches_linear_svc_objective(shared_data):
    X, y = standardized(shared_data, "satimage", 1500)
    reference = LinearSVC(multi_class="crammer_singer", intercept_scaling=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
    tol = 1e-5
    ours = SoftmaxClassifier(loss="hinge", tol=tol).fit(X, y)
    J = lambda m: objective(  # noqa: E731
        m.coef_, m.intercept_, X, y, C=1.0, loss="hinge", multiclass_hinge="crammer_singer"
    )
    # LinearSVC's point is no better than the optimum J* (it penalizes its intercept
    # slightly, and stops short); ours is within the stopping rule's distance of J*:
    # J / (C n) - J* / (C n) <= slack (1.6e-4 of J here; 1.3e-2 at the default tol).
    slack, _ = distance_to_optimum(ours, X, y, tol=tol)
    assert J(ours) <= J(reference) + slack * len(y)


@pytest.mark.parametrize("config", HINGE_CONFIGS, ids=config_id)
def test_every_hinge_learns_with_default_parameters(shared_data, config):
    X, y = shared_data("letter")
    keep = np.random.default_rng(0).permutation(len(y))[:6000]
    X, y = X[keep], y[keep]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def accuracy(estimator):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return cross_val_score(make_pipeline(StandardScaler(), estimator), X, y, cv=cv).mean()

    ours = accuracy(SoftmaxClassifier(**config))
    # LinearSVC's default (one-vs-rest squared hinge) for every variant, and the
    # stronger Crammer-Singer LinearSVC for the Crammer-Singer losses.
    assert ours >= accuracy(LinearSVC(random_state=0)) - 0.03
    if config["multiclass_hinge"] == "crammer_singer":
        assert ours >= accuracy(LinearSVC(multi_class="crammer_singer", random_state=0)) - 0.03
