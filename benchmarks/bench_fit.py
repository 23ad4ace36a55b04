"""Fit-time benchmark: SoftmaxClassifier against LogisticRegression and LinearSVC.

    python benchmarks/bench_fit.py              # all: ~19 min on 2 cores, 10 of them the L1 section
    python benchmarks/bench_fit.py --datasets satimage --repeats 1 --no-svc --out /tmp/b
    python benchmarks/bench_fit.py --l1-only --out /tmp/b   # the L1 / elastic-net section

Needs the real data sets of ``../shared/data`` (or ``$SKLEARN_SOFTMAX_DATA``) and
matplotlib. Writes ``results.md`` (tables) and ``results.png`` (objective gap
against time) to ``--out`` (default: this folder).

What it measures, each pair alternately in the same process:

1. cross-entropy fit time of ``SoftmaxClassifier()`` and
   ``LogisticRegression(max_iter=1000)`` (both default ``tol``), in float64 and
   float32: median of up to ``--repeats`` runs, iterations, the objective
   ``J / (C n)`` each reached (evaluated in float64) and their ratio, and the time
   our traced fit (as in 3.) first reaches ``LogisticRegression``'s objective;
2. the peak memory each fit allocates (``tracemalloc``, one more default fit each),
   and how it grows with the number of samples, in units of one ``n x K`` array of
   X's dtype (the rest is ``O(d K)``: the model, its gradients, L-BFGS's history);
3. the objective against time (float64, ``results.png``). Ours: one fit with
   ``SoftmaxClassifier``'s parameters through the library's core, whose callback
   records ``(seconds since the start, objective)`` after each L-BFGS iteration.
   ``LogisticRegression`` has no callback: its curve is a sequence of fresh fits
   with ``max_iter`` = 1, 2, 4, ... up to the iterations of its default run, each
   point that fit's own wall time and final objective (every point pays the whole
   fit's setup again; nothing is patched);
4. one loss+gradient evaluation (in its lanes, BLAS on one thread, as in a fit)
   against the two bare matrix products ``W @ X.T`` and ``G @ X`` it cannot avoid
   (on BLAS's default threads);
5. the Crammer-Singer hinge: the time ``SoftmaxClassifier(loss="hinge")`` needs to
   reach the objective ``LinearSVC(multi_class="crammer_singer")`` ends at
   (both evaluated in our objective; ours traced through the callback, which stops
   the fit once reached), against LinearSVC's fit time;
6. L1 and elastic net (``--l1-only`` alone, ``--no-l1`` to skip): on the real data
   sets raw and standardized (R8 raw only), float64 and float32, ``l1_ratio`` 1 and
   0.5, ``SoftmaxClassifier(l1_ratio=r)`` against ``LogisticRegression(solver="saga",
   l1_ratio=r)`` at its defaults (``tol=1e-4``, ``max_iter=100``): default-fit times,
   objectives with the L1 term, the time our traced fit takes to reach saga's
   objective, saga's ConvergenceWarning and the exact zeros of both;
7. text (``--text-only`` alone, ``--no-text`` to skip): R8 vectorized four ways
   (``text_section.py``), C in 0.1, 1, 10, 100, both dtypes, against
   ``LogisticRegression(max_iter=1000)``: times, iterations and objectives.

"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import tracemalloc
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import scipy
from results_file import CV_SECTION, section
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._callbacks import Callbacks
from sklearn_softmax._core import fit_path
from sklearn_softmax._data import fit_data
from sklearn_softmax._losses import make_loss
from sklearn_softmax._settings import DEFAULT_SETTINGS
from sklearn_softmax._threads import blas_threads, one_blas_thread

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from text_section import text_section  # imports tests.oracles: after the path

from tests import core, datasets  # the core as the estimator calls it; ../shared/data

DATASETS = ["letter", "satimage", "shuttle", "usps", "mnist", "r8", "synthetic"]
DENSE_REAL = ["letter", "satimage", "shuttle", "usps", "mnist"]
TIME_BUDGET_PER_ESTIMATOR = 12.0  # seconds of repeats per (estimator, data set, dtype)
L1_DATASETS = [*DENSE_REAL, "r8"]
L1_RATIOS = (1.0, 0.5)
L1_TIME_BUDGET = 4.0  # seconds of repeats per (estimator, row) in the L1 section
L1_TRACE_LIMIT = 3.0  # the equal-objective trace stops at this times the slower default fit


load = datasets.load


def unit_objective(X, y, loss, n_scores, l1_ratio=0.0):
    """``F = J / (C n)`` at C = 1 on ``(X, y)`` without its L1 term: weights ``1 / n``,
    penalty ``alpha = (1 - l1_ratio) / n``."""
    source = fit_data(X, y)
    n_classes, n_samples = source.classes.size, len(y)
    work = DEFAULT_SETTINGS.evaluation_work(source.n_stored, n_samples, n_scores, X.dtype)
    return source.objective(
        make_loss(loss, n_classes),
        np.full(n_classes, 1.0 / n_samples),
        alpha=(1.0 - l1_ratio) / n_samples,
        fit_intercept=True,
        n_scores=n_scores,
        n_lanes=DEFAULT_SETTINGS.lanes(work, blas_threads()),
    )


def objective(X, y, coef, intercept, loss="cross_entropy", l1_ratio=0.0) -> float:
    """``J / (C n)`` at C = 1 in float64, for any fitted linear model, with
    ``J = C sum_i loss_i + r ||W||_1 + (1 - r) / 2 ||W||_F^2`` (``r = l1_ratio``)."""
    problem = unit_objective(
        X.astype(np.float64), y, loss, n_scores=coef.shape[0], l1_ratio=l1_ratio
    )
    W = np.asarray(coef, dtype=np.float64)
    value = problem.value(W, np.asarray(intercept, np.float64))
    return value + l1_ratio * float(np.abs(W).sum()) / len(y)


def quiet_fit(estimator, X, y):
    """Fit; return the estimator and whether it warned that it did not converge."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    return estimator, any(issubclass(w.category, ConvergenceWarning) for w in caught)


