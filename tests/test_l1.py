"""L1 and elastic-net penalties: ``J = C sum_i s_i c_{y_i} loss_i + r ||W||_1
+ (1 - r) / 2 ||W||_F^2`` with ``r = l1_ratio`` reaches its optimum.

References are independent of the library: scikit-learn's saga solver for
cross-entropy, the linear program the plain hinges are (HiGHS), the textbook
objective of :mod:`tests.oracles`, gradients written here in numpy and central
finite differences.

Units: the fit stops when the largest entry of the minimum-norm subgradient of
``F = J / (C S)``, ``S = sum_i s_i c_{y_i}``, is at most ``tol``. In those units
the L1 strength is ``l1 = r / (C S)`` and the L2 one ``alpha = (1 - r) / (C S)``.
"""

import itertools
import time
import warnings
from functools import partial

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.special import expit, log_softmax, softmax
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._callbacks import Callbacks
from sklearn_softmax._coordinates import AffinePreconditioner, L1Split
from sklearn_softmax._data import InMemoryData
from sklearn_softmax._losses import LOSSES, make_loss
from sklearn_softmax._settings import SolverSettings
from tests import core
from tests.oracles import (
    LOSS_CONFIGS,
    config_id,
    kkt_violation,
    objective,
    solver_scales,
    standardized_problem,
)

#: Every ConvergenceWarning fails a test, but a precision stop: tolerances near
#: 1e-9 are at what double precision resolves of F on these problems (and the
#: hinges' last smoothing stages are badly conditioned); the tests check the
#: optimum itself instead.
pytestmark = [
    pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings(
        "ignore:L-BFGS stopped because no step decreases:sklearn.exceptions.ConvergenceWarning"
    ),
]

#: Slack, in units of ``F``, for recomputing a gradient here with other rounding
#: than the library's: gradient entries are O(1) sums of a few hundred O(1) terms,
#: whose rounding is ~1e-14; far below every ``tol`` used.
ROUNDING = 1e-11


def loss_params(config):
    """The oracle's loss parameters of an estimator configuration."""
    return {key: config[key] for key in ("loss", "multiclass_hinge", "margin") if key in config}


def J_of(model, X, y, *, C, l1_ratio, sample_weight=None, **params):
    """The textbook objective at a fitted model's coef_ and intercept_ (float64)."""
    coef = model.coef_.toarray() if sp.issparse(model.coef_) else model.coef_
    return objective(
        np.asarray(coef, np.float64),
        np.asarray(model.intercept_, np.float64),
        X,
        y,
        C=C,
        sample_weight=sample_weight,
        l1_ratio=l1_ratio,
        **params,
    )


def smooth_gradient(W, b, X, y, s, *, loss, alpha, margin=1.0):
    """``(dF/dW, dF/db)`` of the smooth part ``F = sum_i s_i loss_i / sum_i s_i +
    alpha / 2 ||W||^2``, from the losses' definitions: cross-entropy (softmax or,
    with one score, logistic), the squared Weston-Watkins hinge and the binary
    squared hinge."""
    Z = np.asarray(X @ W.T) + b
    n, n_scores = Z.shape
    rows = np.arange(n)
    if n_scores == 1:
        t = np.where(y == 1, 1.0, -1.0)[:, None]
        if loss == "cross_entropy":
            G = expit(Z) - (y == 1)[:, None]
        else:  # max(0, margin - t z)^2
            G = -2 * t * np.maximum(0.0, margin - t * Z)
    elif loss == "cross_entropy":
        G = softmax(Z, axis=1) - np.eye(n_scores)[y]
    else:  # squared Weston-Watkins: sum_{k != y} max(0, margin + z_k - z_y)^2
        H = 2 * np.maximum(0.0, margin + Z - Z[rows, y][:, None])
        H[rows, y] = 0.0
        G = H.copy()
        G[rows, y] = -H.sum(axis=1)
    G = G * (s / s.sum())[:, None]
    grad_W = np.asarray(X.T @ G).T + alpha * W
    return grad_W, G.sum(axis=0)


def assert_same_support(coef, reference, *, undecided_below):
    """The same exact zeros, except where the coefficient is zero in one and tiny
    (below ``undecided_below``) in the other: the solvers' accuracy decides those,
    not the optimum, so they do not fail the test."""
    zero, reference_zero = coef == 0, reference == 0
    undecided = np.maximum(np.abs(coef), np.abs(reference)) < undecided_below
    disagree = (zero != reference_zero) & ~undecided
    assert not disagree.any(), f"supports differ at {np.argwhere(disagree).tolist()}"


# ---------------------------------------------------------------------------
# 1. Cross-entropy: LogisticRegression(solver="saga") with the same l1_ratio
# ---------------------------------------------------------------------------


