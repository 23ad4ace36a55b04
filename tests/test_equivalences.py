"""Equivalent inputs give the same model: weights vs duplicates, sparse vs dense, dtypes."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_sample_weight

from sklearn_softmax import SoftmaxClassifier
from tests.oracles import FIT_CONFIGS, config_id, distance_to_optimum, make_problem, model_objective

#: The fits' tol: their distance to the optimum (below) is then far smaller than the
#: difference any bug in the compared paths would make.
TOL = 1e-8

# Tolerances near 1e-8 and below are what these comparisons need; where double
# precision cannot certify them, the fit says so with this warning.
pytestmark = pytest.mark.filterwarnings(
    "ignore:L-BFGS stopped because no step decreases the objective"
    ":sklearn.exceptions.ConvergenceWarning"
)


def assert_same_optimum(a, b, X, y, weight=None):
    """``a`` and ``b`` minimize the same ``F = J / (C sum w)``, each stopped by the rule
    at ``TOL``; different arithmetic (sparse products, weights, memory order) moves
    their iterates, so they stop at different points near the optimum, each within
    ``distance_to_optimum`` of it: their objectives differ by at most its bound on
    ``F - F*``, their ``W`` by twice its bound on ``||W - W*||``. (The intercept has no
    bound of its own: the objective holds it.)"""
    slack, coef_slack = distance_to_optimum(a, X, y, weight, tol=TOL)
    F_a, F_b = model_objective(a, X, y, weight), model_objective(b, X, y, weight)
    assert abs(F_a - F_b) <= slack, f"objectives {F_a!r} and {F_b!r}, slack {slack:.2e}"
    distance = np.linalg.norm(a.coef_ - b.coef_)
    assert distance <= 2 * coef_slack, f"||W_a - W_b|| = {distance:.2e}, bound {coef_slack:.2e}"


@pytest.mark.parametrize("config", FIT_CONFIGS, ids=config_id)
@pytest.mark.parametrize("n_classes", [2, 4])
def test_integer_weights_equal_duplicated_rows(config, n_classes):
    X, y = make_problem(n_samples=80, n_features=5, n_classes=n_classes, seed=3)
    weight = np.random.default_rng(0).integers(0, 4, len(y))
    params = {**config, "tol": TOL, "max_iter": 10000}
    weighted = SoftmaxClassifier(**params).fit(X, y, sample_weight=weight)
    duplicated = SoftmaxClassifier(**params).fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    assert_same_optimum(weighted, duplicated, X, y, weight)


@pytest.mark.parametrize("config", FIT_CONFIGS, ids=config_id)
def test_balanced_class_weight_equals_sample_weights(config):
    X, y = make_problem(n_samples=90, n_features=4, n_classes=3, seed=4)
    y = np.where(y == 2, np.where(np.arange(len(y)) % 3 == 0, 2, 0), y)  # imbalanced
    params = {**config, "tol": TOL, "max_iter": 10000}
    balanced = SoftmaxClassifier(**params, class_weight="balanced").fit(X, y)
    weight = compute_sample_weight("balanced", y)
    weighted = SoftmaxClassifier(**params).fit(X, y, sample_weight=weight)
    assert_same_optimum(weighted, balanced, X, y, weight)


@pytest.mark.parametrize("config", FIT_CONFIGS, ids=config_id)
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_input_gives_the_dense_result(config, container, fit_intercept):
    X, y = make_problem(n_samples=120, n_features=8, n_classes=3, seed=5)
    X[np.abs(X) < 0.8] = 0.0  # about half the entries
    X[:, 2] += 4.0  # a feature with a large mean: centering must stay implicit
    params = {**config, "tol": TOL, "max_iter": 10000, "fit_intercept": fit_intercept}
    dense = SoftmaxClassifier(**params).fit(X, y)
    sparse = SoftmaxClassifier(**params).fit(container(X), y)
    assert_same_optimum(dense, sparse, X, y)
    # The same scores up to the rounding of a dot product of d terms and a sum:
    # |error| <= (d + 1) eps (|X| |W|^T + |b|), whatever the order of the sums.
    rounding = (X.shape[1] + 1) * np.finfo(float).eps
    scale = np.abs(X) @ np.abs(sparse.coef_).T + np.abs(sparse.intercept_)
    difference = sparse.decision_function(container(X)) - sparse.decision_function(X)
    assert np.all(np.abs(difference) <= rounding * scale)


@pytest.mark.parametrize("config", FIT_CONFIGS, ids=config_id)
def test_float32_agrees_with_float64(shared_data, config):
    X, y = shared_data("satimage")
    model64 = SoftmaxClassifier(**config).fit(X, y)
    model32 = SoftmaxClassifier(**config).fit(X.astype(np.float32), y)
    assert model32.coef_.dtype == np.float32 and model32.intercept_.dtype == np.float32
    assert model32.decision_function(X.astype(np.float32)).dtype == np.float32
    agreement = np.mean(model32.predict(X.astype(np.float32)) == model64.predict(X))
    assert agreement >= 0.99


def test_fortran_ordered_input_gives_the_same_model():
    X, y = make_problem(n_samples=100, n_features=6, n_classes=3, seed=6)
    a = SoftmaxClassifier(tol=TOL).fit(X, y)
    b = SoftmaxClassifier(tol=TOL).fit(np.asfortranarray(X), y)
    assert_same_optimum(a, b, X, y)
