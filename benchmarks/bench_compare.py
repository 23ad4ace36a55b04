"""Two versions of the library side by side: the same public fits, alternated, in one run.

    python benchmarks/bench_compare.py /tmp/old .               # all sections: ~40 min
    python benchmarks/bench_compare.py /tmp/old . --sections cross-entropy --repeats 3

``OLD`` and ``NEW`` are source trees of this repository (``git worktree add /tmp/old
<commit>`` makes one). Each runs in a worker process of its own that imports
``sklearn_softmax`` from its tree; the two are sent the same fits one after the other
(old, new, old, new, ...), so both see the same machine. Sections, on the real data
sets of ``../shared/data`` (or ``$SKLEARN_SOFTMAX_DATA``):

cross-entropy
    ``SoftmaxClassifier().fit`` on bench_fit.py's cross-entropy rows: every data set
    (the synthetic one too), raw, float64 and float32.
l1
    ``SoftmaxClassifier(l1_ratio=r).fit`` on bench_fit.py's L1 rows: the dense sets raw
    and standardized, R8 raw, float64 and float32, ``r`` in 1 and 0.5.
cv
    ``SoftmaxClassifierCV(Cs=10, cv=<5 shuffled stratified folds>,
    scoring="neg_log_loss").fit`` on bench_cv.py's data sets.
cv-l1
    the same with ``l1_ratios=(0.5, 1.0)`` on satimage, USPS and a textbook problem,
    ``make_classification(10000, 10 features, 6 informative, 3 classes, seed 0)``.

Prints per row the median time of ``--repeats`` fits of each version, their ratio
new / old and each version's iterations, and per section the geometric mean of the
ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CV_DATASETS = ["letter", "satimage", "usps", "mnist", "r8"]
DENSE_REAL = ["letter", "satimage", "shuttle", "usps", "mnist"]
SECTIONS = ["cross-entropy", "l1", "cv", "cv-l1"]


def rows(section: str) -> list[dict]:
    """The fits of a section, as the workers take them."""
    if section == "cross-entropy":
        names = [*DENSE_REAL, "r8", "synthetic"]
        return [
            {"name": name, "dtype": dtype, "scaled": False, "l1_ratio": 0.0}
            for name in names
            for dtype in ("float64", "float32")
        ]
    if section == "l1":
        variants = [(name, scaled) for name in DENSE_REAL for scaled in (False, True)]
        return [
            {"name": name, "dtype": dtype, "scaled": scaled, "l1_ratio": l1_ratio}
            for name, scaled in [*variants, ("r8", False)]
            for dtype in ("float64", "float32")
            for l1_ratio in (1.0, 0.5)
        ]
    if section == "cv":
        return [{"name": name, "cv": True} for name in CV_DATASETS]
    return [{"name": name, "cv": True, "l1": True} for name in ("satimage", "usps", "textbook")]


def serve(tree: Path) -> None:
    """A worker: fit what each line of standard input asks, with ``tree``'s library."""
    import importlib.util
    import warnings

    # This tree's loaders (they import nothing of the library), the library from ``tree``.
    spec = importlib.util.spec_from_file_location("datasets", ROOT / "tests" / "datasets.py")
    datasets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(datasets)
    sys.path.insert(0, str(tree))
    from sklearn.datasets import make_classification
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    import sklearn_softmax
    from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV

    assert Path(sklearn_softmax.__file__).resolve().is_relative_to(tree.resolve())
    # A first fit pays for imports and thread pools: not part of any row.
    SoftmaxClassifier().fit(*datasets.load("satimage"))
    cache: dict = {}
    for line in sys.stdin:
        row = json.loads(line)
        if row["name"] == "textbook" and "textbook" not in cache:
            cache["textbook"] = make_classification(
                n_samples=10000, n_features=10, n_informative=6, n_classes=3, random_state=0
            )
        if row["name"] not in cache:
            cache[row["name"]] = datasets.load(row["name"])
        X, y = cache[row["name"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if row.get("cv"):
                folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
                l1_ratios = (0.5, 1.0) if row.get("l1") else (0.0,)
                model = SoftmaxClassifierCV(
                    Cs=10, l1_ratios=l1_ratios, cv=folds, scoring="neg_log_loss"
                )
            else:
                if row["scaled"]:
                    X = StandardScaler().fit_transform(X)
                X = X.astype(row["dtype"])
                model = SoftmaxClassifier(l1_ratio=row["l1_ratio"])
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "n_iter": int(np.sum(model.n_iter_))}), flush=True)


class Worker:
    """A worker process of one tree."""

    def __init__(self, tree: Path):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(tree)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def fit(self, row: dict) -> dict:
        self.process.stdin.write(json.dumps(row) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def label(row: dict) -> str:
    if row.get("cv"):
        return row["name"] + (" l1_ratios=(0.5, 1)" if row.get("l1") else "")
    scaled = "standardized" if row["scaled"] else "raw"
    return f"{row['name']} {scaled} {row['dtype']} r={row['l1_ratio']:g}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, nargs="?")
    parser.add_argument("new", type=Path, nargs="?")
    parser.add_argument("--sections", nargs="+", default=SECTIONS, choices=SECTIONS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return
    if args.old is None or args.new is None:
        parser.error("give the OLD and NEW source trees")
    workers = {"old": Worker(args.old), "new": Worker(args.new)}
    try:
        for section in args.sections:
            print(f"## {section}\n", flush=True)
            print("| fit | old s | new s | new / old | iterations old / new |")
            print("|---|---|---|---|---|", flush=True)
            ratios = []
            for row in rows(section):
                runs = {key: [] for key in workers}
                for _ in range(args.repeats):
                    for key, worker in workers.items():
                        runs[key].append(worker.fit(row))
                median = {key: np.median([r["seconds"] for r in runs[key]]) for key in runs}
                ratios.append(median["new"] / median["old"])
                print(
                    f"| {label(row)} | {median['old']:.3f} | {median['new']:.3f} "
                    f"| {ratios[-1]:.3f} | {runs['old'][-1]['n_iter']} / "
                    f"{runs['new'][-1]['n_iter']} |",
                    flush=True,
                )
            mean = float(np.exp(np.mean(np.log(ratios))))
            print(f"\n{section}: geometric mean new / old {mean:.3f}\n", flush=True)
    finally:
        for worker in workers.values():
            worker.close()


if __name__ == "__main__":
    main()
