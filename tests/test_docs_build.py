"""The documentation builds offline with warnings as errors, and shows what it must:
every example with its figure, every public name in the API reference, math by a
MathJax served from the site itself."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason='the docs extra is absent: pip install -e ".[docs]"')
pytest.importorskip("sphinx_gallery", reason='the docs extra is absent: pip install -e ".[docs]"')
pytest.importorskip(
    "pydata_sphinx_theme", reason='the docs extra is absent: pip install -e ".[docs]"'
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.py"))
PUBLIC = [
    "sklearn_softmax.SoftmaxClassifier",
    "sklearn_softmax.SoftmaxClassifierCV",
    "sklearn_softmax.SoftmaxPath",
    "sklearn_softmax.softmax_path",
    "sklearn_softmax.metrics.cross_entropy_loss",
    "sklearn_softmax.metrics.multiclass_hinge_loss",
    "sklearn_softmax.metrics.loss_scorer",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site's directory (``python -m sphinx -W --keep-going -b html``)."""
    output = tmp_path_factory.mktemp("docs") / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    completed = subprocess.run(
        [*command, "docs", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-5000:]
    return output


def test_every_example_is_a_gallery_page_with_its_figure(site):
    for stem in EXAMPLES:
        page = (site / "auto_examples" / f"{stem}.html").read_text()
        draws = "plt.show()" in (ROOT / "examples" / f"{stem}.py").read_text()
        images = re.findall(r'<img[^>]+src="(\.\./_images/sphx_glr_[^"]+\.png)"', page)
        if draws:
            assert images, f"{stem}: no figure on its gallery page"
            for image in images:
                assert (site / "auto_examples" / image).resolve().stat().st_size > 10_000
        if "print(" in (ROOT / "examples" / f"{stem}.py").read_text():
            assert "sphx-glr-script-out" in page, f"{stem}: no printed output on its page"


def test_every_public_name_has_an_api_page_with_numpydoc_sections(site):
    for name in PUBLIC:
        page = (site / "generated" / f"{name}.html").read_text()
        sections = {"Parameters", "Returns", "Attributes"} & set(
            re.findall(r'class="field-\w+">(\w+)', page)
        )
        assert sections >= ({"Attributes"} if name.endswith("SoftmaxPath") else {"Parameters"})
        assert sections & {"Returns", "Attributes"}, name
    api = (site / "api.html").read_text()
    for scorer in ["neg_cross_entropy_scorer", "neg_hinge_scorer", "SCORERS"]:
        assert scorer in api


def test_math_is_rendered_by_a_local_mathjax(site):
    page = (site / "user_guide" / "objective.html").read_text()
    assert "\\lVert W \\rVert_1" in page  # the objective, as TeX for MathJax
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any("mathjax/tex-chtml.js" in src for src in scripts), scripts
    assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))], scripts
    assert (site / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
