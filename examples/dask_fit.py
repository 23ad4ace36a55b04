"""
Fit SoftmaxClassifier on a chunked Dask array across a local Dask cluster
=========================================================================

Starts a ``distributed.LocalCluster`` of two worker processes, builds a chunked
2-million-row data set lazily (each worker generates its own chunks: the data are
never in this process), fits it, and prints the time per L-BFGS iteration. Each
iteration sends the small coefficient matrix to the chunks and sums their loss and
gradient contributions. Needs ``pip install -e ".[dask]"``; run it as::

    python examples/dask_fit.py [--rows 2000000] [--chunk-rows 100000]

The documentation's gallery runs it with ``--rows 40000 --chunk-rows 7000``, so the
printed figures below are those of a small array.
"""

import argparse
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from sklearn_softmax import SoftmaxClassifier

N_FEATURES, N_CLASSES = 20, 5
CENTERS = np.random.default_rng(0).standard_normal((N_CLASSES, N_FEATURES))


def features(labels, block_info=None):
    """The features of one chunk: its class centers plus noise seeded by the chunk."""
    seed = block_info[0]["chunk-location"][0]
    noise = np.random.default_rng(seed).standard_normal((len(labels), N_FEATURES))
    return CENTERS[labels] + 2.0 * noise


def main():
    parser = argparse.ArgumentParser(
        description="Fit SoftmaxClassifier on a chunked Dask array on a local cluster."
    )
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    args = parser.parse_args()

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        y = da.random.default_rng(1).integers(0, N_CLASSES, args.rows, chunks=args.chunk_rows)
        X = y.map_blocks(features, new_axis=1, chunks=(y.chunks[0], (N_FEATURES,)), dtype=float)
        print(f"{client}: X is {X.shape[0]} x {X.shape[1]} in {X.numblocks[0]} chunks")

        start = time.perf_counter()
        model = SoftmaxClassifier(C=1.0).fit(X, y)
        seconds = time.perf_counter() - start
        print(
            f"fit: {seconds:.1f} s, {model.n_iter_} iterations, "
            f"{1000 * seconds / model.n_iter_:.0f} ms per iteration "
            "(including the one-off pass for the classes and feature statistics)"
        )
        accuracy = (model.predict(X) == y).mean().compute()  # lazy, chunk by chunk
        print(f"training accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
