"""``python -m sklearn_softmax``: cross-validate every loss next to scikit-learn's models.

By default on scikit-learn's bundled digits (no download); ``--data PATH`` reads a
CSV table (label in the last column or ``--label``, an optional header row) or a
libsvm/svmlight file. A CSV table is preprocessed as a scikit-learn user would
(text and categorical columns one-hot encoded, missing cells imputed, numbers
standardized; ``--no-preprocess`` for numbers only). Every argument and model
parameter is checked before the first fit. Prints one line per model as it goes,
then a table of accuracy, cross-entropy, Crammer-Singer hinge and fit time, all
cross-validated; ``--save`` writes the best (or the named) model fitted on all rows,
and ``python -m sklearn_softmax predict`` applies it to a new file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ._cli_evaluate import evaluate, fit, format_table
from ._cli_models import (
    MODELS,
    Columns,
    Settings,
    given,
    pipelines,
    table_preprocessing,
    table_preprocessing_code,
)
from ._cli_predict import main_predict, save
from ._datafile import DataError, is_csv, read_data
from ._datatable import read_table
from ._losses import LOSSES, MULTICLASS_HINGES
from ._settings import DEFAULT_SETTINGS

#: Options that only our models take, and their defaults.
OURS_ONLY = {"loss": None, "multiclass_hinge": None, "l1_ratio": [0.0]}


class DefaultsShown(argparse.HelpFormatter):
    """Help that shows each option's default, where it has one (not None or off)."""

    def _get_help_string(self, action):
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in action.help:
            return action.help
        return f"{action.help} (default: %(default)s)"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_softmax",
        description="Cross-validate SoftmaxClassifier with each loss next to "
        "LogisticRegression and LinearSVC on the same preprocessing. "
        "'python -m sklearn_softmax predict --help': apply a saved model to a new file.",
        formatter_class=DefaultsShown,
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="a CSV file (an optional header row; label in the last column, or see --label) "
        "or a libsvm/svmlight file; none: scikit-learn's digits",
    )
    parser.add_argument(
        "--label",
        metavar="COLUMN",
        help="the CSV's label column: a header name or a 0-based index; none: the last. "
        "Rows whose label is missing are dropped (their count is printed)",
    )
    parser.add_argument(
        "--no-preprocess",
        action="store_true",
        help="take the CSV's features as numbers only, standardized (a text or missing cell "
        "is an error naming its line and column); by default text and categorical columns "
        "are one-hot encoded (categories unseen in training ignored), missing cells imputed "
        "(median for numbers, most frequent for text) and numbers standardized",
    )
    parser.add_argument(
        "--sample-weight",
        metavar="COLUMN",
        help="a CSV column of sample weights (numbers >= 0), given to every model's fit and "
        "weighting every metric; none: equal weights",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODELS,
        default=list(MODELS),
        help="which models to cross-validate (LinearSVC(crammer_singer) is the slowest on "
        "large data)",
    )
    parser.add_argument(
        "--loss",
        nargs="+",
        choices=LOSSES,
        help=f"the losses of the softmax models; none: all ({', '.join(LOSSES)})",
    )
    parser.add_argument(
        "--multiclass-hinge",
        choices=MULTICLASS_HINGES,
        help="the multiclass hinge of the softmax models' hinge losses; none: crammer_singer",
    )
    parser.add_argument(
        "--C",
        type=float,
        nargs="+",
        default=[1.0],
        help="inverse penalty strength (> 0; inf: no penalty); several values: the softmax "
        "models choose among them by an inner 3-fold SoftmaxClassifierCV search, and "
        "scikit-learn's models keep C=1",
    )
    parser.add_argument(
        "--l1-ratio",
        type=float,
        nargs="+",
        default=[0.0],
        help="the softmax models' l1_ratio in [0, 1] (0: L2, 1: L1, between: elastic net); "
        "several values: searched with --C",
    )
    parser.add_argument(
        "--class-weight",
        choices=["balanced"],
        help="class weights for every model ('balanced': inversely proportional to the "
        "class frequencies); none: equal",
    )
    parser.add_argument("--cv", type=int, default=5, help="number of folds (>= 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="BLAS threads every model's fits run under (threadpoolctl), for fair times",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="FILE",
        help="after the table, fit the model the run names (one --models/--loss) or else the "
        "best mean accuracy on all rows, and write it (joblib) for 'predict'",
    )
    args = parser.parse_args(argv)
    if not all(C > 0 for C in args.C):
        parser.error(f"--C must be positive, got {' '.join(map(str, args.C))}")
    if not all(0 <= r <= 1 for r in args.l1_ratio):
        parser.error(f"--l1-ratio must be in [0, 1], got {' '.join(map(str, args.l1_ratio))}")
    if args.cv < 2:
        parser.error(f"--cv must be at least 2, got {args.cv}")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    for option in ("label", "sample_weight"):
        if getattr(args, option) is not None and args.data is None:
            parser.error(f"--{option.replace('_', '-')} needs --data")
    if "softmax" not in args.models:
        for option, default in OURS_ONLY.items():
            if getattr(args, option) != default:
                parser.error(
                    f"--{option.replace('_', '-')} applies to the softmax models, and "
                    f"--models {' '.join(args.models)} runs none of them"
                )
        if len(args.C) > 1:
            parser.error("several --C values are searched by the softmax models only")
    return args


