"""Array-API inputs (PyTorch on the CPU, array-api-strict) under ``array_api_dispatch``.

The losses' array-API forms are checked against their NumPy forms everywhere. The
fits need scikit-learn's dispatch, which needs ``SCIPY_ARRAY_API=1`` in the
environment before scipy is imported: they run in a pytest process of their own,
``SCIPY_ARRAY_API=1 pytest tests/test_array_api.py`` (``.ci/run`` runs it so), and
skip otherwise. The PyTorch cases skip where PyTorch is not installed (a CPU build:
``pip install torch --index-url https://download.pytorch.org/whl/cpu``).
"""

from __future__ import annotations

import importlib
import os
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV, softmax_path
from sklearn_softmax._losses import make_loss
from sklearn_softmax.metrics import cross_entropy_loss, multiclass_hinge_loss
from tests.oracles import FIT_CONFIGS, MARGIN_CONFIG, config_id, is_smooth, model_objective

DISPATCH = os.environ.get("SCIPY_ARRAY_API") == "1"
needs_dispatch = pytest.mark.skipif(
    not DISPATCH,
    reason="array-API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported: "
    "SCIPY_ARRAY_API=1 pytest tests/test_array_api.py (.ci/run runs it so)",
)

NAMESPACES = ["array_api_strict", "torch"]


@pytest.fixture(params=NAMESPACES)
def xp(request):
    """The array library (its own module: ``asarray``, dtypes)."""
    if request.param == "torch":
        return pytest.importorskip(
            "torch",
            reason="PyTorch is not installed: pip install torch "
            "--index-url https://download.pytorch.org/whl/cpu (a CPU build)",
        )
    return importlib.import_module(request.param)


def wrapped(xp):
    """The array-API namespace of the library ``xp`` that a fit under dispatch uses
    (scikit-learn's vendored array-api-compat wrapper; no dispatch needed)."""
    from sklearn.externals.array_api_compat import array_namespace

    return array_namespace(xp.asarray([1.0]))


def host(array) -> np.ndarray:
    """A NumPy copy of an array of any of the tested libraries."""
    if hasattr(array, "detach"):
        return array.detach().cpu().numpy()
    return np.asarray(array) if isinstance(array, np.ndarray) else np.asarray(array.__array__())


def namespace_name(array) -> str:
    return type(array).__module__.split(".")[0]


# The losses: the array-API form against the NumPy form, per sample and gradient.

LOSS_CASES = [
    *(dict(config) for config in FIT_CONFIGS),
    MARGIN_CONFIG,
    *({**config, "smoothing": 0.3} for config in FIT_CONFIGS if config["loss"] != "cross_entropy"),
]


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("config", LOSS_CASES, ids=config_id)
def test_array_api_loss_matches_numpy_loss(xp, config, n_classes):
    rng = np.random.default_rng(0)
    n_scores, n = (1 if n_classes == 2 else n_classes), 50
    Z = rng.normal(scale=2.0, size=(n_scores, n))
    Z[:, :3] = 0.0  # ties at the zero model
    y = rng.integers(n_classes, size=n)
    weights = rng.uniform(0.5, 2.0, size=n)
    params = {key: value for key, value in config.items() if key != "loss"}
    loss = make_loss(config["loss"], n_classes, **params)
    expected_loss, expected_grad = loss.loss_gradient(Z.copy(), y, weights)
    expected_loss, expected_grad = expected_loss.copy(), expected_grad.copy()
    expected_gap = loss.fenchel_young_gap(Z.copy(), y)
    space = wrapped(xp)
    targets = (y == 1)[None, :] if n_scores == 1 else y[None, :] == np.arange(n_scores)[:, None]
    Z_xp, T_xp, w_xp = (xp.asarray(a) for a in (Z, targets, weights))
    losses, grad = loss.loss_gradient_xp(Z_xp, T_xp, w_xp, space)
    value_only, none = loss.loss_gradient_xp(Z_xp, T_xp, w_xp, space, gradient=False)
    np.testing.assert_allclose(host(losses), expected_loss, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(grad), expected_grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(value_only), expected_loss, rtol=1e-12, atol=1e-14)
    assert none is None
    gap = loss.fenchel_young_gap_xp(Z_xp, T_xp, space)
    np.testing.assert_allclose(host(gap), expected_gap, rtol=1e-10, atol=1e-13)