def timed_pair(make_ours, make_reference, X, y, repeats, budget=TIME_BUDGET_PER_ESTIMATOR):
    """Alternate the two fits, each repeated while it has spent at most ``budget``
    seconds; median times, last models, convergence warnings."""
    times = {"ours": [], "reference": []}
    models, warned = {}, {}
    spent = {"ours": 0.0, "reference": 0.0}
    for _ in range(repeats):
        for key, make in (("ours", make_ours), ("reference", make_reference)):
            if times[key] and spent[key] > budget:
                continue
            start = time.perf_counter()
            models[key], warned[key] = quiet_fit(make(), X, y)
            elapsed = time.perf_counter() - start
            times[key].append(elapsed)
            spent[key] += elapsed
    return {key: float(np.median(v)) for key, v in times.items()}, times, models, warned


class _TargetReached(Exception):
    """Raised by the trace's callback to end a fit once its objective reached the target
    (scipy passes a callback's exceptions other than StopIteration on to its caller)."""


def trace_ours(estimator: SoftmaxClassifier, X, y, stop_below=-np.inf, time_limit=np.inf):
    """``(seconds since the start, objective)`` after each iteration of ``estimator``'s fit.

    The fit runs the library's core with the estimator's parameters (after the same
    validation as its ``fit``, timed too); the core's callback records the objective
    ``J / (C n)`` (for the hinges, the smoothed stage's: an upper bound; with an L1
    term, its split coordinates' ``sum(P + N)``: at least ``||W||_1``) and stops the
    fit once it is at most ``stop_below`` or ``time_limit`` seconds have passed.
    """
    points: list[tuple[float, float]] = []

    def record(iteration: int, value: float, stationarity: float) -> None:
        points.append((time.perf_counter() - start, value))
        if value <= stop_below or points[-1][0] > time_limit:
            raise _TargetReached

    start = time.perf_counter()
    try:
        problem, C, l1_ratio = core.problem(X, y, **estimator.get_params())
        fit_path(problem, [(C, l1_ratio)], callbacks=Callbacks(on_iteration=record))
    except _TargetReached:
        pass
    if sum(value <= stop_below for _, value in points) > 1:
        raise RuntimeError("the callback's exception did not stop the fit at the target")
    return points


