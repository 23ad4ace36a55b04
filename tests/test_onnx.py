"""ONNX export: onnxruntime's labels equal ``predict``, its probabilities
``predict_proba`` (1e-5) and its scores ``decision_function`` (1e-4 of each row's
largest), for every loss, K = 2, 3, 5, float32 and float64, text and integer labels,
features up to 1e4; through pipelines, the CV estimator and sparsified L1 models."""

import numpy as np
import pytest
import scipy.sparse as sp

EXTRA = 'the onnx extra is absent: pip install -e ".[onnx]"'
pytest.importorskip("skl2onnx", reason=EXTRA)
rt = pytest.importorskip("onnxruntime", reason=EXTRA)

from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV  # noqa: E402
from sklearn_softmax.onnx import to_onnx  # noqa: E402
from tests.oracles import LOSS_CONFIGS, config_id  # noqa: E402

SCALES = np.array([1e-2, 1.0, 30.0, 1e4])


def problem(n_classes, labels="text", n=240, seed=0):
    """Features of scales 1e-2 to 1e4 (class-dependent means), and labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    centers = rng.standard_normal((n_classes, SCALES.size))
    X = (centers[y] + rng.standard_normal((n, SCALES.size))) * SCALES
    names = {
        "text": np.array(["ant", "bee", "cat", "dog", "eel"]),
        "integer": np.array([3, 7, 11, 20, 42]),
    }[labels]
    return X, names[y]


def run(onx, X):
    session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_same(model, onx, X):
    """The graph's outputs against the model's, on ``X`` (a ZipMap's as a table)."""
    label, second = run(onx, X)
    if isinstance(second, list):  # ZipMap: one {label: probability} per row
        second = np.array([[row[c] for c in model.classes_] for row in second])
    np.testing.assert_array_equal(label, model.predict(X))
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if final.loss == "cross_entropy":
        np.testing.assert_allclose(second, model.predict_proba(X), rtol=0, atol=1e-5)
    else:
        scores = model.decision_function(X).reshape(len(X), -1)
        scale = np.abs(scores).max(axis=1, keepdims=True)
        assert np.all(np.abs(second - scores) <= 1e-4 * scale)


# A float32 fit may stop at float32's precision, short of tol, and say so.
@pytest.mark.filterwarnings("ignore:L-BFGS stopped because no step decreases")
@pytest.mark.parametrize("labels", ["text", "integer"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("config", LOSS_CONFIGS, ids=config_id)
def test_every_loss_matches_the_model(config, n_classes, dtype, labels):
    X, y = problem(n_classes, labels)
    model = SoftmaxClassifier(C=10.0, **config).fit(X.astype(dtype), y)
    for scale in (1.0, 3.0):  # inputs beyond the training range too
        X_new = (X * scale).astype(dtype)
        assert_same(model, to_onnx(model, X_new), X_new)


def test_the_graph_dtype_follows_the_sample():
    X, y = problem(3)
    model = SoftmaxClassifier().fit(X, y)
    for dtype, name in [(np.float32, "tensor(float)"), (np.float64, "tensor(double)")]:
        onx = to_onnx(model, X.astype(dtype))
        session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        assert session.get_inputs()[0].type == name
        assert session.get_outputs()[1].type == name


@pytest.mark.parametrize(
    "params",
    [{"label_smoothing": 0.1}, {"fit_intercept": False}, {"class_weight": "balanced"}],
    ids=["label-smoothing", "no-intercept", "class-weight"],
)
def test_options_of_the_fit(params):
    X, y = problem(4)
    model = SoftmaxClassifier(**params).fit(X, y)
    assert_same(model, to_onnx(model, X), X)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_sparsified_l1_model(n_classes):
    X, y = problem(n_classes)
    X = np.hstack([X, np.random.default_rng(1).standard_normal((len(X), 6))])
    model = SoftmaxClassifier(C=0.05, l1_ratio=1.0).fit(StandardScaler().fit_transform(X), y)
    model.sparsify()
    assert sp.issparse(model.coef_) and model.coef_.nnz < model.coef_.shape[0] * X.shape[1]
    X_std = StandardScaler().fit_transform(X)
    assert_same(model, to_onnx(model, X_std), X_std)


@pytest.mark.parametrize("config", LOSS_CONFIGS[:2], ids=config_id)
def test_a_pipeline_through_skl2onnx_itself(config):
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    import sklearn_softmax.onnx  # noqa: F401  (registers the converters)

    X, y = problem(3, "integer")
    pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier(**config)).fit(X, y)
    float32 = X.astype(np.float32)
    assert_same(pipeline, skl2onnx_to_onnx(pipeline, float32[:1]), float32)  # ZipMap for CE
    options = {id(pipeline.steps[-1][1]): {"zipmap": False}}
    assert_same(pipeline, skl2onnx_to_onnx(pipeline, float32[:1], options=options), float32)
    assert_same(pipeline, to_onnx(pipeline, X), X)  # float64 end to end


def test_the_cv_estimator():
    X, y = problem(3)
    model = SoftmaxClassifierCV(Cs=[0.1, 1.0], l1_ratios=[0.0, 1.0], cv=3).fit(X, y)
    assert_same(model, to_onnx(model, X.astype(np.float32)), X.astype(np.float32))


def test_integral_real_labels_come_back_equal():
    X, y = problem(3, "integer")
    model = SoftmaxClassifier().fit(X, y.astype(np.float64))  # 3.0, 7.0, 11.0
    label, _ = run(to_onnx(model, X), X)
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, model.predict(X))


def test_zipmap_is_an_option_of_cross_entropy():
    X, y = problem(3)
    model = SoftmaxClassifier().fit(X, y)
    X = X.astype(np.float32)
    _, zipped = run(to_onnx(model, X, zipmap=True), X)
    proba = model.predict_proba(X)
    for row, expected in zip(zipped, proba, strict=True):
        assert list(row) == list(model.classes_)
        np.testing.assert_allclose([row[c] for c in model.classes_], expected, atol=1e-5)
    hinge = SoftmaxClassifier(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="zipmap applies to loss='cross_entropy'"):
        to_onnx(hinge, X, zipmap=True)


def test_clear_errors_before_any_graph():
    X, y = problem(3)
    with pytest.raises(ValueError, match="ZipMap takes float32 probabilities"):
        to_onnx(SoftmaxClassifier().fit(X, y), X, zipmap=True)
    with pytest.raises(NotFittedError):
        to_onnx(SoftmaxClassifier(), X)
    with pytest.raises(ValueError, match="boolean class labels"):
        to_onnx(SoftmaxClassifier().fit(X, y == "ant"), X)
    with pytest.raises(ValueError, match="float32 or float64"):
        to_onnx(SoftmaxClassifier().fit(X, y), X.astype(np.int64))


def test_a_tfidf_text_pipeline():
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["the cat sat", "a dog barked", "the cat ran", "dogs bark loud", "cats nap"] * 6
    y = np.array(["cat", "dog", "cat", "dog", "cat"] * 6)
    pipeline = make_pipeline(TfidfVectorizer(), SoftmaxClassifier()).fit(docs, y)
    # onnxruntime's tokenizer needs a locale this machine has ("C"; en_US by default).
    options = {id(pipeline.steps[0][1]): {"locale": "C"}}
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    import sklearn_softmax.onnx  # noqa: F401

    options[id(pipeline.steps[-1][1])] = {"zipmap": False}
    onx = skl2onnx_to_onnx(
        pipeline, initial_types=[("text", StringTensorType([None, 1]))], options=options
    )
    session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {"text": np.array(docs).reshape(-1, 1)})
    np.testing.assert_array_equal(label, pipeline.predict(docs))
    np.testing.assert_allclose(proba, pipeline.predict_proba(docs), atol=1e-5)


