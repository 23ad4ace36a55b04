"""The analytic gradient of J equals central finite differences, for every loss."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_softmax._blocks import gradient_product
from sklearn_softmax._coordinates import AffinePreconditioner
from sklearn_softmax._losses import make_loss
from sklearn_softmax._objective import LinearObjective
from sklearn_softmax._settings import SolverSettings
from tests.oracles import (
    GRADIENT_CONFIGS,
    HINGE_CONFIGS,
    LABEL_SMOOTHING_CONFIG,
    LOSS_CONFIGS,
    central_differences,
    config_id,
    make_problem,
)


def objective_for(config, n_classes, fit_intercept, sparse, C=0.7, seed=0):
    """``F = J / (C sum w)`` on a small problem with sample weights and class weights
    ``{0: 2, 1: 0.5}`` (others 1): weights ``w / sum w``, penalty ``1 / (C sum w)``."""
    config = dict(config)
    smoothing = config.pop("smoothing", 0.0)
    X, y = make_problem(n_samples=40, n_features=4, n_classes=n_classes, seed=seed)
    rng = np.random.default_rng(seed + 1)
    class_weight = np.ones(n_classes)
    class_weight[:2] = [2.0, 0.5]
    weight = rng.uniform(0.2, 2.0, size=y.size) * class_weight[y]
    n_scores = 1 if n_classes == 2 else n_classes
    loss = make_loss(
        config["loss"],
        n_classes,
        multiclass_hinge=config.get("multiclass_hinge", "crammer_singer"),
        label_smoothing=config.get("label_smoothing", 0.0),
        margin=config.get("margin", 1.0),
        smoothing=smoothing,
    )
    X = sp.csr_matrix(X) if sparse else X
    return normalized_objective(loss, X, y, weight, C, fit_intercept, n_scores)


def normalized_objective(loss, X, y, weight, C, fit_intercept, n_scores):
    total = weight.sum()
    return LinearObjective(
        loss,
        X,
        y,
        weight / total,
        alpha=1 / (C * total),
        fit_intercept=fit_intercept,
        n_scores=n_scores,
    )


def assert_gradient_matches(fun_grad, x, rtol=1e-6):
    value_only = lambda v: fun_grad(v)[0]  # noqa: E731
    expected = central_differences(value_only, x)
    actual = fun_grad(x)[1]
    error = np.linalg.norm(actual - expected) / np.linalg.norm(expected)
    assert error < rtol, f"relative gradient error {error:.2e}"


@pytest.mark.parametrize("config", GRADIENT_CONFIGS, ids=config_id)
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_gradient_of_J_matches_finite_differences(config, n_classes, fit_intercept, sparse):
    objective = objective_for(config, n_classes, fit_intercept, sparse)
    n_scores = 1 if n_classes == 2 else n_classes
    rng = np.random.default_rng(3)
    W = rng.standard_normal((n_scores, 4)) * 0.8
    b = rng.standard_normal(n_scores) * 0.5 if fit_intercept else np.zeros(n_scores)
    inverse_C_total_weight = objective.alpha  # J = F * (C sum w) = F / alpha

    def J(params):
        W_ = params[: W.size].reshape(W.shape)
        b_ = params[W.size :] if fit_intercept else np.zeros(n_scores)
        value, grad_W, grad_b = objective.value_gradient(W_, b_)
        grad = np.concatenate([grad_W.ravel(), grad_b]) if fit_intercept else grad_W.ravel()
        return value / inverse_C_total_weight, grad / inverse_C_total_weight

    params = np.concatenate([W.ravel(), b]) if fit_intercept else W.ravel()
    assert_gradient_matches(J, params)


@pytest.mark.parametrize(
    "config", [LOSS_CONFIGS[0], LABEL_SMOOTHING_CONFIG, HINGE_CONFIGS[0]], ids=config_id
)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_gradient_in_solver_coordinates_matches_finite_differences(config, fit_intercept, sparse):
    objective = objective_for(config, 3, fit_intercept, sparse)
    X = objective.X
    # A shifted, scaled copy of the features makes the map far from the identity.
    weighted_mean = objective.weights @ (X.toarray() if sp.issparse(X) else X)
    coordinates = AffinePreconditioner(
        (weighted_mean + np.array([3.0, -1.0, 0.5, 2.0])) * fit_intercept,
        np.array([0.1, 4.0, 1.0, 30.0]),
        n_scores=3,
        fit_intercept=fit_intercept,
    )

    def fun(theta):
        W, b = coordinates.to_model(theta)
        value, grad_W, grad_b = objective.value_gradient(W, b)
        return value, coordinates.gradient_to_solver(grad_W, grad_b)

    theta = np.random.default_rng(5).standard_normal(coordinates.size)
    assert_gradient_matches(fun, theta)


def test_coordinate_map_round_trips():
    rng = np.random.default_rng(0)
    coordinates = AffinePreconditioner(rng.standard_normal(4), rng.uniform(0.1, 3, 4), 3, True)
    W, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    W2, b2 = coordinates.to_model(coordinates.to_solver(W, b))
    np.testing.assert_allclose(W2, W, rtol=1e-12)
    np.testing.assert_allclose(b2, b, rtol=1e-12)


@pytest.mark.parametrize("config", GRADIENT_CONFIGS, ids=config_id)
def test_float32_and_csc_paths_match_the_float64_dense_gradient(config):
    dense = objective_for(config, 3, True, sparse=False)
    rng = np.random.default_rng(4)
    W, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    value, grad_W, grad_b = dense.value_gradient(W, b)
    X, y = dense.X, dense.y
    for other_X, rtol in [
        (sp.csc_matrix(X), 1e-12),
        (X.astype(np.float32), 1e-5),
        (sp.csr_matrix(X.astype(np.float32)), 1e-5),
    ]:
        other = LinearObjective(
            dense.loss,
            other_X,
            y,
            dense.weights,
            alpha=dense.alpha,
            fit_intercept=True,
            n_scores=3,
        )
        other_value, other_W, other_b = other.value_gradient(W, b)
        np.testing.assert_allclose(other_value, value, rtol=rtol)
        np.testing.assert_allclose(other_W, grad_W, rtol=rtol, atol=rtol * np.abs(grad_W).max())
        np.testing.assert_allclose(other_b, grad_b, rtol=rtol, atol=rtol * np.abs(grad_b).max())


@pytest.mark.parametrize("config", GRADIENT_CONFIGS, ids=config_id)
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "container",
    [np.asarray, np.asfortranarray, sp.csr_matrix, sp.csc_matrix],
    ids=["C", "F", "csr", "csc"],
)
def test_lanes_and_blocks_sum_to_the_whole_evaluation(config, n_classes, fit_intercept, container):
    """Three lanes of 13, 14 and 13 rows in blocks of 3 (the last of 1 or 2) give the
    value, gradient and Fenchel-Young gap of one pass over all 40 rows."""
    whole = objective_for(config, n_classes, fit_intercept, sparse=False)
    X = container(whole.X)
    row_bytes = 4 * whole.X.dtype.itemsize
    lanes = LinearObjective(
        whole.loss,
        X,
        whole.y,
        whole.weights,
        alpha=whole.alpha,
        fit_intercept=fit_intercept,
        n_scores=whole.n_scores,
        n_lanes=3,
        settings=SolverSettings(block_bytes=3 * row_bytes),
    )
    blocks = lanes.blocks
    if sp.issparse(X) and X.format == "csc":
        assert len(blocks) == 1  # its row slices would be copies
    else:
        assert lanes.n_lanes == 3 and len(blocks) == 15
    for block in blocks:  # views of X, not copies
        assert np.shares_memory(block.X.data if sp.issparse(X) else block.X, X.data)
    rng = np.random.default_rng(6)
    W = rng.standard_normal((whole.n_scores, 4))
    b = rng.standard_normal(whole.n_scores) if fit_intercept else np.zeros(whole.n_scores)
    for actual, expected in zip(
        lanes.value_gradient(W, b), whole.value_gradient(W, b), strict=True
    ):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lanes.value(W, b), whole.value(W, b), rtol=1e-12)
    np.testing.assert_allclose(
        lanes.fenchel_young_gap(W, b), whole.fenchel_young_gap(W, b), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_the_gradient_product_leaves_out_only_samples_of_zero_gradient(container):
    """The hinges' product skips the samples whose gradient column is exactly zero:
    their rows of X hold NaN here, which any product over them would spread."""
    rng = np.random.default_rng(7)
    G = rng.standard_normal((3, 12))
    zero = rng.permutation(12)[:8]
    G[:, zero] = 0.0
    X = rng.standard_normal((12, 5))
    expected = np.delete(G, zero, axis=1) @ np.delete(X, zero, axis=0)
    X[zero] = np.nan
    actual = gradient_product(G, container(X), skip_zeros=True, skip_share=0.5)
    np.testing.assert_allclose(actual, expected, rtol=1e-12)
    # too few zeros to pay for the gather: the plain product, NaN and all
    G[:, zero[:3]] = 1.0
    assert np.isnan(gradient_product(G, container(X), skip_zeros=True, skip_share=0.5)).all()


@pytest.mark.parametrize("multiclass_hinge", ["crammer_singer", "weston_watkins"])
@pytest.mark.parametrize("loss_name", ["hinge", "squared_hinge"])
@pytest.mark.parametrize("smoothing", [0.0, 1e-3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_screened_hinge_evaluations_equal_full_ones(
    multiclass_hinge, loss_name, smoothing, dtype, container
):
    """After a full evaluation at ``W0``, evaluations near it leave out the samples
    their screen proves saturated: the value and gradient are those of a fresh
    objective (no screen yet) at each point, including points far enough away that
    samples saturated at ``W0`` are not any more."""
    rng = np.random.default_rng(8)
    n_classes, n_features = 4, 5
    centers = 4.0 * rng.standard_normal((n_classes, n_features))
    y = rng.integers(0, n_classes, 300)
    # from each class's center up to the boundary with another: margins of -8 to 1
    towards = centers[(y + rng.integers(1, n_classes, 300)) % n_classes] - centers[y]
    X = centers[y] + rng.uniform(0, 0.5, (300, 1)) * towards
    X = (X + 0.1 * rng.standard_normal(X.shape)).astype(dtype)
    loss = make_loss(loss_name, n_classes, multiclass_hinge=multiclass_hinge, smoothing=smoothing)
    weights = np.full(300, 1 / 300)
    W0 = 0.1 * centers
    b0 = rng.standard_normal(n_classes) * 0.1

    def objective():
        return LinearObjective(
            loss, container(X), y, weights, alpha=0.0, fit_intercept=True,
            n_scores=n_classes, n_lanes=2,
            settings=SolverSettings(block_bytes=40 * n_features * X.itemsize),
        )  # fmt: skip

    screened = objective()
    screened.value_gradient(W0, b0)
    assert screened.rows_scored == y.size  # no reference yet: every row scored
    scored = []
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for step_W, step_b in [(1e-4, 1e-4), (1e-2, 0.0), (0.0, 0.3), (0.05, 0.0)]:
        W = W0 + step_W * rng.standard_normal(W0.shape)
        b = b0 + step_b * rng.standard_normal(b0.shape)
        fresh = objective()
        for actual, expected in zip(
            screened.value_gradient(W, b), fresh.value_gradient(W, b), strict=True
        ):
            np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-7 * rtol)
        assert fresh.rows_scored == y.size
        scored.append(screened.rows_scored)
    assert min(scored) < y.size  # some blocks were screened