def trace_reference(X, y, n_iter: int):
    """``(seconds, objective)`` of fresh ``LogisticRegression`` fits with ``max_iter`` =
    1, 2, 4, ... and ``n_iter`` last: each point one whole fit's wall time."""
    grid = sorted({2**k for k in range(int(np.log2(max(n_iter, 1))) + 1)} | {n_iter})
    points = []
    for max_iter in grid:
        start = time.perf_counter()
        model, _ = quiet_fit(LogisticRegression(max_iter=max_iter), X, y)
        seconds = time.perf_counter() - start
        points.append((seconds, objective(X, y, model.coef_, model.intercept_)))
    return points


def peak_memory(estimator, X, y) -> float:
    """Peak traced allocation (bytes) during one fit."""
    tracemalloc.start()
    try:
        quiet_fit(estimator, X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def evaluation_cost(X, y, repeats=15):
    """Median time of one evaluation and of the two bare matrix products."""
    n_classes = np.unique(y).size
    problem = unit_objective(X, y, "cross_entropy", n_scores=n_classes)
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((n_classes, X.shape[1])) * 0.01, rng.standard_normal(n_classes)
    W_x = W.astype(X.dtype)
    Z = np.empty((n_classes, X.shape[0]), dtype=X.dtype)

    def products():
        np.matmul(W_x, X.T, out=Z)
        return Z @ X

    def timed(run) -> float:
        run()  # warm: buffers, threads
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - start)
        return float(np.median(seconds))

    with one_blas_thread():  # as in a fit, where the lanes bring the parallelism
        evaluation = timed(lambda: problem.value_gradient(W, b))
    return {"evaluation": evaluation, "products": timed(products)}


def memory_growth(make, dtype, n_features=100, n_classes=10):
    """Peak fit memory against n: (n x K arrays per sample, fixed MB)."""
    rng = np.random.default_rng(1)
    sizes, peaks = [20_000, 40_000, 80_000], []
    for n_samples in sizes:
        y = rng.integers(0, n_classes, n_samples)
        centers = rng.standard_normal((n_classes, n_features)) * 0.3
        X = (centers[y] + rng.standard_normal((n_samples, n_features))).astype(dtype)
        tracemalloc.start()
        quiet_fit(make(), X, y)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    slope, fixed = np.polyfit(sizes, peaks, 1)
    return slope / (n_classes * np.dtype(dtype).itemsize), fixed / 1e6


def time_to_reach(points, target):
    """First time in a trace at which the objective is at most ``target``."""
    for seconds, value in points:
        if value <= target:
            return seconds
    return np.inf


def geometric_mean(values):
    return float(np.exp(np.mean(np.log(values))))


def ratio_summary(title: str, rows: list, key: str) -> str:
    """``title``, the geometric mean of ``row[key]`` over ``rows`` and the largest."""
    worst = max(rows, key=lambda row: row[key])
    return (
        f"{title} {geometric_mean([row[key] for row in rows]):.3f} over {len(rows)} rows, "
        f"largest {worst[key]:.3f} ({worst['label']})."
    )


def l1_variants(names):
    """``(name, scaling, X, y)`` in float64 for the L1 section: each real data set raw
    and standardized (``StandardScaler``); R8 raw only (see ``l1_section``)."""
    for name in [n for n in L1_DATASETS if n in names]:
        X, y = load(name)
        yield name, "raw", X, y
        if name != "r8":
            yield name, "standardized", StandardScaler().fit_transform(X), y