def test_a_column_transformer_of_numbers_and_categories():
    import pandas as pd
    from skl2onnx import to_onnx as skl2onnx_to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    import sklearn_softmax.onnx  # noqa: F401

    X, y = problem(3)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 3], "kind": np.where(X[:, 1] > 0, "up", "down")})
    frame.loc[::17, "a"] = np.nan
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    columns = ColumnTransformer(
        [
            ("numbers", numbers, ["a", "b"]),
            ("kind", OneHotEncoder(handle_unknown="ignore"), ["kind"]),
        ]
    )
    pipeline = make_pipeline(columns, SoftmaxClassifier()).fit(frame, y)
    inputs = [("a", FloatTensorType([None, 1])), ("b", FloatTensorType([None, 1]))]
    inputs.append(("kind", StringTensorType([None, 1])))
    options = {id(pipeline.steps[-1][1]): {"zipmap": False}}
    onx = skl2onnx_to_onnx(pipeline, initial_types=inputs, options=options)
    session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {name: frame[[name]].to_numpy(np.float32) for name in ("a", "b")}
    feed["kind"] = frame[["kind"]].to_numpy(object)
    label, proba = session.run(None, feed)
    np.testing.assert_array_equal(label, pipeline.predict(frame))
    np.testing.assert_allclose(proba, pipeline.predict_proba(frame), atol=1e-5)


def test_the_pipeline_the_command_line_saves(tmp_path, capsys):
    import joblib
    import pandas as pd
    from skl2onnx import to_onnx as skl2onnx_to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    import sklearn_softmax.onnx  # noqa: F401
    from sklearn_softmax.__main__ import main
    from sklearn_softmax._cli_models import Columns
    from tests.test_cli_table import penguins_like

    data, model = tmp_path / "penguins.csv", tmp_path / "model.joblib"
    data.write_text(penguins_like())
    args = ["--data", str(data), "--label", "species", "--cv", "2", "--models", "softmax"]
    assert main([*args, "--loss", "cross_entropy", "--save", str(model)]) == 0
    capsys.readouterr()
    record = joblib.load(model)
    pipeline, categories = record["pipeline"], record["categories"]
    numbers = [name for name in record["columns"] if name not in categories]
    inputs = [(name, FloatTensorType([None, 1])) for name in numbers]
    inputs += [(name, StringTensorType([None, 1])) for name in categories]
    options = {id(pipeline.steps[-1][1]): {"zipmap": False}}
    onx = skl2onnx_to_onnx(pipeline, initial_types=inputs, options=options)
    frame = pd.read_csv(data).drop(columns="species")
    frame = Columns(numbers, categories).with_text_categories(frame)
    feed = {name: frame[[name]].to_numpy(np.float32) for name in numbers}
    feed.update({name: frame[[name]].to_numpy(object) for name in categories})
    session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, feed)
    np.testing.assert_array_equal(label, pipeline.predict(frame))
    np.testing.assert_allclose(proba, pipeline.predict_proba(frame), atol=1e-5)
