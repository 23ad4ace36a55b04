"""Shared fixtures: the real data sets of ``../shared/data``."""

import pytest

from tests import datasets

# The synthetic problems live in tests.oracles; this name stays importable here only
# for tests/test_metrics.py, which still imports it from tests.conftest.
from tests.oracles import make_problem  # noqa: F401


@pytest.fixture(scope="session")
def shared_data():
    """Loader of a real data set by name; skips when ``../shared/data`` is absent."""
    if not datasets.available():
        pytest.skip(f"the shared data directory {datasets.DATA_DIR} is absent")
    return lambda name: datasets.LOADERS[name]()
