"""Property-based tests (hypothesis) of the losses, the objective and the metrics."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import hinge_loss, log_loss

from sklearn_softmax._data import InMemoryData
from sklearn_softmax._losses import make_loss
from sklearn_softmax.metrics import cross_entropy_loss, multiclass_hinge_loss
from tests.oracles import FIT_CONFIGS, SMOOTH_CONFIGS, central_differences, config_id

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def loss_of(config, n_classes):
    config = dict(config)
    name = config.pop("loss")
    return make_loss(name, n_classes, **config)


def per_sample_losses(loss, Z, y):
    """A copy of the per-sample losses of class-major scores ``Z``."""
    values, _ = loss.loss_gradient(np.ascontiguousarray(Z, dtype=np.float64), y, gradient=False)
    return values.copy()


@st.composite
def problems(draw, max_samples=12, max_features=4, max_classes=5):
    """A small random data set with every class present, weights and a model."""
    n_classes = draw(st.integers(2, max_classes))
    n_samples = draw(st.integers(n_classes, max_samples))
    n_features = draw(st.integers(1, max_features))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, n_samples - n_classes)])
    X = rng.standard_normal((n_samples, n_features)) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    weight = rng.uniform(0.1, 3.0, n_samples)
    n_scores = 1 if n_classes == 2 else n_classes
    W = rng.standard_normal((n_scores, n_features))
    b = rng.standard_normal(n_scores)
    return X, y, weight, W, b


# Differentiable configurations only: finite differences across a kink are meaningless.
@pytest.mark.parametrize("config", SMOOTH_CONFIGS, ids=config_id)
@PROPERTY_SETTINGS
@given(problem=problems(), fit_intercept=st.booleans(), C=st.sampled_from([0.01, 1.0, 100.0]))
def test_analytic_gradient_matches_finite_differences(config, problem, fit_intercept, C):
    X, y, weight, W, b = problem
    n_classes = int(y.max()) + 1
    loss = loss_of(config, n_classes)
    total = weight.sum()  # F = J / (C sum w): weights w / sum w, penalty 1 / (C sum w)
    objective = InMemoryData(X, y, weight, np.arange(n_classes)).objective(
        loss,
        np.full(n_classes, 1 / total),
        alpha=1 / (C * total),
        fit_intercept=fit_intercept,
        n_scores=W.shape[0],
    )
    b = b if fit_intercept else np.zeros_like(b)

    def split(params):
        return params[: W.size].reshape(W.shape), params[W.size :] if fit_intercept else b

    def value(params):
        return objective.value_gradient(*split(params))[0]

    params = np.concatenate([W.ravel(), b]) if fit_intercept else W.ravel()
    _, grad_W, grad_b = objective.value_gradient(*split(params))
    analytic = np.concatenate([grad_W.ravel(), grad_b]) if fit_intercept else grad_W.ravel()
    numeric = central_differences(value, params, step=1e-5)
    scale = max(np.abs(numeric).max(), 1e-3)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * scale)


@st.composite
def scores(draw, max_samples=10, max_classes=6):
    """Class-major scores ``Z`` (K, n), labels ``y`` and a seed for permutations."""
    n_classes = draw(st.integers(3, max_classes))
    n_samples = draw(st.integers(1, max_samples))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_classes, n_samples)) * draw(st.sampled_from([0.1, 1.0, 30.0]))
    y = rng.integers(0, n_classes, n_samples)
    return Z, y, rng


@pytest.mark.parametrize("config", FIT_CONFIGS, ids=config_id)
@PROPERTY_SETTINGS
@given(data=scores())
def test_loss_is_invariant_to_permuting_samples_and_relabeling_classes(config, data):
    Z, y, rng = data
    loss = loss_of(config, Z.shape[0])
    values = per_sample_losses(loss, Z, y)
    order = rng.permutation(Z.shape[1])
    np.testing.assert_allclose(per_sample_losses(loss, Z[:, order], y[order]), values[order])
    relabel = rng.permutation(Z.shape[0])  # class k becomes relabel[k]
    Z_relabeled = np.empty_like(Z)
    Z_relabeled[relabel] = Z
    np.testing.assert_allclose(
        per_sample_losses(loss, Z_relabeled, relabel[y]), values, rtol=1e-12, atol=1e-12
    )
    assert np.all(values >= 0)


@pytest.mark.parametrize("config", FIT_CONFIGS, ids=config_id)
@PROPERTY_SETTINGS
@given(data=scores())
def test_binary_loss_is_symmetric_in_the_labels(config, data):
    # With one score z for classes (0, 1), relabeling the classes negates z.
    Z, y, _ = data
    z, labels = Z[:1], y % 2
    loss = loss_of(config, 2)
    np.testing.assert_allclose(
        per_sample_losses(loss, -z, 1 - labels), per_sample_losses(loss, z, labels), rtol=1e-12
    )


@PROPERTY_SETTINGS
@given(data=scores())
def test_metrics_equal_scikit_learn_on_random_inputs(data):
    Z, y, rng = data
    labels = np.arange(Z.shape[0])
    weight = rng.uniform(0.1, 2, len(y))
    proba = np.exp(Z.T - Z.T.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        cross_entropy_loss(y, proba, labels=labels, sample_weight=weight),
        log_loss(y, proba, labels=labels, sample_weight=weight),
        rtol=1e-10,
        atol=1e-15,  # log(p) for p within rounding of 1
    )
    np.testing.assert_allclose(
        multiclass_hinge_loss(y, Z.T, labels=labels, sample_weight=weight),
        hinge_loss(y, Z.T, labels=labels, sample_weight=weight),
        rtol=1e-10,
    )


@PROPERTY_SETTINGS
@given(data=scores(), shift=st.floats(-1e3, 1e3), label_smoothing=st.sampled_from([0.0, 0.3]))
def test_cross_entropy_is_invariant_to_a_constant_added_to_every_score(
    data, shift, label_smoothing
):
    Z, y, rng = data
    loss = make_loss("cross_entropy", Z.shape[0], label_smoothing=label_smoothing)
    per_sample_shift = shift * rng.uniform(-1, 1, Z.shape[1])
    np.testing.assert_allclose(
        per_sample_losses(loss, Z + per_sample_shift, y),
        per_sample_losses(loss, Z, y),
        rtol=1e-9,
        atol=1e-9,
    )


@PROPERTY_SETTINGS
@given(
    data=scores(),
    margin=st.floats(0.01, 10.0),
    extra=st.floats(1e-6, 100.0),  # strictly met, beyond rounding
    variant=st.sampled_from(["crammer_singer", "weston_watkins"]),
    squared=st.booleans(),
)
def test_hinge_metric_is_zero_when_every_margin_is_met(data, margin, extra, variant, squared):
    Z, y, _ = data
    decision = Z.T.copy()
    rows = np.arange(len(y))
    others = np.where(np.eye(Z.shape[0], dtype=bool)[y], -np.inf, decision).max(axis=1)
    decision[rows, y] = others + margin + extra  # true score beats every other by the margin
    labels = np.arange(Z.shape[0])
    value = multiclass_hinge_loss(
        y, decision, variant=variant, margin=margin, squared=squared, labels=labels
    )
    assert value == 0.0


@PROPERTY_SETTINGS
@given(
    data=scores(),
    variant=st.sampled_from(["crammer_singer", "weston_watkins"]),
    squared=st.booleans(),
    label_smoothing=st.sampled_from([0.0, 0.1]),
)
def test_metric_values_are_finite_and_non_negative(data, variant, squared, label_smoothing):
    Z, y, rng = data
    labels = np.arange(Z.shape[0])
    weight = rng.uniform(0, 2, len(y)) + 1e-3
    hinge = multiclass_hinge_loss(
        y, Z.T, variant=variant, squared=squared, labels=labels, sample_weight=weight
    )
    proba = np.exp(Z.T - Z.T.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    cross_entropy = cross_entropy_loss(
        y, proba, labels=labels, sample_weight=weight, label_smoothing=label_smoothing
    )
    for value in [hinge, cross_entropy]:
        assert np.isfinite(value) and value >= 0
