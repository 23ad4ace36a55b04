"""``python -m sklearn_softmax``: cross-validate every loss next to scikit-learn's models.

By default on scikit-learn's bundled digits (no download); ``--data PATH`` reads a
CSV file (label in the last column, an optional header row) or a libsvm/svmlight
file. Prints one line per model as it goes, then a table of accuracy,
cross-entropy, Crammer-Singer hinge and fit time, all cross-validated.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, load_svmlight_file
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import type_of_target

from . import SoftmaxClassifier
from ._losses import LOSSES, MULTICLASS_HINGES
from .metrics import neg_cross_entropy_scorer, neg_hinge_scorer


class DataError(Exception):
    """A data file that cannot be read; the message is shown as is."""


def read_csv(path: Path):
    """Features (float) and labels (last column, as text) of a CSV file."""
    try:
        with open(path, newline="") as file:
            rows = [row for row in csv.reader(file) if row and any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    if not rows:
        raise DataError(f"{path} holds no rows")

    def numeric(row):
        try:
            [float(cell) for cell in row[:-1]]
        except ValueError:
            return False
        return True

    if not numeric(rows[0]):
        rows = rows[1:]  # a header
    widths = {len(row) for row in rows}
    if len(widths) != 1 or widths.pop() < 2:
        raise DataError(
            f"{path}: every row needs the same number (at least 2) of comma-separated fields"
        )
    try:
        X = np.array([[float(cell) for cell in row[:-1]] for row in rows])
    except ValueError as error:
        raise DataError(f"{path}: a feature is not a number ({error})") from None
    if not np.isfinite(X).all():
        raise DataError(f"{path}: the features hold NaN or infinite values")
    y = np.array([row[-1].strip() for row in rows])
    return X, y


def read_data(path: Path):
    """``(X, y)`` from a CSV (``.csv``) or libsvm/svmlight file."""
    if not path.exists():
        raise DataError(f"no such file: {path}")
    if not path.is_file():
        raise DataError(f"not a file: {path}")
    if path.suffix.lower() == ".csv":
        return read_csv(path)
    try:
        X, y = load_svmlight_file(str(path))
    except (ValueError, UnicodeDecodeError, OSError) as error:
        raise DataError(
            f"{path} is neither a .csv file nor a libsvm/svmlight file ({error})"
        ) from None
    if type_of_target(y) == "continuous":
        raise DataError(f"{path}: the labels are real numbers, not classes")
    if not np.isfinite(X.data).all():
        raise DataError(f"{path}: the features hold NaN or infinite values")
    return X, y


def models(losses, multiclass_hinge: str, C: float, sparse: bool):
    """``(name, estimator)`` pairs: ours for each loss, then scikit-learn's."""
    scale = (lambda: StandardScaler(with_mean=False)) if sparse else StandardScaler
    for loss in losses:
        name = f"SoftmaxClassifier({loss}"
        name += f", {multiclass_hinge})" if loss != "cross_entropy" else ")"
        yield (
            name,
            make_pipeline(
                scale(), SoftmaxClassifier(loss=loss, multiclass_hinge=multiclass_hinge, C=C)
            ),
        )
    yield "LogisticRegression", make_pipeline(scale(), LogisticRegression(C=C, max_iter=1000))
    yield (
        "LinearSVC(crammer_singer)",
        make_pipeline(scale(), LinearSVC(C=C, multi_class="crammer_singer")),
    )


def evaluate(estimator, X, y, cv: int):
    """Mean cross-validated accuracy, cross-entropy, hinge and fit time."""
    scoring = {"accuracy": "accuracy", "hinge": neg_hinge_scorer}
    if hasattr(estimator, "predict_proba"):
        scoring["cross_entropy"] = neg_cross_entropy_scorer
    folds = StratifiedKFold(cv, shuffle=True, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        results = cross_validate(estimator, X, y, cv=folds, scoring=scoring, error_score="raise")
    row = {
        "accuracy": results["test_accuracy"].mean(),
        "hinge": -results["test_hinge"].mean(),
        "cross_entropy": -results["test_cross_entropy"].mean()
        if "test_cross_entropy" in results
        else None,
        "fit_time": results["fit_time"].mean(),
        "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
    }
    return row


def format_table(rows) -> str:
    header = ("model", "accuracy", "cross-entropy", "hinge", "fit time (s)")
    lines = [
        (
            name + (" *" if row["warned"] else ""),
            f"{row['accuracy']:.4f}",
            "n/a" if row["cross_entropy"] is None else f"{row['cross_entropy']:.4f}",
            f"{row['hinge']:.4f}",
            f"{row['fit_time']:.3f}",
        )
        for name, row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells):
        first = cells[0].ljust(widths[0])
        return "  ".join(
            [first] + [cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True)]
        )

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([render(header), rule, *map(render, lines)])


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_softmax",
        description="Cross-validate SoftmaxClassifier with each loss next to "
        "LogisticRegression and LinearSVC (features standardized for all).",
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="a CSV file (label in the last column) or a libsvm/svmlight file; "
        "default: scikit-learn's digits",
    )
    parser.add_argument("--loss", nargs="+", choices=LOSSES, default=list(LOSSES))
    parser.add_argument("--multiclass-hinge", choices=MULTICLASS_HINGES, default="crammer_singer")
    parser.add_argument("--C", type=float, default=1.0, help="inverse penalty strength (> 0)")
    parser.add_argument("--cv", type=int, default=5, help="number of folds (>= 2)")
    args = parser.parse_args(argv)
    if not args.C > 0:
        parser.error(f"--C must be positive, got {args.C}")
    if args.cv < 2:
        parser.error(f"--cv must be at least 2, got {args.cv}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.data is None:
            X, y = load_digits(return_X_y=True)
            source = "scikit-learn's digits"
        else:
            X, y = read_data(args.data)
            source = str(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2 or counts.min() < args.cv:
        print(
            f"error: need at least 2 classes with at least --cv={args.cv} samples each; "
            f"got {dict(zip(classes.tolist(), counts.tolist(), strict=True))}",
            file=sys.stderr,
        )
        return 2
    print(
        f"{source}: {X.shape[0]} samples, {X.shape[1]} features, {classes.size} classes; "
        f"{args.cv}-fold cross-validation, C={args.C}",
        flush=True,
    )
    rows = []
    sparse = not isinstance(X, np.ndarray)
    for name, estimator in models(args.loss, args.multiclass_hinge, args.C, sparse):
        start = time.perf_counter()
        print(f"  {name} ...", end="", flush=True)
        try:
            rows.append((name, evaluate(estimator, X, y, args.cv)))
        except ValueError as error:  # data the models reject: say why in one line
            message = " ".join(str(error).split())
            print(flush=True)
            print(f"error: {name} cannot be fitted: {message}", file=sys.stderr)
            return 2
        print(f" {time.perf_counter() - start:.1f} s", flush=True)
    print()
    print(format_table(rows))
    if any(row["warned"] for _, row in rows):
        print("* ConvergenceWarning in at least one fold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
