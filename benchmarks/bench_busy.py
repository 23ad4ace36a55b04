"""Fit time on a busy machine: ours against LogisticRegression, BLAS at 2 threads and at 1.

    python benchmarks/bench_busy.py                 # ~10-20 min on a 2-core machine
    python benchmarks/bench_busy.py --kinds blas --repeats 1 --out /tmp/busy.md

Each fit runs in its own Python process (so that ``OPENBLAS_NUM_THREADS`` is read at
start-up, as a user sets it), with a time limit. The machine is either quiet or kept
busy by ``--busy`` processes (one per core on a 2-core machine: two other users'
jobs) spinning a pure-Python loop or NumPy matrix products (OpenBLAS at its default
threads). Data: MNIST's test set (10000 x 784, 10 classes) from ``../shared/data``
and a synthetic 50000 x 100, 10-class Gaussian problem, float64, both fitted at
their defaults by ``SoftmaxClassifier()`` and ``LogisticRegression(max_iter=1000)``.
Times are wall times of ``fit`` alone (loading excluded), the median of ``--repeats``
runs on the quiet machine and one run on a busy one; ``>`` marks a fit stopped at the
time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

#: The child process: load the data, fit once, print the fit's wall time as JSON.
CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
import numpy as np
from bench_fit import load
name, estimator = sys.argv[1], sys.argv[2]
X, y = load(name) if name != "synthetic50k" else load("synthetic")
if name == "synthetic50k":
    X, y = X[:50000], y[:50000]
if estimator == "ours":
    from sklearn_softmax import SoftmaxClassifier
    model = SoftmaxClassifier()
else:
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = LogisticRegression(max_iter=1000)
start = time.perf_counter()
model.fit(X, y)
print(json.dumps({{"seconds": time.perf_counter() - start, "n_iter": int(np.max(model.n_iter_))}}))
"""

DATASETS = ["mnist", "synthetic50k"]
ESTIMATORS = {"ours": "SoftmaxClassifier()", "lr": "LogisticRegression(max_iter=1000)"}


def fit_once(name: str, estimator: str, threads: int | None, timeout: float) -> dict:
    """One fit in a fresh process; ``threads``: ``OPENBLAS_NUM_THREADS`` (None: unset)."""
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if threads is not None:
        environment["OPENBLAS_NUM_THREADS"] = str(threads)
    code = CHILD.format(root=str(HERE))
    try:
        completed = subprocess.run(
            [sys.executable, "-c", code, name, estimator],
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=HERE,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": timeout, "timed_out": True}
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-2000:])
    return {**json.loads(completed.stdout.strip().splitlines()[-1]), "timed_out": False}


#: What the busy processes run: a pure-Python loop, or matrix products (OpenBLAS at
#: its default threads, as another user's NumPy job would).
SPINNERS = {
    "python": "while True: pass",
    "blas": "import numpy as np\na = np.random.rand(400, 400)\nwhile True: a @ a",
}


def spinners(count: int, kind: str) -> list[subprocess.Popen]:
    """``count`` processes running the ``kind`` of :data:`SPINNERS`."""
    return [subprocess.Popen([sys.executable, "-c", SPINNERS[kind]]) for _ in range(count)]


def measure(names, *, busy: int, kinds, repeats: int, timeout: float):
    """Rows ``(data, machine, threads, estimator, seconds, timed out, n_iter)``."""
    machines = [("quiet", 0, "python")] + [
        (f"busy: {busy} {kind} processes", busy, kind) for kind in kinds
    ]
    for machine, n_busy, kind in machines:
        others = spinners(n_busy, kind)
        try:
            time.sleep(1.0 if n_busy else 0.0)
            for name in names:
                for threads in (None, 1):
                    for estimator in ESTIMATORS:
                        runs = [
                            fit_once(name, estimator, threads, timeout)
                            for _ in range(repeats if not n_busy else 1)
                        ]
                        seconds = float(np.median([run["seconds"] for run in runs]))
                        timed_out = any(run["timed_out"] for run in runs)
                        n_iter = runs[0].get("n_iter")
                        yield name, machine, threads, estimator, seconds, timed_out, n_iter
        finally:
            for process in others:
                process.kill()
                process.wait()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--busy", type=int, default=2, help="busy processes")
    parser.add_argument(
        "--kinds", nargs="+", default=list(SPINNERS), choices=SPINNERS, help="what they run"
    )
    parser.add_argument("--repeats", type=int, default=3, help="quiet fits per cell")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per fit")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    lines = [
        f"`python benchmarks/bench_busy.py {' '.join(argv or sys.argv[1:])}` "
        f"on {os.cpu_count()} cores",
        "",
        "| data | machine | OPENBLAS_NUM_THREADS | estimator | fit s | L-BFGS iterations |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    rows = measure(
        args.datasets, busy=args.busy, kinds=args.kinds, repeats=args.repeats, timeout=args.timeout
    )
    for name, machine, threads, estimator, seconds, timed_out, n_iter in rows:
        shown = f"> {seconds:.0f}" if timed_out else f"{seconds:.2f}"
        line = (
            f"| {name} | {machine} | {threads or 'unset'} | {ESTIMATORS[estimator]} "
            f"| {shown} | {'-' if timed_out else n_iter} |"
        )
        lines.append(line)
        print(line, flush=True)
    if args.out is not None:
        args.out.write_text("# Fit time on a busy machine\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
