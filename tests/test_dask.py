"""Fitting on Dask arrays across a ``distributed`` cluster equals the in-memory fit."""

import sys
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.class_weight import compute_class_weight

from sklearn_softmax import SoftmaxClassifier, _dask
from sklearn_softmax._losses import make_loss
from sklearn_softmax._settings import DEFAULT_SETTINGS
from tests.oracles import (
    HINGE_CONFIGS,
    LABEL_SMOOTHING_CONFIG,
    LOSS_CONFIGS,
    LOSS_NAMES,
    config_id,
    distance_to_optimum,
    is_smooth,
    loss_params,
    make_problem,
    model_objective,
    stationarity,
)

#: Every loss, and the other parameters that change what a Dask fit must compute.
CONFIGS = [
    *LOSS_CONFIGS,
    {**LABEL_SMOOTHING_CONFIG, "class_weight": "balanced"},
    {**LOSS_CONFIGS[0], "fit_intercept": False, "class_weight": {0: 2.0, 1: 0.5}},
    {**HINGE_CONFIGS[-1], "C": np.inf},  # the squared Weston-Watkins hinge, unpenalized
]
#: The fits' tol, the estimator's defaults made explicit: the bounds below derive from it.
TOL = {"cross_entropy": 1e-5, "hinge": 1e-4, "squared_hinge": 1e-4}
UNEVEN_CHUNKS = (37, 5, 120, 1, 77, 60)  # 300 rows


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes, closed after the module's tests."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def problem(n_classes=3, seed=0):
    X, y = make_problem(n_samples=300, n_features=6, n_classes=n_classes, seed=seed)
    X = X * [1.0, 5.0, 0.1, 1.0, 30.0, 1.0] + [0.0, 10.0, 0.0, -3.0, 100.0, 0.0]
    weight = np.random.default_rng(seed).uniform(0.1, 3.0, len(y))
    return X, y, weight


def effective_weight(config, y, weight):
    """``s_i c_{y_i}``: the sample weights times the configuration's class weights."""
    if config.get("class_weight") is None:
        return weight
    classes = np.unique(y)
    c = compute_class_weight(config["class_weight"], classes=classes, y=y, sample_weight=weight)
    return weight * c[np.searchsorted(classes, y)]


def assert_same_optimum(on_dask, in_memory, X, y, weight=None):
    """Both fits minimize the same ``F = J / (C sum w)`` (the map-reduce only sums in
    another order), each stopped by the rule at ``tol``; the different rounding moves
    their iterates, so they stop at different points near the optimum.

    Differentiable losses in float64: the largest gradient entry of ``F`` at the Dask
    fit, by the textbook formula, is at most ``tol``, up to the rounding of either
    gradient (a sum of n terms of size at most max|x|: n eps max|x|). A Dask fit of
    another objective (a dropped chunk, misaligned weights) fails this. (Float32
    fits stop at their precision, above ``tol``.) With a penalty, both are within
    ``distance_to_optimum`` of the optimum: their objectives differ by at most its
    bound on ``F - F*`` and their ``W`` by twice its bound on ``||W - W*||``.
    """
    tol = on_dask.tol
    float64 = on_dask.coef_.dtype == np.float64
    if float64 and is_smooth(loss_params(on_dask.get_params())):
        rounding = len(y) * np.finfo(float).eps * np.abs(X).max()
        assert stationarity(on_dask, X, y, weight) <= tol + 2 * rounding
    if np.isinf(in_memory.C):
        return
    slack, coef_slack = distance_to_optimum(in_memory, X, y, weight, tol=tol)
    F_dask, F_memory = (
        model_objective(on_dask, X, y, weight),
        model_objective(in_memory, X, y, weight),
    )
    assert abs(F_dask - F_memory) <= slack, f"{F_dask!r} and {F_memory!r}, slack {slack:.2e}"
    distance = np.linalg.norm(on_dask.coef_ - in_memory.coef_)
    assert distance <= 2 * coef_slack, f"||W_a - W_b|| = {distance:.2e}, bound {coef_slack:.2e}"


@pytest.mark.parametrize("chunks", [(300,), UNEVEN_CHUNKS], ids=["one-chunk", "uneven-chunks"])
@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_dask_fit_equals_the_in_memory_fit(client, config, chunks):
    X, y, weight = problem()
    tol = TOL[config["loss"]]
    in_memory = SoftmaxClassifier(**config, tol=tol).fit(X, y, sample_weight=weight)
    on_dask = SoftmaxClassifier(**config, tol=tol).fit(
        da.from_array(X, chunks=(chunks, 6)),
        da.from_array(y, chunks=(chunks,)),
        sample_weight=da.from_array(weight, chunks=(chunks,)),
    )
    assert_same_optimum(on_dask, in_memory, X, y, effective_weight(config, y, weight))
    assert on_dask.n_features_in_ == 6 and on_dask.classes_.tolist() == [0, 1, 2]


