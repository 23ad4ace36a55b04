"""The command line on a real-world table: text, categorical, missing and numeric
columns preprocessed as a scikit-learn user would; L1, a CV search, weights; --save
then predict; and the messages of issue 25."""

import io
import re

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import dump_svmlight_file
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.__main__ import main, parse_args
from tests.oracles import make_problem


def penguins_like(n=240, seed=0):
    """A table shaped like palmerpenguins: a text label with an imbalanced class and
    two missing labels, a text column tied to the class, numbers with missing cells
    (empty and NA), a categorical column with missing cells."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], n, p=[0.5, 0.35, 0.15])
    island = np.where(species == "Gentoo", "Biscoe", rng.choice(["Dream", "Torgersen"], n))
    centre = {"Adelie": 38.8, "Gentoo": 47.5, "Chinstrap": 48.8}
    bill = np.array([centre[s] for s in species]) + rng.normal(0, 2.0, n)
    flipper = np.where(species == "Gentoo", 217.0, 190.0) + rng.normal(0, 6.0, n)
    sex = rng.choice(["male", "female", ""], n, p=[0.48, 0.48, 0.04])
    lines = ["species,island,bill_length_mm,flipper_length_mm,sex"]
    for i in range(n):
        label = "" if i in (7, 11) else species[i]
        b = "" if i % 40 == 3 else f"{bill[i]:.1f}"
        f = "NA" if i % 55 == 5 else f"{flipper[i]:.0f}"
        lines.append(f"{label},{island[i]},{b},{f},{sex[i]}")
    return "\n".join(lines) + "\n"


def table_rows(out):
    """``{model: accuracy}`` of the printed table (the lines after its rule)."""
    body = out.split("-----\n", 1)[1].split("Fit times:", 1)[0]
    rows = [line.rsplit(None, 4) for line in body.splitlines() if line.strip() and line[0] != "*"]
    return {name.rstrip(" *"): float(accuracy) for name, accuracy, *_ in rows}


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "penguins.csv"
    path.write_text(penguins_like())
    return path


def text_categories(frame):
    """The text columns with "" for a missing cell, as the printed code says."""
    frame = frame.copy()
    frame[["island", "sex"]] = frame[["island", "sex"]].fillna("").astype(str)
    return frame


def in_process_pipeline():
    """The pipeline the command line says it builds, written by hand."""
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent", missing_values=""),
        OneHotEncoder(handle_unknown="ignore"),
    )
    columns = ColumnTransformer(
        [
            ("numbers", numbers, ["bill_length_mm", "flipper_length_mm"]),
            ("categories", categories, ["island", "sex"]),
        ]
    )
    return make_pipeline(columns, SoftmaxClassifier())


def test_a_messy_table_is_preprocessed_and_the_pipeline_printed(table, capsys):
    assert main(["--data", str(table), "--label", "species", "--cv", "3"]) == 0
    out = capsys.readouterr().out
    assert "dropped 2 rows whose label is missing" in out
    assert "238 samples, 4 features, 3 classes" in out
    assert "numbers (median-imputed, standardized): bill_length_mm, flipper_length_mm" in out
    assert "categories (most-frequent-imputed, one-hot encoded): island, sex" in out
    assert 'OneHotEncoder(handle_unknown="ignore")' in out and "ColumnTransformer([" in out
    accuracies = table_rows(out)
    assert len(accuracies) == 5 and min(accuracies.values()) > 0.9
    assert "every model under a BLAS limit of" in out


def test_the_printed_code_builds_the_pipeline_it_ran(table, capsys):
    assert (
        main(["--data", str(table), "--label", "species", "--cv", "3", "--models", "softmax"]) == 0
    )
    code = re.search(r"as code:\n(ColumnTransformer\(\[.*?\n\]\))", capsys.readouterr().out, re.S)
    namespace = {
        "ColumnTransformer": ColumnTransformer,
        "make_pipeline": make_pipeline,
        "SimpleImputer": SimpleImputer,
        "StandardScaler": StandardScaler,
        "OneHotEncoder": OneHotEncoder,
    }
    built = eval(code[1], namespace)
    assert "frame[['island', 'sex']] = frame[...].fillna('').astype(str)" in code.string
    frame = text_categories(pd.read_csv(table).drop(columns="species"))
    expected = in_process_pipeline().steps[0][1]

    def dense(Z):
        return Z.toarray() if hasattr(Z, "toarray") else Z

    np.testing.assert_allclose(
        dense(built.fit_transform(frame)), dense(expected.fit_transform(frame))
    )


def test_without_preprocessing_the_first_text_cell_is_named(table, capsys):
    args = ["--data", str(table), "--label", "species", "--no-preprocess"]
    assert main(args) == 2
    error = capsys.readouterr().err.strip()
    assert re.search(r"line 2, column 'island': '\w+' is not a number; run without --no-pre", error)
    assert "pass --label" not in error  # --label was given: no advice to pass it


@pytest.mark.parametrize(
    ("extra", "row"),
    [
        (["--l1-ratio", "1"], "SoftmaxClassifier(cross_entropy)"),
        (["--C", "0.1", "1", "--l1-ratio", "0.5", "1"], "SoftmaxClassifierCV(cross_entropy)"),
    ],
    ids=["l1", "cv-search"],
)
def test_l1_and_a_cv_search(table, capsys, extra, row):
    args = ["--data", str(table), "--label", "species", "--cv", "3", "--models", "softmax"]
    assert main([*args, "--loss", "cross_entropy", *extra]) == 0
    out = capsys.readouterr().out
    assert table_rows(out)[row] > 0.9
    assert "l1_ratio" in out


def test_save_then_predict_equals_the_in_process_pipeline(table, tmp_path, capsys):
    model = saved(table, tmp_path, capsys)
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model), str(table), "--out", str(out), "--id", "island"]) == 0
    assert "accuracy" in capsys.readouterr().err  # the new file still has its labels
    written = pd.read_csv(out)
    frame = text_categories(pd.read_csv(table, dtype={"species": str}))
    kept = frame["species"].notna()
    reference = in_process_pipeline().fit(
        frame.loc[kept].drop(columns="species"), frame.loc[kept, "species"]
    )
    features = frame.drop(columns="species")
    np.testing.assert_array_equal(written["prediction"], reference.predict(features))
    probabilities = written[[f"probability_{c}" for c in reference.classes_]].to_numpy()
    np.testing.assert_allclose(probabilities, reference.predict_proba(features), atol=1e-6)
    assert list(written["id"]) == list(frame["island"])
    record = joblib.load(model)
    assert record["versions"]["sklearn_softmax"] and record["label"] == "species"


def saved(table, tmp_path, capsys, loss="cross_entropy"):
    """The model file of a run on ``table`` with ``--save`` (our model of ``loss``)."""
    model = tmp_path / "model.joblib"
    args = ["--data", str(table), "--label", "species", "--cv", "3", "--models", "softmax"]
    assert main([*args, "--loss", loss, "--save", str(model)]) == 0
    capsys.readouterr()
    return model


def test_predict_to_stdout_handles_unknown_categories(table, tmp_path, capsys):
    model = saved(table, tmp_path, capsys, loss="hinge")
    new = tmp_path / "new.csv"
    new.write_text("island,bill_length_mm,flipper_length_mm,sex\nAtlantis,40,190,male\n")
    assert main(["predict", str(model), str(new)]) == 0
    written = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(written.columns) == ["prediction"]  # a hinge model: no probabilities
    assert written["prediction"][0] in {"Adelie", "Gentoo", "Chinstrap"}


def test_predict_errors_name_the_column(table, tmp_path, capsys):
    model = saved(table, tmp_path, capsys)
    new = tmp_path / "new.csv"
    new.write_text("island,flipper_length_mm,sex\nDream,190,male\n")
    assert main(["predict", str(model), str(new)]) == 2
    assert "has no column 'bill_length_mm', which the model needs" in capsys.readouterr().err
    new.write_text("species,island,bill_length_mm,flipper_length_mm,sex\n3,Dream,40,190,male\n")
    assert main(["predict", str(model), str(new)]) == 2
    error = capsys.readouterr().err
    assert "the label column 'species' holds number labels" in error and "text labels" in error


def test_save_names_the_best_model_and_predict_reads_libsvm(tmp_path, capsys):
    X, y = make_problem(n_samples=90, n_features=4, separation=3.0)
    data = tmp_path / "train.svm"
    dump_svmlight_file(X, y, str(data))
    model = tmp_path / "model.joblib"
    assert main(["--data", str(data), "--cv", "3", "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert "the best mean accuracy of the run" in out and f"to {model}" in out
    assert main(["predict", str(model), str(data)]) == 0
    captured = capsys.readouterr()
    record = joblib.load(model)
    written = pd.read_csv(io.StringIO(captured.out))
    np.testing.assert_array_equal(written["prediction"], record["pipeline"].predict(X))
    assert "accuracy" in captured.err


def test_sample_weights_and_class_weights_reach_every_model(table, tmp_path, capsys):
    weighted = tmp_path / "weighted.csv"
    lines = penguins_like().splitlines()
    weighted.write_text(
        "\n".join([lines[0] + ",w"] + [f"{line},{1 + i % 3}" for i, line in enumerate(lines[1:])])
    )
    args = ["--data", str(weighted), "--label", "species", "--cv", "3"]
    assert main([*args, "--sample-weight", "w", "--class-weight", "balanced"]) == 0
    out = capsys.readouterr().out
    assert "4 features" in out  # the weight column is not a feature
    footer = out.split("lane", 1)[1]
    for name in ["SoftmaxClassifier(cross_entropy)", "LogisticRegression", "LinearSVC"]:
        line = next(line for line in footer.splitlines() if name in line)
        assert "class_weight='balanced'" in line and "sample weights" in line
    weighted.write_text("a,w,label\n1,2,x\n2,-1,y\n3,1,x\n4,1,y\n")
    assert main(["--data", str(weighted), "--sample-weight", "w", "--cv", "2"]) == 2
    assert "the --sample-weight column 'w' has negative weights" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("a,b,label\n", [], "is empty: a header (a, b, label) and no rows"),
        ("a,label\n1,x\n2,x\n3,x\n", [], "holds one class ('x'); a classifier needs at least 2"),
        (
            "a,label\n" + "".join(f"{i},{'xy'[i % 2] if i < 20 else 'z'}\n" for i in range(23)),
            [],
            "class 'z' has 3 rows; --cv 5 needs at least 5 rows in every class",
        ),
        (
            "a,label\n1,x\n2,y\n",
            ["--models", "logistic", "linear_svc", "--loss", "hinge"],
            "--loss applies to the softmax models, and --models logistic linear_svc runs none",
        ),
    ],
    ids=["header-only", "one-class", "rare-class", "loss-without-softmax"],
)
def test_messages_state_what_was_found(tmp_path, capsys, content, args, message):
    path = tmp_path / "e.csv"
    path.write_text(content)
    with pytest.raises(SystemExit) if "--models" in args else _nothing():
        assert main(["--data", str(path), *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "np.str_" not in captured.err
    assert "Traceback" not in captured.err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_every_option_has_help_and_shows_its_default(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = capsys.readouterr().out
    options = re.findall(r"^  (--[a-z0-9-]+)", text, re.MULTILINE)
    assert {"--l1-ratio", "--class-weight", "--sample-weight", "--save", "--threads"} <= set(
        options
    )
    for option in options:
        block = text.split(option, 1)[1].split("\n  --", 1)[0]
        assert len(block.split()) > 3, f"{option} has no help text"
    for default in ["(default: 5)", "(default: [1.0])", "(default: [0.0])"]:
        assert default in " ".join(text.split())


def test_predict_warns_of_other_versions_and_refuses_other_files(table, tmp_path, capsys):
    model = saved(table, tmp_path, capsys)
    record = joblib.load(model)
    record["versions"]["scikit-learn"] = "0.0.1"
    joblib.dump(record, model)
    assert main(["predict", str(model), str(table), "--out", str(tmp_path / "p.csv")]) == 0
    error = capsys.readouterr().err
    assert "warning:" in error and "scikit-learn 0.0.1 (now " in error
    joblib.dump({"something": "else"}, model)
    assert main(["predict", str(model), str(table)]) == 2
    assert "is not a model file saved by --save" in capsys.readouterr().err
