"""The preconditioner's statistics against numpy, and the objective's memory use."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_softmax._objective import AffinePreconditioner


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