@pytest.mark.parametrize("loss", LOSS_NAMES[:2])
def test_binary_string_labels_and_numpy_y(client, loss):
    X, y, _ = problem(n_classes=2, seed=1)
    labels = np.array(["no", "yes"])[y]
    in_memory = SoftmaxClassifier(loss=loss, tol=TOL[loss]).fit(X, labels)
    on_dask = SoftmaxClassifier(loss=loss, tol=TOL[loss]).fit(
        da.from_array(X, chunks=(50, 3)), labels
    )
    assert on_dask.coef_.shape == (1, 6)
    assert_same_optimum(on_dask, in_memory, X, y)
    np.testing.assert_array_equal(on_dask.classes_, ["no", "yes"])


def test_float32_chunks_stay_float32(client):
    X, y, _ = problem(seed=2)
    X32 = X.astype(np.float32)
    in_memory = SoftmaxClassifier(tol=TOL["cross_entropy"]).fit(X32, y)
    on_dask = SoftmaxClassifier(tol=TOL["cross_entropy"]).fit(
        da.from_array(X32, chunks=(UNEVEN_CHUNKS, 6)), y
    )
    assert on_dask.coef_.dtype == np.float32
    assert_same_optimum(on_dask, in_memory, X32, y)


def test_predictions_on_dask_arrays_are_lazy_dask_arrays(client):
    X, y, _ = problem(seed=3)
    model = SoftmaxClassifier().fit(X, y)
    X_dask = da.from_array(X, chunks=(UNEVEN_CHUNKS, 6))
    for method in ["predict", "decision_function", "predict_proba", "predict_log_proba"]:
        lazy = getattr(model, method)(X_dask)
        assert isinstance(lazy, da.Array), method
        expected = getattr(model, method)(X)
        assert lazy.shape == expected.shape
        np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-12, err_msg=method)


def test_lazy_predictions_are_frozen_and_need_a_fitted_model(client):
    X, y, _ = problem(seed=6)
    X_dask = da.from_array(X, chunks=(UNEVEN_CHUNKS, 6))
    with pytest.raises(NotFittedError):
        SoftmaxClassifier().predict(X_dask)
    model = SoftmaxClassifier().fit(X, y)
    lazy = model.decision_function(X_dask)
    expected = model.decision_function(X)
    model.set_params(C=1e-3).fit(X, y)  # a refit before compute() does not leak in
    np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-12)


def test_chunks_report_their_memory_to_dask(client):
    X, y, weight = problem()
    data = _dask.prepare(
        da.from_array(X, chunks=(100, 6)), y, weight, estimator_name="SoftmaxClassifier"
    )
    assert len(data.chunks) == 3
    distributed.wait(data.chunks)  # persisted: computing on the workers
    sizes = client.nbytes(keys=[chunk.key for chunk in data.chunks], summary=False)
    rows_bytes = X.nbytes + y.size * np.dtype(np.intp).itemsize + weight.nbytes
    assert sum(sizes.values()) >= rows_bytes


def test_a_chunk_counts_its_objective_buffers():
    """After an evaluation a chunk holds its rows and its objective's buffers."""
    X, y, weight = problem()
    chunk = _dask._make_chunk(X, y, weight, np.unique(y))
    rows_bytes = X.nbytes + chunk.y.nbytes + chunk.sample_weight.nbytes
    assert chunk.__sizeof__() == rows_bytes
    objective = chunk.objective(make_loss("hinge", 3), np.ones(3), True, 3, DEFAULT_SETTINGS)
    objective.value_gradient(np.ones((3, 6)), np.zeros(3))
    assert objective.buffer_bytes >= 3 * len(y) * X.itemsize
    assert chunk.__sizeof__() == rows_bytes + objective.buffer_bytes


