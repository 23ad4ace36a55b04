"""Array-API fits on a device: SoftmaxClassifier against LogisticRegression on the
same arrays, both under ``array_api_dispatch=True``.

    SCIPY_ARRAY_API=1 python benchmarks/bench_gpu.py                       # CUDA, torch and CuPy
    SCIPY_ARRAY_API=1 python benchmarks/bench_gpu.py --device cpu --namespaces torch \\
        --synthetic 200000 200 20 --datasets letter satimage    # what fits a CPU machine

``SCIPY_ARRAY_API=1`` must be set before scipy is imported (scikit-learn's dispatch
needs it). For each data set (the dense ones of ``../shared/data``; R8 is sparse text,
which stays on NumPy) and a synthetic ``make_classification`` problem of ``--synthetic
n d K`` (default 1,000,000 x 500 x 20), in float32 and float64, both default fits,
``SoftmaxClassifier()`` and ``LogisticRegression()`` (lbfgs, ``C=1``: the same
objective), run alternately on the same device arrays. Reports the median wall time
of ``--repeats`` fits (the device synchronized before the clock starts and before it
stops), the iterations, and the objective each reached, ``J / n = mean loss +
||W||^2 / (2 n)``, evaluated in float64 on the device by blocks of rows, and the
ratios ours / theirs. "ours to LR's J": the first of our iterations whose objective
(``loss_curve_``, the same ``J / n``) is at most ``LogisticRegression``'s final one,
and our median time scaled by its share of our iterations (an estimate of the time
to reach the peer's objective: every iteration costs about one evaluation). "ours on
NumPy": the same default fit on the NumPy arrays in host memory, in the same
alternation (on a CPU machine: whether the device path pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklearn_softmax import SoftmaxClassifier
from tests import datasets

DENSE_SETS = ["letter", "satimage", "shuttle", "usps", "mnist"]


def library(name: str):
    """The array library module: ``torch`` or ``cupy``."""
    if name == "torch":
        import torch

        return torch
    import cupy

    return cupy


def to_device(lib, array: np.ndarray, device: str):
    if lib.__name__ == "torch":
        return lib.asarray(array, device=device)
    with lib.cuda.Device(0 if device == "cuda" else int(device.split(":")[1])):
        return lib.asarray(array)


def synchronize(lib, device: str) -> None:
    """Wait for the device's queued work (nothing to wait for on a CPU)."""
    if lib.__name__ == "torch" and device.startswith("cuda"):
        lib.cuda.synchronize()
    elif lib.__name__ == "cupy":
        lib.cuda.Device().synchronize()


