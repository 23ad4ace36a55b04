"""softmax_path and SoftmaxClassifierCV against cold fits, LogisticRegressionCV and
GridSearchCV; in pipelines, with weights, pandas, sparse X, string labels, groups,
metadata routing and folds that lack a class."""

import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV, softmax_path
from sklearn_softmax.metrics import (
    cross_entropy_loss,
    loss_scorer,
    multiclass_hinge_loss,
    neg_cross_entropy_scorer,
)
from tests.oracles import (
    LOSS_CONFIGS,
    config_id,
    gradient,
    is_smooth,
    kkt_violation,
    objective,
    solver_scales,
    standardized_problem,
)

# The paths are compared at tol=1e-8; where double precision cannot certify that
# tolerance, the fit says so with this warning.
pytestmark = pytest.mark.filterwarnings(
    "ignore:L-BFGS stopped because no step decreases the objective"
    ":sklearn.exceptions.ConvergenceWarning"
)

CS = [0.01, 0.1, 1.0, 10.0]


#: Standardized, not separable (label noise), with positive sample weights.
problem = partial(
    standardized_problem, n_samples=150, n_features=5, n_informative=3, min_weight=0.3
)


# --------------------------------------------------------------------- the path


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
@pytest.mark.parametrize("config", LOSS_CONFIGS, ids=config_id)
def test_every_path_point_is_the_cold_fit(config, l1_ratio):
    X, y, weight = problem(seed=1)
    # Tight enough for 1e-7 between two fits each stopped at tol: the smooth losses at
    # 1e-9; the hinges at 1e-8 (their smoothed stages stop at the precision of float64
    # below that, where the two fits may end 1e-6 apart).
    tol = 1e-9 if is_smooth(config) else 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol at float64's resolution
        coefs, intercepts, Cs, n_iter = softmax_path(
            X, y, Cs=CS, l1_ratio=l1_ratio, sample_weight=weight, tol=tol, **config
        )
        cold = [
            SoftmaxClassifier(**config, C=C, l1_ratio=l1_ratio, tol=tol).fit(
                X, y, sample_weight=weight
            )
            for C in CS
        ]
    assert np.array_equal(Cs, CS) and n_iter.shape == (len(CS),)
    for point, (C, model) in enumerate(zip(CS, cold, strict=True)):
        on_path = objective(
            coefs[point],
            intercepts[point],
            X,
            y,
            C=C,
            l1_ratio=l1_ratio,
            sample_weight=weight,
            **config,
        )
        reference = objective(
            model.coef_,
            model.intercept_,
            X,
            y,
            C=C,
            l1_ratio=l1_ratio,
            sample_weight=weight,
            **config,
        )
        # The plain hinges with an L1 term: a warm-started point may end on a
        # precision stop of its last smoothing stage (measured: 8.8e-7 above the
        # tol=1e-10 optimum at C=10, the cold fit 3e-9), which the rounding decides.
        plain_l1 = not is_smooth(config) and config["loss"] == "hinge" and l1_ratio > 0
        assert on_path == pytest.approx(reference, rel=2e-6 if plain_l1 else 1e-7)
        if is_smooth(config) and l1_ratio == 0:  # a unique optimum to compare
            np.testing.assert_allclose(coefs[point], model.coef_, atol=1e-5)


def test_path_order_is_the_order_given_and_int_cs_is_a_log_grid():
    X, y, _ = problem(n_classes=2)
    coefs, _, Cs, _ = softmax_path(X, y, Cs=[1.0, 0.01, 0.1])
    assert list(Cs) == [1.0, 0.01, 0.1]
    norms = np.abs(coefs).sum(axis=(1, 2))
    assert norms[1] < norms[2] < norms[0]  # weaker penalty, larger weights
    assert coefs.shape == (3, 1, X.shape[1])
    _, _, grid, _ = softmax_path(X, y, Cs=5)
    np.testing.assert_allclose(grid, np.logspace(-4, 4, 5))


# ---------------------------------------------------- against scikit-learn's CV