# Fits under dispatch.


def problem(n_classes: int, dtype, seed: int = 0):
    X, y = make_classification(
        n_samples=120,
        n_features=7,
        n_informative=5,
        n_redundant=0,
        n_classes=n_classes,
        random_state=seed,
    )
    X[:, 0] *= 30.0  # a feature in another unit
    return X.astype(dtype), y


def fit_both(xp, config, X, y, sample_weight=None):
    """The NumPy fit and the fit of ``xp`` arrays under dispatch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = SoftmaxClassifier(**config).fit(X, y, sample_weight=sample_weight)
        with sklearn.config_context(array_api_dispatch=True):
            weights = None if sample_weight is None else xp.asarray(sample_weight)
            model = SoftmaxClassifier(**config).fit(xp.asarray(X), xp.asarray(y), weights)
    return reference, model


def host_model(model):
    """``model`` with its fitted arrays read to NumPy, for the oracles."""
    copy = sklearn.base.clone(model)
    for name in ("coef_", "intercept_", "classes_"):
        setattr(copy, name, host(getattr(model, name)))
    return copy


FIT_CASES = [
    *(dict(config) for config in FIT_CONFIGS),
    {"loss": "cross_entropy", "l1_ratio": 0.5},
    {"loss": "cross_entropy", "l1_ratio": 1.0, "C": 0.3},
    {"loss": "squared_hinge", "multiclass_hinge": "weston_watkins", "l1_ratio": 0.5},
    {"loss": "hinge", "multiclass_hinge": "crammer_singer", "l1_ratio": 1.0},
]


@needs_dispatch
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", FIT_CASES, ids=config_id)
def test_array_api_fit_reaches_the_numpy_objective(xp, config, dtype, n_classes):
    """The objective at the device fit is the NumPy fit's, to 1e-6 (float64) and 1e-4
    (float32) relative, both measured by the oracle in float64; the fitted arrays are
    in X's namespace and dtype. The non-smooth hinges at ``tol=1e-7``: at the default
    ``1e-4``, a fit agrees with the optimum only to the smoothing gap that allows."""
    if not is_smooth(config):
        config = {**config, "tol": 1e-7}
    X, y = problem(n_classes, dtype)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, size=y.size)
    reference, model = fit_both(xp, config, X, y, weights)
    for name in ("coef_", "intercept_"):
        assert namespace_name(getattr(model, name)) == xp.__name__.split(".")[0]
        assert host(getattr(model, name)).dtype == dtype
    assert namespace_name(model.classes_) == xp.__name__.split(".")[0]
    X64 = X.astype(np.float64)
    ours = model_objective(host_model(model), X64, y, weights)
    theirs = model_objective(reference, X64, y, weights)
    rtol = 1e-6 if dtype == np.float64 else 1e-4
    assert ours <= theirs * (1 + rtol) + 1e-12
    assert theirs <= ours * (1 + rtol) + 1e-12


@needs_dispatch
def test_array_api_weights_equal_repeated_rows(xp):
    """A weight of 2 is the row twice, on the device as in NumPy."""
    X, y = problem(3, np.float64, seed=3)
    weights = np.random.default_rng(3).integers(0, 3, size=y.size)
    repeated = np.repeat(np.arange(y.size), weights)
    with sklearn.config_context(array_api_dispatch=True):
        weighted = SoftmaxClassifier(tol=1e-8).fit(
            xp.asarray(X), xp.asarray(y), xp.asarray(weights.astype(np.float64))
        )
        duplicated = SoftmaxClassifier(tol=1e-8).fit(
            xp.asarray(X[repeated]), xp.asarray(y[repeated])
        )
    np.testing.assert_allclose(host(weighted.coef_), host(duplicated.coef_), rtol=1e-5, atol=1e-7)


@needs_dispatch
@pytest.mark.parametrize("loss", ["cross_entropy", "hinge"])
def test_array_api_predictions_stay_in_the_namespace(xp, loss):
    X, y = problem(3, np.float64)
    reference, model = fit_both(xp, {"loss": loss}, X, y)
    X_xp = xp.asarray(X)
    methods = ["decision_function", "predict"]
    if loss == "cross_entropy":
        methods += ["predict_proba", "predict_log_proba"]
    with sklearn.config_context(array_api_dispatch=True):
        for method in methods:
            result = getattr(model, method)(X_xp)
            assert namespace_name(result) == xp.__name__.split(".")[0], method
            np.testing.assert_allclose(
                host(result), getattr(reference, method)(X), rtol=1e-6, atol=1e-8
            )
        assert model.score(X_xp, xp.asarray(y)) == pytest.approx(reference.score(X, y))
        for method in methods:
            with pytest.raises(ValueError, match="must use the same namespace"):
                getattr(model, method)(X)


@needs_dispatch
def test_array_api_labels_and_weights_of_another_namespace(xp):
    """``y`` and ``sample_weight`` from NumPy or another library go where X is."""
    import array_api_strict

    X, y = problem(3, np.float64)
    labels = np.array(["ant", "bee", "cat"])[y]
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=y.size)
    reference = SoftmaxClassifier().fit(X, labels, sample_weight=weights)
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxClassifier().fit(
            xp.asarray(X), labels, sample_weight=array_api_strict.asarray(weights)
        )
        predicted = model.predict(xp.asarray(X))
    np.testing.assert_array_equal(model.classes_, reference.classes_)
    np.testing.assert_array_equal(np.asarray(predicted), reference.predict(X))
    np.testing.assert_allclose(host(model.coef_), reference.coef_, rtol=1e-8, atol=1e-10)


@needs_dispatch
def test_array_api_warm_start_resumes_at_the_optimum(xp):
    X, y = problem(3, np.float64)
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxClassifier(warm_start=True).fit(xp.asarray(X), xp.asarray(y))
        model.fit(xp.asarray(X), xp.asarray(y))
    assert model.n_iter_ == 0


@needs_dispatch
def test_array_api_bad_input_gets_the_numpy_message(xp):
    X, y = problem(3, np.float64)
    X[0, 0] = np.nan
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            SoftmaxClassifier().fit(xp.asarray(X), xp.asarray(y))
        with pytest.raises(ValueError, match="at least 2 classes"):
            SoftmaxClassifier().fit(xp.asarray(X[1:]), xp.asarray(np.zeros(y.size - 1)))


@needs_dispatch
def test_array_api_metrics_equal_numpy_metrics(xp):
    X, y = problem(3, np.float64)
    model = SoftmaxClassifier().fit(X, y)
    proba, scores = model.predict_proba(X), model.decision_function(X)
    weights = np.linspace(0.5, 1.5, y.size)
    with sklearn.config_context(array_api_dispatch=True):
        weights_xp = xp.asarray(weights)
        ours = cross_entropy_loss(xp.asarray(y), xp.asarray(proba), sample_weight=weights_xp)
        hinge = multiclass_hinge_loss(xp.asarray(y), xp.asarray(scores), variant="weston_watkins")
    assert ours == pytest.approx(cross_entropy_loss(y, proba, sample_weight=weights), rel=1e-12)
    assert hinge == pytest.approx(
        multiclass_hinge_loss(y, scores, variant="weston_watkins"), rel=1e-12
    )


#: A fit at a ``tol`` tighter than its arithmetic resolves stops by precision, with a
#: ConvergenceWarning that says so: expected where a test asks for the tightest fit.
PRECISION_STOP = (
    "ignore:L-BFGS stopped because no step decreases:sklearn.exceptions.ConvergenceWarning"
)


@needs_dispatch
@pytest.mark.filterwarnings(PRECISION_STOP)
@pytest.mark.parametrize("n_jobs", [None, 2])
@pytest.mark.parametrize("l1_ratios", [(0.0,), (0.0, 1.0)])
def test_array_api_cv_estimator_fits_on_the_device(xp, l1_ratios, n_jobs):
    """``SoftmaxClassifierCV`` on device arrays: the NumPy fit's choice and scores,
    every fitted array in X's namespace (folds in threads with ``n_jobs``)."""
    X, y = problem(3, np.float64)
    params = {"Cs": 4, "cv": 3, "l1_ratios": l1_ratios, "n_jobs": n_jobs, "tol": 1e-8}
    reference = SoftmaxClassifierCV(**params).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxClassifierCV(**params).fit(xp.asarray(X), xp.asarray(y))
        proba = model.predict_proba(xp.asarray(X))
    name = xp.__name__.split(".")[0]
    for attribute in ("coef_", "intercept_", "scores_", "coefs_paths_", "Cs_", "n_iter_"):
        assert namespace_name(getattr(model, attribute)) == name, attribute
    assert namespace_name(proba) == name
    assert (model.C_, model.l1_ratio_) == (reference.C_, reference.l1_ratio_)
    np.testing.assert_allclose(host(model.scores_), reference.scores_, rtol=1e-6)
    np.testing.assert_allclose(host(model.coef_), reference.coef_, rtol=1e-5, atol=1e-7)


