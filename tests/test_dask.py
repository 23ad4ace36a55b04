"""Fitting on Dask arrays across a ``distributed`` cluster equals the in-memory fit."""

import sys

import dask
import dask.array as da
import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_softmax import SoftmaxClassifier, _dask
from tests.conftest import make_problem

LOSS_CONFIGS = [
    {"loss": "cross_entropy"},
    {"loss": "cross_entropy", "label_smoothing": 0.1, "class_weight": "balanced"},
    {"loss": "hinge"},
    {"loss": "hinge", "multiclass_hinge": "weston_watkins"},
    {"loss": "squared_hinge"},
    {"loss": "cross_entropy", "fit_intercept": False, "class_weight": {0: 2.0, 1: 0.5}},
    {"loss": "squared_hinge", "multiclass_hinge": "weston_watkins", "C": np.inf},
]
IDS = [
    "cross_entropy",
    "smoothed-balanced",
    "crammer_singer",
    "weston_watkins",
    "squared_hinge",
    "no-intercept-dict-weights",
    "unpenalized",
]
UNEVEN_CHUNKS = (37, 5, 120, 1, 77, 60)  # 300 rows


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes, closed after the module's tests."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def problem(n_classes=3, seed=0):
    X, y = make_problem(n_samples=300, n_features=6, n_classes=n_classes, seed=seed)
    X = X * [1.0, 5.0, 0.1, 1.0, 30.0, 1.0] + [0.0, 10.0, 0.0, -3.0, 100.0, 0.0]
    weight = np.random.default_rng(seed).uniform(0.1, 3.0, len(y))
    return X, y, weight


def relative_error(actual, expected):
    return np.linalg.norm(actual - expected) / np.linalg.norm(expected)


@pytest.mark.parametrize("chunks", [(300,), UNEVEN_CHUNKS], ids=["one-chunk", "uneven-chunks"])
@pytest.mark.parametrize("config", LOSS_CONFIGS, ids=IDS)
def test_dask_fit_equals_the_in_memory_fit(client, config, chunks):
    X, y, weight = problem()
    in_memory = SoftmaxClassifier(**config).fit(X, y, sample_weight=weight)
    on_dask = SoftmaxClassifier(**config).fit(
        da.from_array(X, chunks=(chunks, 6)),
        da.from_array(y, chunks=(chunks,)),
        sample_weight=da.from_array(weight, chunks=(chunks,)),
    )
    assert relative_error(on_dask.coef_, in_memory.coef_) < 1e-6
    scores = in_memory.decision_function(X)
    assert relative_error(on_dask.decision_function(X), scores) < 1e-6
    assert on_dask.n_features_in_ == 6 and on_dask.classes_.tolist() == [0, 1, 2]


@pytest.mark.parametrize("loss", ["cross_entropy", "hinge"])
def test_binary_string_labels_and_numpy_y(client, loss):
    X, y, _ = problem(n_classes=2, seed=1)
    labels = np.array(["no", "yes"])[y]
    in_memory = SoftmaxClassifier(loss=loss).fit(X, labels)
    on_dask = SoftmaxClassifier(loss=loss).fit(da.from_array(X, chunks=(50, 3)), labels)
    assert on_dask.coef_.shape == (1, 6)
    assert relative_error(on_dask.coef_, in_memory.coef_) < 1e-6
    np.testing.assert_array_equal(on_dask.classes_, ["no", "yes"])


def test_float32_chunks_stay_float32(client):
    X, y, _ = problem(seed=2)
    X32 = X.astype(np.float32)
    in_memory = SoftmaxClassifier().fit(X32, y)
    on_dask = SoftmaxClassifier().fit(da.from_array(X32, chunks=(UNEVEN_CHUNKS, 6)), y)
    assert on_dask.coef_.dtype == np.float32
    assert relative_error(on_dask.coef_, in_memory.coef_) < 1e-4


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
        da.from_array(X, chunks=(100, 6)), y, weight, class_weight=None, fit_intercept=True
    )
    assert len(data.chunks) == 3
    sizes = client.nbytes(keys=[chunk.key for chunk in data.chunks], summary=False)
    rows_bytes = X.nbytes + y.size * np.dtype(np.intp).itemsize + weight.nbytes
    assert sum(sizes.values()) >= rows_bytes


def test_dask_dataframe_through_to_dask_array(client):
    X, y, _ = problem(seed=4)
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcdef")), npartitions=4)
    in_memory = SoftmaxClassifier().fit(X, y)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        SoftmaxClassifier().fit(frame.to_dask_array(), y)
    with pytest.raises(TypeError, match=r"to_dask_array\(lengths=True\)"):
        SoftmaxClassifier().fit(frame, y)
    on_dask = SoftmaxClassifier().fit(frame.to_dask_array(lengths=True), y)
    assert relative_error(on_dask.coef_, in_memory.coef_) < 1e-6


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
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        SoftmaxClassifier().fit(da.from_array(np.where(X > 3, np.nan, X), chunks=100), y)
    with pytest.raises(ValueError, match="contains NaN or infinity"):
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
    in_memory = SoftmaxClassifier(loss="squared_hinge").fit(X, y, sample_weight=weight)
    with dask.config.set(scheduler="threads"):
        on_dask = SoftmaxClassifier(loss="squared_hinge").fit(
            da.from_array(X, chunks=(UNEVEN_CHUNKS, 6)), y, sample_weight=weight
        )
    assert relative_error(on_dask.coef_, in_memory.coef_) < 1e-6


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
