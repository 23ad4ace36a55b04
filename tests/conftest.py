"""Shared fixtures: the real data sets of ``../shared/data``; tests that read them are
in the slow tier (``pytest -m slow``)."""

import pytest

from tests import datasets


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test that reads a real data set ``slow``, before ``-m`` selects."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_data():
    """Loader of a real data set by name; skips when ``../shared/data`` is absent."""
    if not datasets.available():
        pytest.skip(
            f"the real data sets are absent from {datasets.DATA_DIR}: set "
            "SKLEARN_SOFTMAX_DATA to a directory holding them (CONTRIBUTING.md, "
            "'Tests, in tiers', says which files and where they come from)"
        )
    return lambda name: datasets.LOADERS[name]()
