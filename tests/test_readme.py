"""The Python code of README.md and of the documentation's pages runs as written."""

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [
    (page.relative_to(ROOT).as_posix(), number, code)
    for page in PAGES
    for number, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL))
]


def test_readme_and_user_guide_have_examples():
    pages = {page for page, _, _ in BLOCKS}
    assert "README.md" in pages
    assert sum(page.startswith("docs/user_guide/") for page in pages) >= 4


@pytest.mark.parametrize(
    ("page", "code"),
    [(page, code) for page, _, code in BLOCKS],
    ids=[f"{page}:{number}" for page, number, _ in BLOCKS],
)
def test_code_block_runs_without_warnings(page, code):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(code, page, "exec"), {})
