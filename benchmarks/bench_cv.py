"""Cross-validating C: SoftmaxClassifierCV against LogisticRegressionCV and GridSearchCV.

    python benchmarks/bench_cv.py                    # ~10 min on 2 cores
    python benchmarks/bench_cv.py --datasets satimage --results /tmp/results.md

Writes its table as the section "Cross-validating C" of ``results.md`` (bench_fit.py
keeps that section when it rewrites the rest).

On letter, satimage, USPS, MNIST (test set) and R8 (train split), raw features as
loaded, float64: 5 stratified folds (shuffled, the same for all), the 10 Cs of
``np.logspace(-4, 4, 10)``, ``scoring="neg_log_loss"`` for all three, ``n_jobs=1``,
run one after the other in the same process:

- ``SoftmaxClassifierCV(Cs=10)`` (warm-started paths, refit at the best C);
- ``LogisticRegressionCV(Cs=10, use_legacy_attributes=False)`` at its defaults
  otherwise (lbfgs, ``tol=1e-4``, ``max_iter=100``: its ConvergenceWarnings counted);
- ``GridSearchCV(SoftmaxClassifier(), {"C": Cs})`` (every point a cold fit, refit).

Reported: wall time of each ``fit`` (refit included), the ratios ours / theirs, total
L-BFGS iterations over folds and Cs (the CV estimators' ``n_iter_``, without their
refit; GridSearchCV's counted by wrapping ``SoftmaxClassifier.fit``, its refit
included), the chosen C and the best mean CV score.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from results_file import CV_SECTION, replace_section
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests import datasets  # the loaders of ../shared/data

DATASETS = ["letter", "satimage", "usps", "mnist", "r8"]
DESCRIPTION = (
    "Raw features, float64, 5 stratified shuffled folds (the same for all), the 10 Cs of "
    "`np.logspace(-4, 4, 10)`, `scoring='neg_log_loss'`, `n_jobs=1`, run one after the "
    "other: `SoftmaxClassifierCV` (warm-started paths), `LogisticRegressionCV` at its "
    "defaults otherwise (lbfgs, `max_iter=100`), `GridSearchCV(SoftmaxClassifier(), "
    "{'C': Cs})` (cold fits); times include the refit. Iterations: the CV estimators' "
    "`n_iter_` (without refit), GridSearchCV's counted over all its fits (with refit)."
)
CS = np.logspace(-4, 4, 10)


class CountingClassifier(SoftmaxClassifier):
    """``SoftmaxClassifier`` that adds each fit's iterations to a class-level total
    (GridSearchCV clones it, so the count lives on the class)."""

    total_iterations = 0

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        type(self).total_iterations += self.n_iter_
        return self


def run(name: str, folds: int):
    """One row: the three searches on data set ``name``."""
    X, y = datasets.LOADERS[name]()
    cv = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y))
    row = {"name": name, "shape": X.shape, "classes": np.unique(y).size}

    start = time.perf_counter()
    ours = SoftmaxClassifierCV(Cs=CS, cv=cv, scoring="neg_log_loss").fit(X, y)
    row["ours"] = (time.perf_counter() - start, int(ours.n_iter_.sum()), ours.C_)
    row["ours_score"] = ours.scores_.mean(axis=0).max()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        start = time.perf_counter()
        lrcv = LogisticRegressionCV(
            Cs=CS, cv=cv, scoring="neg_log_loss", use_legacy_attributes=False
        ).fit(X, y)
        seconds = time.perf_counter() - start
    warned = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    row["lrcv"] = (seconds, int(lrcv.n_iter_.sum()), float(lrcv.C_))
    row["lrcv_score"] = lrcv.scores_.mean(axis=0).max()
    row["lrcv_warned"] = warned

    CountingClassifier.total_iterations = 0
    start = time.perf_counter()
    search = GridSearchCV(CountingClassifier(), {"C": CS}, cv=cv, scoring="neg_log_loss")
    search.fit(X, y)
    row["grid"] = (
        time.perf_counter() - start,
        CountingClassifier.total_iterations,
        search.best_params_["C"],
    )
    row["grid_score"] = search.best_score_
    return row


def format_rows(rows) -> list[str]:
    lines = [
        "| data | n x d, K | ours s | LRCV s | ratio | GridSearchCV s | ratio | "
        "iterations ours / LRCV / grid | C_ ours / LRCV / grid | best mean score ours / "
        "LRCV / grid | LRCV warnings |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours, lrcv, grid = row["ours"], row["lrcv"], row["grid"]
        n, d = row["shape"]
        lines.append(
            f"| {row['name']} | {n} x {d}, {row['classes']} | {ours[0]:.1f} | {lrcv[0]:.1f} "
            f"| {ours[0] / lrcv[0]:.3f} | {grid[0]:.1f} | {ours[0] / grid[0]:.3f} "
            f"| {ours[1]} / {lrcv[1]} / {grid[1]} "
            f"| {ours[2]:.3g} / {lrcv[2]:.3g} / {grid[2]:.3g} "
            f"| {row['ours_score']:.5f} / {row['lrcv_score']:.5f} / {row['grid_score']:.5f} "
            f"| {row['lrcv_warned']} |"
        )
    return lines


def geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(values))))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--results",
        type=Path,
        default=Path(__file__).resolve().parent / "results.md",
        help="the results file whose cross-validation section this run replaces",
    )
    args = parser.parse_args(argv)
    if not datasets.available():
        parser.error(f"the shared data directory {datasets.DATA_DIR} is absent")
    rows = []
    for name in args.datasets:
        rows.append(run(name, args.folds))
        print(format_rows(rows[-1:])[-1], flush=True)
    lrcv_ratios = [row["ours"][0] / row["lrcv"][0] for row in rows]
    grid_ratios = [row["ours"][0] / row["grid"][0] for row in rows]
    summary = [
        f"- Against LogisticRegressionCV: geometric mean time ratio "
        f"{geometric_mean(lrcv_ratios):.3f}, largest {max(lrcv_ratios):.3f}.",
        f"- Against GridSearchCV(SoftmaxClassifier()): geometric mean time ratio "
        f"{geometric_mean(grid_ratios):.3f}, largest {max(grid_ratios):.3f}.",
    ]
    command = "python benchmarks/bench_cv.py " + " ".join(argv or sys.argv[1:])
    text = "\n".join(
        [f"`{command.strip()}`", "", DESCRIPTION, "", *format_rows(rows), "", *summary]
    )
    print(text)
    replace_section(args.results, CV_SECTION, text)


if __name__ == "__main__":
    main()
