"""Release: the wheel built from the repository installs into a fresh virtual
environment, reports the metadata's version, ships py.typed, and runs the README's
example there."""

import re
import subprocess
import sys
import venv
from importlib.metadata import version
from pathlib import Path

import pytest

import sklearn_softmax

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_installed_metadata_version():
    assert sklearn_softmax.__version__ == version("sklearn_softmax")
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert (
        re.search(r'^version = "(.+)"$', pyproject, re.MULTILINE)[1] == sklearn_softmax.__version__
    )


def test_wheel_installs_in_a_fresh_environment_and_runs_the_readme(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("sklearn_softmax-*.whl")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    readme = (ROOT / "README.md").read_text()
    example = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)[0]
    check = (
        "import importlib.metadata, importlib.resources, sklearn_softmax\n"
        "assert sklearn_softmax.__version__ == importlib.metadata.version('sklearn_softmax')\n"
        "assert importlib.resources.files('sklearn_softmax').joinpath('py.typed').is_file()\n"
        "print(sklearn_softmax.__version__, sklearn_softmax.__file__)\n" + example
    )
    ran = subprocess.run(
        [str(python), "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    first = ran.stdout.splitlines()[0].split()
    assert first[0] == sklearn_softmax.__version__
    assert str(environment) in first[1], "imported the repository, not the wheel"