@pytest.mark.recent_oracle
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize(
    ("n_classes", "C"),
    [(2, 0.05), (2, 0.3), (3, 0.1), (4, 0.3)],
    ids=["binary-C0.05", "binary-C0.3", "3_classes-C0.1", "4_classes-C0.3"],
)
def test_cross_entropy_matches_saga(n_classes, C, l1_ratio):
    X, y, weight = standardized_problem(n_classes, seed=n_classes)
    ours = SoftmaxClassifier(C=C, l1_ratio=l1_ratio, tol=1e-8, max_iter=20000)
    ours.fit(X, y, sample_weight=weight)
    # (saga's ConvergenceWarning fails the test too: it must be a reference.)
    saga = LogisticRegression(solver="saga", l1_ratio=l1_ratio, C=C, tol=1e-10, max_iter=100000)
    saga.fit(X, y, sample_weight=weight)
    J = partial(J_of, X=X, y=y, C=C, l1_ratio=l1_ratio, sample_weight=weight)
    ours_J, saga_J = J(ours), J(saga)
    assert ours_J <= saga_J * (1 + 1e-6)
    assert abs(ours_J - saga_J) <= 1e-6 * saga_J
    # Same support, where saga's is well determined (|w| < 1e-6 is within what
    # saga's tol=1e-10 leaves open) and the optimum unique: with the L1 term alone
    # and an even number of classes, the objective is flat along each feature's
    # class sums between its two middle weights (any shift there is optimal).
    if l1_ratio < 1 or n_classes % 2:
        assert_same_support(ours.coef_, saga.coef_, undecided_below=1e-6)
    # The problem exercises both: some weights are zero, others not.
    assert 0 < np.sum(saga.coef_ == 0) < saga.coef_.size


# ---------------------------------------------------------------------------
# 2. Plain hinges with l1_ratio=1: the linear program
# ---------------------------------------------------------------------------


