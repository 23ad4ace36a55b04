"""Binary cross-entropy on a Dask cluster: SoftmaxClassifier against dask-ml's
LogisticRegression (each solver at its defaults and at a tight tolerance).

dask-ml penalizes its intercept, so both fit without one, on centered data; both
minimize ``J(w) = C sum_i log(1 + exp(-t_i w.x_i)) + ||w||^2 / 2`` (dask-glm writes
it divided by C), computed here once in float64 for every solution. Run it where
dask-ml installs beside this package (it may need its own environment):

    python benchmarks/bench_dask_ml.py [--rows 2000000] [--chunk-rows 250000] [--workers 2]
"""

import argparse
import importlib.metadata
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from sklearn_softmax import SoftmaxClassifier

N_FEATURES = 20


def labelled_rows(labels, block_info=None):
    """Features of one chunk: class means +-0.3 per feature plus unit noise."""
    seed = block_info[0]["chunk-location"][0]
    noise = np.random.default_rng(seed).standard_normal((labels.size, N_FEATURES))
    signs = np.where(labels == 1, 1.0, -1.0)[:, None]
    return 0.3 * signs * np.linspace(0.2, 1.0, N_FEATURES) + noise


def labels_of(block, block_info=None):
    seed = block_info[0]["chunk-location"][0]
    return np.random.default_rng(10_000 + seed).integers(0, 2, block.shape[0])


def objective(w, X, t, C):
    """``J(w)`` in float64, one pass over the Dask arrays."""
    margins = t * (X @ w)
    loss = da.logaddexp(0.0, -margins).sum()
    return float(C * loss.compute() + 0.5 * w @ w)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--C", type=float, default=1.0)
    args = parser.parse_args()
    from dask_ml.linear_model import LogisticRegression

    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster),
    ):
        y = da.zeros(args.rows, chunks=args.chunk_rows, dtype=np.int64).map_blocks(
            labels_of, dtype=np.int64
        )
        X = y.map_blocks(
            labelled_rows, new_axis=1, chunks=(y.chunks[0], (N_FEATURES,)), dtype=float
        )
        X = X - X.mean(axis=0)  # centered: neither model needs an intercept
        X, y = dask.persist(X, y)
        t = 2.0 * y - 1.0
        versions = {
            name: importlib.metadata.version(name)
            for name in ["dask", "distributed", "dask-ml", "dask-glm", "scikit-learn"]
        }
        shape = f"{args.rows} x {N_FEATURES}, {X.numblocks[0]} chunks"
        print(f"{shape}, {args.workers} workers; {versions}")
        runs = [
            ("SoftmaxClassifier (default tol)", SoftmaxClassifier(C=args.C, fit_intercept=False))
        ]
        runs.append(
            (
                "SoftmaxClassifier (tol=1e-8)",
                SoftmaxClassifier(C=args.C, fit_intercept=False, tol=1e-8),
            )
        )
        for solver in ["admm", "lbfgs", "newton", "proximal_grad", "gradient_descent"]:
            runs.append(
                (
                    f"dask-ml {solver} (defaults)",
                    LogisticRegression(C=args.C, fit_intercept=False, solver=solver),
                )
            )
        for solver in ["lbfgs", "newton"]:  # admm at 1e-8: 85 s on 200k rows, not run
            model = LogisticRegression(
                C=args.C, fit_intercept=False, solver=solver, tol=1e-8, max_iter=500
            )
            runs.append((f"dask-ml {solver} (tol=1e-8, max_iter=500)", model))
        # One untimed fit first: the workers' imports and the first task graphs.
        SoftmaxClassifier(C=args.C, fit_intercept=False, max_iter=2).fit(X, y)
        rows = []
        for name, model in runs:
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
            w = np.asarray(model.coef_, dtype=np.float64).ravel()
            rows.append((name, seconds, objective(w, X, t, args.C)))
            print(f"  {name}: {seconds:.1f} s", flush=True)
        best = min(value for _, _, value in rows)
        print("\n| fit | time s | J | (J - best) / best |")
        print("|---|---|---|---|")
        for name, seconds, value in rows:
            print(f"| {name} | {seconds:.1f} | {value:.10g} | {(value - best) / best:.1e} |")


if __name__ == "__main__":
    main()