@pytest.mark.recent_oracle
@pytest.mark.parametrize(("l1_ratio", "solver"), [(0.0, "lbfgs"), (0.5, "saga"), (1.0, "saga")])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_cross_entropy_cv_matches_logistic_regression_cv(n_classes, l1_ratio, solver):
    X, y, _ = problem(n_classes=n_classes, n_samples=120, n_features=4, seed=2 + n_classes)
    folds = list(StratifiedKFold(4, shuffle=True, random_state=0).split(X, y))
    # With an L1 term, Cs where some weights are non-zero: where all are zero, saga
    # stops after one epoch (no weight moved) with its intercept off the optimum.
    Cs = CS if l1_ratio == 0 else [0.3, 1.0, 3.0, 10.0]
    ours = SoftmaxClassifierCV(
        Cs=Cs, l1_ratios=[l1_ratio], cv=folds, scoring="neg_log_loss", tol=1e-8
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, FutureWarning, UserWarning))
        theirs = LogisticRegressionCV(
            Cs=Cs,
            l1_ratios=[l1_ratio],
            cv=folds,
            scoring="neg_log_loss",
            solver=solver,
            tol=1e-10,
            max_iter=100_000,
            use_legacy_attributes=False,
        ).fit(X, y)
    assert ours.scores_.shape == theirs.scores_.shape == (4, 1, len(Cs))
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-4)
    mean = np.sort(ours.scores_.mean(axis=0).ravel())
    if mean[-1] - mean[-2] > 1e-4:  # a best point separated from the next
        assert ours.C_ == theirs.C_
    assert isinstance(ours.C_, float) and isinstance(ours.l1_ratio_, float)
    np.testing.assert_allclose(ours.Cs_, theirs.Cs_)


@pytest.mark.parametrize("config", LOSS_CONFIGS, ids=config_id)
def test_cv_equals_grid_search_over_c(config):
    X, y, _ = problem(seed=3)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=1).split(X, y))
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, tol=1e-8, **config).fit(X, y)
    scoring = "neg_log_loss" if config["loss"] == "cross_entropy" else None
    search = GridSearchCV(
        SoftmaxClassifier(tol=1e-8, **config),
        {"C": CS},
        cv=folds,
        scoring=scoring or loss_scorer(**config),
    ).fit(X, y)
    split_scores = np.array([search.cv_results_[f"split{k}_test_score"] for k in range(len(folds))])
    # Both are optima to tol; the smooth losses' optimum is unique, so their held-out
    # scores agree to 1e-6. The hinges' optimal intercepts form an interval (scikit-
    # learn marks LinearSVC's weight checks alike): two optimal models may score a
    # held-out fold differently (measured: 4e-6 across BLAS kernels); 1e-4 here.
    atol = 1e-6 if is_smooth(config) else 1e-4
    np.testing.assert_allclose(ours.scores_[:, 0, :], split_scores, atol=atol)
    mean = np.sort(ours.scores_.mean(axis=0).ravel())
    if mean[-1] - mean[-2] > 2 * atol:
        assert ours.C_ == search.best_params_["C"]
    # The refit is the cold fit at C_ (the same optimum, to tol).
    refit = SoftmaxClassifier(C=ours.C_, tol=1e-8, **config).fit(X, y)
    assert objective(ours.coef_, ours.intercept_, X, y, C=ours.C_, **config) == pytest.approx(
        objective(refit.coef_, refit.intercept_, X, y, C=ours.C_, **config), rel=1e-7
    )


def test_default_scoring_is_the_negative_fitted_loss():
    X, y, _ = problem(seed=4)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    for config, metric, method in [
        ({"loss": "cross_entropy"}, cross_entropy_loss, "predict_proba"),
        ({"loss": "hinge", "multiclass_hinge": "weston_watkins"}, None, "decision_function"),
    ]:
        model = SoftmaxClassifierCV(Cs=[0.1, 1.0], cv=folds, **config).fit(X, y)
        train, test = folds[0]
        fold_model = SoftmaxClassifier(C=1.0, **config).fit(X[train], y[train])
        response = getattr(fold_model, method)(X[test])
        if metric is None:
            expected = -multiclass_hinge_loss(y[test], response, variant="weston_watkins")
        else:
            expected = -metric(y[test], response)
        assert model.scores_[0, 0, 1] == pytest.approx(expected, rel=1e-4)


