"""The error table of the docs (docs/user_guide/inputs.md) is true: each row's
exception is raised, with the row's text, by the input the row describes."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_softmax import SoftmaxClassifier

PAGE = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "inputs.md"
ROWS = [
    re.sub(r"^`+ ?| ?`+$", "", cell)
    for cell in re.findall(r"^\| (`.+?`) \|", PAGE.read_text(), flags=re.MULTILINE)
]

RNG = np.random.RandomState(0)
X = RNG.randn(20, 5)
y = np.arange(20) % 3


def _with(value, row=0, column=0):
    copy = X.copy()
    copy[row, column] = value
    return copy


def _fitted(**params):
    return SoftmaxClassifier(**params).fit(X, y)


#: The call that provokes each row, by the row's first column.
TRIGGERS = {
    "ValueError: Input X contains NaN": lambda: SoftmaxClassifier().fit(_with(np.nan), y),
    "ValueError: Input X contains infinity or a value too large for dtype('float64')": (
        lambda: SoftmaxClassifier().fit(_with(np.inf), y)
    ),
    "ValueError: Unknown label type: continuous": lambda: SoftmaxClassifier().fit(X, y + 0.5),
    "ValueError: y should be a 1d array, got an array of shape ... instead": (
        lambda: SoftmaxClassifier().fit(X, np.c_[y, y])
    ),
    "ValueError: SoftmaxClassifier needs samples of at least 2 classes in the data, "
    "but the data contains only 1 class": lambda: SoftmaxClassifier().fit(X, np.zeros(20)),
    "ValueError: Found input variables with inconsistent numbers of samples": (
        lambda: SoftmaxClassifier().fit(X, y[:-1])
    ),
    "ValueError: Found array with 0 sample(s)": lambda: SoftmaxClassifier().fit(X[:0], y[:0]),
    "ValueError: Found array with 0 feature(s)": lambda: SoftmaxClassifier().fit(X[:, :0], y),
    "ValueError: Negative values in data passed to `sample_weight`": (
        lambda: SoftmaxClassifier().fit(X, y, sample_weight=-np.ones(20))
    ),
    "ValueError: Sample weights must contain at least one non-zero number": (
        lambda: SoftmaxClassifier().fit(X, y, sample_weight=np.zeros(20))
    ),
    "ValueError: The sample weights (times the class weights) sum to zero": (
        lambda: SoftmaxClassifier(class_weight={0: 0, 1: 0, 2: 0}).fit(X, y)
    ),
    "ValueError: X has 3 features, but SoftmaxClassifier is expecting 5 features as input": (
        lambda: _fitted().predict(X[:, :3])
    ),
    "InvalidParameterError: The 'C' parameter of SoftmaxClassifier must be a float in the "
    "range (0.0, inf]": lambda: SoftmaxClassifier(C=-1).fit(X, y),
    "ValueError: label_smoothing applies to loss='cross_entropy' only": (
        lambda: SoftmaxClassifier(loss="hinge", label_smoothing=0.1).fit(X, y)
    ),
    "AttributeError: This 'SoftmaxClassifier' has no attribute 'predict_proba'": (
        lambda: _fitted(loss="hinge").predict_proba(X)
    ),
    "NotFittedError: This SoftmaxClassifier instance is not fitted yet": (
        lambda: SoftmaxClassifier().predict(X)
    ),
    "ConvergenceWarning: L-BFGS stopped at max_iter=...": lambda: _fitted(max_iter=2),
}
TYPES = {
    "ValueError": ValueError,
    "AttributeError": AttributeError,
    "InvalidParameterError": InvalidParameterError,
    "NotFittedError": NotFittedError,
    "ConvergenceWarning": ConvergenceWarning,
}


def _pattern(text):
    """The row's message as a regular expression: "..." matches any text."""
    return ".*".join(re.escape(part.strip()) for part in text.split("..."))


def test_the_table_and_the_triggers_list_the_same_rows():
    assert len(ROWS) >= 15
    assert sorted(ROWS) == sorted(TRIGGERS)


@pytest.mark.parametrize("row", sorted(TRIGGERS), ids=lambda row: row.split(":")[0])
def test_each_row_is_raised_with_its_text(row):
    name, message = row.split(": ", 1)
    kind = TYPES[name]
    if issubclass(kind, Warning):
        with pytest.warns(kind, match=_pattern(message)):
            TRIGGERS[row]()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(kind, match=_pattern(message)):
            TRIGGERS[row]()


def test_the_hinge_probability_error_names_its_cause():
    with pytest.raises(AttributeError) as raised:
        _fitted(loss="hinge").predict_proba(X)
    assert "predict_proba is not available when loss='hinge'" in str(raised.value.__cause__)
