"""The preconditioner: its statistics against numpy; it changes the speed, not the optimum."""

from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_softmax._fit import fit_linear_model
from sklearn_softmax._losses import make_loss
from sklearn_softmax._objective import AffinePreconditioner

# Tight tolerances: a stall at machine precision is expected and harmless here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:L-BFGS stopped because the objective no longer decreases"
    ":sklearn.exceptions.ConvergenceWarning"
)


@pytest.mark.parametrize(
    "container",
    [np.asarray, np.asfortranarray, sp.csr_matrix, sp.csc_matrix],
    ids=["C", "F", "csr", "csc"],
)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_feature_statistics_match_numpy(container, fit_intercept):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 5))
    X[rng.random(X.shape) < 0.5] = 0.0
    X[:, 1] += 1e8 * (X[:, 1] != 0)  # a large offset: no cancellation allowed
    X[:, 4] *= 1e-2  # a small spread, kept (scale 1)
    X[:, 3] = 0.0  # a constant feature
    weights = rng.random(400)
    weights /= weights.sum()
    mean = np.average(X, axis=0, weights=weights) if fit_intercept else np.zeros(5)
    second = np.average((X - mean) ** 2, axis=0, weights=weights)
    stats = AffinePreconditioner.from_data(
        container(X), weights, n_scores=3, fit_intercept=fit_intercept
    )
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(stats.scale, np.sqrt(np.maximum(second, 1.0)), rtol=1e-9)


def test_duplicate_sparse_entries_are_summed():
    # A non-canonical CSR matrix: two stored values for the same entry.
    X = sp.csr_matrix((np.array([1.0, 2.0, 4.0]), np.array([0, 0, 1]), np.array([0, 2, 3])))
    weights = np.array([0.5, 0.5])
    stats = AffinePreconditioner.from_data(X, weights, n_scores=1, fit_intercept=True)
    dense = X.toarray()  # [[3, 0], [0, 4]]
    np.testing.assert_allclose(stats.mean, dense.mean(axis=0))
    np.testing.assert_allclose(stats.scale, dense.std(axis=0))  # 1.5 and 2
    assert not X.has_canonical_format  # the input is left as it was


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_hinge"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_preconditioned_fit_reaches_the_plain_fit(loss, sparse):
    # The reparametrization is exact: on (W, b) itself, L-BFGS reaches the same
    # optimum, only more slowly. (Smooth losses: a unique optimum to compare.)
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    X = rng.standard_normal((300, 4)) + y[:, None] * [0.8, -0.5, 0.3, 0.0]
    X = X * [1.0, 20.0, 0.05, 3.0] + [0.0, 50.0, 1.0, -7.0]
    X = sp.csr_matrix(X) if sparse else X
    runs = [
        fit_linear_model(
            partial(make_loss, loss, 3, multiclass_hinge="weston_watkins"),
            X,
            y,
            np.ones(300),
            C=1.0,
            fit_intercept=True,
            n_scores=3,
            init=(np.zeros((3, 4)), np.zeros(3)),
            smoothing_start=1.0,
            tol=1e-9,
            max_iter=50000,
            precondition=precondition,
        )
        for precondition in (True, False)
    ]
    (W, b, fast), (W_plain, b_plain, plain) = runs
    np.testing.assert_allclose(W, W_plain, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b, b_plain, rtol=1e-5, atol=1e-7)
    assert fast.n_iter < plain.n_iter
