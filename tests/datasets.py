"""Loaders for the real data sets in ``../shared/data`` (never copied into the project).

The directory is ``$SKLEARN_SOFTMAX_DATA`` if set, else ``shared/data`` beside the
repository. Each loader returns ``(X, y)`` with ``y`` in ``0..K-1``.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

DATA_DIR = Path(
    os.environ.get("SKLEARN_SOFTMAX_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def available() -> bool:
    """Whether the shared data directory is present."""
    return (DATA_DIR / "letter").is_dir()


def load_letter():
    """UCI letter: 20000 x 16, features 0..15, 26 classes."""
    raw = np.loadtxt(DATA_DIR / "letter" / "letter-recognition.data", delimiter=",", dtype=str)
    _, y = np.unique(raw[:, 0], return_inverse=True)
    return raw[:, 1:].astype(np.float64), y


def load_satimage():
    """UCI Statlog satimage, train split: 4435 x 36, raw values 27..157, 6 classes."""
    train = np.loadtxt(DATA_DIR / "satimage" / "sat.trn")
    _, y = np.unique(train[:, -1], return_inverse=True)
    return train[:, :-1], y


def load_shuttle():
    """UCI Statlog shuttle, train split: 43500 x 9, values -27000..15000, 7 classes."""
    train = np.loadtxt(DATA_DIR / "shuttle" / "shuttle.trn")
    return train[:, :-1], train[:, -1].astype(np.int64) - 1


def load_usps():
    """USPS (ESL zip) test split: 2007 x 256 in [-1, 1], 10 classes."""
    with open(DATA_DIR / "usps" / "zip.test") as f:
        rows = np.array([line.split()[:257] for line in f], dtype=np.float64)
    return rows[:, 1:], rows[:, 0].astype(np.int64)


def load_mnist():
    """MNIST test set: 10000 x 784 in [0, 1], 10 classes."""
    folder = DATA_DIR / "mnist-t10k"
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return X, y


def load_r8_text():
    """Reuters R8, train split, as text: ``(documents, y)``, 5485 documents (lower-case
    words separated by spaces), 8 classes."""
    with open(DATA_DIR / "r8" / "r8-train-all-terms.txt") as f:
        docs = [line.rstrip("\n").split("\t", 1) for line in f]
    labels = sorted({label for label, _ in docs})
    return [text for _, text in docs], np.searchsorted(labels, [label for label, _ in docs])


def load_r8():
    """Reuters R8, train split: 5485 x (train vocabulary) CSR term counts, 8 classes."""
    texts, y = load_r8_text()
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, text in enumerate(texts):
        for word in text.split():
            rows.append(i)
            cols.append(vocabulary.setdefault(word, len(vocabulary)))
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocabulary)))
    return X, y


LOADERS = {
    "letter": load_letter,
    "satimage": load_satimage,
    "shuttle": load_shuttle,
    "usps": load_usps,
    "mnist": load_mnist,
    "r8": load_r8,
}


def load(name: str):
    """``(X, y)`` of a real data set in float64, or ``synthetic``: 100000 x 100, 10
    overlapping Gaussian classes (the benchmarks' large dense set)."""
    if name != "synthetic":
        return LOADERS[name]()
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 100_000)
    centers = rng.standard_normal((10, 100)) * 0.3
    return centers[y] + rng.standard_normal((100_000, 100)), y
