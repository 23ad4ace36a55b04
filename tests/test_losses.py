"""Per-sample loss values against direct formulas, smoothing bounds and extreme scores."""

import dataclasses

import numpy as np
import pytest
from scipy.special import log_softmax

from sklearn_softmax._cross_entropy import MultinomialCrossEntropy
from sklearn_softmax._losses import make_loss
from tests.oracles import (
    FIT_CONFIGS,
    GRADIENT_CONFIGS,
    HINGE_CONFIGS,
    LABEL_SMOOTHING_CONFIG,
    LOSS_CONFIGS,
    MARGIN_CONFIG,
    config_id,
    is_smooth,
)


def reference_loss(
    Z, y, *, loss, multiclass_hinge="crammer_singer", label_smoothing=0.0, margin=1.0
):
    """Per-sample losses from the textbook formulas, sample by sample (Z: n x K).

    (A loop over samples, independent of the vectorized ``tests.oracles.per_sample_loss``.)
    """
    name, variant, eps = loss, multiclass_hinge, label_smoothing
    out = []
    for z, label in zip(Z, y, strict=True):
        if name == "cross_entropy" and z.size == 1:
            log_p = log_softmax([0.0, z[0]])  # [log(1 - sigmoid(z)), log sigmoid(z)]
            q = 1 - eps / 2
            out.append(-(q * log_p[label] + (1 - q) * log_p[1 - label]))
        elif name == "cross_entropy":
            q = np.full(z.size, eps / z.size)
            q[label] += 1 - eps
            out.append(-np.sum(q * log_softmax(z)))
        else:
            power = 2 if name == "squared_hinge" else 1
            if z.size == 1:
                t = 1 if label == 1 else -1
                out.append(max(0.0, margin - t * z[0]) ** power)
                continue
            others = [k for k in range(z.size) if k != label]
            terms = [max(0.0, margin + z[k] - z[label]) for k in others]
            if variant == "crammer_singer":
                out.append(max(terms) ** power)
            else:
                out.append(sum(term**power for term in terms))
    return np.array(out)


#: Every loss function, and another margin.
CASES = [*FIT_CONFIGS, MARGIN_CONFIG]


def build(config, n_classes, smoothing=0.0):
    return make_loss(
        config["loss"],
        n_classes,
        multiclass_hinge=config.get("multiclass_hinge", "crammer_singer"),
        label_smoothing=config.get("label_smoothing", 0.0),
        margin=config.get("margin", 1.0),
        smoothing=smoothing,
    )