@needs_dispatch
def test_array_api_fitted_model_serves_the_numpy_tools(xp):
    """``sparsify``, Dask predictions and a NumPy copy of a device-fitted model."""
    X, y = problem(3, np.float64)
    reference, model = fit_both(xp, {"l1_ratio": 1.0, "C": 0.3}, X, y)
    dask_array = pytest.importorskip("dask.array")
    predicted = model.predict(dask_array.from_array(X, chunks=40)).compute()
    np.testing.assert_array_equal(np.asarray(predicted), reference.predict(X))
    model.sparsify()
    assert sklearn.utils.validation.sp.issparse(model.coef_)
    np.testing.assert_allclose(model.coef_.toarray(), reference.coef_, rtol=1e-4, atol=1e-6)


@needs_dispatch
def test_array_api_fitted_model_exports_to_onnx(xp):
    """A device-fitted model converts to ONNX (its arrays read to the host)."""
    pytest.importorskip("skl2onnx", reason="the onnx extra: pip install sklearn_softmax[onnx]")
    onnxruntime = pytest.importorskip("onnxruntime", reason="the onnx extra")
    from sklearn_softmax.onnx import to_onnx

    X, y = problem(3, np.float32)
    reference, model = fit_both(xp, {}, X, y)
    graph = to_onnx(model, X[:1])
    session = onnxruntime.InferenceSession(graph.SerializeToString())
    labels, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(labels, reference.predict(X))
    np.testing.assert_allclose(proba, reference.predict_proba(X), rtol=1e-4, atol=1e-6)


