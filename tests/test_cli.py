"""``python -m sklearn_softmax``: the table on the bundled data, user files, one-line errors."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from sklearn_softmax.__main__ import main
from tests.oracles import make_problem


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


def test_csv_with_string_labels(tmp_path, capsys):
    X, y = make_problem(n_samples=60, n_features=3, separation=3.0)
    path = write_csv(tmp_path / "data.csv", X, np.array(["cat", "dog", "eel"])[y])
    assert main(["--data", str(path), "--cv", "3", "--loss", "squared_hinge"]) == 0
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
        ("", "holds no rows"),
        ("a,b,label\n1,2,x\n3,x\n", "same number"),
        ("1,2,x\n3,four,y\n", "not a number"),
        ("1,2,x\n3,4,x\n5,6,x\n", "at least 2 classes"),
        ("1,nan,x\n3,4,y\n5,6,x\n", "NaN or infinite"),
        (b"1,2,x\n3,\xff\xfe,y\n", "cannot read"),
    ],
    ids=["missing", "empty", "ragged", "text-feature", "one-class", "nan", "not-utf8"],
)
def test_bad_files_give_one_line_errors(tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main(["--data", str(path)]) == 2
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
    assert "labels are real numbers" in error and "\n" not in error


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
