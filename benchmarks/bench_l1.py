"""L1 and elastic-net cross-entropy on textbook problems, beside saga and our L2 fit.

    python benchmarks/bench_l1.py                   # ~10 min on 2 cores
    python benchmarks/bench_l1.py --seeds 0 --repeats 1
    python benchmarks/bench_l1.py --saga-reference  # also saga at tol=1e-10 (slow)

Problems no one tuned to: ``make_classification(n_samples=n, n_features=d,
n_informative=min(6, d), n_classes=K, random_state=s)`` for each ``--seeds`` and
(n, d, K) in (10000, 10, 3), (5000, 30, 4), (2000, 50, 2), (50000, 20, 5),
(3000, 100, 3); scikit-learn's bundled wine and breast-cancer tables (standardized)
and digits (divided by 16). Each with ``l1_ratio`` 1 and 0.5, without and with
sample weights (uniform in [0.5, 2], seeded), C = 1, float64.

Per row, alternately in one process: ``SoftmaxClassifier(l1_ratio=r)``'s default fit
(median time of ``--repeats``, iterations, whether it warned), our L2 fit of the same
data (median) and ``LogisticRegression(solver="saga", l1_ratio=r)`` at its defaults
(one fit). The reference objective is our fit at ``tol=1e-10`` (its iterations
printed); with ``--saga-reference`` also saga's at ``tol=1e-10, max_iter=20000``,
and the gap between the two references. Objectives are ``J / (C S)`` in float64.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.oracles import objective  # the textbook objective

SHAPES = [(10000, 10, 3), (5000, 30, 4), (2000, 50, 2), (50000, 20, 5), (3000, 100, 3)]


def problems(seeds):
    """``(name, X, y)`` of every problem."""
    for n, d, K in SHAPES:
        for seed in seeds:
            X, y = make_classification(
                n_samples=n, n_features=d, n_informative=min(6, d), n_classes=K, random_state=seed
            )
            yield f"{n}x{d}x{K} s{seed}", X, y
    for name, load in (("wine", load_wine), ("breast-cancer", load_breast_cancer)):
        X, y = load(return_X_y=True)
        yield name, StandardScaler().fit_transform(X), y
    X, y = load_digits(return_X_y=True)
    yield "digits", X / 16.0, y


def timed(make, X, y, weight, repeats: int):
    """``(median seconds, last fitted model, warned?)`` of ``repeats`` fits."""
    seconds, warned = [], False
    for _ in range(repeats):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            model = make().fit(X, y, sample_weight=weight)
            seconds.append(time.perf_counter() - start)
        warned |= any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return float(np.median(seconds)), model, warned


def J(model, X, y, weight, l1_ratio) -> float:
    """``J / (C S)`` at C = 1."""
    value = objective(
        model.coef_, model.intercept_, X, y, C=1.0, sample_weight=weight, l1_ratio=l1_ratio
    )
    return value / (len(y) if weight is None else weight.sum())


def geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(values))))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(6)))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--saga-reference", action="store_true")
    args = parser.parse_args(argv)
    header = (
        "| problem | r | weights | ours ms | it | L2 ms | L1 / L2 | saga ms | ours / saga "
        "| rel. to reference | reference it |"
    )
    if args.saga_reference:
        header += " saga tight rel. to reference |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    saga_ratios, l2_ratios, gaps, warned_rows = [], [], [], []
    for name, X, y in problems(args.seeds):
        rng = np.random.default_rng(0)
        for weighted in (False, True):
            weight = rng.uniform(0.5, 2.0, len(y)) if weighted else None
            l2, _, _ = timed(SoftmaxClassifier, X, y, weight, args.repeats)
            for r in (1.0, 0.5):
                ours, model, warned = timed(
                    lambda r=r: SoftmaxClassifier(l1_ratio=r), X, y, weight, args.repeats
                )
                saga, _, _ = timed(
                    lambda r=r: LogisticRegression(solver="saga", l1_ratio=r), X, y, weight, 1
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    tight = SoftmaxClassifier(l1_ratio=r, tol=1e-10, max_iter=100_000)
                    tight.fit(X, y, sample_weight=weight)
                reference = J(tight, X, y, weight, r)
                gap = (J(model, X, y, weight, r) - reference) / reference
                saga_ratios.append(ours / saga)
                l2_ratios.append(ours / l2)
                gaps.append(gap)
                if warned:
                    warned_rows.append(name)
                row = (
                    f"| {name} | {r:g} | {'yes' if weighted else 'no'} | {1e3 * ours:.1f}"
                    f"{'*' if warned else ''} | {model.n_iter_} | {1e3 * l2:.1f} "
                    f"| {ours / l2:.2f} | {1e3 * saga:.0f} | {ours / saga:.3f} | {gap:+.1e} "
                    f"| {tight.n_iter_} it |"
                )
                if args.saga_reference:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        tight_saga = LogisticRegression(
                            solver="saga", l1_ratio=r, tol=1e-10, max_iter=20_000
                        ).fit(X, y, sample_weight=weight)
                    row += f" {(J(tight_saga, X, y, weight, r) - reference) / reference:+.1e} |"
                print(row, flush=True)
    print()
    print(
        f"ours / saga: geometric mean {geometric_mean(saga_ratios):.3f}, largest "
        f"{max(saga_ratios):.3f}; L1 / L2: geometric mean {geometric_mean(l2_ratios):.2f}, "
        f"largest {max(l2_ratios):.2f}; largest objective above the reference "
        f"{max(gaps):+.1e}; ConvergenceWarnings: {len(warned_rows)} {sorted(set(warned_rows))}"
    )


if __name__ == "__main__":
    main()
