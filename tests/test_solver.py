"""The solver's contract: its stopping rule at the start, its callback, its warnings,
and the loss registry it is fed from."""

import pickle
import warnings

import dask
import dask.array as da
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._callbacks import Callbacks
from sklearn_softmax._coordinates import AffinePreconditioner, L1Split
from sklearn_softmax._losses import LOSSES, make_loss
from sklearn_softmax._settings import SolverSettings
from sklearn_softmax._solver import minimize_lbfgs
from sklearn_softmax._threads import run_lanes
from sklearn_softmax.metrics import SCORERS, loss_scorer
from tests import core
from tests.oracles import LOSS_CONFIGS, config_id, objective


def quadratic(A, c):
    """``f(x) = (x - c)^T A (x - c) / 2``: value, gradient and its largest entry."""

    def fun(x):
        grad = A @ (x - c)
        return 0.5 * (x - c) @ grad, grad, np.abs(grad).max()

    return fun


def ill_conditioned_quadratic(n=30, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.logspace(0, 4, n)) @ Q.T, rng.standard_normal(n)


def test_a_start_that_meets_the_rule_returns_at_once():
    A, c = ill_conditioned_quadratic()
    calls = []
    result = minimize_lbfgs(
        quadratic(A, c), c.copy(), tol=1e-8, max_iter=100, callback=lambda *a: calls.append(a)
    )
    assert result.n_iter == 0 and result.converged and calls == []
    np.testing.assert_array_equal(result.x, c)


def test_the_callback_sees_every_iteration():
    A, c = ill_conditioned_quadratic()
    calls = []
    result = minimize_lbfgs(
        quadratic(A, c),
        np.zeros_like(c),
        tol=1e-6,
        max_iter=1000,
        callback=lambda *a: calls.append(a),
    )
    assert result.converged
    iterations, values, stationarities = map(np.array, zip(*calls, strict=True))
    np.testing.assert_array_equal(iterations, np.arange(1, result.n_iter + 1))
    assert np.all(np.diff(values) <= 0)  # L-BFGS accepts only decreasing steps
    # The reported measure is the largest gradient entry at the accepted point.
    assert stationarities[-1] == pytest.approx(np.abs(A @ (result.x - c)).max(), rel=1e-12)
    assert stationarities[-1] <= 1e-6 < stationarities[:-1].min()
    assert values[-1] == pytest.approx(0.5 * (result.x - c) @ A @ (result.x - c), rel=1e-12)


def as_dask(X, y):
    return da.from_array(X, chunks=(70, -1)), da.from_array(y, chunks=70)


