"""Data files for the command line: CSV (pandas' or numpy's C reader) and libsvm/svmlight.

Every error is a :class:`DataError` whose one-line message names the file, and for
a CSV cell its line and column, and says what to do.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.utils.multiclass import type_of_target

#: Feature cells that mean "missing" (the common ones among pandas' defaults), in
#: any case.
MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "?"}
#: The same, as the cells pandas is told to read as missing (lower, upper, title case).
MISSING_FORMS = sorted({form for cell in MISSING for form in (cell, cell.upper(), cell.title())})


class DataError(Exception):
    """A data file that cannot be used; the message is shown as is."""


class Dataset(NamedTuple):
    """Features, labels, sample weights (or None), the feature columns' names (None
    for a libsvm file) and the label column's name."""

    X: object
    y: np.ndarray
    sample_weight: np.ndarray | None
    columns: list[str] | None
    label: str


def read_data(path: Path, label: str | None = None, weight: str | None = None) -> Dataset:
    """The :class:`Dataset` of a CSV (``.csv``) or libsvm/svmlight file;
    ``label``: the CSV's label column (a header name or a 0-based index, negative
    from the end; default the last); ``weight``: its column of sample weights
    (None: no weights)."""
    if not path.exists():
        raise DataError(f"no such file: {path}")
    if not path.is_file():
        raise DataError(f"not a file: {path}")
    sample_weight, columns = None, None
    if is_csv(path):
        X, y, label_name, columns = read_csv(path, label, weight=weight)
        if weight is not None:
            X, sample_weight = X[:, :-1], X[:, -1].copy()
            if (sample_weight < 0).any():
                raise DataError(
                    f"{path}: the --sample-weight column {weight!r} has negative weights"
                )
    else:
        for option, value in (("--label", label), ("--sample-weight", weight)):
            if value is not None:
                raise DataError(
                    f"{path}: {option} applies to CSV files (libsvm files hold no names)"
                )
        X, y = read_svmlight(path)
        label_name = "label"
    check_labels(path, y, label_name)
    return Dataset(X, y, sample_weight, columns, label_name)


def is_csv(path: Path) -> bool:
    """Whether ``path`` is read as a CSV file (by its suffix, ``.csv``)."""
    return path.suffix.lower() == ".csv"


def read_svmlight(path: Path):
    """``(X, y)`` of a libsvm/svmlight file."""
    try:
        X, y = load_svmlight_file(str(path))
    except (ValueError, UnicodeDecodeError, OSError) as error:
        raise DataError(
            f"{path} is neither a .csv file nor a libsvm/svmlight file ({error})"
        ) from None
    if not np.isfinite(X.data).all():
        raise DataError(f"{path}: the features hold NaN or infinite values")
    return X, y


def read_csv(
    path: Path, label: str | None, *, weight: str | None = None, reader: str | None = None
):
    """Features (float) and labels (text) of a CSV file, the label column's name and
    the other columns' names; the ``weight`` column, if given, is the features' last
    column (and not among the names).

    An optional header row (a first row with a feature field that is neither a
    number nor a missing-value marker). Parsed by pandas' C reader when pandas is
    installed, else by ``numpy.loadtxt`` (C code in numpy 2, about 6 times slower
    than pandas on a 190 MB file: ``benchmarks/notes.md`` f); ``reader`` ("pandas"
    or "numpy") chooses one. Only on a failure is the file scanned line by line to
    name the bad cell.
    """
    try:
        with open(path, newline="", encoding="utf-8") as file:
            first_line, first = first_row(file)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    if first is None:
        raise DataError(f"{path} is empty: it holds no rows")
    if len(first) < 2:
        raise DataError(
            f"{path}: need at least 2 comma-separated fields (features, then the label)"
        )
    label_index = column_index(path, [cell.strip() for cell in first], label, "--label")
    weight_index = None
    if weight is not None:
        weight_index = column_index(
            path, [cell.strip() for cell in first], weight, "--sample-weight"
        )
    others = [j for j in range(len(first)) if j not in (label_index, weight_index)]
    features = others + ([] if weight_index is None else [weight_index])
    header = any(
        not is_number(first[j]) and first[j].strip().lower() not in MISSING for j in features
    )
    names = [cell.strip() for cell in first] if header else [str(j) for j in range(len(first))]
    skip = first_line if header else first_line - 1
    if reader is None:
        reader = "pandas" if _pandas() is not None else "numpy"
    parse = {"pandas": _parse_with_pandas, "numpy": _parse_with_numpy}[reader]

    def bad():
        return bad_cell(path, skip, features, label_index, names, label is not None)

    if header and not _has_rows(path, skip):
        raise DataError(
            f"{path} is empty: a header ({', '.join(names[:8])}"
            f"{', ...' if len(names) > 8 else ''}) and no rows"
        )
    try:
        X, y = parse(path, skip, features, label_index)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad() or DataError(f"cannot read {path}: {error}") from None
    if not np.isfinite(X).all() or not all(y):
        raise bad() or DataError(
            f"{path}: the features hold NaN or infinite values, or a label is missing"
        )
    return X, y, names[label_index], [names[j] for j in others]