# ------------------------------------------------------------- what users pass


def test_refit_false_averages_each_folds_best():
    X, y, _ = problem(seed=5)
    model = SoftmaxClassifierCV(Cs=CS, l1_ratios=[0.0, 0.5], refit=False, cv=3).fit(X, y)
    best = [np.unravel_index(np.argmax(s), s.shape) for s in model.scores_]
    expected_coef = np.mean(
        [model.coefs_paths_[f, l1, c][:, :-1] for f, (l1, c) in enumerate(best)], axis=0
    )
    np.testing.assert_allclose(model.coef_, expected_coef)
    assert model.C_ == pytest.approx(np.mean([CS[c] for _, c in best]))
    assert model.l1_ratio_ == pytest.approx(np.mean([[0.0, 0.5][l1] for l1, _ in best]))


def test_pipeline_pandas_string_labels_and_class_weight():
    X, y, _ = problem(seed=6)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    labels = np.array(["ant", "bee", "cat"])[y]
    pipeline = make_pipeline(
        StandardScaler(), SoftmaxClassifierCV(Cs=CS, cv=3, class_weight="balanced")
    ).fit(frame, labels)
    model = pipeline[-1]
    assert list(model.classes_) == ["ant", "bee", "cat"]
    assert set(pipeline.predict(frame)) <= {"ant", "bee", "cat"}
    # The refit is the cold fit at C_ with the balanced weights of all the data.
    cold = SoftmaxClassifier(C=model.C_, class_weight="balanced").fit(X, labels)
    np.testing.assert_allclose(model.coef_, cold.coef_, atol=1e-3)


def test_sample_weight_is_used_in_every_fit():
    X, y, weight = problem(seed=7)
    folds = list(StratifiedKFold(3).split(X, y))
    weighted = SoftmaxClassifierCV(Cs=CS, cv=folds, tol=1e-8).fit(X, y, sample_weight=weight)
    train, test = folds[1]
    fold_model = SoftmaxClassifier(C=CS[2], tol=1e-8).fit(
        X[train], y[train], sample_weight=weight[train]
    )
    # Without routing, the scorer sees no weights.
    expected = -cross_entropy_loss(y[test], fold_model.predict_proba(X[test]))
    assert weighted.scores_[1, 0, 2] == pytest.approx(expected, rel=1e-5)