def hinge_lp_optimum(X, y, *, C, sample_weight, variant, margin=1.0):
    """Minimum of ``C sum_i s_i hinge_i + ||W||_1`` as a linear program (HiGHS).

    Variables ``W+ >= 0``, ``W- >= 0`` (``W = W+ - W-``, row-major), free ``b`` and
    slacks ``xi >= 0``. Two classes: one score ``z = w.x + b``,
    ``xi_i >= margin - t_i z_i``. Crammer-Singer: one slack per sample,
    ``xi_i >= margin + z_ik - z_iy`` for every ``k != y_i``; Weston-Watkins: one
    slack per such pair. Objective ``C sum_i s_i xi_i + sum(W+ + W-)`` (Weston-
    Watkins: ``C sum_{i,k} s_i xi_ik``).
    """
    n, d = X.shape
    n_classes = np.unique(y).size
    n_scores = 1 if n_classes == 2 else n_classes
    n_weights = n_scores * d
    if n_classes == 2:
        pairs = [(i, None) for i in range(n)]
    else:
        pairs = [(i, k) for i in range(n) for k in range(n_classes) if k != y[i]]
    per_pair = n_classes > 2 and variant == "weston_watkins"  # else one slack per sample
    n_slacks = len(pairs) if per_pair else n
    A = np.zeros((len(pairs), 2 * n_weights + n_scores + n_slacks))
    b_offset, xi_offset = 2 * n_weights, 2 * n_weights + n_scores

    def add_score(row, k, sign, i):  # sign * z_ik on the left-hand side
        A[row, k * d : (k + 1) * d] += sign * X[i]
        A[row, n_weights + k * d : n_weights + (k + 1) * d] -= sign * X[i]
        A[row, b_offset + k] += sign

    for row, (i, k) in enumerate(pairs):
        # margin + (score difference) - xi <= 0
        if k is None:
            add_score(row, 0, -1.0 if y[i] == 1 else 1.0, i)
        else:
            add_score(row, k, 1.0, i)
            add_score(row, y[i], -1.0, i)
        A[row, xi_offset + (row if per_pair else i)] = -1.0
    slack_sample = [i for i, _ in pairs] if per_pair else np.arange(n)
    cost = np.concatenate(
        [np.ones(2 * n_weights), np.zeros(n_scores), C * sample_weight[slack_sample]]
    )
    bounds = [(0, None)] * (2 * n_weights) + [(None, None)] * n_scores + [(0, None)] * n_slacks
    result = linprog(
        cost,
        A_ub=sp.csr_matrix(A),
        b_ub=np.full(len(pairs), -margin),
        bounds=bounds,
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    assert result.status == 0, result.message
    # The program is the problem: the textbook objective at its solution is its value.
    W = (result.x[:n_weights] - result.x[n_weights : 2 * n_weights]).reshape(n_scores, d)
    b = result.x[b_offset:xi_offset]
    at_solution = objective(
        W,
        b,
        X,
        y,
        C=C,
        sample_weight=sample_weight,
        l1_ratio=1.0,
        loss="hinge",
        multiclass_hinge=variant,
        margin=margin,
    )
    assert at_solution == pytest.approx(result.fun, rel=1e-8)
    return result.fun


def small_gaussian_problem(n_classes, seed):
    """40 samples, 4 features, overlapping Gaussian classes; positive weights."""
    rng = np.random.default_rng(seed)
    y = np.arange(40) % n_classes
    rng.shuffle(y)
    X = rng.standard_normal((n_classes, 4))[y] + rng.standard_normal((40, 4))
    return X, y, rng.uniform(0.5, 2.0, 40)


@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize(
    ("n_classes", "variant"),
    [(2, "crammer_singer"), (3, "crammer_singer"), (3, "weston_watkins")],
    ids=["binary", "crammer_singer", "weston_watkins"],
)
def test_plain_hinge_l1_matches_the_linear_program(n_classes, variant, C):
    X, y, weight = small_gaussian_problem(n_classes, seed=n_classes)
    model = SoftmaxClassifier(
        loss="hinge", multiclass_hinge=variant, C=C, l1_ratio=1.0, tol=1e-7, max_iter=100000
    )
    model.fit(X, y, sample_weight=weight)
    ours = J_of(
        model, X, y, C=C, l1_ratio=1.0, sample_weight=weight, loss="hinge", multiclass_hinge=variant
    )
    best = hinge_lp_optimum(X, y, C=C, sample_weight=weight, variant=variant)
    # The smoothing's gap is at most tol per unit of the zero model's loss (margin
    # per sample, K - 1 for Weston-Watkins): ~1e-7 relative here, 1e-6 leaves room.
    assert best * (1 - 1e-9) <= ours <= best * (1 + 1e-6)


# ---------------------------------------------------------------------------
# 3. KKT conditions by an independent subgradient
# ---------------------------------------------------------------------------

SMOOTH_CASES = {
    "cross_entropy-binary": ({"loss": "cross_entropy"}, 2, None),
    "cross_entropy-3": ({"loss": "cross_entropy"}, 3, None),
    "cross_entropy-4-class_weight": ({"loss": "cross_entropy"}, 4, {0: 2.0, 1: 0.5, 3: 1.5}),
    "squared_hinge-binary": ({"loss": "squared_hinge"}, 2, None),
    "squared_weston_watkins-3": (
        {"loss": "squared_hinge", "multiclass_hinge": "weston_watkins"},
        3,
        {1: 3.0},
    ),
}


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize("case", SMOOTH_CASES, ids=str)
def test_kkt_conditions_hold_at_tol(case, l1_ratio):
    config, n_classes, class_weight = SMOOTH_CASES[case]
    X, y, weight = standardized_problem(n_classes, n_samples=150, seed=10 + n_classes)
    # Unequal scales and offsets: the solver's coordinates are not the model's.
    X = X * [1.0, 3.0, 0.2, 1.0, 8.0, 1.0, 0.5, 2.0] + [0.0, 5.0, 0.0, -2.0, 1.0, 0.0, 3.0, 0.0]
    C, tol = 0.05, 1e-7  # (1e-8 is below what float64 resolves on these scales)
    model = SoftmaxClassifier(
        **config, C=C, l1_ratio=l1_ratio, class_weight=class_weight, tol=tol, max_iter=20000
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y, sample_weight=weight)
    factors = np.ones(n_classes)
    for label, factor in (class_weight or {}).items():
        factors[label] = factor
    s = weight * factors[y]
    alpha, l1 = (1 - l1_ratio) / (C * s.sum()), l1_ratio / (C * s.sum())
    W, b = model.coef_, model.intercept_
    grad_W, grad_b = smooth_gradient(W, b, X, y, s, loss=config["loss"], alpha=alpha)
    # The rule is checked in the solver's coordinates V = W sigma: each feature's
    # KKT residual divided by its spread sigma_j (here up to 8).
    on_W, on_b = kkt_violation(W, grad_W, grad_b, l1, *solver_scales(X, s))
    assert on_W.max() <= tol + ROUNDING
    assert on_b.max() <= tol + ROUNDING
    # Both branches are exercised: zero and non-zero weights.
    zero = W == 0
    assert 0 < zero.sum() < zero.size


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_zero_model_is_optimal_exactly_below_the_critical_C(n_classes, l1_ratio):
    """``W = 0`` is optimal iff ``|dF/dW| <= l1 = r / (C S)`` at ``W = 0`` with its
    best intercept (the weighted class log-proportions): ``C <= C_crit =
    r / (S max|g0|)``, the classic largest-penalty formula. Below it every weight
    is exactly zero; just above it, some are not."""
    X, y, weight = standardized_problem(n_classes, n_samples=150, seed=15 + n_classes)
    S = weight.sum()
    share = np.bincount(y, weights=weight) / S
    if n_classes == 2:
        residual = (share[1] - (y == 1))[:, None]  # sigmoid(logit share) - [y = 1]
    else:
        residual = share - np.eye(n_classes)[y]  # softmax(log share) - onehot
    g0 = (weight[:, None] * residual).T @ X / S
    C_crit = l1_ratio / (S * np.abs(g0).max())
    below = SoftmaxClassifier(C=0.98 * C_crit, l1_ratio=l1_ratio, tol=1e-8).fit(
        X, y, sample_weight=weight
    )
    assert np.all(below.coef_ == 0.0)
    if n_classes == 2:
        expected = np.log(share[1] / share[0])
        np.testing.assert_allclose(below.intercept_, [expected], rtol=0, atol=1e-6)
    else:
        intercept = below.intercept_ - below.intercept_.mean()
        expected = np.log(share) - np.log(share).mean()
        np.testing.assert_allclose(intercept, expected, rtol=0, atol=1e-6)
    above = SoftmaxClassifier(C=1.05 * C_crit, l1_ratio=l1_ratio, tol=1e-8).fit(
        X, y, sample_weight=weight
    )
    assert np.any(above.coef_ != 0.0)
    # The next step of a regularization path: from the zero model, whose intercept
    # is already optimal, only the subgradient of the zero weights says "go on".
    below.set_params(C=1.05 * C_crit, warm_start=True).fit(X, y, sample_weight=weight)
    assert below.n_iter_ > 0
    assert np.any(below.coef_ != 0.0)


# ---------------------------------------------------------------------------
# 4. The split objective handed to L-BFGS-B: finite differences and value
# ---------------------------------------------------------------------------

SPLIT_CASES = {
    "cross_entropy-binary": ("cross_entropy", "crammer_singer", 2, 0.0),
    "cross_entropy-3": ("cross_entropy", "crammer_singer", 3, 0.0),
    "squared_weston_watkins-3": ("squared_hinge", "weston_watkins", 3, 0.0),
    "smoothed_crammer_singer-3": ("hinge", "crammer_singer", 3, 0.1),
    "smoothed_binary_hinge": ("hinge", "crammer_singer", 2, 0.1),
}


def central_differences(fun, x, step=1e-6):
    grad = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = step
        grad[j] = (fun(x + e) - fun(x - e)) / (2 * step)
    return grad


def split_objective(case, *, l1_ratio, fit_intercept, sparse, C=0.7):
    """The pieces the fit hands to L-BFGS-B, built by hand on a badly scaled problem
    (so that the preconditioner's scale and centering are not the identity)."""
    loss_name, variant, n_classes, smoothing = SPLIT_CASES[case]
    X, y, weight = standardized_problem(n_classes, n_samples=60, n_features=5, seed=3)
    X = X * [1.0, 4.0, 0.5, 10.0, 1.0] + [0.0, 3.0, -1.0, 20.0, 0.5]
    X = sp.csr_matrix(X) if sparse else X
    n_scores = 1 if n_classes == 2 else n_classes
    source = InMemoryData(X, y, weight, np.arange(n_classes))
    S = weight.sum()
    loss = make_loss(loss_name, n_classes, multiclass_hinge=variant, smoothing=smoothing)
    stage = source.objective(
        loss,
        np.full(n_classes, 1.0 / S),
        alpha=(1 - l1_ratio) / (C * S),
        fit_intercept=fit_intercept,
        n_scores=n_scores,
    )
    dense = X.toarray() if sparse else X
    mean = weight @ dense / S if fit_intercept else np.zeros(dense.shape[1])
    second = weight @ (dense - mean) ** 2 / S
    base = AffinePreconditioner.from_moments(
        mean, second, n_scores=n_scores, fit_intercept=fit_intercept
    )
    split = L1Split(base, l1_ratio / (C * S))

    def total(theta):
        W, b = split.to_model(theta)
        value, grad_W, grad_b = stage.value_gradient(W, b)
        penalty, grad = split.penalty(theta, grad_W, grad_b)
        return value + penalty, grad

    data = (dense, y, weight, C, n_scores, loss_name, variant, smoothing)
    return total, split, data


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize("case", SPLIT_CASES, ids=str)
def test_split_gradient_matches_finite_differences(case, l1_ratio, fit_intercept, sparse):
    total, split, _ = split_objective(
        case, l1_ratio=l1_ratio, fit_intercept=fit_intercept, sparse=sparse
    )
    rng = np.random.default_rng(7)
    n_weights = split.size - split.base.size
    theta = np.concatenate(
        [
            rng.uniform(0.05, 0.6, 2 * n_weights),  # P, N > 0: |.| is smooth here
            rng.standard_normal(split.size - 2 * n_weights),
        ]
    )
    expected = central_differences(lambda t: total(t)[0], theta)
    actual = total(theta)[1]
    error = np.linalg.norm(actual - expected) / np.linalg.norm(expected)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize("case", [c for c in SPLIT_CASES if SPLIT_CASES[c][3] == 0.0], ids=str)
def test_split_value_at_a_model_is_the_textbook_objective(case, l1_ratio):
    # At theta = to_solver(W, b) (min(P, N) = 0), value + penalty is J / (C S).
    total, split, data = split_objective(case, l1_ratio=l1_ratio, fit_intercept=True, sparse=False)
    X, y, weight, C, n_scores, loss_name, variant, _ = data
    rng = np.random.default_rng(11)
    W = rng.standard_normal((n_scores, X.shape[1])) * (rng.random((n_scores, X.shape[1])) < 0.6)
    b = rng.standard_normal(n_scores)
    value, _ = total(split.to_solver(W, b))
    expected = objective(
        W,
        b,
        X,
        y,
        C=C,
        sample_weight=weight,
        l1_ratio=l1_ratio,
        loss=loss_name,
        multiclass_hinge=variant,
    ) / (C * weight.sum())
    assert value == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------
# 5. Exact zeros; sparsify and densify
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 4])
def test_zero_weights_are_exact_and_sparsify_keeps_predictions(n_classes):
    X, y = make_classification(
        n_samples=200,
        n_features=12,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=5,
    )
    X = StandardScaler().fit_transform(X)
    C = 0.05
    model = SoftmaxClassifier(C=C, l1_ratio=1.0, tol=1e-8).fit(X, y)
    W = model.coef_.copy()
    zero = W == 0.0
    assert zero.mean() >= 0.5  # a strong L1 penalty: most weights vanish
    # The others are not rounding residue of a zero: an L1 optimum has no weights
    # near 0 but those exactly at 0 (on this problem, by a wide margin).
    assert np.abs(W[~zero]).min() > 1e-4
    # The zeros satisfy |dF/dW| <= l1 (independently computed gradient).
    grad_W, _ = smooth_gradient(
        W, model.intercept_, X, y, np.ones(len(y)), loss="cross_entropy", alpha=0.0
    )
    assert np.all(np.abs(grad_W[zero]) <= 1 / (C * len(y)) + 1e-8 + ROUNDING)

    before = {
        method: getattr(model, method)(X)
        for method in ("predict", "predict_proba", "decision_function")
    }
    model.sparsify()
    assert sp.issparse(model.coef_)
    assert model.coef_.nnz == np.count_nonzero(W)
    np.testing.assert_array_equal(model.coef_.toarray(), W)
    for stage in ("sparsified", "densified"):
        np.testing.assert_array_equal(model.predict(X), before["predict"], err_msg=stage)
        for method in ("predict_proba", "decision_function"):
            np.testing.assert_allclose(
                getattr(model, method)(X), before[method], rtol=1e-12, atol=1e-14, err_msg=stage
            )
        model.densify()
    assert isinstance(model.coef_, np.ndarray)
    np.testing.assert_array_equal(model.coef_, W)


