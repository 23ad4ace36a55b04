"""The loss metrics against scikit-learn's and direct formulas; the scorers in model selection."""

import re
import warnings

import numpy as np
import pytest
import sklearn
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import hinge_loss, log_loss
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.metrics import (
    SCORERS,
    cross_entropy_loss,
    multiclass_hinge_loss,
    neg_cross_entropy_scorer,
    neg_hinge_scorer,
    neg_squared_hinge_scorer,
    neg_weston_watkins_hinge_scorer,
)
from tests.oracles import make_problem

RNG = np.random.default_rng(0)


def random_proba(n_samples, n_classes, sharpness=2.0, dtype=np.float64):
    return softmax(sharpness * RNG.standard_normal((n_samples, n_classes)), axis=1).astype(dtype)


# --- cross-entropy -------------------------------------------------------------

#: Relative tolerance against log_loss, which computes in the input dtype (ours in float64).
RTOL = {np.float64: 1e-12, np.float32: 1e-6, np.float16: 2e-3}


def in_our_words(message: str) -> str:
    """scikit-learn's message, naming the probabilities ``y_proba`` as we do."""
    return re.sub(r"\by_prob\b", "y_proba", message)


def both(*args, **kwargs):
    """``(ours, log_loss)`` of the same arguments, each with the warnings it issued."""
    results = []
    for metric in (cross_entropy_loss, log_loss):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            value = metric(*args, **kwargs)
        results.append((value, [(w.category, str(w.message)) for w in record]))
    return results


@pytest.mark.parametrize("n_classes", [2, 3, 6])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_cross_entropy_equals_log_loss(n_classes, dtype):
    y = RNG.integers(0, n_classes, 40)
    proba = random_proba(40, n_classes, dtype=dtype)
    weight = RNG.uniform(0, 2, 40)
    for kwargs in [
        {},
        {"sample_weight": weight},
        {"normalize": False},
        {"sample_weight": weight, "normalize": False},
    ]:
        (ours, our_warnings), (stock, stock_warnings) = both(y, proba, **kwargs)
        assert ours == pytest.approx(stock, rel=RTOL[dtype])
        assert our_warnings == stock_warnings == []


def test_float16_is_clipped_with_its_own_eps():
    # A certain miss costs -log(eps of float16) ~ 6.93, not -log(eps of float64) ~ 36.04.
    proba = np.array([1, 0], dtype=np.float16)
    assert cross_entropy_loss([0, 1], proba) == pytest.approx(log_loss([0, 1], proba), rel=1e-3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_certain_probabilities_are_clipped_like_log_loss(dtype):
    proba = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=dtype)
    for y in ([0, 1, 2, 0], [0, 1, 2, 1], [1, 2, 0, 1]):  # hits only, one miss, misses only
        ours = cross_entropy_loss(y, proba)
        assert np.isfinite(ours)
        assert ours == pytest.approx(log_loss(y, proba), rel=RTOL[dtype])


@pytest.mark.parametrize(
    ("y", "proba"),
    [
        ([0, 1, 1, 0], [[0.2, 0.7], [0.6, 0.3], [0.4, 0.7], [0.8, 0.3]]),
        ([2, 0, 1], [[0.1, 0.1, 0.1], [0.5, 0.2, 0.1], [0.3, 0.3, 0.3]]),
        ([0, 1], [[0.0, 0.0], [0.4, 0.9]]),
    ],
)
def test_rows_not_summing_to_one_warn_and_are_used_as_given(y, proba):
    (ours, our_warnings), (stock, stock_warnings) = both(y, proba)
    assert ours == pytest.approx(stock, rel=1e-12)
    assert [category for category, _ in our_warnings] == [UserWarning]
    assert [category for category, _ in stock_warnings] == [UserWarning]
    assert "do not sum to one" in our_warnings[0][1]
    assert "do not sum to one" in stock_warnings[0][1]


@pytest.mark.parametrize(
    ("y", "proba", "labels"),
    [
        ([0, 1, 2], [[0.2, 0.3, 0.5], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], [2, 0, 1]),
        (["b", "a", "b"], [[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]], ["b", "a"]),
    ],
)
def test_unsorted_labels_warn_like_log_loss(y, proba, labels):
    (ours, our_warnings), (stock, stock_warnings) = both(y, proba, labels=labels)
    assert ours == pytest.approx(stock, rel=1e-12)
    assert our_warnings == [(category, in_our_words(text)) for category, text in stock_warnings]


