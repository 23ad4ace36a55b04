"""Every script in examples/ runs to the end, without a warning, and draws its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
#: Smaller runs of the examples that take arguments (the gallery's, docs/gallery_args.py).
ARGUMENTS = {"dask_fit": ["--rows", "40000", "--chunk-rows", "7000"]}
#: Runs a script as __main__, then saves each figure it left open as figureN.png.
RUNNER = """
import runpy, sys
import matplotlib.pyplot as plt
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
for number in plt.get_fignums():
    plt.figure(number).savefig(f"figure{number}.png", dpi=80)
"""


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_draws_its_figure(script, tmp_path):
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, str(script), *ARGUMENTS.get(script.stem, [])],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Warning" not in completed.stderr, completed.stderr[-3000:]
    figures = sorted(tmp_path.glob("figure*.png"))
    if "plt.show()" in script.read_text():
        assert figures, f"{script.name} drew no figure"
    for figure in figures:
        assert figure.stat().st_size > 10_000, f"{figure.name} of {script.name} is empty"


@pytest.mark.parametrize(
    ("stem", "dataset"),
    [
        ("plot_decision_regions", "make_blobs"),
        ("plot_convergence", "digits"),
        ("grid_search_loss", "digits"),
        ("plot_cv_path", "digits"),
    ],
)
def test_figures_are_labelled(stem, dataset, tmp_path, monkeypatch):
    """Each plot has axis labels and a legend, and the figure names its data set."""
    import runpy

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    plt.close("all")
    runpy.run_path(str(EXAMPLES[0].parent / f"{stem}.py"), run_name="__main__")
    (number,) = plt.get_fignums()
    figure = plt.figure(number)
    titles = [figure._suptitle.get_text() if figure._suptitle else ""]
    plots = [axis for axis in figure.axes if axis.get_xlabel() or axis.lines or axis.collections]
    for axis in plots:
        titles.append(axis.get_title())
        assert axis.get_xlabel(), f"{stem}: an axis without an x label"
    assert all(axis.get_ylabel() for axis in plots if axis.get_subplotspec().is_first_col())
    assert any(axis.get_legend() is not None for axis in plots), f"{stem}: no legend"
    assert any(dataset in title for title in titles), titles
    plt.close("all")
