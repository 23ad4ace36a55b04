"""Text as users vectorize it: unit-norm TF-IDF rows are scaled up in the solver's
coordinates (not past the floor), the stopping rule stays the documented one, and
on R8 the default fit ends at an objective at most LogisticRegression's."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._core import _coordinates
from sklearn_softmax._settings import DEFAULT_SETTINGS, SolverSettings
from tests import core, datasets
from tests.oracles import gradient, objective, solver_scales


def unit_norm_rows(seed=0, n_samples=400, n_features=300):
    """Sparse rows of unit norm, as TfidfVectorizer gives them: every feature's spread
    far below 1, the total spread about 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_samples)
    counts = rng.poisson(0.05 + 0.3 * rng.random((3, n_features))[y])
    return normalize(sp.csr_matrix(counts.astype(float))), y


def test_unit_norm_rows_are_scaled_up_to_the_floor_and_counts_are_not():
    """The floor is 0.2 times the total spread ``sqrt(sum_j sd_j^2)`` (about 1 here),
    at most 1: features of spread between the floor and 1 are scaled to unit spread;
    data of total spread 5 or more (counts, pixels) keep the floor of 1."""
    X, y = unit_norm_rows()
    dense = X.toarray()
    sd = dense.std(axis=0)
    assert sd.max() < 1 and 0.5 < np.sqrt((sd**2).sum()) < 2
    floor = DEFAULT_SETTINGS.floor(float(np.sqrt((sd**2).sum())))
    assert floor == pytest.approx(0.2 * np.sqrt((sd**2).sum()))
    problem, _, _ = core.problem(X, y)
    coordinates = _coordinates(problem.data.summarize(), np.ones(3), 3, True, DEFAULT_SETTINGS)
    np.testing.assert_allclose(coordinates.scale, np.maximum(sd, floor), rtol=1e-9)
    assert DEFAULT_SETTINGS.floor(5.0) == DEFAULT_SETTINGS.floor(30.0) == 1.0


@pytest.mark.parametrize("C", [1.0, 100.0])
def test_the_stopping_rule_is_the_documented_one_in_any_solver_coordinates(C):
    """The solver works on features scaled up to the floor; ``tol`` still bounds the
    gradient w.r.t. the weights of ``(x - mean) / max(1, sd)``: the fit's largest such
    entry, by the textbook gradient, is at most tol, and fits in both coordinates
    reach the same objective."""
    X, y = unit_norm_rows(seed=1)
    fits = {
        floor: core.fit(X, y, C=C, tol=1e-6, settings=SolverSettings(scale_floor_per_spread=floor))
        for floor in (0.2, 10.0)  # 10: the floor is scale_floor = 1, no scaling up
    }
    for fit in fits.values():
        grad_W, grad_b = gradient(fit.W, fit.b, X, y, C=C)
        mu, sigma = solver_scales(X, np.ones(len(y)))
        on_W = (grad_W - np.outer(grad_b, mu)) / sigma
        assert max(np.abs(on_W).max(), np.abs(grad_b).max()) <= 1e-6 + 1e-12
    values = [objective(fit.W, fit.b, X, y, C=C) for fit in fits.values()]
    assert values[0] == pytest.approx(values[1], rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("C", [1.0, 100.0])
def test_r8_tfidf_default_objective_is_at_most_logistic_regressions(shared_data, C, dtype):
    """Issue 23: a third of R8's documents as ``TfidfVectorizer(sublinear_tf=True)``
    rows; both default fits, objectives by the textbook formula in float64."""
    documents, y = datasets.load_r8_text()
    rows = np.random.default_rng(0).permutation(len(y))[:1800]
    X = TfidfVectorizer(sublinear_tf=True).fit_transform([documents[i] for i in rows])
    y = y[rows]
    ours = SoftmaxClassifier(C=C).fit(X.astype(dtype), y)
    theirs = LogisticRegression(C=C, max_iter=1000).fit(X.astype(dtype), y)
    J = [objective(m.coef_, m.intercept_, X, y, C=C) for m in (ours, theirs)]
    assert J[0] <= J[1]
