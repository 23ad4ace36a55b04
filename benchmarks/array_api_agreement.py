"""Device fits against NumPy fits beyond the benchmark sets: every loss and penalty on
scikit-learn's bundled tables and on ``make_classification`` problems of several
shapes and seeds, each fitted on NumPy arrays and on PyTorch CPU tensors under
array-API dispatch.

    SCIPY_ARRAY_API=1 python benchmarks/array_api_agreement.py

Both fits at their defaults. Prints, per configuration and dtype, over the 13
problems: the largest relative difference of the two fits' objectives ``J / (C n)``
(evaluated in float64 on the host by the tests' independent formulas), how many
problems the device fit ended lower on, and the largest relative excess of each fit
over the optimum ``J*`` (a float64 NumPy fit at ``tol=1e-10``): whether the device
fit is as close to the optimum as the NumPy fit.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning

from sklearn_softmax import SoftmaxClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.oracles import model_objective

CONFIGS = [
    {"loss": "cross_entropy"},
    {"loss": "cross_entropy", "label_smoothing": 0.1},
    {"loss": "cross_entropy", "l1_ratio": 1.0},
    {"loss": "cross_entropy", "l1_ratio": 0.5, "class_weight": "balanced"},
    {"loss": "hinge", "multiclass_hinge": "crammer_singer"},
    {"loss": "hinge", "multiclass_hinge": "weston_watkins"},
    {"loss": "squared_hinge", "multiclass_hinge": "crammer_singer"},
    {"loss": "squared_hinge", "multiclass_hinge": "weston_watkins"},
    {"loss": "squared_hinge", "l1_ratio": 0.5},
]


def problems():
    for name, load in [
        ("iris", load_iris),
        ("wine", load_wine),
        ("breast_cancer", load_breast_cancer),
        ("digits", load_digits),
    ]:
        yield name, *load(return_X_y=True)
    for seed in range(3):
        for n, d, k in [(500, 5, 2), (2000, 20, 5), (3000, 60, 10)]:
            X, y = make_classification(
                n_samples=n,
                n_features=d,
                n_informative=max(2, d // 2),
                n_classes=k,
                n_clusters_per_class=1,
                random_state=seed,
            )
            X[:, 0] *= 100.0  # one feature in another unit
            yield f"make_classification({n}x{d}x{k}, seed {seed})", X, y


def objective(model, X, y) -> float:
    """``J / (C sum w)`` at ``model``'s weights in float64, by the tests' independent
    formulas (``tests/oracles.py``), with the balanced class weights where asked."""
    classes, index = np.unique(y, return_inverse=True)
    weights = None
    if model.class_weight == "balanced":
        weights = (y.size / (classes.size * np.bincount(index)))[index]
    return model_objective(model, X, index, weights)


def main() -> None:
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        sys.exit("Set SCIPY_ARRAY_API=1 first: scikit-learn's array-API dispatch needs it.")
    import torch

    data = list(problems())
    print(
        "| configuration | dtype | largest relative difference | device fit lower "
        "| NumPy fit over J* | device fit over J* |"
    )
    print("|---|---|---|---|---|---|")
    for config in CONFIGS:
        optima = []
        for _, X, y in data:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                optimum = SoftmaxClassifier(**{**config, "tol": 1e-10}).fit(X, y)
            optima.append(objective(optimum, X.astype(np.float64), y))
        for dtype in (np.float64, np.float32):
            largest, lower, excess = 0.0, 0, {"numpy": 0.0, "device": 0.0}
            for (_, X, y), best in zip(data, optima, strict=True):
                X = X.astype(dtype)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    ours = SoftmaxClassifier(**config).fit(X, y)
                    with sklearn.config_context(array_api_dispatch=True):
                        device = SoftmaxClassifier(**config).fit(torch.asarray(X), torch.asarray(y))
                device.coef_ = device.coef_.numpy()
                device.intercept_ = device.intercept_.numpy()
                X64 = X.astype(np.float64)
                a, b = objective(ours, X64, y), objective(device, X64, y)
                largest = max(largest, abs(b - a) / abs(a))
                lower += b < a
                excess["numpy"] = max(excess["numpy"], (a - best) / best)
                excess["device"] = max(excess["device"], (b - best) / best)
            name = ", ".join(f"{k}={v}" for k, v in config.items())
            print(
                f"| {name} | {np.dtype(dtype).name} | {largest:.1e} | {lower} of {len(data)} "
                f"| {excess['numpy']:.1e} | {excess['device']:.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
