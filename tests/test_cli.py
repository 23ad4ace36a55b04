"""``python -m sklearn_softmax``: the table on the bundled data, user files, one-line errors."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from sklearn_softmax.__main__ import main
from tests.oracles import make_problem


@pytest.fixture(params=["pandas", "numpy"])
def parser(request, monkeypatch):
    """Each test of a table of numbers (``--no-preprocess``) runs with pandas' reader
    and with numpy.loadtxt (pandas absent)."""
    if request.param == "numpy":
        monkeypatch.setattr("sklearn_softmax._datafile._pandas", lambda: None)
    return request.param


NUMBERS = "--no-preprocess"


def write_csv(path, X, y, header=True):
    lines = [",".join(f"f{j}" for j in range(X.shape[1])) + ",label"] if header else []
    lines += [
        ",".join(map(repr, row.tolist())) + f",{label}" for row, label in zip(X, y, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_default_run_prints_a_table_with_every_model(capsys):
    assert main(["--cv", "2", "--loss", "cross_entropy", "hinge"]) == 0
    out = capsys.readouterr().out
    assert "digits: 1797 samples, 64 features, 10 classes" in out
    for name in [
        "SoftmaxClassifier(cross_entropy)",
        "SoftmaxClassifier(hinge, crammer_singer)",
        "LogisticRegression",
        "LinearSVC(crammer_singer)",
    ]:
        row = next(line for line in out.splitlines()[::-1] if line.startswith(name))
        accuracy = float(row.split()[-4])
        assert 0.9 < accuracy <= 1.0, row
    assert "model" in out and "accuracy" in out and "cross-entropy" in out


def test_csv_with_string_labels(tmp_path, capsys, parser):
    X, y = make_problem(n_samples=60, n_features=3, separation=3.0)
    path = write_csv(tmp_path / "data.csv", X, np.array(["cat", "dog", "eel"])[y])
    assert main(["--data", str(path), "--cv", "3", "--loss", "squared_hinge", NUMBERS]) == 0
    assert "60 samples, 3 features, 3 classes" in capsys.readouterr().out


def test_svmlight_file(tmp_path, capsys):
    X, y = make_problem(n_samples=60, n_features=4, separation=3.0)
    path = tmp_path / "data.svm"
    dump_svmlight_file(X, y, str(path))
    assert main(["--data", str(path), "--cv", "2", "--C", "0.5"]) == 0
    assert "60 samples, 4 features, 3 classes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "is empty: it holds no rows"),
        ("a,b,label\n1,2,x\n3,x\n", "same number"),
        ("1,2,x\n3,four,y\n", "not a number"),
        ("1,2,x\n3,4,x\n5,6,x\n", "holds one class ('x'); a classifier needs at least 2"),
        ("1,nan,x\n3,4,y\n5,6,x\n", "line 1, column '1': missing value ('nan')"),
        (b"1,2,x\n3,\xff\xfe,y\n", "cannot read"),
    ],
    ids=["missing", "empty", "ragged", "text-feature", "one-class", "nan", "not-utf8"],
)
def test_bad_files_give_one_line_errors(tmp_path, capsys, parser, content, message):
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main(["--data", str(path), NUMBERS]) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert error.startswith("error:") and message in error and "\n" not in error


def test_a_directory_is_not_a_data_file(tmp_path, capsys):
    assert main(["--data", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: not a file: {tmp_path}"


def test_svmlight_file_with_real_valued_labels(tmp_path, capsys):
    path = tmp_path / "data.svm"
    path.write_text("0.5 1:1.0\n1.7 1:2.0\n2.25 2:1.0\n")
    assert main(["--data", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert "looks like a continuous target" in error and "\n" not in error


def test_a_model_that_rejects_the_data_gives_a_one_line_error(monkeypatch, capsys):
    def reject(*args):
        raise ValueError("Input X contains\ninfinity.")

    monkeypatch.setattr("sklearn_softmax.__main__.evaluate", reject)
    assert main(["--cv", "2"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        "error: SoftmaxClassifier(cross_entropy) cannot be fitted: Input X contains infinity."
    )


def test_malformed_svmlight_file(tmp_path, capsys):
    path = tmp_path / "data.txt"
    path.write_text("this is not\nan svmlight file\n")
    assert main(["--data", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert "libsvm/svmlight" in error and "\n" not in error


def test_module_entry_point_reports_bad_arguments_without_traceback():
    completed = subprocess.run(
        [sys.executable, "-m", "sklearn_softmax", "--C", "-1"], capture_output=True, text=True
    )
    assert completed.returncode == 2
    assert "--C must be positive" in completed.stderr and "Traceback" not in completed.stderr


def test_an_invalid_parameter_of_a_later_model_stops_before_any_fit(capsys):
    # C = inf (no penalty) suits ours and LogisticRegression, not LinearSVC: the
    # error comes before the first fit and names the model.
    assert main(["--C", "inf", "--cv", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing fitted, nothing printed
    error = captured.err.strip()
    assert error.startswith("error: LinearSVC(crammer_singer): The 'C' parameter of LinearSVC")
    assert "--models" in error and "\n" not in error


def test_models_chooses_what_runs(capsys):
    assert main(["--C", "inf", "--cv", "2", "--models", "softmax", "--loss", "cross_entropy"]) == 0
    out = capsys.readouterr().out
    assert "SoftmaxClassifier(cross_entropy)" in out
    assert "LogisticRegression" not in out and "LinearSVC" not in out


def test_rows_finished_before_a_failing_model_are_printed(monkeypatch, capsys):
    from sklearn_softmax import __main__ as cli

    real = cli.evaluate
    calls = []

    def fail_second(estimator, X, y, cv, *args):
        calls.append(estimator)
        if len(calls) == 2:
            raise ValueError("the second model rejects this data")
        return real(estimator, X, y, cv, *args)

    monkeypatch.setattr(cli, "evaluate", fail_second)
    assert main(["--cv", "2", "--loss", "cross_entropy", "hinge"]) == 2
    captured = capsys.readouterr()
    table = captured.out.split("accuracy", 1)[1]
    assert "SoftmaxClassifier(cross_entropy)" in table
    assert "SoftmaxClassifier(hinge" in captured.err
    assert "the second model rejects this data" in captured.err


def test_a_continuous_last_column_is_named_with_a_few_values(tmp_path, capsys, parser):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((178, 2))
    path = write_csv(tmp_path / "data.csv", X, rng.permutation(178) * 0.25 + 0.1)
    assert main(["--data", str(path), NUMBERS]) == 2
    error = capsys.readouterr().err.strip()
    assert "'label' looks like a continuous target (178 distinct real values" in error
    assert len(error) < 300 and "\n" not in error


def test_many_rare_classes_are_summarized(tmp_path, capsys, parser):
    X = np.arange(200.0).reshape(100, 2)
    path = write_csv(tmp_path / "data.csv", X, np.arange(100) % 50)
    assert main(["--data", str(path), NUMBERS]) == 2
    error = capsys.readouterr().err.strip()
    assert "class '0' has 2 rows, '1' has 2 rows, '10' has 2 rows (and 47 more classes)" in error
    assert "--cv 5 needs at least 5 rows in every class" in error
    assert "np." not in error and len(error) < 300


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("1.5,,x", "line 3, column 'f1': missing value (''); run without --no-preprocess"),
        ("1.5,NA,x", "line 3, column 'f1': missing value ('NA'); run without --no-preprocess"),
        ("red,2,x", "line 3, column 'f0': 'red' is not a number; run without --no-preprocess"),
        ("1.5,inf,x", "line 3, column 'f1': 'inf' is not finite"),
        ("1.5,2", "line 3: 2 fields, the first row has 3"),
    ],
    ids=["empty", "NA", "text", "inf", "ragged"],
)
def test_csv_errors_name_the_line_and_column_and_the_fix(tmp_path, capsys, parser, cells, message):
    path = tmp_path / "data.csv"
    path.write_text("f0,f1,label\n1,2,x\n" + cells + "\n3,4,y\n")
    assert main(["--data", str(path), NUMBERS]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error


def test_label_column_chosen_by_name_or_index(tmp_path, capsys, parser):
    X, y = make_problem(n_samples=60, n_features=3, separation=3.0)
    names = np.array(["cat", "dog", "eel"])[y]
    rows = ["species,a,b,c"] + [
        f"{label}," + ",".join(map(repr, row.tolist())) for row, label in zip(X, names, strict=True)
    ]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n")
    # Without --label the last column (a real number) is taken for the label.
    assert main(["--data", str(path), "--cv", "2", NUMBERS]) == 2
    error = capsys.readouterr().err
    assert "line 2, column 'species': " in error and "pass --label species" in error
    for label in ("species", "0", "-4"):
        args = ["--data", str(path), "--label", label, "--cv", "2", "--models", "softmax", NUMBERS]
        assert main([*args, "--loss", "cross_entropy"]) == 0
        assert "60 samples, 3 features, 3 classes" in capsys.readouterr().out
    assert main(["--data", str(path), "--label", "kind", NUMBERS]) == 2
    assert "no column named 'kind'" in capsys.readouterr().err


def test_labels_may_be_any_text_but_not_empty(tmp_path, capsys, parser):
    path = tmp_path / "data.csv"
    rows = [f"{i},{i % 3},{['None', 'NA', 'mild'][i % 3]}" for i in range(30)]
    path.write_text("a,b,severity\n" + "\n".join(rows) + "\n")
    args = ["--data", str(path), "--cv", "2", "--models", "softmax", "--loss", "cross_entropy"]
    args.append(NUMBERS)
    assert main(args) == 0  # "None" and "NA" are class names here
    assert "30 samples, 2 features, 3 classes" in capsys.readouterr().out
    path.write_text("a,b,severity\n1,2,mild\n3,4,\n5,6,NA\n")
    assert main(["--data", str(path), NUMBERS]) == 2
    error = capsys.readouterr().err.strip()
    assert "line 3, column 'severity': the label is missing ('')" in error
