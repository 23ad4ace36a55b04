"""The estimator's API: pipelines, search, pandas, labels, state and errors."""

import re
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._settings import SolverSettings
from tests import core
from tests.oracles import (
    LOSS_NAMES,
    distance_to_optimum,
    gradient,
    make_problem,
    stationarity,
)


def test_pipeline_with_scaler():
    X, y = make_problem(n_samples=200, n_features=6, n_classes=3)
    X = X * 50 + 300
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.6


def test_grid_search_over_loss_and_C():
    X, y = make_problem(n_samples=150, n_features=5, n_classes=3, seed=1)
    grid = GridSearchCV(
        SoftmaxClassifier(),
        {"loss": LOSS_NAMES, "C": [0.1, 1.0]},
        cv=3,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 6
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_estimator_.loss in LOSS_NAMES
    assert grid.score(X, y) > 0.6


def test_pandas_input_and_string_labels():
    X, y = make_problem(n_samples=90, n_features=3, n_classes=3, seed=2)
    frame = pd.DataFrame(X, columns=["height", "width", "depth"])
    labels = np.array(["cat", "dog", "emu"])[y]
    model = SoftmaxClassifier().fit(frame, pd.Series(labels))
    assert list(model.feature_names_in_) == ["height", "width", "depth"]
    assert list(model.classes_) == ["cat", "dog", "emu"]
    assert set(model.predict(frame)) <= set(labels)
    assert model.score(frame, labels) > 0.6


def test_binary_model_has_one_score():
    X, y = make_problem(n_samples=80, n_features=4, n_classes=2, seed=3)
    for loss in LOSS_NAMES:
        model = SoftmaxClassifier(loss=loss).fit(X, y)
        assert model.coef_.shape == (1, 4) and model.intercept_.shape == (1,)
        decision = model.decision_function(X)
        assert decision.shape == (80,)
        np.testing.assert_array_equal(model.predict(X), np.where(decision > 0, 1, 0))


@pytest.mark.parametrize("n_classes", [2, 4])
def test_predict_proba_is_the_softmax_of_the_scores(n_classes):
    X, y = make_problem(n_samples=80, n_features=4, n_classes=n_classes, seed=4)
    model = SoftmaxClassifier().fit(X, y)
    scores = model.decision_function(X)
    if n_classes == 2:
        scores = np.column_stack([np.zeros_like(scores), scores])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, softmax(scores, axis=1), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-10)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))


def test_hinge_models_have_no_predict_proba():
    X, y = make_problem()
    model = SoftmaxClassifier(loss="hinge").fit(X, y)
    assert not hasattr(model, "predict_proba")
    assert not hasattr(model, "predict_log_proba")
    with pytest.raises(AttributeError, match="predict_proba") as error:
        model.predict_proba(X)
    # available_if chains our explanation as the cause.
    assert "only loss='cross_entropy'" in str(error.value.__cause__)
    assert hasattr(SoftmaxClassifier(), "predict_proba")


def test_loss_curve_records_each_iteration():
    X, y = make_problem(n_samples=120, seed=5)
    for loss in LOSS_NAMES[:2]:
        model = SoftmaxClassifier(loss=loss).fit(X, y)
        assert len(model.loss_curve_) == model.n_iter_ >= 1
        assert np.all(np.diff(model.loss_curve_) <= 1e-12)


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_prints_header_progress_and_summary(capsys, verbose):
    X, y = make_problem(n_samples=120, seed=6)
    model = SoftmaxClassifier(verbose=verbose, tol=1e-8).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "SoftmaxClassifier: loss='cross_entropy', 120 samples, 5 features, 3 classes, "
        "C=1.0, l1_ratio=0.0, tol=1e-08, dtype=float64"
    )
    progress = [line for line in lines if line.startswith("iter")]
    assert model.n_iter_ > 10  # (so that verbose=1 skips some)
    printed = [int(line.split()[1]) for line in progress]
    if verbose == 2:
        assert printed == list(range(1, model.n_iter_ + 1))
    else:
        assert printed == [1, *range(10, model.n_iter_ + 1, 10)]
    assert re.match(r"iter\s+1\s+objective \S+\s+max\|grad\| \S+", progress[0])
    assert re.fullmatch(
        rf"{model.n_iter_} iterations in \d+\.\d+ s: converged, stopping measure \S+ "
        r"<= tol=1e-08",
        lines[-1],
    )


def test_verbose_summary_says_why_a_fit_stopped(capsys):
    X, y = make_problem(n_samples=120, seed=6)
    with pytest.warns(ConvergenceWarning):
        SoftmaxClassifier(verbose=1, max_iter=3).fit(X, y)
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("3 iterations in ") and "stopped at max_iter=3" in last


def test_max_iter_warns_and_says_why():
    X, y = make_problem(n_samples=120, seed=7)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = SoftmaxClassifier(max_iter=2).fit(X, y)
    assert model.n_iter_ == 2
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        SoftmaxClassifier(loss="hinge", max_iter=3).fit(X, y)


