"""bench_fit.py's text section: R8 vectorized as users do, ours against LogisticRegression.

Four preparations of R8's training documents (5485 documents, 8 classes), each fitted
at C in 0.1, 1, 10, 100, in float64 and float32: ``TfidfVectorizer()``,
``TfidfVectorizer(sublinear_tf=True)``, words and bigrams
``TfidfVectorizer(ngram_range=(1, 2), min_df=2)``, and hashed words
``HashingVectorizer(n_features=2**18, alternate_sign=False)`` + ``TfidfTransformer()``.
Per cell, alternately: ``SoftmaxClassifier(C=C)`` and
``LogisticRegression(C=C, max_iter=1000)`` at their defaults, median times, iterations,
both objectives ``J / (C n)`` in float64.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from sklearn_softmax import SoftmaxClassifier
from tests.oracles import objective  # the textbook J (bench_fit.py puts the root on the path)

CS = (0.1, 1.0, 10.0, 100.0)
TIME_BUDGET = 20.0  # seconds of repeats per (estimator, cell)


def preparations(documents):
    """``(name, X)``: the four vectorizations of ``documents`` (float64 CSR)."""
    yield "tfidf", TfidfVectorizer().fit_transform(documents)
    yield "tfidf sublinear", TfidfVectorizer(sublinear_tf=True).fit_transform(documents)
    yield (
        "tfidf 1-2-grams min_df=2",
        TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(documents),
    )
    hashed = HashingVectorizer(n_features=2**18, alternate_sign=False).fit_transform(documents)
    yield "hashed 2^18 + tfidf", TfidfTransformer().fit_transform(hashed)


def text_section(documents, y, repeats: int, command: str, *, timed_pair):
    """The section's markdown lines; each row is printed as measured. ``timed_pair`` is
    bench_fit.py's (alternating medians)."""
    start = time.perf_counter()
    lines = [
        "",
        "## Text: R8 as users vectorize it",
        "",
        f"`{command}`",
        "",
        __doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
        f"Medians of up to {repeats} fits each, within {TIME_BUDGET:g} s per estimator. "
        "ratio = ours / LogisticRegression's time; rel. = (ours - LR) / LR objective; "
        "`<=`: ours at most LR's (**NO** where not).",
        "",
        "| preparation (d) | dtype | C | ours s | LR s | ratio | ours it | LR it "
        "| ours objective | LR objective | rel. | `<=` |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines[1:]), flush=True)
    rows = []
    for name, X64 in preparations(documents):
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            for C in CS:
                medians, _, models, _ = timed_pair(
                    lambda C=C: SoftmaxClassifier(C=C),
                    lambda C=C: LogisticRegression(C=C, max_iter=1000),
                    X,
                    y,
                    repeats,
                    budget=TIME_BUDGET,
                )
                values = {  # J / (C n) in float64
                    k: objective(m.coef_, m.intercept_, X64, y, C=C) / (C * len(y))
                    for k, m in models.items()
                }
                ratio = medians["ours"] / medians["reference"]
                lower = values["ours"] <= values["reference"]
                rows.append((ratio, lower, f"{name} {np.dtype(dtype).name} C={C:g}"))
                rel = (values["ours"] - values["reference"]) / values["reference"]
                lines.append(
                    f"| {name} ({X.shape[1]}) | {np.dtype(dtype).name} | {C:g} "
                    f"| {medians['ours']:.3f} | {medians['reference']:.3f} | {ratio:.3f} "
                    f"| {models['ours'].n_iter_} | {models['reference'].n_iter_[0]} "
                    f"| {values['ours']:.8f} | {values['reference']:.8f} | {rel:+.1e} "
                    f"| {'yes' if lower else '**NO**'} |"
                )
                print(lines[-1], flush=True)
    ratios = [ratio for ratio, _, _ in rows]
    worst = max(rows)
    higher = [label for _, lower, label in rows if not lower]
    summary = [
        f"Geometric mean time ratio {np.exp(np.mean(np.log(ratios))):.3f} over {len(rows)} "
        f"cells, largest {worst[0]:.3f} ({worst[2]}).",
        f"Ours above LogisticRegression's objective: {', '.join(higher) or 'none'}.",
        f"Section time {time.perf_counter() - start:.0f} s.",
    ]
    print("\n".join(["", *summary]), flush=True)
    return [*lines, "", *(f"- {line}" for line in summary)]
