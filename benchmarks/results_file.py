"""``results.md`` is shared: bench_fit.py writes it whole, bench_cv.py one section of it.

A section is a ``## title`` line and what follows up to the next ``## `` line.
"""

from __future__ import annotations

from pathlib import Path

#: The section bench_cv.py owns; bench_fit.py keeps it when it rewrites the file.
CV_SECTION = "## Cross-validating C (bench_cv.py)"


def section(path: Path, title: str) -> str | None:
    """The section ``title`` of the file at ``path`` (with its heading), or None."""
    if not path.exists():
        return None
    text = path.read_text()
    start = text.find(title + "\n")
    if start < 0:
        return None
    end = text.find("\n## ", start + len(title))
    return text[start:] if end < 0 else text[start : end + 1]


def replace_section(path: Path, title: str, body: str) -> None:
    """Write ``title`` and ``body`` as a section of the file at ``path``, in place of
    the old one or at the end."""
    new = f"{title}\n\n{body.strip()}\n"
    old = section(path, title)
    text = path.read_text() if path.exists() else ""
    if old is not None:
        text = text.replace(old, new + ("\n" if old.endswith("\n\n") else ""))
    else:
        text = text.rstrip("\n") + "\n\n" + new
    path.write_text(text)
