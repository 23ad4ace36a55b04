"""A CSV as a table for the command line's preprocessing: columns kept as they are
(numbers, text, missing cells), read by pandas.

Rows whose label is missing are dropped and counted; every other problem is a
:class:`~._datafile.DataError` naming the file and, where it can, the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _datafile
from ._datafile import (
    MISSING,
    MISSING_FORMS,
    DataError,
    bad_cell,
    column_index,
    first_row,
    is_number,
)


@dataclass
class Table:
    """A CSV's features (a pandas DataFrame), labels (text), optional sample weights,
    the label column's name and how many rows were dropped for a missing label."""

    features: object
    labels: np.ndarray
    sample_weight: np.ndarray | None
    label_name: str
    dropped: int


def read_table(path: Path, label: str | None, weight: str | None = None) -> Table:
    """The CSV at ``path`` as a :class:`Table`: a header row if the first row has a
    field that is not a number (else columns named by their 0-based index); the
    label column by ``label`` (name or index; default the last); ``weight`` the
    column of sample weights (numbers, none missing, non-negative)."""
    pandas = _datafile._pandas()  # looked up at call time: tests hide pandas
    if pandas is None:
        raise DataError(
            "reading a CSV with its text and missing cells needs pandas (pip install pandas); "
            "or pass --no-preprocess for a table of numbers only"
        )
    try:
        with open(path, newline="", encoding="utf-8") as file:
            first_line, first = first_row(file)
            rows_after = sum(1 for row in csv.reader(file) if any(c.strip() for c in row))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    if first is None:
        raise DataError(f"{path} is empty: it holds no rows")
    if len(first) < 2:
        raise DataError(f"{path}: need at least 2 comma-separated fields (features and a label)")
    header = any(not is_number(cell) and cell.strip().lower() not in MISSING for cell in first)
    names = [cell.strip() for cell in first] if header else [str(j) for j in range(len(first))]
    if header and rows_after == 0:
        raise DataError(
            f"{path} is empty: a header ({', '.join(names[:8])}"
            f"{', ...' if len(names) > 8 else ''}) and no rows"
        )
    label_index = column_index(path, names, label, "--label")
    weight_index = None if weight is None else column_index(path, names, weight, "--sample-weight")
    if weight_index == label_index:
        raise DataError(f"{path}: --sample-weight and --label name the same column")
    try:
        frame = pandas.read_csv(
            path,
            header=None,
            names=names,
            skiprows=first_line if header else first_line - 1,
            dtype={names[label_index]: str},
            keep_default_na=False,  # a label "None" or "NA" is a class name
            na_values={name: MISSING_FORMS for j, name in enumerate(names) if j != label_index},
            encoding="utf-8",
            skipinitialspace=True,
        )
    except (ValueError, UnicodeDecodeError) as error:
        features = [j for j in range(len(names)) if j != label_index]
        skip = first_line if header else first_line - 1
        raise bad_cell(path, skip, features, label_index, names, label is not None) or DataError(
            f"cannot read {path}: {error}"
        ) from None
    labels = frame.pop(names[label_index]).fillna("").to_numpy(dtype=str)
    labels = np.char.strip(labels)
    keep = labels != ""
    sample_weight = None
    if weight_index is not None:
        sample_weight = _weights(path, frame.pop(names[weight_index]), keep)
    _check_finite(path, frame)
    features = frame.loc[keep].reset_index(drop=True)
    return Table(features, labels[keep], sample_weight, names[label_index], int((~keep).sum()))


def _weights(path: Path, column, keep: np.ndarray) -> np.ndarray:
    """The sample weights of the kept rows: numbers, none missing, none negative."""
    name = column.name
    if column.dtype.kind not in "iuf":
        raise DataError(f"{path}: the --sample-weight column {name!r} holds text, not numbers")
    weights = column.to_numpy(dtype=np.float64)[keep]
    if not np.isfinite(weights).all():
        raise DataError(
            f"{path}: the --sample-weight column {name!r} has missing or infinite cells"
        )
    if (weights < 0).any():
        raise DataError(f"{path}: the --sample-weight column {name!r} has negative weights")
    return weights


def _check_finite(path: Path, frame) -> None:
    """Refuse infinite numbers: imputation fills missing cells, not infinite ones."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "f" and np.isinf(column.to_numpy()).any():
            row = int(np.flatnonzero(np.isinf(column.to_numpy()))[0]) + 1
            raise DataError(
                f"{path}, column {name!r}: an infinite value (data row {row}); "
                "replace it or drop the row"
            )
