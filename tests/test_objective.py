"""The preconditioner: its statistics against numpy; it changes the speed, not the optimum."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_softmax._coordinates import AffinePreconditioner
from sklearn_softmax._data import fit_data
from sklearn_softmax._settings import DEFAULT_SETTINGS, SolverSettings
from sklearn_softmax._summary import class_moments, feature_moments
from tests import core
from tests.oracles import (
    LOSS_CONFIGS,
    config_id,
    gradient,
    is_smooth,
    kkt_violation,
    objective,
    solver_scales,
)


def preconditioner(X, y, sample_weight, class_weight, fit_intercept):
    """The coordinates a fit derives from the summary of ``X``."""
    moments = class_moments(X, y, sample_weight, class_weight.size)
    mean, second = feature_moments(moments, class_weight, center=fit_intercept)
    return AffinePreconditioner.from_moments(mean, second, n_scores=3, fit_intercept=fit_intercept)


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
    sample_weight = rng.random(400)
    y = rng.integers(0, 3, 400)
    class_weight = np.array([1.0, 2.5, 0.3])
    # The moments under the weights s_i c_{y_i}, straight from numpy.
    weights = sample_weight * class_weight[y]
    mean = np.average(X, axis=0, weights=weights) if fit_intercept else np.zeros(5)
    second = np.average((X - mean) ** 2, axis=0, weights=weights)
    stats = preconditioner(container(X), y, sample_weight, class_weight, fit_intercept)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(stats.scale, np.sqrt(np.maximum(second, 1.0)), rtol=1e-9)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_statistics_of_wide_data_through_the_data_source(container):
    """``InMemoryData`` keeps class indices in a small integer type (uint8 here):
    the summary's cell index ``y d + j`` (up to 2 x 300 + 299) must not wrap."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 300)) * (rng.random((60, 300)) < 0.2)
    y = np.repeat(["a", "b", "c"], 20)
    data = fit_data(container(X), y)
    assert data.y.dtype == np.uint8
    summary = data.summarize()
    for k in range(3):
        rows = X[20 * k : 20 * (k + 1)]
        np.testing.assert_allclose(summary.moments.means[k], rows.mean(axis=0), atol=1e-12)
        np.testing.assert_allclose(summary.moments.squares[k], 20 * rows.var(axis=0), atol=1e-9)


def test_duplicate_sparse_entries_are_summed():
    # A non-canonical CSR matrix: two stored values for the same entry.
    X = sp.csr_matrix((np.array([1.0, 2.0, 4.0]), np.array([0, 0, 1]), np.array([0, 2, 3])))
    stats = preconditioner(X, np.zeros(2, int), np.ones(2), np.ones(1), True)
    dense = X.toarray()  # [[3, 0], [0, 4]]
    np.testing.assert_allclose(stats.mean, dense.mean(axis=0))
    np.testing.assert_allclose(stats.scale, dense.std(axis=0))  # 1.5 and 2
    assert not X.has_canonical_format  # the input is left as it was


