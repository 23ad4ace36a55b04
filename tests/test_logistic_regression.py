"""Cross-entropy reaches LogisticRegression's optimum: same objective, same C."""

import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from sklearn_softmax import SoftmaxClassifier
from tests.oracles import kkt_violation, make_problem, solver_scales

# Tolerances near 1e-8 and below are what these comparisons need; where double
# precision cannot certify them, the fit says so with this warning.
pytestmark = pytest.mark.filterwarnings(
    "ignore:L-BFGS stopped because no step decreases the objective"
    ":sklearn.exceptions.ConvergenceWarning"
)


def penalized_log_loss(model, X, y, C, sample_weight=None):
    """``J / (C sum w)`` from scikit-learn's own log_loss: the objective both minimize."""
    weight = np.ones(len(y)) if sample_weight is None else sample_weight
    if model.class_weight == "balanced":
        counts = np.bincount(y, weights=weight)
        weight = weight * (counts.sum() / (counts.size * counts))[y]
    mean_loss = log_loss(y, model.predict_proba(X), sample_weight=weight)
    return mean_loss + np.sum(model.coef_.astype(float) ** 2) / (2 * C * weight.sum())


def well_scaled(n_classes, seed=0):
    """Non-separable classes on standard normal features: LogisticRegression converges."""
    return make_problem(n_samples=300, n_features=6, n_classes=n_classes, seed=seed)


def raw_features(n_classes, seed=0):
    """The same classes on features with very different offsets and scales."""
    X, y = well_scaled(n_classes, seed)
    return X * [1.0, 30.0, 0.01, 5.0, 1.0, 200.0] + [
        0.0,
        100.0,
        -3.0,
        0.0,
        50.0,
        7.0,
    ], y


def penalized_log_loss_gradient(params, X, y, C, n_scores):
    """Gradient of ``J / (C n)`` w.r.t. (coef, intercept), by the textbook formula."""
    coef = params[: n_scores * X.shape[1]].reshape(n_scores, -1)
    scores = X @ coef.T + params[coef.size :]
    if n_scores == 1:  # one score z = logit of the greater class
        residual = expit(scores) - (y == 1)[:, None]
    else:
        residual = softmax(scores, axis=1) - np.eye(n_scores)[y]
    grad_coef = residual.T @ X / len(y) + coef / (C * len(y))
    return np.concatenate([grad_coef.ravel(), residual.mean(axis=0)])


def newton_decrement(model, X, y, C):
    """``g^T H^+ g / 2``: how far Newton's method predicts J / (C n) still falls.

    Scale-free, unlike the gradient itself: a gradient entry of a feature of
    std 200 is 200x larger than one of the same change on the standardized one.
    ``H`` comes from central differences of the textbook gradient.
    """
    params = np.concatenate([model.coef_.ravel(), model.intercept_]).astype(float)
    n_scores = model.coef_.shape[0]
    grad = penalized_log_loss_gradient(params, X, y, C, n_scores)
    steps = 1e-6 * np.maximum(1.0, np.abs(params))
    hessian = np.column_stack(
        [
            (
                penalized_log_loss_gradient(params + step * e, X, y, C, n_scores)
                - penalized_log_loss_gradient(params - step * e, X, y, C, n_scores)
            )
            / (2 * step)
            for step, e in zip(steps, np.eye(params.size), strict=True)
        ]
    )
    hessian = (hessian + hessian.T) / 2
    return grad @ np.linalg.lstsq(hessian, grad, rcond=1e-12)[0] / 2


def fit_both(X, y, sample_weight=None, **params):
    ours = SoftmaxClassifier(tol=1e-10, max_iter=20000, **params)
    ours.fit(X, y, sample_weight=sample_weight)
    reference = LogisticRegression(tol=1e-10, max_iter=20000, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y, sample_weight=sample_weight)
    return ours, reference


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_same_optimum_as_logistic_regression(n_classes, C, fit_intercept):
    X, y = well_scaled(n_classes)
    ours, reference = fit_both(X, y, C=C, fit_intercept=fit_intercept)
    ours_J = penalized_log_loss(ours, X, y, C)
    reference_J = penalized_log_loss(reference, X, y, C)
    # Both stop at tol=1e-10 (J / (C n) then within p tol^2 C n < 1e-14 of its
    # minimum) or where float64 no longer resolves a decrease: their J agree to 1e-11
    # or better on every kernel; 1e-7 leaves that margin and catches any other point.
    assert ours_J <= reference_J * (1 + 1e-7)
    assert abs(ours_J - reference_J) <= 1e-7 * reference_J
    if n_classes == 2:  # one score: a unique optimum; the fits agree to 1e-6 here
        scale = np.abs(reference.coef_).max()
        np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-4, atol=1e-4 * scale)
        np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_same_optimum_with_sample_and_class_weights(n_classes):
    X, y = well_scaled(n_classes, seed=1)
    sample_weight = np.random.default_rng(0).uniform(0.1, 3.0, y.size)
    ours, reference = fit_both(X, y, sample_weight, C=2.0, class_weight="balanced")
    ours_J = penalized_log_loss(ours, X, y, 2.0, sample_weight)
    reference_J = penalized_log_loss(reference, X, y, 2.0, sample_weight)
    assert abs(ours_J - reference_J) <= 1e-7 * reference_J
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_no_penalty_matches_logistic_regression():
    X, y = well_scaled(3, seed=2)
    ours, reference = fit_both(X, y, C=np.inf)
    assert abs(
        penalized_log_loss(ours, X, y, np.inf) - penalized_log_loss(reference, X, y, np.inf)
    ) <= 1e-7 * penalized_log_loss(reference, X, y, np.inf)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_raw_features_reach_the_optimum(n_classes, C):
    # On badly scaled features LogisticRegression stops short of the optimum;
    # ours gets at least as low and its gradient vanishes.
    X, y = raw_features(n_classes)
    ours, reference = fit_both(X, y, C=C)
    ours_J = penalized_log_loss(ours, X, y, C)
    assert ours_J <= penalized_log_loss(reference, X, y, C) * (1 + 1e-9)
    assert newton_decrement(ours, X, y, C) <= 1e-12 * ours_J


@pytest.mark.parametrize("tol", [1e-3, 1e-4, 1e-6])
def test_tol_bounds_the_largest_gradient_entry(shared_data, tol):
    # tol bounds the largest absolute gradient entry of J / (C n), computed
    # independently, as for LogisticRegression(solver="lbfgs"), but w.r.t. the
    # centered features (x - mu) / max(1, sd): USPS's lie in [-1, 1], so only the
    # centering differs from LogisticRegression's measure.
    X, y = shared_data("usps")
    ours = SoftmaxClassifier(tol=tol).fit(X, y)
    params = np.concatenate([ours.coef_.ravel(), ours.intercept_])
    grad = penalized_log_loss_gradient(params, X, y, 1.0, 10)
    grad_W, grad_b = grad[: ours.coef_.size].reshape(ours.coef_.shape), grad[ours.coef_.size :]
    on_W, on_b = kkt_violation(ours.coef_, grad_W, grad_b, 0.0, *solver_scales(X, np.ones(len(y))))
    # The fit's last gradient is anywhere below tol (within 1% of it on some kernels);
    # this one is summed in another order: they differ by at most n eps max|x|.
    rounding = len(y) * np.finfo(float).eps * np.abs(X).max()
    assert max(on_W.max(), on_b.max()) <= tol + rounding
