"""Shared fixtures: small synthetic problems and the real data sets of ``../shared/data``."""

import numpy as np
import pytest

from tests import datasets


@pytest.fixture(scope="session")
def shared_data():
    """Loader of a real data set by name; skips when ``../shared/data`` is absent."""
    if not datasets.available():
        pytest.skip(f"the shared data directory {datasets.DATA_DIR} is absent")
    return lambda name: datasets.LOADERS[name]()


def make_problem(n_samples=60, n_features=5, n_classes=3, seed=0, separation=1.0):
    """Gaussian classes with overlapping means: not separable, well conditioned."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    centers = separation * rng.standard_normal((n_classes, n_features))
    X = centers[y] + rng.standard_normal((n_samples, n_features))
    return X, y