def _pandas():
    """The pandas module, or None if it is not installed."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _parse_with_pandas(path: Path, skip: int, features: list[int], label_index: int):
    """``(X, y)`` by ``pandas.read_csv``; ValueError if a feature is not numeric."""
    frame = _pandas().read_csv(
        path,
        header=None,
        skiprows=skip,
        dtype={label_index: str},
        keep_default_na=False,  # a label "None" or "NA" is a class name
        na_values={j: MISSING_FORMS for j in features},
        encoding="utf-8",
    )
    if frame.shape[1] != len(features) + 1:
        raise ValueError("another number of fields than the first row")
    labels, frame = frame[label_index], frame[features]  # the features in the order asked
    if any(kind.kind not in "iuf" for kind in frame.dtypes):
        raise ValueError("a feature column is not numeric")
    y = labels.fillna("").to_numpy(dtype=str)
    return frame.to_numpy(dtype=np.float64), np.char.strip(y)


def _parse_with_numpy(path: Path, skip: int, features: list[int], label_index: int):
    """``(X, y)`` by two ``numpy.loadtxt`` passes (features as floats, labels as text)."""
    options = {"delimiter": ",", "quotechar": '"', "skiprows": skip, "encoding": "utf-8"}
    X = np.loadtxt(path, usecols=features, dtype=np.float64, ndmin=2, **options)
    y = np.loadtxt(path, usecols=[label_index], dtype=str, ndmin=1, **options)
    return X, np.char.strip(y)


def first_row(file):
    """``(line number, fields)`` of the first non-blank row (``(0, None)`` if none)."""
    for number, row in enumerate(csv.reader(file), start=1):
        if row and any(cell.strip() for cell in row):
            return number, row
    return 0, None


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def column_index(path: Path, names: list[str], spec: str | None, option: str) -> int:
    """The column ``option`` names by ``spec``: a header name, a 0-based index
    (negative from the end), or, if None, the last."""
    if spec is None:
        return len(names) - 1
    if spec in names:
        return names.index(spec)
    try:
        index = int(spec)
    except ValueError:
        raise DataError(
            f"{path}: no column named {spec!r} in the header "
            f"({', '.join(names[:8])}{', ...' if len(names) > 8 else ''})"
        ) from None
    if not -len(names) <= index < len(names):
        raise DataError(f"{path}: {option} {index} is out of range for {len(names)} columns")
    return index % len(names)


def _has_rows(path: Path, skip: int) -> bool:
    """Whether a non-blank row follows the first ``skip`` lines."""
    with open(path, newline="", encoding="utf-8") as file:
        for number, row in enumerate(csv.reader(file), start=1):
            if number > skip and any(cell.strip() for cell in row):
                return True
    return False


def bad_cell(
    path: Path,
    skip: int,
    features: list[int],
    label_index: int,
    names: list[str],
    label_given: bool = False,
):
    """A :class:`DataError` naming the first line and column whose cell is not a
    finite number (a feature), is empty (the label), or the first line with another
    number of fields; None if there is none."""
    try:
        return _scan_for_bad_cell(path, skip, features, label_index, names, label_given)
    except UnicodeDecodeError as error:
        return DataError(f"cannot read {path}: it is not UTF-8 text ({error})")


def _scan_for_bad_cell(
    path: Path, skip: int, features: list[int], label_index: int, names: list[str], label_given
):
    width = len(names)
    with open(path, newline="", encoding="utf-8") as file:
        for number, row in enumerate(csv.reader(file), start=1):
            if number <= skip or not any(cell.strip() for cell in row):
                continue
            if len(row) != width:
                return DataError(
                    f"{path}, line {number}: {len(row)} fields, the first row has {width}; "
                    "every row needs the same number of comma-separated fields"
                )
            if not row[label_index].strip():
                return DataError(
                    f"{path}, line {number}, column {names[label_index]!r}: the label is "
                    f"missing ({row[label_index].strip()!r}); drop the row"
                )
            for j in features:
                cell = row[j].strip()
                where = f"{path}, line {number}, column {names[j]!r}"
                if cell.lower() in MISSING:
                    return DataError(
                        f"{where}: missing value ({cell!r}); run without --no-preprocess to "
                        "impute it, or drop the row"
                    )
                if not is_number(cell):
                    advice = "run without --no-preprocess to one-hot encode text columns"
                    if not label_given:
                        advice += (
                            ", or, if it holds the labels, pass --label "
                            f"{names[j] if names[j] != str(j) else j}"
                        )
                    return DataError(f"{where}: {cell!r} is not a number; {advice}")
                if not np.isfinite(float(cell)):
                    return DataError(f"{where}: {cell!r} is not finite; impute it or drop the row")
    return None


def check_labels(path: Path, y: np.ndarray, column: str) -> None:
    """Refuse labels that look like a continuous target (real numbers, most distinct)."""
    try:
        values = np.asarray(y, dtype=np.float64)
    except ValueError:
        return  # text labels are classes
    if type_of_target(values) == "continuous":
        distinct = np.unique(values)
        examples = ", ".join(f"{value:g}" for value in distinct[:3])
        raise DataError(
            f"{path}: the label column {column!r} looks like a continuous target "
            f"({distinct.size} distinct real values such as {examples}, ...); "
            "a classifier needs class labels (choose the label column with --label)"
        )
