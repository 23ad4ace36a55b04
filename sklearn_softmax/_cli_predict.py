"""``--save`` and ``python -m sklearn_softmax predict``: a fitted pipeline written with
what it needs to read new files (its feature columns, the label column and kind, the
versions it was fitted with), and applied to a new CSV or libsvm file.

Loading a model file runs code (pickle): load only files you trust.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import joblib
import numpy as np
import sklearn

from . import __version__
from ._cli_models import Columns
from ._datafile import MISSING_FORMS, DataError, is_csv, read_svmlight

#: What a saved file holds besides the pipeline.
FORMAT = "sklearn_softmax model 1"


def label_kind(labels: np.ndarray) -> str:
    """``"number"`` if every label reads as a number, else ``"text"``."""
    try:
        np.asarray(labels, dtype=np.float64)
    except ValueError:
        return "text"
    return "number"


def save(
    path: Path, pipeline, *, name: str, columns, label: str, labels, source: str, categories
) -> None:
    """Write the fitted ``pipeline`` and its reading instructions to ``path``: the
    feature ``columns`` of a CSV (None: a libsvm file), and the ``categories`` among
    them if the pipeline takes a table (None: an array of numbers)."""
    record = {
        "categories": categories,
        "format": FORMAT,
        "pipeline": pipeline,
        "name": name,
        "columns": None if columns is None else list(columns),
        "n_features": pipeline.n_features_in_,
        "label": label,
        "label_kind": label_kind(labels),
        "classes": list(pipeline.classes_),
        "source": source,
        "versions": {"sklearn_softmax": __version__, "scikit-learn": sklearn.__version__},
    }
    joblib.dump(record, path)


def load(path: Path) -> dict:
    """The record :func:`save` wrote; its ``"differ"``: the versions that differ from
    these (``"scikit-learn 1.9.1 (now 1.8.0)"``), empty if none."""
    if not path.is_file():
        raise DataError(f"no such model file: {path}")
    try:
        record = joblib.load(path)
    except Exception as error:  # a file of another kind: say so in one line
        raise DataError(f"{path} is not a model file saved by --save ({error})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise DataError(f"{path} is not a model file saved by --save")
    now = {"sklearn_softmax": __version__, "scikit-learn": sklearn.__version__}
    record["differ"] = [
        f"{k} {v} (now {now[k]})" for k, v in record["versions"].items() if now[k] != v
    ]
    return record


def read_new(path: Path, record: dict, id_column: str | None):
    """``(X, labels or None, ids or None)`` of a new file, in the model's columns."""
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    if not is_csv(path):
        if id_column is not None:
            raise DataError(f"{path}: --id applies to CSV files")
        X, y = read_svmlight(path)
        if record["columns"] is not None:
            raise DataError(f"the model was fitted on a CSV table; {path} is a libsvm file")
        if X.shape[1] > record["n_features"]:
            raise DataError(
                f"{path} has {X.shape[1]} features; the model takes {record['n_features']}"
            )
        X.resize(X.shape[0], record["n_features"])
        return X, np.asarray(y).astype(str), None
    if record["columns"] is None:
        raise DataError(f"the model was fitted on a libsvm file or the digits; {path} is a CSV")
    import pandas  # a CSV model was fitted through pandas

    try:
        frame = pandas.read_csv(  # the missing-cell markers of training (_datatable)
            path,
            dtype={record["label"]: str},
            keep_default_na=False,
            na_values=MISSING_FORMS,
            skipinitialspace=True,
        )
    except (ValueError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    columns = record["columns"]
    missing = [name for name in [*columns, id_column] if name is not None and name not in frame]
    if missing:
        raise DataError(f"{path} has no column {missing[0]!r}, which the model needs")
    labels = None
    if record["label"] in frame:
        labels = frame[record["label"]].fillna("").str.strip().to_numpy(dtype=str)
        kind = label_kind(labels[labels != ""])
        if labels.size and kind != record["label_kind"]:
            raise DataError(
                f"{path}: the label column {record['label']!r} holds {kind} labels; the "
                f"model was fitted on {record['label_kind']} labels"
            )
    ids = None if id_column is None else frame[id_column].to_numpy()
    if record["categories"] is None:
        X = frame[columns].to_numpy(dtype=np.float64)
    else:
        X = Columns([], record["categories"]).with_text_categories(frame[columns])
    return X, labels, ids


def predictions(record: dict, X, ids=None):
    """A pandas DataFrame: the ids (if any), the predicted label and, for
    cross-entropy, a probability column per class."""
    import pandas

    pipeline = record["pipeline"]
    out = pandas.DataFrame()
    if ids is not None:
        out["id"] = ids
    out["prediction"] = pipeline.predict(X)
    if hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(X)
        for k, label in enumerate(pipeline.classes_):
            out[f"probability_{label}"] = proba[:, k]
    return out


def parse_predict_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_softmax predict",
        description="Apply a model saved by --save to a new CSV (the columns it was fitted "
        "on, by name) or libsvm file and write its predictions as CSV. Loading a model file "
        "runs code: load only files you trust.",
    )
    parser.add_argument("model", type=Path, help="the file --save wrote")
    parser.add_argument("data", type=Path, help="the new CSV or libsvm file")
    parser.add_argument("--out", type=Path, help="where to write the CSV (default: stdout)")
    parser.add_argument(
        "--id", metavar="COLUMN", help="a column of the new CSV to copy into the output"
    )
    return parser.parse_args(argv)


def main_predict(argv) -> int:
    """``python -m sklearn_softmax predict MODEL DATA [--out FILE] [--id COLUMN]``."""
    args = parse_predict_args(argv)
    try:
        record = load(args.model)
        if record["differ"]:
            print(
                f"warning: {args.model} was saved with {', '.join(record['differ'])}: "
                "predictions may differ or fail",
                file=sys.stderr,
            )
        X, labels, ids = read_new(args.data, record, args.id)
        table = predictions(record, X, ids)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {args.data}: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    if args.out is None:
        try:
            table.to_csv(sys.stdout, index=False)
        except BrokenPipeError:  # the reader (head, less) stopped early: not an error
            sys.stderr.close()
            return 0
    else:
        table.to_csv(args.out, index=False)
        print(f"wrote {len(table)} predictions to {args.out}", file=sys.stderr)
    if labels is not None:
        known = labels != ""
        predicted = table["prediction"].to_numpy().astype(str)
        accuracy = np.mean(predicted[known] == labels[known])
        print(
            f"accuracy {accuracy:.4f} on the {known.sum()} rows with a label ({record['label']!r})",
            file=sys.stderr,
        )
    return 0