def device_checks():
    """scikit-learn's namespace, device and dtype combinations that run here."""
    from sklearn.utils._array_api import yield_namespace_device_dtype_combinations

    for namespace, device, dtype in yield_namespace_device_dtype_combinations(
        include_numpy_namespaces=False
    ):
        if namespace == "array_api_strict" or (namespace == "torch" and device == "cpu"):
            yield pytest.param(namespace, device, dtype, id=f"{namespace}-{device}-{dtype}")


#: The losses that are smooth on the check's two classes, and a ``tol`` at which their
#: fits meet the optimum closer than the check's ``rtol=1e-7``: the fits' agreement
#: then does not hang on the rounding of either side.
SMOOTH_BINARY = [
    {"loss": "cross_entropy"},
    {"loss": "cross_entropy", "l1_ratio": 0.5},
    {"loss": "squared_hinge", "multiclass_hinge": "crammer_singer"},
    {"loss": "squared_hinge", "multiclass_hinge": "weston_watkins"},
]
VALUES_TOL = 1e-10

#: The plain hinge (non-smooth), with and without L1: a smoothed fit approaches the
#: optimal weights as the square root of its smoothing gap, so no ``tol`` makes two
#: fits agree to ``1e-7`` whatever their rounding (measured: the check passed or failed
#: by kernel, OPENBLAS_CORETYPE=Prescott, Sandybridge, Haswell). float32 likewise:
#: the check's ``atol`` is 1000 eps. Those are checked for namespace, device, dtype
#: and shape with sample weights here, and for their objective by
#: ``test_array_api_fit_reaches_the_numpy_objective``. So is label-smoothed
#: cross-entropy: it has a weight of 0.0125 on the check's data, whose 1e-7 is
#: 1.3e-9, below what L-BFGS resolves in float64 there (it stops at a largest
#: gradient entry of 3e-10; the check failed on two kernels of three).
WITHOUT_VALUES = [
    {"loss": "cross_entropy", "label_smoothing": 0.1},
    {"loss": "hinge", "multiclass_hinge": "crammer_singer"},
    {"loss": "hinge", "l1_ratio": 1.0},
]