def test_warnings_show_the_callers_line():
    with pytest.warns(UserWarning) as record:
        cross_entropy_loss([0, 1], [[0.5, 0.6], [0.2, 0.8]], labels=[1, 0])
    assert [w.filename for w in record] == [__file__, __file__]


@pytest.mark.parametrize(
    ("y", "proba", "labels"),
    [
        (RNG.integers(0, 3, 30) * 2, random_proba(30, 5), [0, 1, 2, 3, 4]),  # 1 and 3 absent
        ([1, 1, 1], random_proba(3, 2), [0, 1]),  # one label in y_true
        ([1, 1, 1], [0.2, 0.9, 0.5], [0, 1]),
        (["b", "c", "b"], random_proba(3, 3), ["a", "b", "c"]),
        ([3, 7, 3, 7], [0.1, 0.6, 0.3, 0.95], None),  # 1-D: probability of 7
        ([3, 7, 3, 7], [[0.1], [0.6], [0.3], [0.95]], None),
    ],
)
def test_labels_and_binary_columns_like_log_loss(y, proba, labels):
    weight = RNG.uniform(0.1, 2, len(y))
    for kwargs in [{}, {"sample_weight": weight, "normalize": False}]:
        ours = cross_entropy_loss(y, proba, labels=labels, **kwargs)
        assert ours == pytest.approx(log_loss(y, proba, labels=labels, **kwargs), rel=1e-12)


def test_cross_entropy_binary_one_or_two_columns_and_string_labels():
    y = np.array(["no", "yes", "yes", "no", "yes"])
    p_yes = np.array([0.2, 0.7, 0.9, 0.4, 0.5])
    expected = log_loss(y, p_yes)
    np.testing.assert_allclose(cross_entropy_loss(y, p_yes), expected, rtol=1e-12)
    np.testing.assert_allclose(cross_entropy_loss(y, p_yes[:, None]), expected, rtol=1e-12)
    two_columns = np.column_stack([1 - p_yes, p_yes])
    np.testing.assert_allclose(cross_entropy_loss(y, two_columns), expected, rtol=1e-12)


@pytest.mark.parametrize("eps", [0.05, 0.3])
def test_label_smoothing_matches_the_pytorch_definition(eps):
    # torch.nn.functional.cross_entropy(logits, y, label_smoothing=eps)
    #   = (1 - eps) * nll + eps * mean_k(-log p_k)
    n_classes = 4
    y = RNG.integers(0, n_classes, 25)
    proba = random_proba(25, n_classes)
    log_p = np.log(proba)
    nll = -log_p[np.arange(25), y]
    expected = np.mean((1 - eps) * nll + eps * (-log_p).mean(axis=1))
    np.testing.assert_allclose(cross_entropy_loss(y, proba, label_smoothing=eps), expected)


# --- hinge -------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [3, 5])
def test_crammer_singer_equals_hinge_loss(n_classes):
    y = RNG.integers(0, n_classes, 50)
    decision = RNG.standard_normal((50, n_classes)) * 2
    weight = RNG.uniform(0, 2, 50)
    np.testing.assert_allclose(multiclass_hinge_loss(y, decision), hinge_loss(y, decision))
    np.testing.assert_allclose(
        multiclass_hinge_loss(y, decision, sample_weight=weight),
        hinge_loss(y, decision, sample_weight=weight),
    )
    labels = np.arange(n_classes + 1)
    wider = np.column_stack([decision, RNG.standard_normal(50)])
    np.testing.assert_allclose(
        multiclass_hinge_loss(y, wider, labels=labels), hinge_loss(y, wider, labels=labels)
    )


def test_binary_hinge_with_one_dimensional_decisions():
    y = np.array(["neg", "pos", "pos", "neg", "pos", "neg"])
    decision = np.array([-2.0, 0.3, 1.5, 0.4, -0.2, -0.9])
    for variant in ["crammer_singer", "weston_watkins"]:
        np.testing.assert_allclose(
            multiclass_hinge_loss(y, decision, variant=variant), hinge_loss(y, decision)
        )
    t = np.where(y == "pos", 1.0, -1.0)
    np.testing.assert_allclose(
        multiclass_hinge_loss(y, decision, squared=True, margin=0.5),
        np.mean(np.maximum(0, 0.5 - t * decision) ** 2),
    )


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("margin", [1.0, 0.25])
def test_weston_watkins_matches_multi_margin_loss_times_k(squared, margin):
    # torch.nn.MultiMarginLoss(p, margin): sum_{i != y} max(0, margin - x_y + x_i)^p / K
    n_classes = 4
    y = RNG.integers(0, n_classes, 30)
    x = RNG.standard_normal((30, n_classes))
    p = 2 if squared else 1
    multi_margin = np.array(
        [
            sum(max(0.0, margin - x[i, y[i]] + x[i, k]) ** p for k in range(n_classes) if k != y[i])
            / n_classes
            for i in range(30)
        ]
    )
    ours = multiclass_hinge_loss(
        y, x, variant="weston_watkins", squared=squared, margin=margin, normalize=False
    )
    np.testing.assert_allclose(ours, n_classes * multi_margin.sum())


