"""Shared fixtures: the real data sets of ``../shared/data``."""

import pytest

from tests import datasets


@pytest.fixture(scope="session")
def shared_data():
    """Loader of a real data set by name; skips when ``../shared/data`` is absent."""
    if not datasets.available():
        pytest.skip(f"the shared data directory {datasets.DATA_DIR} is absent")
    return lambda name: datasets.LOADERS[name]()