@needs_dispatch
@pytest.mark.filterwarnings(PRECISION_STOP)
@pytest.mark.parametrize(("namespace", "device", "dtype"), list(device_checks()))
@pytest.mark.parametrize("config", [*SMOOTH_BINARY, *WITHOUT_VALUES], ids=config_id)
def test_array_api_input_and_values_with_sample_weight(config, namespace, device, dtype):
    """scikit-learn's ``check_array_api_input_and_values`` with sample weights (fitted
    attributes and every method's output equal the NumPy fit's) for the smooth
    losses in float64; its ``check_array_api_input`` with sample weights otherwise,
    and for ``SoftmaxClassifierCV``, whose paths start at ``C = 1e-4``: weights of
    about 1e-4, which agree to 3e-10 at ``tol=1e-10`` (1e-5 of them; compared at
    the fits' accuracy by ``test_array_api_cv_estimator_fits_on_the_device``)."""
    from sklearn.utils.estimator_checks import (
        check_array_api_input,
        check_array_api_input_and_values,
    )

    if namespace == "torch":
        pytest.importorskip("torch", reason="PyTorch is not installed (a CPU build)")
    values = config in SMOOTH_BINARY and dtype == "float64"
    check = check_array_api_input_and_values if values else check_array_api_input
    params = {**config, "tol": VALUES_TOL if values else None}
    cv_params = {key: value for key, value in params.items() if key != "l1_ratio"}
    cv_params["l1_ratios"] = (params.get("l1_ratio", 0.0),)
    cases = [
        (check, SoftmaxClassifier(**params)),
        (check_array_api_input, SoftmaxClassifierCV(Cs=3, cv=3, **cv_params)),
    ]
    for run_check, estimator in cases:
        run_check(
            type(estimator).__name__,
            estimator,
            array_namespace=namespace,
            device_name=device,
            dtype_name=dtype,
            check_sample_weight=True,
        )


@needs_dispatch
def test_array_api_path_is_the_numpy_path(xp):
    """``softmax_path`` on device arrays: the NumPy path's weights, there."""
    X, y = problem(3, np.float64)
    reference = softmax_path(X, y, Cs=[0.01, 1.0, 100.0], l1_ratio=0.5, tol=1e-8)
    with sklearn.config_context(array_api_dispatch=True):
        path = softmax_path(
            xp.asarray(X), xp.asarray(y), Cs=[0.01, 1.0, 100.0], l1_ratio=0.5, tol=1e-8
        )
    assert namespace_name(path.coefs) == xp.__name__.split(".")[0]
    np.testing.assert_allclose(host(path.coefs), reference.coefs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(host(path.intercepts), reference.intercepts, rtol=1e-5, atol=1e-7)
