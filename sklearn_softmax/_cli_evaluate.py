"""The command line's cross-validation: each model's folds fitted under one BLAS
thread limit, scored (with the sample weights, if any) by accuracy, cross-entropy
and the Crammer-Singer hinge; the table of the results."""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import _safe_indexing
from threadpoolctl import threadpool_limits

from .metrics import cross_entropy_loss, multiclass_hinge_loss


def fit(pipeline, X, y, sample_weight=None):
    """``pipeline.fit`` with the sample weights routed to its last step."""
    if sample_weight is None:
        return pipeline.fit(X, y)
    return pipeline.fit(X, y, **{f"{pipeline.steps[-1][0]}__sample_weight": sample_weight})


def evaluate(pipeline, X, y, cv: int, sample_weight=None, threads: int = 1) -> dict:
    """Mean accuracy, cross-entropy (None without ``predict_proba``), hinge and fit
    time over ``cv`` stratified folds; each fit under a BLAS limit of ``threads``."""
    folds = StratifiedKFold(cv, shuffle=True, random_state=0)
    scores = {"accuracy": [], "cross_entropy": [], "hinge": [], "fit_time": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        for train, test in folds.split(np.zeros(len(y)), y):
            model = clone(pipeline)
            w_train = None if sample_weight is None else sample_weight[train]
            w_test = None if sample_weight is None else sample_weight[test]
            with threadpool_limits(limits=threads):
                start = time.perf_counter()
                fit(model, _safe_indexing(X, train), y[train], w_train)
                scores["fit_time"].append(time.perf_counter() - start)
            X_test, y_test = _safe_indexing(X, test), y[test]
            classes = model.classes_
            scores["accuracy"].append(
                accuracy_score(y_test, model.predict(X_test), sample_weight=w_test)
            )
            decision = model.decision_function(X_test)
            scores["hinge"].append(
                multiclass_hinge_loss(y_test, decision, labels=classes, sample_weight=w_test)
            )
            if hasattr(model, "predict_proba"):
                proba = model.predict_proba(X_test)
                scores["cross_entropy"].append(
                    cross_entropy_loss(y_test, proba, labels=classes, sample_weight=w_test)
                )
    row = {key: float(np.mean(values)) if values else None for key, values in scores.items()}
    row["warned"] = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return row


def format_table(rows) -> str:
    """The results as an aligned text table, one line per model."""
    header = ("model", "accuracy", "cross-entropy", "hinge", "fit time (s)")
    lines = [
        (
            name + (" *" if row["warned"] else ""),
            f"{row['accuracy']:.4f}",
            "n/a" if row["cross_entropy"] is None else f"{row['cross_entropy']:.4f}",
            f"{row['hinge']:.4f}",
            f"{row['fit_time']:.3f}",
        )
        for name, row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells):
        first = cells[0].ljust(widths[0])
        return "  ".join(
            [first] + [cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True)]
        )

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([render(header), rule, *map(render, lines)])