def l1_section(names, repeats, command):
    """L1 and elastic-net cross-entropy against ``LogisticRegression(solver="saga")``.

    Per row (data set, scaling, dtype, ``l1_ratio``): median default-fit times of
    ours and saga's (alternating, up to ``repeats`` each within ``L1_TIME_BUDGET``
    seconds), both objectives in float64, the time our traced fit first reaches
    saga's objective, saga's ConvergenceWarning and the exact zeros of both.
    Returns the markdown lines; prints each row and the summary as measured.
    """
    section_start = time.perf_counter()
    lines = [
        "",
        "## L1 and elastic net against saga",
        "",
        f"`{command}`",
        "",
        "`SoftmaxClassifier(l1_ratio=r)` against `LogisticRegression(solver='saga', "
        "l1_ratio=r)`, both at their defaults (C = 1; saga: `tol=1e-4`, `max_iter=100`), "
        "on each real data set raw and standardized (`StandardScaler`, fitted in float64, "
        "then cast). R8 raw only: standardizing term counts divides each by its standard "
        "deviation, which turns a word seen once into a count of about 74, is not how "
        "text is prepared, and makes saga's steps (1 / max squared row norm) tiny "
        "(about 3-4 minutes per saga fit). Times: medians of up to "
        f"{repeats} alternating fits, each estimator's repeats stopped once they took "
        f"{L1_TIME_BUDGET:g} s. objective = `J / (C n)` in float64 with "
        "`J = C sum_i loss_i + r ||W||_1 + (1 - r) / 2 ||W||_F^2`; rel. = (ours - saga) / "
        "saga; `<=`: ours at most saga's (**NO** flags a row where it is not). reach s: "
        "time our fit (traced through the core's callback, same path, stopped "
        "at the target) takes to first reach saga's objective; its objective is the "
        "callback's (in X's dtype, an upper bound with the L1 term); `>` = not reached "
        f"within {L1_TRACE_LIMIT:g} times the slower default fit. reach ratio = reach s "
        "/ saga s. nnz: exact zeros excluded (`np.count_nonzero` of `coef_`), out of "
        "K x d. `*` = ConvergenceWarning.",
        "",
        "| data (K x d) | scaling | dtype | r | ours s | saga s | ratio | ours objective "
        "| saga objective | rel. | `<=` | reach s | reach ratio | saga warned "
        "| nnz ours | nnz saga |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines[1:]), flush=True)
    rows = []
    for name, scaling, X64, y in l1_variants(names):
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            for r in L1_RATIOS:
                medians, _, models, warned = timed_pair(
                    partial(SoftmaxClassifier, l1_ratio=r),
                    partial(LogisticRegression, solver="saga", l1_ratio=r),
                    X,
                    y,
                    repeats,
                    budget=L1_TIME_BUDGET,
                )
                values = {
                    k: objective(X, y, m.coef_, m.intercept_, l1_ratio=r) for k, m in models.items()
                }
                limit = L1_TRACE_LIMIT * max(medians.values())
                points = trace_ours(
                    SoftmaxClassifier(l1_ratio=r, tol=1e-8),
                    X,
                    y,
                    stop_below=values["reference"],
                    time_limit=limit,
                )
                reach = time_to_reach(points, values["reference"])
                row = {
                    "label": f"{name} {scaling} {np.dtype(dtype).name} r={r:g}",
                    "ratio": medians["ours"] / medians["reference"],
                    "reach": reach / medians["reference"],
                    "lower": values["ours"] <= values["reference"],
                    "saga warned": warned["reference"],
                }
                rows.append(row)
                rel = (values["ours"] - values["reference"]) / values["reference"]
                reach_text = f"{reach:.3f}" if np.isfinite(reach) else f"> {limit:.1f}"
                reach_ratio = f"{row['reach']:.3f}" if np.isfinite(reach) else "-"
                nnz = {k: np.count_nonzero(m.coef_) for k, m in models.items()}
                lines.append(
                    f"| {name} ({models['ours'].coef_.shape[0]} x {X.shape[1]}) | {scaling} "
                    f"| {np.dtype(dtype).name} | {r:g} "
                    f"| {medians['ours']:.3f}{'*' if warned['ours'] else ''} "
                    f"| {medians['reference']:.3f}{'*' if warned['reference'] else ''} "
                    f"| {row['ratio']:.3f} | {values['ours']:.8f} "
                    f"| {values['reference']:.8f} | {rel:+.1e} "
                    f"| {'yes' if row['lower'] else '**NO**'} | {reach_text} | {reach_ratio} "
                    f"| {'yes' if warned['reference'] else 'no'} | {nnz['ours']} "
                    f"| {nnz['reference']} |"
                )
                print(lines[-1], flush=True)

    summary = []
    if rows:
        summary.append(ratio_summary("Default fits: geometric mean time ratio", rows, "ratio"))
        reached = [row for row in rows if np.isfinite(row["reach"])]
        if reached:
            summary.append(ratio_summary("Equal objective: geometric mean ratio", reached, "reach"))
        missed = [row["label"] for row in rows if not np.isfinite(row["reach"])]
        if missed:
            summary.append(f"saga's objective not reached: {', '.join(missed)}.")
        higher = [row["label"] for row in rows if not row["lower"]]
        summary.append(
            f"Ours above saga's objective: {', '.join(higher) if higher else 'none'}. "
            f"saga warned ConvergenceWarning on {sum(row['saga warned'] for row in rows)} "
            f"of {len(rows)} rows."
        )
    summary.append(f"Section time {time.perf_counter() - section_start:.0f} s.")
    lines += ["", *(f"- {line}" for line in summary)]
    print("\n".join(["", *summary]), flush=True)
    return lines


def run(names, repeats, with_svc, out: Path, *, l2=True, l1=True, text=True, command=""):
    """Measure the selected sections; write ``results.md`` (and ``results.png`` with
    the L2 section) to ``out``; return the L2 summary ``{dtype: (mean, largest)}``."""
    command = command or "python benchmarks/bench_fit.py"
    lines = ["# Benchmark results", ""]
    lines.append(
        f"`{command}` on {len(names)} data sets; numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {__import__('sklearn').__version__}."
    )
    summary, curves = {}, {}
    if l2:
        body, summary, curves = l2_sections(names, repeats, with_svc)
        lines += body
    if l1:
        lines += l1_section(names, repeats, command)
    if text and "r8" in names:
        documents, y = datasets.load_r8_text()
        lines += text_section(documents, y, repeats, command, timed_pair=timed_pair)
    if curves:
        lines += [
            "",
            "## Objective against time (results.png)",
            "",
            "The float64 cross-entropy objective minus the best either reached, against "
            "seconds, one panel per data set. SoftmaxClassifier: one fit with its default "
            "parameters, traced through the solver's callback after each L-BFGS iteration. "
            "LogisticRegression has no callback: its curve is a sequence of fresh fits with "
            "`max_iter` = 1, 2, 4, ... up to the iterations of its default run above, each "
            "point that fit's own wall time and final objective (each point pays the fit's "
            "setup again).",
        ]
    out.mkdir(parents=True, exist_ok=True)
    kept = section(out / "results.md", CV_SECTION)  # bench_cv.py's, kept as it was
    (out / "results.md").write_text("\n".join(lines) + "\n" + ("\n" + kept if kept else ""))
    if curves:
        plot(curves, out / "results.png")
    return summary


def l2_sections(names, repeats, with_svc):
    """The L2 sections: cross-entropy tables, memory, evaluation cost and (if
    ``with_svc``) the Crammer-Singer hinge; ``(lines, summary, curves)``."""
    lines = [
        "",
        f"Times are medians of up to {repeats} "
        "alternating runs; ratio = ours / LogisticRegression's; objective = "
        "`J / (C n)` in float64; rel. = (ours - LR) / LR; reach s = median over as "
        "many traced fits (the core's callback, the same path, validation "
        "included) of the time ours first reaches LR's objective (the callback's, in "
        "X's dtype), `inf` if never; reach ratio = reach s / LR s; memory = peak traced "
        "allocation during the fit, MB (float64 only). `*` = ConvergenceWarning.",
    ]
    curves = {}
    summary = {}
    for dtype in (np.float64, np.float32):
        lines += [
            "",
            f"## Cross-entropy, {np.dtype(dtype).name}",
            "",
            "| data | n x d, K | ours s | LR s | ratio | ours it | LR it | ours objective "
            "| LR objective | rel. | reach s | reach ratio | ours MB | LR MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        ratios, reach_ratios = [], []
        for name in names:
            X, y = load(name)
            X = X.astype(dtype)
            n_classes = np.unique(y).size
            medians, _, models, warned = timed_pair(
                SoftmaxClassifier,
                lambda: LogisticRegression(max_iter=1000),
                X,
                y,
                repeats,
            )
            values = {k: objective(X, y, m.coef_, m.intercept_) for k, m in models.items()}
            memory = {"ours": np.nan, "reference": np.nan}
            if dtype == np.float64:  # peak memory of one more fit each; objective curves
                memory["ours"] = peak_memory(SoftmaxClassifier(), X, y) / 1e6
                memory["reference"] = peak_memory(LogisticRegression(max_iter=1000), X, y) / 1e6
                curves[name] = {
                    "ours": trace_ours(SoftmaxClassifier(), X, y),
                    "reference": trace_reference(X, y, int(np.max(models["reference"].n_iter_))),
                }
            reach = float(
                np.median(
                    [
                        time_to_reach(
                            trace_ours(SoftmaxClassifier(), X, y, values["reference"]),
                            values["reference"],
                        )
                        for _ in range(repeats)
                    ]
                )
            )
            reach_ratios.append(reach / medians["reference"])
            ratio = medians["ours"] / medians["reference"]
            ratios.append(ratio)
            rel = (values["ours"] - values["reference"]) / values["reference"]
            iters = {k: int(np.max(m.n_iter_)) for k, m in models.items()}
            star = {k: "*" if warned[k] else "" for k in warned}
            lines.append(
                f"| {name} | {X.shape[0]} x {X.shape[1]}, {n_classes} "
                f"| {medians['ours']:.3f}{star['ours']} | {medians['reference']:.3f}"
                f"{star['reference']} | {ratio:.3f} | {iters['ours']} | {iters['reference']} "
                f"| {values['ours']:.8f} | {values['reference']:.8f} | {rel:+.1e} "
                f"| {reach:.3f} | {reach_ratios[-1]:.3f} "
                f"| {memory['ours']:.1f} | {memory['reference']:.1f} |"
            )
            print(lines[-1], flush=True)
        summary[np.dtype(dtype).name] = (geometric_mean(ratios), max(ratios))
        lines += [
            "",
            f"Geometric mean ratio {geometric_mean(ratios):.3f}, largest {max(ratios):.3f}. "
            f"Equal objective: geometric mean {geometric_mean(reach_ratios):.3f}, largest "
            f"{max(reach_ratios):.3f}.",
        ]

    lines += [
        "",
        "## Memory per sample",
        "",
        "Peak traced memory of a fit (30 iterations) on 20000, 40000 and 80000 samples "
        "of 100 features and 10 classes; the slope of a straight-line fit, in units of "
        "one row of an `n x K` array of X's dtype, and the intercept (the `O(d K)` part).",
        "",
        "| dtype | estimator | n x K arrays per sample | fixed MB |",
        "|---|---|---|---|",
    ]
    for dtype in (np.float64, np.float32):
        for label, make in (
            ("SoftmaxClassifier", lambda: SoftmaxClassifier(max_iter=30)),
            ("LogisticRegression", lambda: LogisticRegression(max_iter=30)),
        ):
            slope, fixed = memory_growth(make, dtype)
            lines.append(f"| {np.dtype(dtype).name} | {label} | {slope:.2f} | {fixed:.1f} |")
            print(lines[-1], flush=True)

    lines += [
        "",
        "## One evaluation against the two bare matrix products (dense)",
        "",
        "| data | dtype | evaluation ms | `W @ X.T` + `G @ X` ms | ratio |",
        "|---|---|---|---|---|",
    ]
    for name in [n for n in ("synthetic", "mnist") if n in names]:
        X, y = load(name)
        for dtype in (np.float64, np.float32):
            cost = evaluation_cost(np.ascontiguousarray(X, dtype=dtype), y)
            lines.append(
                f"| {name} | {np.dtype(dtype).name} | {cost['evaluation'] * 1e3:.1f} "
                f"| {cost['products'] * 1e3:.1f} | {cost['evaluation'] / cost['products']:.2f} |"
            )
            print(lines[-1], flush=True)

    if with_svc:
        lines += [
            "",
            "## Crammer-Singer hinge against LinearSVC(multi_class='crammer_singer')",
            "",
            "Time for `SoftmaxClassifier(loss='hinge', tol=1e-7)` to reach (its smoothed "
            "objective, an upper bound, at most) the objective LinearSVC ends at, against "
            "LinearSVC's fit time; objectives in float64 with an unpenalized intercept. "
            "Our default fit (`tol=1e-4`) is shown for reference.",
            "",
            "| data | LinearSVC s | LinearSVC objective | ours: time to reach it s "
            "| ratio | ours default s | ours default objective |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in [n for n in DENSE_REAL if n in names]:
            X, y = load(name)
            start = time.perf_counter()
            svc, _ = quiet_fit(LinearSVC(multi_class="crammer_singer"), X, y)
            svc_time = time.perf_counter() - start
            target = objective(X, y, svc.coef_, svc.intercept_, "hinge")
            points = trace_ours(
                SoftmaxClassifier(loss="hinge", tol=1e-7, max_iter=20000), X, y, stop_below=target
            )
            reach = time_to_reach(points, target)
            start = time.perf_counter()
            default, warned = quiet_fit(SoftmaxClassifier(loss="hinge"), X, y)
            default_time = time.perf_counter() - start
            value = objective(X, y, default.coef_, default.intercept_, "hinge")
            lines.append(
                f"| {name} | {svc_time:.2f} | {target:.6f} | {reach:.2f} | {reach / svc_time:.3f} "
                f"| {default_time:.2f}{'*' if warned else ''} | {value:.6f} |"
            )
            print(lines[-1], flush=True)
    return lines, summary, curves


def time_ticks(axis) -> None:
    """Readable labels on a log time axis: plain numbers at 1 per decade over 2.5
    decades or more, 1 and 3 over 1.2 or more, 1, 2, 5 over 0.6 or more, else every
    integer; no minor labels (matplotlib labels the minor ticks of short spans, which
    overlap)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    low, high = axis.get_xlim()
    decades = np.log10(high / low)
    if decades >= 2.5:
        steps = (1.0,)
    elif decades >= 1.2:
        steps = (1.0, 3.0)
    elif decades >= 0.6:
        steps = (1.0, 2.0, 5.0)
    else:
        steps = np.arange(1.0, 10.0)
    axis.xaxis.set_major_locator(LogLocator(base=10, subs=steps))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.xaxis.set_minor_formatter(NullFormatter())


def plot(curves, path: Path):
    """Objective gap ``F - F*`` against time, one panel per data set (float64)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(curves)
    columns = min(4, len(names))
    rows = int(np.ceil(len(names) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.2 * rows), squeeze=False)
    for axis, name in zip(axes.ravel(), names, strict=False):
        best = min(value for points in curves[name].values() for _, value in points)
        for key, label in (
            ("ours", "SoftmaxClassifier"),
            ("reference", "LogisticRegression (fits, max_iter = 1, 2, 4, ...)"),
        ):
            points = np.array(curves[name][key])
            gap = np.maximum(points[:, 1] - best, 1e-12 * abs(best))
            style = {"marker": ".", "markersize": 4} if key == "reference" else {}
            axis.loglog(points[:, 0], gap, label=label, **style)
        time_ticks(axis)
        axis.set_title(name)
        axis.set_xlabel("seconds")
        axis.set_ylabel("objective - best")
    for axis in axes.ravel()[len(names) :]:
        axis.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-svc", action="store_true", help="skip the LinearSVC comparison")
    sections = parser.add_mutually_exclusive_group()
    sections.add_argument(
        "--no-l1", action="store_true", help="skip the L1 / elastic-net comparison with saga"
    )
    sections.add_argument(
        "--l1-only", action="store_true", help="only the L1 / elastic-net comparison with saga"
    )
    sections.add_argument(
        "--text-only", action="store_true", help="only the text section (R8 vectorized)"
    )
    parser.add_argument("--no-text", action="store_true", help="skip the text section")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    if not datasets.available() and set(args.datasets) - {"synthetic"}:
        parser.error(f"the shared data directory {datasets.DATA_DIR} is absent")
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join(["python", "benchmarks/bench_fit.py", *arguments])
    start = time.perf_counter()
    summary = run(
        args.datasets,
        args.repeats,
        not args.no_svc,
        args.out,
        l2=not (args.l1_only or args.text_only),
        l1=not (args.no_l1 or args.text_only),
        text=not (args.no_text or args.l1_only),
        command=command,
    )
    for dtype, (mean, worst) in summary.items():
        print(f"{dtype}: geometric mean ratio {mean:.3f}, largest {worst:.3f}")
    print(f"total {time.perf_counter() - start:.0f} s; wrote {args.out / 'results.md'}")


if __name__ == "__main__":
    main()