def test_sample_weight_routed_to_the_scorer():
    X, y, weight = problem(seed=8)
    folds = list(StratifiedKFold(3).split(X, y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = neg_cross_entropy_scorer.set_score_request(sample_weight=True)
        model = SoftmaxClassifierCV(Cs=CS, cv=folds, scoring=scorer, tol=1e-8)
        model.set_fit_request(sample_weight=True).fit(X, y, sample_weight=weight)
    train, test = folds[0]
    fold_model = SoftmaxClassifier(C=CS[0], tol=1e-8).fit(
        X[train], y[train], sample_weight=weight[train]
    )
    expected = -cross_entropy_loss(
        y[test], fold_model.predict_proba(X[test]), sample_weight=weight[test]
    )
    assert model.scores_[0, 0, 0] == pytest.approx(expected, rel=1e-5)


def test_groups_reach_the_splitter():
    X, y, _ = problem(seed=9)
    groups = np.arange(len(y)) % 5
    model = SoftmaxClassifierCV(Cs=[0.1, 1.0], cv=GroupKFold(5)).fit(X, y, groups=groups)
    assert model.scores_.shape == (5, 1, 2)
    with pytest.raises(ValueError, match="groups"):
        SoftmaxClassifierCV(Cs=[0.1], cv=GroupKFold(5)).fit(X, y)


def test_sparse_input_equals_dense():
    X, y, _ = problem(seed=10)
    X[np.abs(X) < 0.5] = 0.0
    dense = SoftmaxClassifierCV(Cs=CS, cv=3, tol=1e-8).fit(X, y)
    sparse = SoftmaxClassifierCV(Cs=CS, cv=3, tol=1e-8).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.scores_, dense.scores_, atol=1e-6)
    assert sparse.C_ == dense.C_


@pytest.mark.parametrize("loss", ["cross_entropy", "hinge", "squared_hinge"])
def test_a_fold_lacking_a_class_is_fitted_with_every_class(loss):
    """As LogisticRegressionCV: each fold's model has a row for every class of the
    data; a class its training part lacks scores below the others there (by about the
    margin for the hinges), so its held-out sample costs a finite loss."""
    X, y, _ = problem(seed=11)
    y = y.copy()
    y[0] = -1  # one sample of a fourth class (sorted first): its fold's training part lacks it
    folds = list(KFold(3).split(X))
    model = SoftmaxClassifierCV(Cs=CS, cv=folds, loss=loss).fit(X, y)
    assert list(model.classes_) == [-1, 0, 1, 2] and model.coef_.shape == (4, X.shape[1])
    assert model.coefs_paths_.shape == (3, 1, len(CS), 4, X.shape[1] + 1)
    assert np.all(np.isfinite(model.scores_))
    assert model.C_ == CS[np.argmax(model.scores_.mean(axis=0)[0])]
    train = folds[0][0]
    slack = 0.0 if loss == "cross_entropy" else 0.1  # the hinges stop near the margin
    for point in range(len(CS)):
        paths = model.coefs_paths_[0, 0, point]
        scores = X[train] @ paths[:, :-1].T + paths[:, -1]
        assert np.all(scores[:, 0] < scores[:, 1:].max(axis=1) + slack)
    # refit=False averages the folds' rows, the absent class's included
    averaged = SoftmaxClassifierCV(Cs=CS, cv=folds, loss=loss, refit=False).fit(X, y)
    best = [np.unravel_index(np.argmax(s), s.shape) for s in averaged.scores_]
    expected = np.mean(
        [averaged.coefs_paths_[f, l1, c][:, :-1] for f, (l1, c) in enumerate(best)], axis=0
    )
    np.testing.assert_allclose(averaged.coef_, expected)


def test_a_fold_lacking_a_class_is_a_stationary_point_with_every_class():
    """The fold's cross-entropy model (tol=1e-8) is stationary for the four-class
    problem on its training part, by the textbook gradient: the absent class's
    intercept went down until its gradient (its mean probability) met tol."""
    X, y, _ = problem(seed=11)
    y = y.copy()
    y[0] = -1
    folds = list(KFold(3).split(X))
    model = SoftmaxClassifierCV(Cs=CS, cv=folds, tol=1e-8).fit(X, y)
    train = folds[0][0]
    index = np.searchsorted(model.classes_, y[train])
    mu, sigma = solver_scales(X[train], np.ones(train.size))
    for point, C in enumerate(CS):
        paths = model.coefs_paths_[0, 0, point]
        W, b = paths[:, :-1], paths[:, -1]
        grad_W, grad_b = gradient(W, b, X[train], index, C=C)
        on_W, on_b = kkt_violation(W, grad_W, grad_b, 0.0, mu, sigma)
        assert max(on_W.max(), on_b.max()) <= 1e-8 + 1e-12
        assert b[0] < b[1:].min() - 5  # pushed far below: probability ~ tol


def tight_logistic_regression_cv(X, y, folds, scoring):
    """``LogisticRegressionCV`` over ``CS`` at tol=1e-10, its warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, FutureWarning, UserWarning))
        return LogisticRegressionCV(
            Cs=CS, cv=folds, scoring=scoring, tol=1e-10, max_iter=100_000,
            use_legacy_attributes=False,
        ).fit(X, y)  # fmt: skip


@pytest.mark.recent_oracle
@pytest.mark.parametrize("scoring", ["neg_log_loss", "neg_brier_score"])
def test_a_string_scorer_gets_every_class_on_a_held_out_part_lacking_one(scoring):
    """The last third holds no sample of class 2, so its held-out part lacks it (the
    training parts all have it): scikit-learn's metrics need ``labels`` there, which
    both CV estimators pass; the scores agree with LogisticRegressionCV's."""
    X, y, _ = problem(seed=12, n_samples=150)
    y = y.copy()
    y[100:][y[100:] == 2] = 0
    folds = list(KFold(3).split(X))
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, scoring=scoring, tol=1e-8).fit(X, y)
    theirs = tight_logistic_regression_cv(X, y, folds, scoring)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-4)