def test_dask_dataframe_through_to_dask_array(client):
    X, y, _ = problem(seed=4)
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcdef")), npartitions=4)
    in_memory = SoftmaxClassifier(tol=TOL["cross_entropy"]).fit(X, y)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        SoftmaxClassifier().fit(frame.to_dask_array(), y)
    on_dask = SoftmaxClassifier(tol=TOL["cross_entropy"]).fit(frame.to_dask_array(lengths=True), y)
    assert_same_optimum(on_dask, in_memory, X, y)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_dask_dataframe_fit_equals_the_dask_array_fit(client, weighted):
    """Columns by name (feature_names_in_), y and sample_weight as Dask Series on the
    same partitions; partition lengths unknown until the fit computes them."""
    X, y, weight = problem(seed=5)
    names = list("abcdef")
    frame = dd.from_pandas(pd.DataFrame(X, columns=names), npartitions=3)
    labels = dd.from_pandas(pd.Series(np.array(["ant", "bee", "cat"])[y]), npartitions=3)
    weights = dd.from_pandas(pd.Series(weight), npartitions=3) if weighted else None
    array = frame.to_dask_array(lengths=True)
    on_frame = SoftmaxClassifier(tol=1e-8).fit(frame, labels, sample_weight=weights)
    on_array = SoftmaxClassifier(tol=1e-8).fit(
        array,
        labels.astype(object).to_dask_array(lengths=True),
        sample_weight=None if weights is None else weights.to_dask_array(lengths=True),
    )
    np.testing.assert_array_equal(on_frame.feature_names_in_, names)
    assert not hasattr(on_array, "feature_names_in_")
    np.testing.assert_allclose(on_frame.coef_, on_array.coef_, rtol=1e-10, atol=1e-12)
    predicted = on_frame.predict(frame)
    assert isinstance(predicted, dd.Series) and predicted.npartitions == frame.npartitions
    np.testing.assert_array_equal(predicted.compute().index, frame.index.compute())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warning on the frame's chunks
        np.testing.assert_array_equal(predicted.compute(), on_array.predict(X))
        proba = on_frame.predict_proba(frame).compute()
    np.testing.assert_allclose(proba, on_array.predict_proba(X), rtol=1e-12)
    renamed = frame.rename(columns={"a": "z"})
    with pytest.raises(ValueError, match="feature names"):
        on_frame.predict(renamed)


def test_a_dask_dataframe_with_text_gets_the_in_memory_error(client):
    X, y, _ = problem(seed=6)
    table = pd.DataFrame(X, columns=list("abcdef")).assign(city="Lyon")
    frame = dd.from_pandas(table, npartitions=2)
    with pytest.raises(ValueError, match="could not convert string to float"):
        SoftmaxClassifier().fit(frame, y)
    with pytest.raises(ValueError, match="could not convert string to float"):
        SoftmaxClassifier().fit(table, y)


def fail_on_the_second_chunk(block, block_info=None):
    if block_info[0]["chunk-location"][0] == 1:
        raise OSError("disk on fire")
    return block


def test_a_worker_exception_surfaces_as_a_clear_error(client):
    X, y, _ = problem()
    broken = da.from_array(X, chunks=(100, 6)).map_blocks(fail_on_the_second_chunk, dtype=float)
    with pytest.raises(RuntimeError, match=r"A Dask task failed while .*OSError: disk on fire"):
        SoftmaxClassifier().fit(broken, y)


def test_bad_dask_input_is_named(client):
    X, y, weight = problem()
    X_dask = da.from_array(X, chunks=(100, 6))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SoftmaxClassifier().fit(da.from_array(np.where(X > 3, np.nan, X), chunks=100), y)
    with pytest.raises(ValueError, match="Input sample_weight contains infinity"):
        SoftmaxClassifier().fit(X_dask, y, sample_weight=np.where(weight > 2, np.inf, weight))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SoftmaxClassifier().fit(X_dask, y[:-1])
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        SoftmaxClassifier().fit(X_dask, y, sample_weight=-weight)
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxClassifier().fit(X_dask, y + 0.5)
    model = SoftmaxClassifier().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but SoftmaxClassifier is expecting 6"):
        model.predict(X_dask[:, :3])


def test_the_threaded_scheduler_without_a_cluster():
    X, y, weight = problem(seed=5)
    config = {**HINGE_CONFIGS[2], "tol": TOL["squared_hinge"]}  # squared Crammer-Singer
    in_memory = SoftmaxClassifier(**config).fit(X, y, sample_weight=weight)
    with dask.config.set(scheduler="threads"):
        on_dask = SoftmaxClassifier(**config).fit(
            da.from_array(X, chunks=(UNEVEN_CHUNKS, 6)), y, sample_weight=weight
        )
    assert_same_optimum(on_dask, in_memory, X, y, weight)


class FakeDaskArray:
    """Looks like a Dask collection; used with Dask made unimportable."""

    shape = (3, 2)

    def __dask_graph__(self):
        return {}


def test_without_dask_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"pip install 'sklearn_softmax\[dask\]'"):
        SoftmaxClassifier().fit(FakeDaskArray(), [0, 1, 0])
    X, y = make_problem()
    assert SoftmaxClassifier().fit(X, y).score(X, y) > 0.5  # the in-memory path is unaffected
