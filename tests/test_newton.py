"""The proximal Newton path of L1 and elastic-net cross-entropy: its Hessian, its
subproblem solver, and the optimum it reaches against the L-BFGS-B path and the
textbook KKT conditions.

References are independent of the library: central differences of the gradient, a
bound-constrained split solved by scipy at tight tolerance for the subproblem, and
the textbook gradient of :mod:`tests.oracles` for the KKT conditions.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._callbacks import Callbacks
from sklearn_softmax._core import _coordinates
from sklearn_softmax._hessian import hessian
from sklearn_softmax._l1_qp import solve_l1_qp
from sklearn_softmax._settings import DEFAULT_SETTINGS, SolverSettings
from sklearn_softmax._summary import class_weights, weight_total
from tests import core
from tests.oracles import gradient, kkt_violation, objective, solver_scales, standardized_problem

NEWTON = SolverSettings(newton=True)
LBFGSB = SolverSettings(newton=False)


def smooth_part(X, y, weight, *, n_classes, label_smoothing, fit_intercept, alpha):
    """The library's ``F`` (loss and L2 term) on ``(X, y, weight)`` and its solver
    coordinates, as the core builds them: ``(objective, coordinates)``."""
    problem, _, _ = core.problem(
        X, y, weight, label_smoothing=label_smoothing, fit_intercept=fit_intercept
    )
    data, summary = problem.data, problem.data.summarize()
    totals = summary.moments.totals
    factors = class_weights({0: 2.0}, summary.classes, totals)
    n_scores = 1 if n_classes == 2 else n_classes
    objective_ = data.objective(
        problem.loss.make(n_classes),
        factors / weight_total(factors, totals),
        alpha=alpha,
        fit_intercept=fit_intercept,
        n_scores=n_scores,
    )
    return objective_, _coordinates(summary, factors, n_scores, fit_intercept, DEFAULT_SETTINGS)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_hessian_matches_finite_differences_of_the_gradient(
    n_classes, fit_intercept, container, dtype
):
    """In the solver's coordinates, with class weights, label smoothing and an L2 term,
    on badly scaled features (the coordinates are not the identity); in two lanes of
    blocks of a few rows."""
    X, y, weight = standardized_problem(n_classes, n_samples=90, n_features=5, seed=4)
    X = X * [1.0, 30.0, 0.2, 4.0, 1.0] + [0.0, 50.0, 1.0, -3.0, 0.0]
    X = container(X.astype(dtype))
    objective_, coordinates = smooth_part(
        X, y, weight, n_classes=n_classes, label_smoothing=0.1, fit_intercept=fit_intercept,
        alpha=0.3 / weight.sum(),
    )  # fmt: skip
    theta = 0.3 * np.random.default_rng(5).standard_normal(coordinates.size)

    def grad(t):
        _, grad_W, grad_b = objective_.value_gradient(*coordinates.to_model(t))
        return coordinates.gradient_to_solver(grad_W, grad_b)

    step = 1e-6 if dtype == np.float64 else 1e-3
    columns = [
        (grad(theta + step * e) - grad(theta - step * e)) / (2 * step) for e in np.eye(theta.size)
    ]
    expected = np.array(columns).T
    actual = hessian(objective_, theta, coordinates, block_bytes=2000, n_lanes=2)
    rtol = 1e-6 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * np.abs(expected).max())
    np.testing.assert_array_equal(actual, actual.T)


def split_reference(A, c, slopes):
    """``min 1/2 u'Au + c'u + sum slopes |u|`` as the bound-constrained split ``u = P - N``,
    ``P, N >= 0``, by scipy's L-BFGS-B at a tight tolerance."""
    p = c.size

    def fun(z):
        u = z[:p] - z[p:]
        g = A @ u + c
        return 0.5 * u @ A @ u + c @ u + slopes @ (z[:p] + z[p:]), np.concatenate(
            [g + slopes, slopes - g]
        )

    result = minimize(
        fun, np.zeros(2 * p), jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * p),
        options={"ftol": 0.0, "gtol": 1e-13, "maxiter": 100_000},
    )  # fmt: skip
    return result.x[:p] - result.x[p:]


@pytest.mark.parametrize("rank", [12, 5], ids=["definite", "nearly_singular"])
@pytest.mark.parametrize("seed", range(4))
def test_the_subproblem_solution_meets_its_kkt_conditions(seed, rank):
    """Random quadratics, some nearly singular (a rank-5 Gram plus 1e-6: flat valleys
    that only the L1 kinks bound, as the class sums and collinear features make
    them, with the linear term in the Gram's range as a gradient is there), two free
    coordinates of positive curvature (as intercepts): the active-set solution's KKT
    residuals are at the tolerance, and its objective is the split reference's."""
    rng = np.random.default_rng(seed)
    p = 12
    B = rng.standard_normal((p, rank))
    A = B @ B.T + 1e-6 * np.eye(p)
    A[-2:, -2:] += np.eye(2)
    c = B @ rng.standard_normal(rank) + np.concatenate([np.zeros(p - 2), rng.standard_normal(2)])
    slopes = rng.uniform(0.05, 1.0, p)
    slopes[-2:] = 0.0
    u, steps = solve_l1_qp(A, c, slopes, np.zeros(p), tol=1e-10, batch=4, max_steps=500)
    assert steps < 500
    r = A @ u + c
    residual = np.where(
        (u != 0) | (slopes == 0), np.abs(r + slopes * np.sign(u)), np.abs(r) - slopes
    )
    assert residual.max() <= 1e-9
    reference = split_reference(A, c, slopes)

    def q(v):
        return 0.5 * v @ A @ v + c @ v + slopes @ np.abs(v)

    assert q(u) <= q(reference) + 1e-9 * abs(q(reference))