def test_hinge_is_zero_when_every_margin_is_met():
    y = np.array([0, 1, 2, 1])
    decision = np.full((4, 3), -5.0)
    decision[np.arange(4), y] = 5.0
    for variant in ["crammer_singer", "weston_watkins"]:
        assert multiclass_hinge_loss(y, decision, variant=variant) == 0.0


@pytest.mark.parametrize(
    ("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-6), (np.float16, 2e-3), (int, 1e-12)]
)
def test_crammer_singer_equals_hinge_loss_for_each_dtype(dtype, rtol):
    y = RNG.integers(0, 4, 40)
    decision = (RNG.standard_normal((40, 4)) * 3).astype(dtype)
    assert multiclass_hinge_loss(y, decision) == pytest.approx(hinge_loss(y, decision), rel=rtol)


@pytest.mark.parametrize(
    ("y", "labels"),
    [
        (["b", "a", "c", "b"], None),
        (["b", "a", "b", "b"], ["a", "b", "c"]),
        ([0, 2, 2, 0], [2, 0, 1]),  # unsorted labels: hinge_loss sorts them, silently
    ],
)
def test_crammer_singer_labels_and_weights_like_hinge_loss(y, labels):
    decision = RNG.standard_normal((4, 3))
    weight = RNG.uniform(0.1, 2, 4)
    ours = multiclass_hinge_loss(y, decision, labels=labels, sample_weight=weight)
    assert ours == pytest.approx(
        hinge_loss(y, decision, labels=labels, sample_weight=weight), rel=1e-12
    )
    total = multiclass_hinge_loss(y, decision, labels=labels, sample_weight=weight, normalize=False)
    stock = hinge_loss(y, decision, labels=labels, sample_weight=weight) * weight.sum()
    assert total == pytest.approx(stock, rel=1e-12)


# --- bad input ---------------------------------------------------------------------


@pytest.mark.recent_oracle
@pytest.mark.parametrize(
    ("y", "proba", "kwargs"),
    [
        ([0, 1, 1], [[0.5, 0.5], [0.2, 0.8]], {}),  # lengths
        ([0, 1], [0.5, 0.5], {"sample_weight": [1, 2, 3]}),
        ([0, 1], [[1.2, -0.2], [0.5, 0.5]], {}),  # greater than 1
        ([0, 1], [[0.6, -0.2], [0.5, 0.5]], {}),  # lower than 0
        ([1, 1], [0.5, 0.5], {}),  # one label
        (["a", "a"], [[0.5, 0.5], [0.5, 0.5]], {}),
        ([0, 0], [[0.5, 0.5], [0.5, 0.5]], {"labels": [0]}),
        ([0, 5], [[0.5, 0.5], [0.5, 0.5]], {"labels": [0, 1]}),  # y_true not in labels
        ([0, 1, 2], np.full((3, 2), 0.5), {}),  # too few columns
        ([0, 1, 2], [0.5, 0.5, 0.5], {}),
        ([0, 1], np.full((2, 3), 1 / 3), {"labels": [0, 1]}),  # too many
        ([0, 1], [0.5, 0.5], {"labels": [0, 1, 2]}),
        ([0, 1], [0.5, 0.5], {"sample_weight": [0, 0]}),
    ],
)
def test_bad_probabilities_raise_log_losss_error(y, proba, kwargs):
    with pytest.raises(ValueError) as stock:
        log_loss(y, proba, **kwargs)
    with pytest.raises(ValueError, match=re.escape(in_our_words(str(stock.value)))):
        cross_entropy_loss(y, proba, **kwargs)


@pytest.mark.recent_oracle
@pytest.mark.parametrize(
    ("y", "proba", "kwargs", "message"),
    [
        ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], {}, "contains NaN"),
        ([0, 1], [[np.inf, 0.5], [0.5, 0.5]], {}, "contains infinity"),
        ([0.5, 1.5], [0.5, 0.5], {}, "label type"),
        ([0, 1], [0.5, 0.5], {"labels": [0, 1, 1]}, "distinct"),
    ],
)
def test_bad_probabilities_raise_where_log_loss_raises(y, proba, kwargs, message):
    with pytest.raises(ValueError):
        log_loss(y, proba, **kwargs)
    with pytest.raises(ValueError, match=message):
        cross_entropy_loss(y, proba, **kwargs)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: multiclass_hinge_loss([0, 1, 2], np.zeros((3, 2))), "3 vs 2"),
        (
            lambda: multiclass_hinge_loss([0, 1, 2], np.zeros(3)),
            r"shape \(n_samples, n_classes\), that is \(3, 3\). Got: \(3,\)",
        ),
        (lambda: multiclass_hinge_loss([0, 1], np.zeros((3, 2))), "inconsistent"),
        (lambda: multiclass_hinge_loss([0, 1], [[np.inf, 0], [0, 0]]), "infinity"),
        (lambda: multiclass_hinge_loss([0, 5], np.zeros((2, 2)), labels=[0, 1]), "not belong"),
        (lambda: multiclass_hinge_loss([1, 1], np.zeros(2)), "only one label"),
        # Unlike log_loss and hinge_loss, which accept negative weights:
        (lambda: multiclass_hinge_loss([0, 1], np.zeros(2), sample_weight=[1, -1]), "(?i)negative"),
        (lambda: cross_entropy_loss([0, 1], [0.5, 0.5], sample_weight=[1, -1]), "(?i)negative"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_one_dimensional_decision_for_three_classes_names_the_shape():
    """The shape the decision must have, as scikit-learn's ``hinge_loss`` names it."""
    y = [0, 1, 2, 0, 1, 2, 0]
    expected = r"\(n_samples, n_classes\), that is \(7, 3\)"
    with pytest.raises(ValueError, match=expected):
        hinge_loss(y, np.zeros(7))
    with pytest.raises(ValueError, match=expected) as error:
        multiclass_hinge_loss(y, np.zeros(7))
    assert "labels" not in str(error.value)  # the advice is about the shape


@pytest.mark.parametrize(
    ("metric", "kwargs", "name"),
    [
        (cross_entropy_loss, {"label_smoothing": 1.0}, "label_smoothing"),
        (cross_entropy_loss, {"label_smoothing": -0.1}, "label_smoothing"),
        (cross_entropy_loss, {"label_smoothing": "0.1"}, "label_smoothing"),
        (cross_entropy_loss, {"normalize": 1}, "normalize"),
        (cross_entropy_loss, {"labels": "ab"}, "labels"),
        (cross_entropy_loss, {"sample_weight": 1.0}, "sample_weight"),
        (multiclass_hinge_loss, {"variant": "ovr"}, "variant"),
        (multiclass_hinge_loss, {"margin": 0}, "margin"),
        (multiclass_hinge_loss, {"margin": np.nan}, "margin"),
        (multiclass_hinge_loss, {"squared": "yes"}, "squared"),
        (multiclass_hinge_loss, {"normalize": None}, "normalize"),
    ],
)
def test_bad_parameters_raise_invalid_parameter_error(metric, kwargs, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {metric.__name__}"):
        metric([0, 1], [0.4, 0.6], **kwargs)


# --- scorers -------------------------------------------------------------------------


def test_scorer_equals_stock_neg_log_loss_where_both_work():
    X, y = make_problem(n_samples=150, n_features=4, n_classes=3, seed=1)
    cv = KFold(5, shuffle=True, random_state=0)
    ours = cross_val_score(LogisticRegression(), X, y, cv=cv, scoring=neg_cross_entropy_scorer)
    stock = cross_val_score(LogisticRegression(), X, y, cv=cv, scoring="neg_log_loss")
    np.testing.assert_allclose(ours, stock, rtol=1e-10)
    assert np.all(ours < 0)


def test_scorers_are_finite_on_a_fold_lacking_a_class():
    X, y = make_problem(n_samples=60, n_features=3, n_classes=3, seed=2)
    order = np.argsort(y, kind="stable")
    # Unshuffled folds of 10 sorted samples: each test fold holds one class,
    # each training set all three.
    X, y = X[order], y[order]
    cv = KFold(6)
    for scorer in SCORERS.values():
        scores = cross_val_score(SoftmaxClassifier(), X, y, cv=cv, scoring=scorer)
        assert np.all(np.isfinite(scores)), scorer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stock = cross_val_score(SoftmaxClassifier(), X, y, cv=cv, scoring="neg_log_loss")
    assert np.any(np.isnan(stock))  # what these scorers fix


def test_scorers_follow_greater_is_better_and_equal_minus_the_metric():
    X, y = make_problem(n_samples=90, n_features=4, n_classes=3, seed=3)
    model = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, y)
    decision = model.decision_function(X)
    assert neg_hinge_scorer(model, X, y) == -hinge_loss(y, decision)
    assert neg_cross_entropy_scorer(model, X, y) == pytest.approx(
        -log_loss(y, model.predict_proba(X)), rel=1e-12
    )
    assert neg_weston_watkins_hinge_scorer(model, X, y) == -multiclass_hinge_loss(
        y, decision, variant="weston_watkins"
    )
    assert neg_squared_hinge_scorer(model, X, y) == -multiclass_hinge_loss(
        y, decision, squared=True
    )
    better = make_pipeline(StandardScaler(), SoftmaxClassifier(C=100.0)).fit(X, y)
    worse = make_pipeline(StandardScaler(), SoftmaxClassifier(C=1e-4)).fit(X, y)
    assert neg_cross_entropy_scorer(better, X, y) > neg_cross_entropy_scorer(worse, X, y)


def test_grid_search_over_the_loss_with_multimetric_scoring():
    X, y = make_problem(n_samples=120, n_features=4, n_classes=3, seed=4)
    grid = GridSearchCV(
        SoftmaxClassifier(),
        {"loss": ["cross_entropy", "hinge", "squared_hinge"]},
        scoring={"hinge": neg_hinge_scorer, "acc": "accuracy"},
        refit="hinge",
        cv=3,
    ).fit(X, y)
    assert np.all(np.isfinite(grid.cv_results_["mean_test_hinge"]))
    assert grid.best_score_ == grid.cv_results_["mean_test_hinge"].max()
    assert neg_hinge_scorer(grid, X, y) <= 0


@pytest.mark.parametrize("n_classes", [2, 3])
def test_all_scorers_at_once(n_classes):
    X, y = make_problem(n_samples=90, n_features=4, n_classes=n_classes, seed=5)
    results = cross_validate(
        SoftmaxClassifier(), X, y, cv=3, scoring=SCORERS, return_estimator=True, return_indices=True
    )
    for name in SCORERS:
        assert np.all(np.isfinite(results[f"test_{name}"]))
    fitted, test = results["estimator"][0], results["indices"]["test"][0]
    np.testing.assert_allclose(
        results["test_neg_hinge"][0], -hinge_loss(y[test], fitted.decision_function(X[test]))
    )


def test_missing_method_is_named_in_the_error():
    X, y = make_problem(n_samples=60, seed=6)
    hinge_model = SoftmaxClassifier(loss="hinge").fit(X, y)
    with pytest.raises(AttributeError, match="predict_proba"):
        neg_cross_entropy_scorer(hinge_model, X, y)
    svc = LinearSVC().fit(X, y)
    assert np.isfinite(neg_hinge_scorer(svc, X, y))


def test_routed_sample_weights_give_the_weighted_score():
    X, y = make_problem(n_samples=90, n_features=4, n_classes=3, seed=7)
    weight = RNG.uniform(0.1, 3.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = SoftmaxClassifier().set_fit_request(sample_weight=False)
        scorer = neg_hinge_scorer.set_score_request(sample_weight=True)
        results = cross_validate(
            estimator,
            X,
            y,
            cv=3,
            scoring={"hinge": scorer},
            params={"sample_weight": weight},
            return_estimator=True,
            return_indices=True,
        )
    for fitted, test in zip(results["estimator"], results["indices"]["test"], strict=True):
        expected = -hinge_loss(
            y[test], fitted.decision_function(X[test]), sample_weight=weight[test]
        )
        unweighted = -hinge_loss(y[test], fitted.decision_function(X[test]))
        assert expected != pytest.approx(unweighted)
    np.testing.assert_allclose(
        results["test_hinge"],
        [
            -hinge_loss(y[test], fitted.decision_function(X[test]), sample_weight=weight[test])
            for fitted, test in zip(results["estimator"], results["indices"]["test"], strict=True)
        ],
    )


def test_set_score_request_needs_routing_and_leaves_the_shared_scorer_alone():
    with pytest.raises(RuntimeError, match="metadata routing"):
        neg_hinge_scorer.set_score_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        requested = neg_hinge_scorer.set_score_request(sample_weight=True)
        assert requested is not neg_hinge_scorer
        assert requested.get_metadata_routing().score.requests == {"sample_weight": True}
        assert neg_hinge_scorer.get_metadata_routing().score.requests == {"sample_weight": None}
