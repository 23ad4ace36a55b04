"""Sphinx configuration of the sklearn_softmax documentation.

Build (from the repository root): ``python -m sphinx -W --keep-going -b html docs
docs/_build/html``. Offline: no intersphinx inventory is fetched, and MathJax comes from
the ``sphinx-mathjax-offline`` package into the built site.
"""

import os
import sys
from pathlib import Path

# The array-API example and page turn on scikit-learn's dispatch, which needs scipy's
# array-API mode from its first import: this process imports scipy below.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import sklearn_softmax

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # gallery_args
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sklearn_softmax"
author = "the sklearn_softmax developers"
copyright = "2026, the sklearn_softmax developers"
release = sklearn_softmax.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = True
# scikit-learn's metadata-routing setters (set_fit_request, ...) are generated per
# class with docstrings that cite scikit-learn's own glossary: left to its docs.
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": "set_fit_request,set_score_request,set_predict_request",
}
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Members scikit-learn gives every estimator: not part of this reference.
numpydoc_validation_checks: set[str] = set()

#: The gallery runs every example (the Dask one with small arguments: gallery_args.py).
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_argv": "gallery_args.reset_argv",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_softmax {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False