def class_problem(y, label: str, cv: int) -> str | None:
    """Why the labels cannot be cross-validated in ``cv`` stratified folds, or None."""
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        return (
            f"the label column {label!r} holds one class ('{classes[0]}'); "
            "a classifier needs at least 2"
        )
    rare = np.flatnonzero(counts < cv)
    if rare.size == 0:
        return None
    order = rare[np.argsort(counts[rare], kind="stable")]
    named = ", ".join(
        f"'{classes[i]}' has {counts[i]} row{'' if counts[i] == 1 else 's'}" for i in order[:3]
    )
    more = f" (and {order.size - 3} more classes)" if order.size > 3 else ""
    return f"class {named}{more}; --cv {cv} needs at least {cv} rows in every class"


def load(args):
    """``(X, y, sample_weight, columns, label name, source, table preprocessing)``."""
    if args.data is None:
        X, y = load_digits(return_X_y=True)
        return X, y, None, None, "digit", "scikit-learn's digits", None
    if is_csv(args.data) and not args.no_preprocess:
        if not args.data.is_file():
            raise DataError(
                f"{'no such file' if not args.data.exists() else 'not a file'}: {args.data}"
            )
        table = read_table(args.data, args.label, args.sample_weight)
        if table.dropped:
            print(f"{args.data}: dropped {table.dropped} rows whose label is missing")
        columns = Columns.of(table.features)
        return (
            columns.with_text_categories(table.features),
            table.labels,
            table.sample_weight,
            list(table.features.columns),
            table.label_name,
            str(args.data),
            columns,
        )
    data = read_data(args.data, args.label, args.sample_weight)
    return data.X, data.y, data.sample_weight, data.columns, data.label, str(args.data), None


def describe_columns(columns: Columns) -> str:
    parts = []
    if columns.numbers:
        parts.append(f"numbers (median-imputed, standardized): {', '.join(columns.numbers)}")
    if columns.categories:
        parts.append(
            "categories (most-frequent-imputed, one-hot encoded): " + ", ".join(columns.categories)
        )
    return "; ".join(parts)


def lanes(preprocessing, X, y, threads: int) -> int:
    """The lanes our fits' evaluations use on the preprocessed data (the core's rule)."""
    Z = preprocessing().fit_transform(X, y)
    n_stored = Z.nnz if sp.issparse(Z) else Z.size
    n_scores = 1 if np.unique(y).size == 2 else np.unique(y).size
    work = DEFAULT_SETTINGS.evaluation_work(n_stored, Z.shape[0], n_scores, np.float64)
    return DEFAULT_SETTINGS.lanes(work, threads)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["predict"]:
        return main_predict(argv[1:])
    args = parse_args(argv)
    try:
        X, y, sample_weight, names, label, source, columns = load(args)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problem = class_problem(y, label, args.cv)
    if problem is not None:
        print(f"error: {source}: {problem}", file=sys.stderr)
        return 2
    if columns is not None:
        preprocessing = partial(table_preprocessing, columns)
    else:
        preprocessing = partial(StandardScaler, with_mean=not sp.issparse(X))
    settings = Settings(
        losses=args.loss or list(LOSSES),
        multiclass_hinge=args.multiclass_hinge or "crammer_singer",
        Cs=args.C,
        l1_ratios=args.l1_ratio,
        class_weight=args.class_weight,
    )
    chosen = pipelines(args.models, settings, preprocessing)
    for name, pipeline in chosen:  # scikit-learn's own check, before any fit
        try:
            pipeline.steps[-1][1]._validate_params()
        except ValueError as error:
            print(f"error: {name}: {error} (choose the models with --models)", file=sys.stderr)
            return 2
    n_classes = np.unique(y).size
    print(
        f"{source}: {X.shape[0]} samples, {X.shape[1]} features, {n_classes} classes; "
        f"{args.cv}-fold cross-validation, C={' '.join(map(str, args.C))}",
        flush=True,
    )
    if columns is not None:
        print(f"preprocessing: {describe_columns(columns)}")
        print("as code:\n" + table_preprocessing_code(columns))
    rows = []
    for name, pipeline in chosen:
        start = time.perf_counter()
        print(f"  {name} ...", end="", flush=True)
        try:
            rows.append((name, evaluate(pipeline, X, y, args.cv, sample_weight, args.threads)))
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
    n_lanes = lanes(preprocessing, X, y, args.threads)
    print(
        f"Fit times: every model under a BLAS limit of {args.threads} thread"
        f"{'s' * (args.threads != 1)} (--threads); our fits evaluated in {n_lanes} "
        f"lane{'s' * (n_lanes != 1)}."
    )
    for name, pipeline in chosen:
        print("  " + given(name, pipeline.steps[-1][1], sample_weight is not None))
    if args.save is not None:
        if len(chosen) == 1:
            best = 0
        else:
            best = int(np.argmax([row["accuracy"] for _, row in rows]))
            print(f"saving {chosen[best][0]}: the best mean accuracy of the run")
        name, pipeline = chosen[best]
        with threadpool_limits(limits=args.threads):
            fit(pipeline, X, y, sample_weight)
        save(
            args.save,
            pipeline,
            name=name,
            columns=names,
            label=label,
            labels=y,
            source=source,
            categories=None if columns is None else columns.categories,
        )
        print(f"wrote {name}, fitted on all {X.shape[0]} rows, to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