@pytest.mark.parametrize("config", CASES, ids=config_id)
@pytest.mark.parametrize("n_classes", [2, 3, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_values_match_formulas(config, n_classes, dtype):
    rng = np.random.default_rng(0)
    n_scores = 1 if n_classes == 2 else n_classes
    Z = rng.standard_normal((50, n_scores)) * 2
    y = rng.integers(0, n_classes, 50)
    loss = build(config, n_classes)
    values, _ = loss.loss_gradient(Z.T.astype(dtype), y, gradient=False)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(values, reference_loss(Z, y, **config), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("config", CASES, ids=config_id)
def test_gradient_overwrites_scores_and_is_weighted(config):
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((4, 30))
    y = rng.integers(0, 4, 30)
    weight = rng.uniform(0, 3, 30)
    loss = build(config, 4)
    scores = Z.copy()
    loss.loss_gradient(scores, y, gradient=False)
    np.testing.assert_array_equal(scores, Z)  # values only: the scores are kept
    _, unweighted = loss.loss_gradient(Z.copy(), y)
    values, weighted = loss.loss_gradient(scores, y, weight)
    assert np.shares_memory(weighted, scores)
    np.testing.assert_allclose(weighted, unweighted * weight, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(values, reference_loss(Z.T, y, **config), rtol=1e-12)


def test_two_class_softmax_equals_binary_cross_entropy():
    # Softmax over the scores (0, z) is the binary model on z: same losses, and
    # the gradient w.r.t. z is the softmax gradient of the second score.
    rng = np.random.default_rng(2)
    z = rng.standard_normal(40) * 3
    y = rng.integers(0, 2, 40)
    for config in [LOSS_CONFIGS[0], LABEL_SMOOTHING_CONFIG]:
        eps = config.get("label_smoothing", 0.0)
        binary, binary_grad = build(config, 2).loss_gradient(z[None].copy(), y)
        two_scores = np.vstack([np.zeros_like(z), z])
        values, grad = MultinomialCrossEntropy(eps).loss_gradient(two_scores, y)
        np.testing.assert_allclose(binary, values, rtol=1e-12)
        np.testing.assert_allclose(binary_grad[0], grad[1], rtol=1e-12, atol=1e-15)


#: The cost of smoothing ``mu`` on ``K`` terms: a soft max over K scores (Crammer-Singer)
#: costs at most ``mu log K``, K - 1 soft hinges (Weston-Watkins) ``(K - 1) mu log 2``.
SMOOTHING_BOUNDS = {
    "crammer_singer": lambda K: np.log(K),
    "weston_watkins": lambda K: (K - 1) * np.log(2),
}


@pytest.mark.parametrize(
    ("config", "n_classes"),
    # The binary and Weston-Watkins squared hinges are smooth, never smoothed.
    [(HINGE_CONFIGS[0], 2), *((config, 5) for config in HINGE_CONFIGS if not is_smooth(config))],
    ids=lambda value: config_id(value) if isinstance(value, dict) else str(value),
)
def test_smoothed_hinge_is_a_tight_upper_bound(config, n_classes):
    rng = np.random.default_rng(3)
    n_scores = 1 if n_classes == 2 else n_classes
    Z = rng.standard_normal((n_scores, 200)) * 2
    y = rng.integers(0, n_classes, 200)
    exact, _ = build(config, n_classes).loss_gradient(Z, y, gradient=False)
    for mu in [1.0, 0.1, 0.01]:
        smooth, _ = build(config, n_classes, smoothing=mu).loss_gradient(Z, y, gradient=False)
        assert np.all(smooth >= exact - 1e-12)
        assert np.any(smooth > exact + mu / 100)
        if config["loss"] == "hinge":
            terms = 2 if n_classes == 2 else n_classes
            bound = SMOOTHING_BOUNDS[config["multiclass_hinge"]]
            assert np.all(smooth - exact <= mu * bound(terms) + 1e-12)
        else:  # (a + mu log K)^2 - a^2
            slack = mu * np.log(n_classes)
            assert np.all(smooth - exact <= 2 * np.sqrt(exact) * slack + slack**2 + 1e-12)


@pytest.mark.parametrize("config", CASES, ids=config_id)
@pytest.mark.parametrize("n_classes", [2, 5])
def test_huge_scores_give_finite_losses_and_gradients(config, n_classes):
    n_scores = 1 if n_classes == 2 else n_classes
    Z = np.array([[1e4, -1e4, 3e3, 0.0]] * n_scores, dtype=float)
    Z[0] *= -1
    y = np.array([0, 1, 1, 0]) % n_classes
    values, grad = build(config, n_classes).loss_gradient(Z.copy(), y)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(values, reference_loss(Z.T, y, **config), rtol=1e-12)


def test_crammer_singer_ties_share_the_subgradient():
    # At W = 0 all scores tie; each other class gets 1 / (K - 1) of the push.
    Z = np.zeros((4, 3))
    y = np.array([0, 1, 3])
    _, grad = build(HINGE_CONFIGS[0], 4).loss_gradient(Z, y)
    expected = np.full((4, 3), 1 / 3)
    expected[y, np.arange(3)] = -1
    np.testing.assert_allclose(grad, expected)


@pytest.mark.parametrize("config", GRADIENT_CONFIGS, ids=config_id)
def test_a_workspace_keeps_one_buffer_per_name_across_lengths(config):
    """Blocks of varying length reuse the same buffers (views of their first
    entries), and each call's results are those of a fresh loss."""
    config = dict(config)
    smoothing = config.pop("smoothing", 0.0)
    loss = make_loss(config.pop("loss"), 4, smoothing=smoothing, **config)
    rng = np.random.default_rng(9)
    sizes = []
    for n_samples in [7, 3, 11, 5, 11, 2]:
        Z = rng.standard_normal((4, n_samples)) * 3
        y = rng.integers(0, 4, n_samples)
        weights = rng.uniform(0.5, 2, n_samples)
        fresh_loss, fresh_grad = dataclasses.replace(loss).loss_gradient(Z.copy(), y, weights)
        value, grad = loss.loss_gradient(Z.copy(), y, weights)
        np.testing.assert_array_equal(value, fresh_loss)
        np.testing.assert_array_equal(grad, fresh_grad)
        sizes.append(len(loss._workspace.buffers))
    assert len(set(sizes)) == 1
