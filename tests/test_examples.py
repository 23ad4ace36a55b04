"""Every script in examples/ runs to the end and saves its figure."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
#: Smaller runs of the examples that take arguments.
ARGUMENTS = {"dask_fit": ["--rows", "40000", "--chunk-rows", "7000"]}


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_saves_its_figure(script, tmp_path):
    saved = re.findall(r"savefig\(\s*\"([^\"]+\.png)\"", script.read_text())
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [sys.executable, str(script), *ARGUMENTS.get(script.stem, [])],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Warning" not in completed.stderr, completed.stderr[-3000:]
    for name in saved:
        assert (tmp_path / name).stat().st_size > 10_000, f"{name} is missing or empty"