@pytest.mark.parametrize("source", ["memory", "dask"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("config", LOSS_CONFIGS, ids=config_id)
def test_warm_refit_of_a_converged_model_runs_at_most_one_iteration(config, n_classes, source):
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=n_classes, random_state=8
    )
    X[:, 0] = 100 * X[:, 0] + 1000  # badly scaled: the stopping rule is not trivially met
    if source == "dask":
        X, y = as_dask(X, y)
    model = SoftmaxClassifier(**config, warm_start=True)
    with dask.config.set(scheduler="threads"):
        model.fit(X, y)
        assert model.n_iter_ > 5
        coef, intercept = model.coef_.copy(), model.intercept_.copy()
        model.fit(X, y)
    assert model.n_iter_ <= 1
    scale = np.abs(coef).max()
    np.testing.assert_allclose(model.coef_, coef, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=0, atol=1e-9 * scale)


def test_convergence_warnings_name_the_line_that_called_fit():
    X, y = make_classification(n_samples=200, n_classes=3, n_informative=4, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=2") as record:
        SoftmaxClassifier(max_iter=2).fit(X, y)
    assert record[0].filename == __file__
    with pytest.warns(ConvergenceWarning) as record:  # through scikit-learn's machinery
        cross_val_score(make_pipeline(StandardScaler(), SoftmaxClassifier(max_iter=2)), X, y)
    assert {w.filename for w in record} == {__file__}
    with pytest.warns(ConvergenceWarning) as record, dask.config.set(scheduler="threads"):
        SoftmaxClassifier(max_iter=2).fit(*as_dask(X, y))
    assert record[0].filename == __file__


def test_a_precision_stop_at_extreme_C_is_true():
    """C=1e6, tol=1e-10: wherever the fit stops, its objective is the optimum's to
    1e-9 relative (Newton's method as the reference), so "below what this precision
    resolves" is true; the release stopped 3.8e-8 above it and blamed the data type."""
    X, y = make_classification(random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = SoftmaxClassifier(C=1e6, tol=1e-10).fit(X, y)
    reference = LogisticRegression(C=1e6, tol=1e-14, max_iter=1000, solver="newton-cholesky")
    reference.fit(X, y)
    ours = objective(model.coef_, model.intercept_, X, y, C=1e6)
    best = objective(reference.coef_, reference.intercept_, X, y, C=1e6)
    assert ours <= best * (1 + 1e-9)
    for warning in caught:
        assert "float64 data" not in str(warning.message)


def test_unknown_loss_names_raise():
    with pytest.raises(ValueError, match="Unknown loss 'hinje'"):
        make_loss("hinje", 3)
    with pytest.raises(ValueError, match="Unknown multiclass_hinge"):
        make_loss("hinge", 3, multiclass_hinge="crammer")


def test_the_registry_refuses_unknown_keywords_and_names_the_allowed_ones():
    """A misspelt keyword is an error (it gave the default margin), the allowed names in
    the message; a parameter of another loss is ignored (``margin`` with
    cross-entropy), except ``label_smoothing`` with a hinge."""
    with pytest.raises(ValueError, match=r"Unknown loss parameter\(s\) \['margni'\].*'margin'"):
        make_loss("hinge", 3, margni=2.0)
    assert make_loss("hinge", 3, margin=2.0).margin == 2.0
    assert make_loss("cross_entropy", 3, margin=2.0) == make_loss("cross_entropy", 3)
    with pytest.raises(ValueError, match="label_smoothing applies to loss='cross_entropy'"):
        make_loss("squared_hinge", 3, label_smoothing=0.1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((("foo",), {}), "'loss' parameter of loss_scorer must be a str among"),
        ((("hinge",), {"multiclass_hinge": "bogus"}), "'multiclass_hinge' parameter"),
        ((("hinge",), {"margin": 0.0}), "'margin' parameter"),
        ((("cross_entropy",), {"label_smoothing": 1.0}), "'label_smoothing' parameter"),
        ((("hinge",), {"label_smoothing": 0.1}), "label_smoothing applies to loss="),
    ],
)
def test_loss_scorer_validates_its_parameters(arguments, message):
    args, kwargs = arguments
    with pytest.raises(ValueError, match=message):
        loss_scorer(*args, **kwargs)


def test_every_registry_loss_has_its_scorer():
    """SCORERS holds each loss of the registry (each hinge variant apart), each scoring
    the response its loss measures."""
    variants = ("crammer_singer", "weston_watkins")
    scorers = {loss_scorer(name, multiclass_hinge=v) for name in LOSSES for v in variants}
    assert scorers == set(SCORERS.values())
    assert len(SCORERS) == 5


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("n_classes", [2, 4])
def test_losses_are_values_with_private_workspaces(name, n_classes):
    loss = make_loss(name, n_classes, margin=0.5, label_smoothing=0.1 * (name == "cross_entropy"))
    twin = make_loss(name, n_classes, margin=0.5, label_smoothing=0.1 * (name == "cross_entropy"))
    assert loss == twin and hash(loss) == hash(twin) and loss is not twin
    Z = np.random.default_rng(0).standard_normal((1 if n_classes == 2 else n_classes, 5))
    loss.loss_gradient(Z.copy(), np.arange(5) % n_classes)
    copy = pickle.loads(pickle.dumps(loss))
    assert copy == loss
    assert copy._workspace.buffers == {} and loss._workspace.buffers != {}
    with pytest.raises(AttributeError):
        loss.margin = 2.0  # frozen


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("split", [False, True], ids=["l2", "l1-split"])
@pytest.mark.parametrize("entry", ["weight", "intercept"])
def test_a_non_finite_gradient_entry_stops_the_fit(bad, split, entry):
    """The solver checks finiteness through the stationarity alone: every gradient
    entry of either coordinate system must reach it."""
    coordinates = AffinePreconditioner(np.zeros(3), np.full(3, 2.0), n_scores=2, fit_intercept=True)
    if split:
        coordinates = L1Split(coordinates, 0.1)
    theta0 = coordinates.to_solver(np.ones((2, 3)), np.zeros(2))
    grad_W, grad_b = np.ones((2, 3)), np.ones(2)
    if entry == "weight":
        grad_W[1, 2] = bad
    else:
        grad_b[0] = bad

    def fun(theta):
        _, grad = coordinates.penalty(theta, grad_W, grad_b)
        return 1.0, grad, coordinates.stationarity(theta, grad)

    with pytest.raises(FloatingPointError, match="not finite"):
        minimize_lbfgs(fun, theta0, tol=1e-6, max_iter=10)


@pytest.mark.parametrize("small", [True, False], ids=["small", "large"])
def test_evaluations_run_in_lanes_of_one_blas_thread(small):
    """Every evaluation's BLAS runs on one thread (seen from the evaluation's callback,
    in the fit); below ``lane_work`` in one lane, above it in as many lanes as the
    process had BLAS threads."""
    usual = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    seen = []

    def recording(evaluation):
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        seen.append((blas, evaluation.n_lanes))

    X, y = make_classification(n_samples=100, n_features=6, n_informative=3, random_state=0)
    settings = SolverSettings(lane_work=np.inf if small else 1)
    core.fit(X, y, max_iter=3, settings=settings, callbacks=Callbacks(on_evaluation=recording))
    assert seen
    lanes = 1 if small else max(usual)
    assert all(blas == [1] * len(usual) and n_lanes == lanes for blas, n_lanes in seen)
    # the process's limits are back after the fit
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == usual


def test_lanes_run_under_the_callers_floating_point_settings():
    """``np.errstate`` is per thread: the pool's lanes get the caller's settings."""
    with np.errstate(over="raise", invalid="ignore"):
        settings = run_lanes(lambda lane: (np.geterr()["over"], np.geterr()["invalid"]), 3)
    assert settings == [("raise", "ignore")] * 3