CASES = [
    {"n_classes": 2, "l1_ratio": 1.0},
    {"n_classes": 3, "l1_ratio": 1.0},
    {"n_classes": 3, "l1_ratio": 0.5, "fit_intercept": False},
    {"n_classes": 4, "l1_ratio": 0.5, "class_weight": {1: 3.0}},
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case.values())))
def test_newton_reaches_the_optimum_of_the_lbfgsb_path(case):
    """Both paths at tol=1e-9 reach the same objective (1e-9 relative); the Newton fit
    at the default tol meets the KKT conditions at tol by the textbook gradient, and
    takes a handful of iterations."""
    case = dict(case)
    n_classes = case.pop("n_classes")
    X, y, weight = standardized_problem(n_classes, n_samples=300, n_features=12, seed=n_classes)
    params = {"C": 0.3, **case}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=1e-9 at float64's rounding
        fits = [core.fit(X, y, weight, tol=1e-9, max_iter=50_000, settings=s, **params)
                for s in (NEWTON, LBFGSB)]  # fmt: skip
    factors = np.where(y == 1, case.get("class_weight", {}).get(1, 1.0), 1.0)
    values = [
        objective(
            f.W, f.b, X, y, C=0.3, sample_weight=weight * factors, l1_ratio=params["l1_ratio"]
        )
        for f in fits
    ]
    assert values[0] <= values[1] * (1 + 1e-9)
    assert values[0] == pytest.approx(values[1], rel=1e-9)
    default = core.fit(X, y, weight, settings=NEWTON, **params)
    assert default.converged and default.n_iter <= 15
    fit_intercept = case.get("fit_intercept", True)
    s = weight * factors
    l1 = params["l1_ratio"] / (0.3 * s.sum())
    grad_W, grad_b = gradient(
        default.W, default.b, X, y, C=0.3 / (1 - params["l1_ratio"]) if params["l1_ratio"] < 1
        else np.inf, sample_weight=s,
    )  # fmt: skip
    if not fit_intercept:
        grad_b = np.zeros_like(grad_b)
    on_W, on_b = kkt_violation(
        default.W, grad_W, grad_b, l1, *solver_scales(X, s, fit_intercept=fit_intercept)
    )
    assert max(on_W.max(), on_b.max()) <= 1e-5 + 1e-11


def test_flat_valleys_take_a_handful_of_iterations():
    """make_classification's redundant features (exact linear combinations) and the
    multinomial class sums are flat directions of the loss that only the L1 kinks
    bound: the L-BFGS-B path took over a hundred iterations on this problem, the
    Newton path takes a handful, to the same optimum (its objective at most the
    other's plus its tol)."""
    X, y = make_classification(
        n_samples=4000, n_features=10, n_informative=6, n_redundant=2, n_classes=3, random_state=0
    )
    iterations = []
    newton = core.fit(
        X, y, l1_ratio=1.0, settings=NEWTON,
        callbacks=Callbacks(on_iteration=lambda i, *_: iterations.append(i)),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lbfgsb = core.fit(X, y, l1_ratio=1.0, settings=LBFGSB)
    assert newton.converged and newton.n_iter <= 10
    assert iterations == list(range(1, newton.n_iter + 1))
    assert lbfgsb.n_iter > 5 * newton.n_iter  # what the method is for
    assert newton.objective <= lbfgsb.objective * (1 + 1e-7)


def test_the_estimator_chooses_newton_for_few_parameters():
    """The default settings' rule, seen from the estimator: a small problem takes the
    Newton path (a handful of iterations), a hinge the L-BFGS-B one."""
    X, y = make_classification(n_samples=2000, n_features=8, n_informative=5, n_classes=3,
                               random_state=1)  # fmt: skip
    assert DEFAULT_SETTINGS.use_newton(3 * 9)
    assert SoftmaxClassifier(l1_ratio=1.0).fit(X, y).n_iter_ <= 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert SoftmaxClassifier(l1_ratio=1.0, loss="squared_hinge").fit(X, y).n_iter_ > 10


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
def test_the_fit_does_not_depend_on_the_threads(l1_ratio):
    """Issue 23: on one BLAS thread the evaluation runs in one lane, on two in two
    (the sums in another order); the L1 and elastic-net fits end at objectives within
    1e-7 relative and coefficients within 1e-4 of their largest magnitude."""
    X, y = make_classification(n_samples=40_000, n_features=30, n_informative=6, n_classes=5,
                               random_state=2)  # fmt: skip
    fits, lanes = [], []
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            fits.append(core.fit(
                X, y, l1_ratio=l1_ratio,
                callbacks=Callbacks(on_evaluation=lambda e: lanes.append(e.n_lanes)),
            ))  # fmt: skip
    assert set(lanes) == {1, 2}
    assert fits[1].objective == pytest.approx(fits[0].objective, rel=1e-7)
    scale = np.abs(fits[0].W).max()
    np.testing.assert_allclose(fits[1].W, fits[0].W, rtol=0, atol=1e-4 * scale)