# ---------------------------------------------------------------------------
# 6. The split path at l1_ratio=0 is the L2 fit
# ---------------------------------------------------------------------------


def cross_entropy_hessian(W, b, X, y, s, alpha):
    """Hessian of ``F`` at (W, b) in the order (W row-major, b), textbook formulas;
    and the eigen-directions it has no curvature in (the softmax's common shift of
    all intercepts)."""
    n, d = X.shape
    Z = X @ W.T + b
    X1 = np.hstack([X, np.ones((n, 1))])
    w = s / s.sum()
    if W.shape[0] == 1:
        p = expit(Z[:, 0])
        H = (X1 * (w * p * (1 - p))[:, None]).T @ X1
        order = np.r_[np.arange(d), d]
    else:
        P = np.exp(log_softmax(Z, axis=1))
        K = W.shape[0]
        # H[(k, a), (l, c)] = sum_i w_i (delta_kl p_ik - p_ik p_il) x1_ia x1_ic
        curvature = np.einsum("i,ik,kl->ikl", w, P, np.eye(K)) - np.einsum("i,ik,il->ikl", w, P, P)
        H = np.einsum("ikl,ia,ic->kalc", curvature, X1, X1).reshape(K * (d + 1), K * (d + 1))
        # the coordinates are (k, a) with a = d the intercept: reorder to (W, b)
        order = np.r_[
            [k * (d + 1) + a for k in range(K) for a in range(d)], np.arange(K) * (d + 1) + d
        ]
    H = H[np.ix_(order, order)]
    H[: W.size, : W.size] += alpha * np.eye(W.size)
    return H


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_split_at_l1_ratio_zero_is_the_l2_fit(n_classes, fit_intercept):
    X, y, weight = standardized_problem(n_classes, seed=20 + n_classes)
    C, tol = 0.5, 1e-9
    fits = [
        core.fit(
            X,
            y,
            weight,
            C=C,
            fit_intercept=fit_intercept,
            tol=tol,
            max_iter=10000,
            settings=SolverSettings(split=split),
        )
        for split in (None, True)
    ]
    # tol=1e-9 is at double precision's resolution of F here: either path may
    # stop there for precision (the bounds below use the gradient it reached).
    assert all(fit.reason in ("converged", "precision") for fit in fits)
    values = [objective(fit.W, fit.b, X, y, C=C, sample_weight=weight) for fit in fits]
    assert values[1] == pytest.approx(values[0], rel=1e-10)
    # F is strongly convex near the optimum with modulus m (the least curvature
    # of its Hessian there, the softmax intercepts' common shift aside), so a
    # point with gradient g lies within |g| / m of the optimum, and the two fits
    # within the sum of theirs (x2 for the Hessian's change over that distance).
    # Gradients and Hessian by the textbook formulas, not the library's.
    alpha = 1 / (C * weight.sum())
    n_params = fits[0].W.size + (fits[0].b.size if fit_intercept else 0)
    gradient_norms = []
    for fit in fits:
        grad_W, grad_b = smooth_gradient(
            fit.W, fit.b, X, y, weight, loss="cross_entropy", alpha=alpha
        )
        gradient = np.concatenate([grad_W.ravel(), grad_b if fit_intercept else []])
        assert np.abs(gradient).max() <= 10 * tol  # a precision stop is still near tol
        gradient_norms.append(np.linalg.norm(gradient))
    H = cross_entropy_hessian(fits[0].W, fits[0].b, X, y, weight, alpha)[:n_params, :n_params]
    shift_free = n_classes > 2 and fit_intercept
    m = np.linalg.eigvalsh(H)[1 if shift_free else 0]
    bound = 2 * sum(gradient_norms) / m
    assert np.abs(fits[1].W - fits[0].W).max() <= bound
    intercepts = [fit.b - fit.b.mean() if shift_free else fit.b for fit in fits]
    assert np.abs(intercepts[1] - intercepts[0]).max() <= bound
    assert bound < 1e-4  # informative: the coefficients are O(0.1 .. 1)


