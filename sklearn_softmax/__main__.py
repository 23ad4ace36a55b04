"""``python -m sklearn_softmax``: cross-validate every loss next to scikit-learn's models.

By default on scikit-learn's bundled digits (no download); ``--data PATH`` reads a
CSV file (label in the last column or ``--label``, an optional header row) or a
libsvm/svmlight file; ``--models`` chooses which models run. Every argument and
model parameter is checked before the first fit. Prints one line per model as it
goes, then a table of accuracy, cross-entropy, Crammer-Singer hinge and fit time,
all cross-validated (the finished rows also when a later model fails).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from . import SoftmaxClassifier
from ._datafile import DataError, read_data
from ._losses import LOSSES, MULTICLASS_HINGES
from .metrics import neg_cross_entropy_scorer, neg_hinge_scorer

#: The ``--models`` choices: ours (one per ``--loss``) and scikit-learn's.
MODELS = ("softmax", "logistic", "linear_svc")


def models(chosen, losses, multiclass_hinge: str, C: float, sparse: bool):
    """``(name, estimator)`` pairs of the ``chosen`` :data:`MODELS`: ours for each
    loss, then scikit-learn's."""
    scale = (lambda: StandardScaler(with_mean=False)) if sparse else StandardScaler
    if "softmax" in chosen:
        for loss in losses:
            name = f"SoftmaxClassifier({loss}"
            name += f", {multiclass_hinge})" if loss != "cross_entropy" else ")"
            model = SoftmaxClassifier(loss=loss, multiclass_hinge=multiclass_hinge, C=C)
            yield name, make_pipeline(scale(), model)
    if "logistic" in chosen:
        yield "LogisticRegression", make_pipeline(scale(), LogisticRegression(C=C, max_iter=1000))
    if "linear_svc" in chosen:
        yield (
            "LinearSVC(crammer_singer)",
            make_pipeline(scale(), LinearSVC(C=C, multi_class="crammer_singer")),
        )


def check_parameters(name: str, pipeline) -> None:
    """Raise ValueError, naming the model, if a step's parameters are invalid
    (scikit-learn's own check, run by ``fit``)."""
    for _, step in pipeline.steps:
        try:
            step._validate_params()
        except ValueError as error:
            raise ValueError(f"{name}: {error} (choose the models with --models)") from None


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
        help="a CSV file (label in the last column, or see --label) or a libsvm/svmlight "
        "file; default: scikit-learn's digits",
    )
    parser.add_argument(
        "--label",
        metavar="COLUMN",
        help="the CSV's label column: a header name or a 0-based index (default: the last)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODELS,
        default=list(MODELS),
        help="which models to cross-validate (default: all; LinearSVC(crammer_singer) "
        "is the slowest on large data)",
    )
    parser.add_argument("--loss", nargs="+", choices=LOSSES, default=list(LOSSES))
    parser.add_argument("--multiclass-hinge", choices=MULTICLASS_HINGES, default="crammer_singer")
    parser.add_argument(
        "--C", type=float, default=1.0, help="inverse penalty strength (> 0; inf: no penalty)"
    )
    parser.add_argument("--cv", type=int, default=5, help="number of folds (>= 2)")
    args = parser.parse_args(argv)
    if not args.C > 0:
        parser.error(f"--C must be positive, got {args.C}")
    if args.cv < 2:
        parser.error(f"--cv must be at least 2, got {args.cv}")
    if args.label is not None and args.data is None:
        parser.error("--label needs --data")
    return args


def describe_counts(classes, counts, limit: int = 5) -> str:
    """``{label: count, ...}`` of the ``limit`` rarest classes, and how many more."""
    order = np.argsort(counts, kind="stable")[:limit]
    shown = ", ".join(f"{classes[i]!r}: {counts[i]}" for i in order)
    more = f", ... ({classes.size - limit} more)" if classes.size > limit else ""
    return "{" + shown + more + "}"


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.data is None:
            X, y = load_digits(return_X_y=True)
            source = "scikit-learn's digits"
        else:
            X, y = read_data(args.data, args.label)
            source = str(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2 or counts.min() < args.cv:
        print(
            f"error: need at least 2 classes with at least --cv={args.cv} samples each; "
            f"got {classes.size} (rarest: {describe_counts(classes, counts)})",
            file=sys.stderr,
        )
        return 2
    sparse = not isinstance(X, np.ndarray)
    chosen = list(models(args.models, args.loss, args.multiclass_hinge, args.C, sparse))
    try:
        for name, estimator in chosen:
            check_parameters(name, estimator)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{source}: {X.shape[0]} samples, {X.shape[1]} features, {classes.size} classes; "
        f"{args.cv}-fold cross-validation, C={args.C}",
        flush=True,
    )
    rows = []
    for name, estimator in chosen:
        start = time.perf_counter()
        print(f"  {name} ...", end="", flush=True)
        try:
            rows.append((name, evaluate(estimator, X, y, args.cv)))
        except ValueError as error:  # data the models reject: say why in one line
            message = " ".join(str(error).split())
            print(flush=True)
            if rows:
                print()
                print(format_table(rows), flush=True)
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