def objective(lib, X, y, coef, intercept) -> float:
    """``J / n`` of cross-entropy with ``C = 1`` in float64 on X's device (blocks of
    rows): ``mean_i (logsumexp(z_i) - z_{i, y_i}) + ||W||^2 / (2 n)``; for two
    classes the binary form of the one score."""
    from sklearn.utils._array_api import get_namespace

    with sklearn.config_context(array_api_dispatch=True):
        xp, _ = get_namespace(X)
        W = xp.astype(coef, xp.float64)
        b = xp.astype(intercept, xp.float64)
        n = X.shape[0]
        total = 0.0
        step = max(1, (1 << 24) // X.shape[1])
        for start in range(0, n, step):
            Z = xp.astype(X[start : start + step, ...], xp.float64) @ W.T + b
            labels = y[start : start + step]
            if Z.shape[1] == 1:  # two classes: softplus(-t z)
                t = xp.astype(labels, xp.float64) * 2 - 1
                z = Z[:, 0]
                total += float(xp.sum(xp.logaddexp(xp.zeros_like(z), -t * z)))
            else:
                shift = xp.max(Z, axis=1, keepdims=True)
                log_norm = xp.log(xp.sum(xp.exp(Z - shift), axis=1)) + shift[:, 0]
                onehot = xp.astype(
                    xp.reshape(labels, (-1, 1)) == xp.arange(Z.shape[1], device=Z.device),
                    xp.float64,
                )
                total += float(xp.sum(log_norm - xp.sum(Z * onehot, axis=1)))
        return total / n + 0.5 * float(xp.sum(W * W)) / n


def timed_fit(make, lib, device, X, y):
    """One default fit under dispatch: (seconds, model), the device synchronized."""
    model = make()
    synchronize(lib, device)
    start = time.perf_counter()
    with warnings.catch_warnings(), sklearn.config_context(array_api_dispatch=True):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    synchronize(lib, device)
    return time.perf_counter() - start, model


def iterations(model) -> int:
    n_iter = model.n_iter_
    return int(n_iter if np.isscalar(n_iter) else np.asarray(n_iter).max())


def compare(name: str, X_host, y_host, lib, device: str, dtype, repeats: int) -> str:
    X = to_device(lib, X_host.astype(dtype), device)
    y = to_device(lib, y_host.astype(np.int64), device)
    fits = {"ours": [], "lr": [], "numpy": []}
    models = {}
    for _ in range(repeats):  # alternately: all see the same machine
        for key, make in (("ours", SoftmaxClassifier), ("lr", LogisticRegression)):
            seconds, models[key] = timed_fit(make, lib, device, X, y)
            fits[key].append(seconds)
        start = time.perf_counter()
        SoftmaxClassifier().fit(X_host.astype(dtype), y_host)
        fits["numpy"].append(time.perf_counter() - start)
    times = {key: statistics.median(values) for key, values in fits.items()}
    values = {
        key: objective(lib, X, y, model.coef_, model.intercept_) for key, model in models.items()
    }
    n, d = X_host.shape
    ours_iter = iterations(models["ours"])
    curve = np.asarray(models["ours"].loss_curve_)
    reached = np.flatnonzero(curve <= values["lr"])
    to_peer = (
        f"{reached[0] + 1} ({times['ours'] * (reached[0] + 1) / max(ours_iter, 1):.3f} s)"
        if reached.size
        else "not reached"
    )
    return (
        f"| {name} | {n}x{d}x{np.unique(y_host).size} | {np.dtype(dtype).name} "
        f"| {times['ours']:.3f} | {times['lr']:.3f} | {times['ours'] / times['lr']:.2f} "
        f"| {ours_iter} | {iterations(models['lr'])} "
        f"| {values['ours']:.8g} | {values['lr']:.8g} "
        f"| {values['ours'] / values['lr'] - 1:+.1e} | {to_peer} | {times['numpy']:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--namespaces", nargs="+", default=["torch", "cupy"])
    parser.add_argument("--datasets", nargs="*", default=DENSE_SETS, choices=DENSE_SETS)
    parser.add_argument("--synthetic", nargs=3, type=int, default=[1_000_000, 500, 20])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        sys.exit("Set SCIPY_ARRAY_API=1 first: scikit-learn's array-API dispatch needs it.")
    problems = []
    if datasets.available():
        problems += [(name, *datasets.load(name)) for name in args.datasets]
    else:
        print(f"no data sets in {datasets.DATA_DIR}: the synthetic problem only")
    n, d, k = args.synthetic
    X, y = make_classification(
        n_samples=n, n_features=d, n_informative=d // 2, n_classes=k, random_state=0
    )
    problems.append(("synthetic", X, y))
    print(
        "| data | n x d x K | dtype | ours (s) | LogisticRegression (s) | ratio "
        "| ours iter | LR iter | ours J/n | LR J/n | ours / LR - 1 | ours to LR's J "
        "| ours on NumPy (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for namespace in args.namespaces:
        lib = library(namespace)
        print(f"| **{namespace} on {args.device}** | | | | | | | | | | | | |")
        for name, X, y in problems:
            for dtype in args.dtypes:
                row = compare(name, X, y, lib, args.device, np.dtype(dtype), args.repeats)
                print(row, flush=True)


if __name__ == "__main__":
    main()