@pytest.mark.recent_oracle
@pytest.mark.parametrize("loss", ["cross_entropy", "hinge", "squared_hinge"])
def test_two_classes_with_a_training_fold_of_one_class(loss):
    """The first quarter is all class 0, so the first fold trains on class 1 alone:
    the fold's model scores class 1 above class 0 on every sample (cross-entropy:
    LogisticRegressionCV's model, an intercept stopped by tol); the other folds'
    scores are LogisticRegressionCV's (cross-entropy)."""
    rng = np.random.default_rng(14)
    y = (np.arange(60) >= 15).astype(int)
    X = rng.standard_normal((60, 3)) + y[:, None]
    folds = list(KFold(4).split(X))
    scoring = "neg_log_loss" if loss == "cross_entropy" else None
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, loss=loss, scoring=scoring, tol=1e-8).fit(X, y)
    assert np.all(np.isfinite(ours.scores_))
    lone = ours.coefs_paths_[0, 0]  # (n_Cs, 1, n_features + 1)
    assert np.all(X @ lone[:, 0, :-1].T + lone[:, 0, -1] > 0)
    assert set(ours.predict(X)) <= {0, 1}
    if loss == "cross_entropy":
        theirs = tight_logistic_regression_cv(X, y, folds, scoring)
        np.testing.assert_allclose(ours.scores_[1:], theirs.scores_[1:], atol=1e-4)
        assert np.all(theirs.coefs_paths_[0, 0, :, 0, -1] > 0)


def accuracy_by_hand(estimator, X, y):
    """A scorer that is a plain function: it requests no metadata."""
    return float(np.mean(estimator.predict(X) == y))


@pytest.mark.recent_oracle
@pytest.mark.parametrize("scoring", [accuracy_by_hand, "accuracy", None], ids=str)
def test_score_routes_or_refuses_sample_weight_as_scikit_learn_does(scoring):
    """Under metadata routing, ``score(X, y, sample_weight=w)`` with a scorer that does
    not request weights raises as LogisticRegressionCV's does; without routing the
    weights reach a scorer that takes them."""
    X, y, weight = problem(seed=15)
    ours = SoftmaxClassifierCV(Cs=[1.0], cv=3, scoring=scoring).fit(X, y)
    theirs = LogisticRegressionCV(
        Cs=[1.0], cv=3, scoring=scoring or "neg_log_loss", l1_ratios=(0.0,),
        use_legacy_attributes=False,
    ).fit(X, y)  # fmt: skip
    with sklearn.config_context(enable_metadata_routing=True):
        errors = []
        for model in (ours, theirs):
            with pytest.raises((TypeError, ValueError)) as error:
                model.score(X, y, sample_weight=weight)
            errors.append(type(error.value))
        assert errors[0] is errors[1]
    if callable(scoring):
        return
    unweighted = ours.score(X, y)
    weighted = ours.score(X, y, sample_weight=weight)
    assert weighted != unweighted
    assert theirs.score(X, y, sample_weight=weight) != theirs.score(X, y)


def test_bad_parameters_are_errors():
    X, y, _ = problem(seed=12)
    with pytest.raises(ValueError, match="l1_ratios"):
        SoftmaxClassifierCV(l1_ratios=[0.5, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match="Cs"):
        SoftmaxClassifierCV(Cs=0).fit(X, y)
    for Cs in ([-1.0], []):
        with pytest.raises(ValueError, match="Cs must be a positive int or a non-empty list"):
            SoftmaxClassifierCV(Cs=Cs).fit(X, y)
        with pytest.raises(ValueError, match="Cs must be"):
            softmax_path(X, y, Cs=Cs)
