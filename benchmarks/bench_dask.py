"""Time of one loss+gradient evaluation on Dask: chunks x workers, against in memory.

    python benchmarks/bench_dask.py                # ~2 min on 2 cores
    python benchmarks/bench_dask.py --rows 100000 --out /tmp/b

For a synthetic 400000 x 50 data set with 10 classes, builds the objective the
Dask fit minimizes (data persisted on the workers of a ``distributed.LocalCluster``
of 1 or 2 processes with one thread each) and reports the median time of one
evaluation of ``F(W, b)`` and its gradient for 1 to 64 row chunks, next to the
in-memory evaluation of the same data (the client, the scheduler and the workers
share the machine's 2 cores). Writes ``dask_results.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from sklearn_softmax._data import fit_data
from sklearn_softmax._losses import make_loss

N_FEATURES, N_CLASSES = 50, 10


def median_time(function, repeats):
    function()  # warm up: buffers, imports, connections
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    y = rng.integers(0, N_CLASSES, args.rows)
    X = rng.standard_normal((N_CLASSES, N_FEATURES))[y] + rng.standard_normal(
        (args.rows, N_FEATURES)
    )
    W = rng.standard_normal((N_CLASSES, N_FEATURES)) * 0.01
    b = np.zeros(N_CLASSES)
    loss = make_loss("cross_entropy", N_CLASSES)

    # F = J / (C n) at C = 1, as a fit builds it: weights 1 / n, penalty alpha = 1 / n.
    unit = {
        "class_factor": np.full(N_CLASSES, 1.0 / args.rows),
        "alpha": 1.0 / args.rows,
        "fit_intercept": True,
        "n_scores": N_CLASSES,
    }
    in_memory = fit_data(X, y).objective(loss, **unit)
    reference = median_time(partial(in_memory.value_gradient, W, b), args.repeats)
    print(f"in memory: {1000 * reference:.1f} ms per evaluation", flush=True)

    rows = []
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, dashboard_address=":0"
            ) as cluster,
            Client(cluster),
        ):
            for n_chunks in (1, 4, 16, 64):
                chunk_rows = -(-args.rows // n_chunks)
                data = fit_data(
                    da.from_array(X, chunks=(chunk_rows, N_FEATURES)),
                    da.from_array(y, chunks=chunk_rows),
                )
                objective = data.objective(loss, **unit)
                seconds = median_time(partial(objective.value_gradient, W, b), args.repeats)
                rows.append((workers, n_chunks, seconds))
                print(
                    f"{workers} worker(s), {n_chunks:3d} chunks: "
                    f"{1000 * seconds:.1f} ms ({seconds / reference:.2f}x in memory)",
                    flush=True,
                )

    lines = [
        f"One evaluation of the cross-entropy objective and its gradient, "
        f"{args.rows} x {N_FEATURES}, {N_CLASSES} classes, float64; median of "
        f"{args.repeats}. In memory (one process, BLAS with its default threads): "
        f"{1000 * reference:.1f} ms.",
        "",
        "| workers | chunks | ms per evaluation | x in memory |",
        "|---|---|---|---|",
    ]
    lines += [f"| {w} | {c} | {1000 * s:.1f} | {s / reference:.2f} |" for w, c, s in rows]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dask_results.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'dask_results.md'}")


if __name__ == "__main__":
    main()