def test_default_fit_does_not_warn():
    X, y = make_problem(n_samples=120, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss in LOSS_NAMES:
            SoftmaxClassifier(loss=loss).fit(X, y)


def assert_refit_continues(model, X, y):
    """A warm-started refit of a converged ``model`` starts where the previous fit
    stopped, with its last smoothing (hinges), so it meets the stopping rule at once:
    at most one iteration (from zeros, or at a coarser smoothing, it would take
    many), and any objective it records is at most the previous fit's last one (the
    same objective at the same point, up to the round trip of the coordinates)."""
    previous_curve, first = list(model.loss_curve_), model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ <= 1 < first
    assert all(value <= previous_curve[-1] * (1 + 1e-12) for value in model.loss_curve_)


def test_warm_start_continues_from_the_previous_solution():
    X, y = make_problem(n_samples=150, seed=9)
    model = SoftmaxClassifier(warm_start=True, tol=1e-6).fit(X, y)
    first, coef = model.n_iter_, model.coef_.copy()
    assert_refit_continues(model, X, y)
    # Both fits meet the stopping rule: each W is within the distance the rule
    # allows from the optimum, and within twice that of the other.
    _, coef_slack = distance_to_optimum(model, X, y, tol=1e-6)
    assert np.linalg.norm(model.coef_ - coef) <= 2 * coef_slack
    cold = SoftmaxClassifier(tol=1e-6).fit(X, y)
    assert cold.n_iter_ == first  # the same computation as the first warm_start fit


def test_warm_start_with_other_classes_is_an_error():
    X, y = make_problem(n_samples=90, seed=10)
    model = SoftmaxClassifier(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="classes and number of features"):
        model.fit(X, np.where(y == 2, 1, y))


def test_clone_and_set_params():
    model = SoftmaxClassifier(C=3.0, loss="hinge")
    twin = clone(model).set_params(C=0.5)
    assert model.C == 3.0 and twin.C == 0.5 and twin.loss == "hinge"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"loss": "log"}, "'loss' parameter"),
        ({"multiclass_hinge": "ovr"}, "'multiclass_hinge' parameter"),
        ({"C": 0.0}, "'C' parameter"),
        ({"C": -1.0}, "'C' parameter"),
        ({"label_smoothing": 1.0}, "'label_smoothing' parameter"),
        ({"margin": 0.0}, "'margin' parameter"),
        ({"tol": -1.0}, "'tol' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"class_weight": "even"}, "'class_weight' parameter"),
    ],
)
def test_invalid_parameters_are_rejected(params, message):
    X, y = make_problem()
    with pytest.raises(InvalidParameterError, match=message):
        SoftmaxClassifier(**params).fit(X, y)


def test_label_smoothing_needs_cross_entropy():
    X, y = make_problem()
    with pytest.raises(ValueError, match="label_smoothing"):
        SoftmaxClassifier(loss="hinge", label_smoothing=0.1).fit(X, y)


def test_one_class_is_an_error():
    X, _ = make_problem()
    with pytest.raises(ValueError, match="1 class"):
        SoftmaxClassifier().fit(X, np.zeros(len(X)))


def test_unfitted_use_is_an_error():
    with pytest.raises(NotFittedError):
        SoftmaxClassifier().predict(np.zeros((2, 3)))


def test_infinite_C_means_no_penalty():
    X, y = make_problem(n_samples=200, n_features=3, seed=11)
    tol = 1e-7
    # The fit meets the stopping rule on the unpenalized objective (the mean loss),
    # by its textbook gradient, up to the gradient's rounding (n eps max|x|); any
    # penalty left in would show as W / (C n) in this gradient.
    rounding = len(y) * np.finfo(float).eps * np.abs(X).max()
    unpenalized = SoftmaxClassifier(C=np.inf, tol=tol).fit(X, y)
    assert stationarity(unpenalized, X, y) <= tol + rounding
    # The limit of ever weaker penalties: the optimum at C = 1e8 meets the same rule
    # up to its penalty's gradient, W / (C n).
    weak = SoftmaxClassifier(C=1e8, tol=tol).fit(X, y)
    grad_W, grad_b = gradient(weak.coef_, weak.intercept_, X, y, C=np.inf)
    penalty_gradient = np.abs(weak.coef_).max() / (1e8 * len(y))
    assert max(np.abs(grad_W).max(), np.abs(grad_b).max()) <= tol + penalty_gradient + rounding


@pytest.mark.parametrize("loss", LOSS_NAMES[1:])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_hinge_without_penalty_on_separable_data(loss, n_classes):
    X, y = make_problem(n_samples=30, n_features=3, n_classes=n_classes, separation=8.0)
    model = SoftmaxClassifier(loss=loss, C=np.inf).fit(X, y)
    assert model.score(X, y) == 1.0
    assert np.all(np.isfinite(model.coef_))


@pytest.mark.parametrize("loss", LOSS_NAMES[1:])
def test_warm_start_continues_a_hinge_fit(loss):
    X, y = make_problem(n_samples=150, seed=12)
    model = SoftmaxClassifier(loss=loss, warm_start=True).fit(X, y)
    assert_refit_continues(model, X, y)


def test_warm_start_refit_resets_feature_names():
    X, y = make_problem(n_samples=60, n_features=3, seed=13)
    model = SoftmaxClassifier(warm_start=True).fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
        model.predict(X)
    assert not hasattr(model, "feature_names_in_")
    with pytest.raises(ValueError, match="number of features"):
        model.fit(X[:, :2], y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_fit_holds_no_score_array_of_all_samples(dtype):
    """Issue 15's memory bound was 2.2 ``n x K`` arrays of X's dtype per sample. A fit
    (the estimator's validation and core, with blocks of 64 kB of X) evaluates by
    blocks of rows, so its peak traced allocation grows only by its length-n vectors
    (labels, weights): under half an ``n x K`` array per sample. ``X`` itself is the
    caller's and is not copied."""
    rng = np.random.default_rng(0)
    n_classes, n_features, sizes, peaks = 10, 20, (10_000, 30_000), []
    for n_samples in sizes:
        y = rng.integers(0, n_classes, n_samples)
        X = rng.standard_normal((n_samples, n_features)).astype(dtype)
        tracemalloc.start()
        try:
            fit = core.fit(X, y, max_iter=5, settings=SolverSettings(block_bytes=1 << 16))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert fit.n_iter >= 1
    per_sample = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
    assert per_sample / (n_classes * np.dtype(dtype).itemsize) <= 0.5
