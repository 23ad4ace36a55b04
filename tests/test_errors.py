"""One message per bad input, whichever data source raises it (in memory or Dask),
with the wording of the README's table (scikit-learn's where it has one)."""

import dask
import dask.array as da
import numpy as np
import pytest

from sklearn_softmax import SoftmaxClassifier

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 3))
Y = np.arange(40) % 2
ONE_CELL = np.eye(40, 3, dtype=bool)
FOURTH = np.arange(40) == 3

#: name -> (X, y, sample_weight, parameters, the README table's words)
CASES = {
    "one class": (X, np.zeros(40, int), None, {}, "only 1 class"),
    "NaN in X": (np.where(ONE_CELL, np.nan, X), Y, None, {}, "Input X contains NaN"),
    "infinity in X": (np.where(ONE_CELL, np.inf, X), Y, None, {}, "Input X contains infinity"),
    "NaN weight": (X, Y, np.where(FOURTH, np.nan, 1.0), {}, "contains NaN"),
    "infinite weight": (X, Y, np.where(FOURTH, np.inf, 1.0), {}, "contains infinity"),
    "negative weight": (X, Y, np.where(FOURTH, -1.0, 1.0), {}, "Negative values in data"),
    "zero weights": (X, Y, np.zeros(40), {}, "at least one non-zero number"),
    "zero class weights": (X, Y, None, {"class_weight": {0: 0.0, 1: 0.0}}, "sum to zero"),
    "continuous labels": (X, RNG.random(40), None, {}, "Unknown label type: continuous"),
}


def error_of(fit) -> str:
    with pytest.raises(ValueError) as error:
        fit()
    return str(error.value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_input_gets_the_same_message_in_memory_and_on_dask(case):
    X, y, weight, params, words = CASES[case]

    def chunked(a):
        return None if a is None else da.from_array(a, chunks=10)

    in_memory = error_of(lambda: SoftmaxClassifier(**params).fit(X, y, sample_weight=weight))
    with dask.config.set(scheduler="threads"):
        on_dask = error_of(
            lambda: SoftmaxClassifier(**params).fit(chunked(X), chunked(y), chunked(weight))
        )
    assert in_memory == on_dask
    assert words in in_memory
