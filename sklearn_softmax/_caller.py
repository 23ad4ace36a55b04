"""Warnings that name the user's line: the first frame outside this package,
scikit-learn and joblib (which call ``fit`` and the metrics on a user's behalf)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_LIBRARIES = ("sklearn", "joblib")


def _stacklevel() -> int:
    """``stacklevel`` for :func:`warnings.warn` called from :func:`warn_at_caller`."""
    frame, level = sys._getframe(2), 2
    while frame is not None:
        inside = frame.f_code.co_filename.startswith(_PACKAGE_DIR)
        inside = inside or frame.f_globals.get("__name__", "").split(".")[0] in _LIBRARIES
        if not inside:
            return level
        frame, level = frame.f_back, level + 1
    return 1


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)`` attributed to the user's calling line."""
    warnings.warn(message, category, stacklevel=_stacklevel())