# ---------------------------------------------------------------------------
# 7. Every loss, weights, dtypes and data sources
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize("config", LOSS_CONFIGS, ids=config_id)
def test_every_loss_converges_to_the_optimum(config, l1_ratio):
    X, y, weight = standardized_problem(3, n_samples=120, n_features=6, seed=30)
    C = 0.5
    J = partial(J_of, X=X, y=y, C=C, l1_ratio=l1_ratio, sample_weight=weight, **loss_params(config))
    default = SoftmaxClassifier(**config, C=C, l1_ratio=l1_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        default.fit(X, y, sample_weight=weight)
    tight = SoftmaxClassifier(**config, C=C, l1_ratio=l1_ratio, tol=1e-9, max_iter=50000)
    tight.fit(X, y, sample_weight=weight)
    # The default tol (1e-5 cross-entropy, 1e-4 hinges) leaves F = J / (C S) above
    # its optimum by the smoothing's gap, at most tol times the zero model's loss
    # (<= K - 1 = 2 per unit of F here), plus a far smaller share of the gradient.
    tol = LOSSES[config["loss"]].default_tol
    assert J(tight) <= J(default) * (1 + 1e-9)
    assert J(default) - J(tight) <= 2 * tol * C * weight.sum()
    # The tight fit is a minimum: no random perturbation (of zero and non-zero
    # weights alike, and of the intercepts) lowers J.
    at = partial(
        objective, X=X, y=y, C=C, l1_ratio=l1_ratio, sample_weight=weight, **loss_params(config)
    )
    rng = np.random.default_rng(0)
    best = at(tight.coef_, tight.intercept_)
    for scale in (1e-2, 1e-4):
        for _ in range(20):
            coef = tight.coef_ + scale * rng.standard_normal(tight.coef_.shape)
            intercept = tight.intercept_ + scale * rng.standard_normal(tight.intercept_.shape)
            assert at(coef, intercept) >= best * (1 - 1e-9)


@pytest.mark.parametrize(
    "config",
    [{"loss": "cross_entropy"}, {"loss": "hinge", "multiclass_hinge": "weston_watkins"}],
    ids=config_id,
)
def test_weighted_equals_duplicated_rows(config):
    X, y, _ = standardized_problem(3, n_samples=90, n_features=6, seed=40)
    counts = np.random.default_rng(1).integers(0, 4, len(y))  # zero drops a row
    class_weight = {0: 0.5, 2: 2.0}
    params = dict(config, C=0.3, l1_ratio=0.7, class_weight=class_weight, tol=1e-9)
    weighted = SoftmaxClassifier(**params, max_iter=50000).fit(X, y, sample_weight=counts)
    repeated = SoftmaxClassifier(**params, max_iter=50000)
    repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    factors = np.array([0.5, 1.0, 2.0])
    J = partial(
        J_of,
        X=X,
        y=y,
        C=0.3,
        l1_ratio=0.7,
        sample_weight=counts * factors[y],
        **loss_params(config),
    )
    # tol=1e-9 in F units: cross-entropy to ~1e-12 relative; the hinge's smoothing
    # gap is ~tol (K - 1) per unit of F.
    rel = 1e-10 if config["loss"] == "cross_entropy" else 1e-7
    assert J(weighted) == pytest.approx(J(repeated), rel=rel)


def test_float32_reaches_the_float64_optimum():
    X, y, weight = standardized_problem(3, seed=50)
    params = {"C": 0.5, "l1_ratio": 0.5}
    reference = SoftmaxClassifier(**params, tol=1e-8).fit(X, y, sample_weight=weight)
    # float32 resolves F to ~1e-7 relative: a stop for precision near the default
    # tol is legitimate (and said so); running out of iterations is not.
    single = SoftmaxClassifier(**params).fit(X.astype(np.float32), y, sample_weight=weight)
    assert single.coef_.dtype == np.float32
    J = partial(J_of, X=X, y=y, C=0.5, l1_ratio=0.5, sample_weight=weight)
    # The default tol=1e-5 leaves F above its optimum by at most ~tol times the
    # distance to it (~1e-3 here): ~1e-8; 1e-6 relative leaves room for rounding.
    assert J(reference) * (1 - 1e-9) <= J(single) <= J(reference) * (1 + 1e-6)
    assert_same_support(single.coef_, reference.coef_, undecided_below=1e-4)


@pytest.mark.parametrize(
    "config", [{"loss": "cross_entropy"}, {"loss": "squared_hinge"}], ids=config_id
)
def test_sparse_csr_equals_dense(config):
    X, y, weight = standardized_problem(4, seed=60)
    X[np.random.default_rng(0).random(X.shape) < 0.4] = 0.0
    params = dict(config, C=0.3, l1_ratio=1.0, tol=1e-9, max_iter=50000)
    dense = SoftmaxClassifier(**params).fit(X, y, sample_weight=weight)
    sparse = SoftmaxClassifier(**params).fit(sp.csr_matrix(X), y, sample_weight=weight)
    J = partial(J_of, X=X, y=y, C=0.3, l1_ratio=1.0, sample_weight=weight, **loss_params(config))
    rel = 1e-10 if config["loss"] == "cross_entropy" else 1e-7
    assert J(sparse) == pytest.approx(J(dense), rel=rel)


def test_pandas_dataframe_input():
    X, y, weight = standardized_problem(3, seed=70)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    params = {"C": 0.3, "l1_ratio": 1.0, "tol": 1e-9}
    from_frame = SoftmaxClassifier(**params).fit(frame, pd.Series(y), sample_weight=weight)
    from_array = SoftmaxClassifier(**params).fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(from_frame.feature_names_in_, frame.columns)
    J = partial(J_of, X=X, y=y, C=0.3, l1_ratio=1.0, sample_weight=weight)
    assert J(from_frame) == pytest.approx(J(from_array), rel=1e-10)
    scores = X @ from_frame.coef_.T + from_frame.intercept_
    np.testing.assert_array_equal(from_frame.predict(frame), scores.argmax(axis=1))


@pytest.mark.parametrize("sparsified", [False, True], ids=["dense_coef", "sparse_coef"])
@pytest.mark.parametrize(
    ("config", "n_classes"),
    [
        ({"loss": "cross_entropy"}, 2),
        ({"loss": "cross_entropy"}, 3),
        ({"loss": "hinge", "multiclass_hinge": "crammer_singer"}, 3),
        ({"loss": "squared_hinge", "multiclass_hinge": "weston_watkins"}, 3),
    ],
    ids=["cross_entropy-binary", "cross_entropy-3", "crammer_singer-3", "squared_ww-3"],
)
def test_warm_refit_of_a_converged_l1_model_runs_at_most_one_iteration(
    config, n_classes, sparsified
):
    X, y, weight = standardized_problem(n_classes, seed=80)
    X[:, 0] = 50 * X[:, 0] + 200  # badly scaled: the stopping rule is not trivially met
    model = SoftmaxClassifier(**config, C=0.2, l1_ratio=1.0, warm_start=True)
    model.fit(X, y, sample_weight=weight)
    assert model.n_iter_ > 2 and np.any(model.coef_ == 0)
    coef = model.coef_.copy()
    if sparsified:
        model.sparsify()
    model.fit(X, y, sample_weight=weight)
    assert model.n_iter_ <= 1
    np.testing.assert_allclose(model.coef_, coef, rtol=0, atol=1e-6 * np.abs(coef).max())


@pytest.mark.parametrize("config", [{"loss": "cross_entropy"}, {"loss": "hinge"}], ids=config_id)
def test_dask_equals_in_memory(config):
    X, y, weight = standardized_problem(3, seed=90)
    params = dict(config, C=0.3, l1_ratio=0.8, tol=1e-9, max_iter=50000)
    in_memory = SoftmaxClassifier(**params).fit(X, y, sample_weight=weight)
    chunks = (60, 1, 79, 60)  # 200 rows, uneven
    with dask.config.set(scheduler="threads"):
        on_dask = SoftmaxClassifier(**params).fit(
            da.from_array(X, chunks=(chunks, -1)),
            da.from_array(y, chunks=(chunks,)),
            sample_weight=da.from_array(weight, chunks=(chunks,)),
        )
    J = partial(J_of, X=X, y=y, C=0.3, l1_ratio=0.8, sample_weight=weight, **loss_params(config))
    rel = 1e-10 if config["loss"] == "cross_entropy" else 1e-7
    assert J(on_dask) == pytest.approx(J(in_memory), rel=rel)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_no_penalty_ignores_l1_ratio(n_classes):
    X, y, weight = standardized_problem(n_classes, seed=100)
    l1 = SoftmaxClassifier(C=np.inf, l1_ratio=1.0, tol=1e-9).fit(X, y, sample_weight=weight)
    l2 = SoftmaxClassifier(C=np.inf, tol=1e-9).fit(X, y, sample_weight=weight)
    J = partial(J_of, X=X, y=y, C=np.inf, l1_ratio=1.0, sample_weight=weight)
    assert J(l1) == pytest.approx(J(l2), rel=1e-10)
    assert np.all(l1.coef_ != 0)  # nothing pulls weights to zero


# ---------------------------------------------------------------------------
# 8. R8: sparse text, most weights exactly zero
# ---------------------------------------------------------------------------


def test_r8_l1_is_sparse_and_stationary(shared_data):
    X, y = shared_data("r8")
    # Full R8 (5485 x 19982) takes ~20 s here; a random third of its rows (~9 s,
    # ~4 s with one BLAS thread) keeps the file's time reasonable. Terms absent
    # from those rows are dropped.
    rows = np.random.default_rng(0).permutation(X.shape[0])[:1800]
    X, y = X[rows], y[rows]
    X = X[:, np.flatnonzero(X.getnnz(axis=0))]
    start = time.perf_counter()
    model = SoftmaxClassifier(l1_ratio=1.0).fit(X, y)
    elapsed = time.perf_counter() - start
    print(f"R8 subset {X.shape}, l1_ratio=1: {elapsed:.1f} s, {model.n_iter_} iterations")
    W = model.coef_
    assert (W == 0).mean() > 0.9
    n = X.shape[0]
    grad_W, grad_b = smooth_gradient(
        W, model.intercept_, X, y, np.ones(n), loss="cross_entropy", alpha=0.0
    )
    on_W, on_b = kkt_violation(W, grad_W, grad_b, 1.0 / n, *solver_scales(X, np.ones(n)))
    tol = LOSSES[model.loss].default_tol
    assert on_W.max() <= tol + ROUNDING
    assert on_b.max() <= tol + ROUNDING


# ---------------------------------------------------------------------------
# 9. Working sets: the weights outside are held at zero until they violate
# ---------------------------------------------------------------------------


def fit_with_working_sets(config, X, y, weight, *, on: bool, growth: int = 1, **params):
    """The core's fit of ``SoftmaxClassifier(**config, **params)``'s problem on the
    L-BFGS-B path with working sets forced on (growing from ``growth`` weights) or
    off, and the sizes of the sets the solver used."""
    sets = []
    settings = SolverSettings(newton=False, working_sets=on, working_set_growth=growth)
    fitted = core.fit(
        X, y, weight, **config, **params, settings=settings,
        callbacks=Callbacks(on_working_set=sets.append),
    )  # fmt: skip
    return fitted, sets


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
@pytest.mark.parametrize(
    "config, n_classes",
    [
        ({"loss": "cross_entropy"}, 2),
        ({"loss": "cross_entropy"}, 3),
        ({"loss": "squared_hinge"}, 2),
        ({"loss": "squared_hinge", "multiclass_hinge": "weston_watkins"}, 3),
    ],
    ids=lambda value: config_id(value) if isinstance(value, dict) else f"{value}classes",
)
def test_working_sets_reach_the_plain_optimum(config, n_classes, l1_ratio):
    """For the smooth losses (the hinges' smoothing stages keep all weights),
    working sets grown from zero reach the optimum of the fit over all weights,
    with the same zeros; the sets grew over several rounds."""
    # 60 features of which 4 are informative: most weights are zero at the optimum
    X, y, weight = standardized_problem(
        n_classes, n_samples=150, n_features=60, n_informative=4, seed=60 + n_classes
    )
    params = dict(C=0.05, l1_ratio=l1_ratio, class_weight={1: 2.0}, tol=1e-9, max_iter=50000)
    plain, unused = fit_with_working_sets(config, X, y, weight, on=False, **params)
    grown, sets = fit_with_working_sets(config, X, y, weight, on=True, **params)
    assert unused == []
    assert len(sets) >= 2 and all(a < b for a, b in itertools.pairwise(sets))
    assert 0 < np.count_nonzero(grown.W) <= sets[-1] < grown.W.size
    factors = np.where(y == 1, 2.0, 1.0)

    def J(fit):
        return objective(
            fit.W, fit.b, X, y, C=0.05, l1_ratio=l1_ratio, sample_weight=weight * factors,
            **loss_params(config),
        )  # fmt: skip

    rel = 1e-10 if config["loss"] == "cross_entropy" else 1e-7
    assert J(grown) == pytest.approx(J(plain), rel=rel)
    assert_same_support(grown.W, plain.W, undecided_below=1e-6)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
def test_working_sets_stop_on_the_kkt_conditions_of_every_weight(l1_ratio):
    """At the default tol, the weights never in a working set are checked too:
    the KKT conditions hold at ``tol`` for all of them, by an independent gradient,
    and the iterations of the sets are counted on (1, 2, ..., n_iter)."""
    X, y, weight = standardized_problem(3, n_samples=150, n_features=60, n_informative=4, seed=70)
    X = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))  # sparse, as on text
    C = 0.05
    iterations, sets = [], []
    fitted = core.fit(
        X, y, weight, C=C, l1_ratio=l1_ratio, tol=1e-5,
        settings=SolverSettings(newton=False, working_sets=True, working_set_growth=3),
        callbacks=Callbacks(
            on_iteration=lambda iteration, *_: iterations.append(iteration),
            on_working_set=sets.append,
        ),
    )  # fmt: skip
    assert fitted.converged
    assert len(sets) >= 2
    assert iterations == list(range(1, fitted.n_iter + 1))
    alpha, l1 = (1 - l1_ratio) / (C * weight.sum()), l1_ratio / (C * weight.sum())
    grad_W, grad_b = smooth_gradient(
        fitted.W, fitted.b, X, y, weight, loss="cross_entropy", alpha=alpha
    )
    on_W, on_b = kkt_violation(fitted.W, grad_W, grad_b, l1, *solver_scales(X, weight))
    assert on_W.max() <= 1e-5 + ROUNDING
    assert on_b.max() <= 1e-5 + ROUNDING
    assert (fitted.W == 0).mean() > 0.5


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
def test_a_working_set_is_the_same_point_in_fewer_coordinates(fit_intercept):
    """Restricted ``L1Split`` coordinates: ``expand`` and ``contract`` are inverse, the
    model, the L1 term, the gradient and the KKT violations of a point are those of
    the same point with every weight free (at the free weights), and the weights
    outside are exact zeros."""
    rng = np.random.default_rng(3)
    n_scores, n_features = 3, 5
    base = AffinePreconditioner(
        rng.standard_normal(n_features), rng.uniform(1, 3, n_features), n_scores, fit_intercept
    )
    full = L1Split(base, 0.3)
    free = np.array([0, 4, 7, 8, 14])
    working = full.restricted(free)
    theta = rng.uniform(0, 1, working.size)
    theta[: free.size] *= rng.integers(0, 2, free.size)  # some weights at a bound
    expanded = working.expand(theta)
    assert expanded.size == full.size
    np.testing.assert_array_equal(working.contract(expanded), theta)
    W, b = working.to_model(theta)
    np.testing.assert_array_equal(np.flatnonzero(W), np.intersect1d(free, np.flatnonzero(W)))
    for part, expected in zip((W, b), full.to_model(expanded), strict=True):
        np.testing.assert_array_equal(part, expected)
    grad_W, grad_b = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
    value, grad = working.penalty(theta, grad_W, grad_b)
    full_value, full_grad = full.penalty(expanded, grad_W, grad_b)
    assert value == pytest.approx(full_value, rel=1e-15)
    np.testing.assert_array_equal(grad, working.contract(full_grad))
    per_weight, intercepts = working.violations(theta, grad)
    full_per_weight, full_intercepts = full.violations(expanded, full_grad)
    np.testing.assert_array_equal(per_weight, full_per_weight[free])
    assert intercepts == full_intercepts