@pytest.mark.parametrize(
    "config", [config for config in LOSS_CONFIGS if is_smooth(config)], ids=config_id
)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_preconditioned_fit_reaches_the_plain_fit(config, sparse):
    # The reparametrization is exact: on (W, b) itself, L-BFGS reaches the same
    # optimum, only more slowly. (Smooth losses: a unique optimum to compare.)
    # tol=1e-5: both runs meet the rule on these raw features (at 1e-9 both stop at
    # the precision of float64, where no bound derives from tol).
    tol = 1e-5
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    X = rng.standard_normal((300, 4)) + y[:, None] * [0.8, -0.5, 0.3, 0.0]
    X = X * [1.0, 20.0, 0.05, 3.0] + [0.0, 50.0, 1.0, -7.0]
    X = sp.csr_matrix(X) if sparse else X
    runs = [
        core.fit(X, y, **config, tol=tol, max_iter=50000, settings=settings)
        for settings in (DEFAULT_SETTINGS, SolverSettings(precondition=False))
    ]
    (W, b, fast), (W_plain, b_plain, plain) = ((r.W, r.b, r) for r in runs)
    # Both are stationary points of J / (C n) to tol, each in its own coordinates,
    # by the textbook gradient (whose rounding is at most n eps max|x|): the plain
    # run on (W, b), the preconditioned one on V = W sigma, c = b + W mu. A map that
    # moved the optimum would fail this.
    rounding = 300 * np.finfo(float).eps * abs(X).max()
    mu, sigma = solver_scales(X, np.ones(300))
    for (W_run, b_run), (mu_run, sigma_run) in [
        ((W, b), (mu, sigma)),
        ((W_plain, b_plain), (np.zeros(4), np.ones(4))),
    ]:
        grad_W, grad_b = gradient(W_run, b_run, X, y, C=1.0, **config)
        on_W, on_b = kkt_violation(W_run, grad_W, grad_b, 0.0, mu_run, sigma_run)
        assert max(on_W.max(), on_b.max()) <= tol + rounding
    # J / (C n) is 1 / (C n)-strongly convex in W (the penalty), 1 / (C n sigma_max^2)
    # in V, so a point whose p gradient entries are at most tol there has
    # ||W - W*|| <= sqrt(2 p) tol C n sigma_max.
    bound = np.sqrt(2 * (W.size + b.size)) * tol * 300 * sigma.max()
    assert np.linalg.norm(W - W_plain) <= 2 * bound
    assert fast.n_iter < plain.n_iter


def test_a_short_history_on_wide_data_reaches_the_same_optimum():
    """Issue 15's history lever: on a problem of ``settings.wide`` parameters or more,
    ``lbfgs_history`` keeps 2 pairs; the fit reaches the optimum of the 10-pair fit
    (the stopping rule is the same): objectives within 1e-6 relative, by the oracle."""
    rng = np.random.default_rng(7)
    n_samples, n_features = 300, 4000
    y = rng.integers(0, 3, n_samples)
    # Sparse counts-like data whose stored values depend on the class.
    stored = rng.random((n_samples, n_features)) < 0.01
    values = rng.random((n_samples, n_features)) + rng.random((3, n_features))[y]
    X = sp.csr_matrix(stored * values)
    n_parameters = 3 * (n_features + 1)
    assert n_parameters >= DEFAULT_SETTINGS.wide
    assert DEFAULT_SETTINGS.lbfgs_history(X.nnz, 3, n_parameters) == 2
    fits = [
        core.fit(X, y, C=10.0, tol=1e-8, settings=settings)
        for settings in (DEFAULT_SETTINGS, SolverSettings(history=10))
    ]
    assert all(fit.converged for fit in fits)
    values = [objective(fit.W, fit.b, X, y, C=10.0) for fit in fits]
    assert values[0] == pytest.approx(values[1], rel=1e-6)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_inert_features_are_left_out_and_get_zero_weights(container, l1_ratio):
    """Empty columns (and, with an intercept, constant ones) do not change the loss:
    their weights' optimum is 0. The solver leaves them out of its variables; the fit
    equals the fit without them, their weights exact zeros. Without an intercept a
    constant column is not inert (its weight acts as one)."""
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 200)
    X = rng.standard_normal((200, 4)) + y[:, None] * [0.5, -0.3, 0.0, 0.2]
    padded = np.hstack([np.zeros((200, 3)), X[:, :2], np.full((200, 1), 7.0), X[:, 2:]])
    inert = [0, 1, 2, 5]
    fits = {
        name: core.fit(container(data), y, l1_ratio=l1_ratio, tol=1e-9, max_iter=20_000)
        for name, data in (("plain", X), ("padded", padded))
    }
    assert np.all(fits["padded"].W[:, inert] == 0)
    kept = np.delete(fits["padded"].W, inert, axis=1)
    np.testing.assert_allclose(kept, fits["plain"].W, atol=1e-6)
    problem, _, _ = core.problem(container(padded), y)
    summary = problem.data.summarize()
    mean, second = feature_moments(summary.moments, np.ones(3), center=True)
    coordinates = AffinePreconditioner.from_moments(mean, second, n_scores=3, fit_intercept=True)
    assert coordinates.size == 3 * (4 + 1)
    without_intercept = core.fit(container(padded), y, fit_intercept=False)
    assert np.all(without_intercept.W[:, :3] == 0) and np.all(without_intercept.W[:, 5] != 0)
