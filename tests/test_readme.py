"""The Python code of README.md and of the documentation's pages runs as written: the
blocks of a page in order, in one namespace, in an empty working directory."""

import os
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = {
    page.relative_to(ROOT).as_posix(): re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    for page in PAGES
}
WITH_CODE = sorted(page for page, blocks in BLOCKS.items() if blocks)
#: Pages whose code needs an optional extra: (module to import, the extra).
EXTRAS = {
    "docs/user_guide/onnx.md": ("skl2onnx", "onnx"),
    "docs/user_guide/dask.md": ("dask", "dask"),
}


def test_readme_and_user_guide_have_examples():
    assert "README.md" in WITH_CODE
    assert sum(page.startswith("docs/user_guide/") for page in WITH_CODE) >= 4


@pytest.mark.parametrize("page", WITH_CODE)
def test_code_blocks_run_without_warnings(page, tmp_path, monkeypatch):
    if page == "docs/user_guide/array_api.md" and os.environ.get("SCIPY_ARRAY_API") != "1":
        pytest.skip(
            "array-API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported: "
            "SCIPY_ARRAY_API=1 pytest tests/test_readme.py -k array_api (.ci/run runs it so)"
        )
    if page in EXTRAS:
        module, extra = EXTRAS[page]
        pytest.importorskip(
            module, reason=f'the {extra} extra is absent: pip install -e ".[{extra}]"'
        )
    monkeypatch.chdir(tmp_path)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for number, code in enumerate(BLOCKS[page]):
            exec(compile(code, f"{page}, block {number}", "exec"), namespace)
