"""Measurements behind design choices stated in the library's docstrings (see notes.md).

    python benchmarks/bench_design.py          # all sections: ~10 min on a busy 2-core machine
    python benchmarks/bench_design.py --sections lanes history

Needs the real data sets of ``../shared/data`` (or ``$SKLEARN_SOFTMAX_DATA``), raw
(unscaled), float64. Prints one markdown table per section. Every fit runs the
library's core with ``SoftmaxClassifier``'s default parameters for its loss (as
``bench_fit.py`` traces them), its evaluations timed through the core's callback; the
sections that test a design choice pass the core other solver settings
(``SolverSettings``), here only:

preconditioner
    Iterations of the default cross-entropy fit in the library's coordinates (features
    centered, divided by ``max(sd, 1)``: scaled down to unit spread, never up) against
    the same fit in fully standardized coordinates (divided by ``sd``; 1 for a constant
    feature), by ``scale_floor=0``. Same objective, same
    optimum, same stopping rule: only the solver's coordinates differ. The standardized
    fits stop at 10 times the library's iterations (reported as ``>=``).
lanes
    The default cross-entropy fit on each data set, float64 and float32, with its
    evaluations in one lane and in as many lanes as the process has BLAS threads
    (``lane_work``; BLAS on one thread in both): median of ``--repeats``
    fits alone and as many each right after a ``LogisticRegression(max_iter=1000)``
    fit (as ``bench_fit.py`` alternates them), the time per iteration alone (the
    iteration counts follow the rounding, which the lanes change), and the library's
    choice.
iterations
    Iterations of each loss (cross-entropy, hinge, squared hinge; the default
    Crammer-Singer multiclass hinge) on each raw real data set, with the default
    ``tol`` and ``max_iter``.
history
    Cross-entropy on shuttle (70 parameters; 10 and 100 pairs) and R8 (160k
    parameters; 2, 5, 10 and 100 pairs) with those L-BFGS histories
    (``history``): iterations, fit time,
    and the time spent in the evaluations against the rest.
csv
    The command line's CSV reader on a generated 200000 x 50 file (about 190 MB):
    pandas' reader against ``numpy.loadtxt`` (``read_csv``'s ``reader``), median of 3
    reads each.
l1-history
    L1 cross-entropy (``l1_ratio=1``; L-BFGS-B with bounds) on satimage, letter and
    USPS with histories (``history``) of 10, 20, 40 and 100 pairs: iterations and the median fit
    time of 3, beside the L2 fit at 10 and 100 pairs.
working-sets
    L1 and elastic-net cross-entropy (``l1_ratio`` 1 and 0.5, float64) on R8, MNIST and
    USPS over all the weights and over working sets (``working_sets``; on R8 also
    with the sets growing by at least 1,024 and 16,384 weights,
    ``working_set_growth``), alternating, 3 fits each: iterations, median time,
    ``J / (C n)`` and the non-zero weights, and the library's choice.

starts
    Cross-entropy (default parameters) on each raw data set and the synthetic one
    from three starts, alternating, 3 fits each: zeros (the library's), the
    intercepts at the centered log class priors (the core's ``start``), and a first fit on
    every 8th row (a strided view; ``C`` times 8, so that ``J / (C sum w)`` stays
    comparable) warm-starting the full fit. Iterations, median time, and ``F``
    relative to the start from zeros: the stopping rule is unchanged.

Timings are wall times on whatever else the machine is running.
"""

from __future__ import annotations

import argparse
import functools
import time
import warnings

import numpy as np
from bench_fit import datasets, load, objective

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax._callbacks import Callbacks
from sklearn_softmax._core import Start, fit_path
from sklearn_softmax._settings import DEFAULT_SETTINGS, SolverSettings
from tests import core

REAL = ["letter", "satimage", "shuttle", "usps", "mnist", "r8"]
LOSSES = ["cross_entropy", "hinge", "squared_hinge"]
SECTIONS = [
    "preconditioner",
    "lanes",
    "iterations",
    "history",
    "l1-history",
    "csv",
    "starts",
    "working-sets",
]


def fit(name: str, loss="cross_entropy", settings=DEFAULT_SETTINGS, **params) -> dict:
    """One fit of ``SoftmaxClassifier(loss=loss, **params)``'s problem on data set ``name``
    by the core under ``settings``, its evaluations counted and timed by its callback."""
    X, y = data(name)
    clock = {"evaluations": 0, "evaluation_seconds": 0.0}

    def count(evaluation) -> None:
        clock["evaluations"] += 1
        clock["evaluation_seconds"] += evaluation.seconds

    start = time.perf_counter()
    fitted = core.fit(
        X, y, loss=loss, **params, settings=settings, callbacks=Callbacks(on_evaluation=count)
    )
    seconds = time.perf_counter() - start
    n_scores, n_features = fitted.W.shape
    split = fitted.l1_ratio > 0 if settings.split is None else settings.split
    parameters = n_scores * ((2 if split else 1) * n_features + 1)
    return {
        "n_iter": fitted.n_iter,
        "reason": fitted.reason,
        "parameters": parameters,
        "seconds": seconds,
        **clock,
    }


@functools.cache
def data(name: str):
    return load(name)


@functools.cache
def default_fit(name: str, loss: str = "cross_entropy") -> dict:
    """The library's own fit, shared by the sections."""
    return fit(name, loss)


def iterations(result: dict) -> str:
    """Iterations, with ``*`` when the fit did not converge (its reason)."""
    star = "" if result["reason"] == "converged" else f"* ({result['reason']})"
    return f"{result['n_iter']}{star}"


def preconditioner(names):
    yield "| data | iterations, sigma = max(sd, 1) (library) | iterations, sigma = sd | ratio |"
    yield "|---|---|---|---|"
    for name in names:
        ours = default_fit(name)
        full = fit(  # capped at 10x the library's iterations: the claim is 3 to 6x
            name,
            settings=SolverSettings(scale_floor=0.0),
            max_iter=10 * ours["n_iter"],
        )
        ratio = full["n_iter"] / ours["n_iter"]
        at_least = ">= " if full["reason"] == "max_iter" else ""
        yield f"| {name} | {iterations(ours)} | {iterations(full)} | {at_least}{ratio:.2f} |"
    yield ""
    yield "The fully standardized fits stop at 10x the library's iterations (`max_iter`)."


def lanes(names, repeats=5):
    """Rows of the 'lanes' section."""
    from sklearn.linear_model import LogisticRegression

    from sklearn_softmax._threads import blas_threads

    yield (
        "| data | dtype | work | one lane: alone / after LR s (iterations) "
        f"| {blas_threads()} lanes: alone / after LR s (iterations) "
        "| ms per iteration alone, one / more | library's lanes |"
    )
    yield "|---|---|---|---|---|---|---|"
    for name in names:
        for dtype in (np.float64, np.float32):
            X, y = data(name)
            X = X.astype(dtype)
            n_scores = np.unique(y).size
            cells, per_iteration = {}, {}
            for label, least in (("one", np.inf), ("more", 1)):
                settings = SolverSettings(lane_work=least)
                alone, after = [], []
                for _ in range(repeats):
                    start = time.perf_counter()
                    fitted = core.fit(X, y, settings=settings)
                    alone.append(time.perf_counter() - start)
                for _ in range(repeats):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        LogisticRegression(max_iter=1000).fit(X, y)
                    start = time.perf_counter()
                    core.fit(X, y, settings=settings)
                    after.append(time.perf_counter() - start)
                cells[label] = f"{np.median(alone):.3f} / {np.median(after):.3f} ({fitted.n_iter})"
                per_iteration[label] = 1e3 * np.median(alone) / max(fitted.n_iter, 1)
            stored = X.nnz if hasattr(X, "nnz") else X.size
            work = DEFAULT_SETTINGS.evaluation_work(stored, X.shape[0], n_scores, dtype)
            chosen = DEFAULT_SETTINGS.lanes(work, blas_threads())
            yield (
                f"| {name} | {np.dtype(dtype).name} | {work:.1e} | {cells['one']} "
                f"| {cells['more']} | {per_iteration['one']:.2f} / "
                f"{per_iteration['more']:.2f} | {chosen} |"
            )


def iteration_counts(names):
    yield "| data | " + " | ".join(f"{loss}: iterations (s)" for loss in LOSSES) + " |"
    yield "|---" * (len(LOSSES) + 1) + "|"
    for name in names:
        results = [default_fit(name, loss) for loss in LOSSES]
        cells = [f"{iterations(r)} ({r['seconds']:.1f})" for r in results]
        yield f"| {name} | " + " | ".join(cells) + " |"
    yield ""
    yield "`*`: stopped without converging (at `max_iter` = 5000, or by `precision`)."


def history(names):
    yield (
        "| data | parameters | history | default | iterations | fit s | evaluations "
        "| evaluations s | rest s |"
    )
    yield "|---|---|---|---|---|---|---|---|---|"
    tried = {"shuttle": (10, 100), "r8": (2, 5, 10, 100)}
    for name in [n for n in tried if n in names]:
        X, _ = data(name)
        for pairs in tried[name]:
            result = fit(name, settings=SolverSettings(history=pairs))
            n_stored = X.nnz if hasattr(X, "nnz") else X.size
            n_scores = result["parameters"] // (X.shape[1] + 1)
            default = DEFAULT_SETTINGS.lbfgs_history(n_stored, n_scores, result["parameters"])
            rest = result["seconds"] - result["evaluation_seconds"]
            marker = "yes" if pairs == default else ""
            yield (
                f"| {name} | {result['parameters']} | {pairs} | {marker} "
                f"| {iterations(result)} | {result['seconds']:.2f} | {result['evaluations']} "
                f"| {result['evaluation_seconds']:.2f} | {rest:.2f} |"
            )


def csv_reading():
    """Rows of the 'csv' section."""
    import tempfile
    from pathlib import Path

    from sklearn_softmax import _datafile

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        with open(path, "w") as file:
            file.write(",".join(f"f{j}" for j in range(50)) + ",label\n")
            for _ in range(10):
                block = rng.standard_normal((20000, 50)) * 100
                labels = rng.integers(0, 5, 20000)
                for row, label in zip(block.tolist(), labels.tolist(), strict=True):
                    file.write(",".join(map(repr, row)) + f",{label}\n")
        size = path.stat().st_size / 1e6
        yield f"File: 200000 x 50 floats and a label, {size:.0f} MB."
        yield ""
        yield "| reader | median s of 3 |"
        yield "|---|---|"
        for reader, patch in (
            ("pandas.read_csv", "pandas"),
            ("numpy.loadtxt", "numpy"),
        ):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                _datafile.read_csv(path, None, reader=patch)
                times.append(time.perf_counter() - start)
            yield f"| {reader} | {np.median(times):.2f} |"


def l1_history(names):
    """Rows of the 'l1-history' section."""
    yield "| data | l1_ratio | pairs | default | iterations | median s of 3 |"
    yield "|---|---|---|---|---|---|"
    for name in [n for n in ("satimage", "letter", "usps") if n in names]:
        X, y = load(name)
        n_scores, d = np.unique(y).size, X.shape[1]
        for l1_ratio, choices in ((1.0, (10, 20, 40, 100)), (0.0, (10, 100))):
            n_parameters = n_scores * (d + 1) + (n_scores * d if l1_ratio else 0)
            default = DEFAULT_SETTINGS.lbfgs_history(
                X.size, n_scores, n_parameters, bounded=l1_ratio > 0
            )
            for pairs in choices:
                times = []
                for _ in range(3):
                    start = time.perf_counter()
                    fitted = core.fit(
                        X, y, l1_ratio=l1_ratio, settings=SolverSettings(history=pairs)
                    )
                    times.append(time.perf_counter() - start)
                marker = "yes" if pairs == default else f"({default})"
                yield (
                    f"| {name} | {l1_ratio:g} | {pairs} | {marker} | {fitted.n_iter} "
                    f"| {np.median(times):.3f} |"
                )


def working_sets(names, repeats=3):
    """Rows of the 'working-sets' section."""
    yield "| data | l1_ratio | variant | library's | iterations | median s | objective | non-zero |"
    yield "|---|---|---|---|---|---|---|---|"
    growth = DEFAULT_SETTINGS.working_set_growth
    for name in [n for n in ("r8", "mnist", "usps") if n in names]:
        X, y = load(name)
        n_classes, n_stored = np.unique(y).size, X.nnz if hasattr(X, "nnz") else X.size
        n_scores = 1 if n_classes == 2 else n_classes
        n_variables = n_scores * (2 * X.shape[1] + 1)
        chosen = DEFAULT_SETTINGS.use_working_sets(n_stored, n_scores, n_variables)
        variants = {"all weights": SolverSettings(working_sets=False)}
        for other in (1024, growth, 16384) if name == "r8" else (growth,):
            variants[f"working sets, growth {other}"] = SolverSettings(
                working_sets=True, working_set_growth=other
            )
        for l1_ratio in (1.0, 0.5):
            runs = {label: [] for label in variants}
            for _ in range(repeats):
                for label, settings in variants.items():
                    start = time.perf_counter()
                    fitted = core.fit(X, y, l1_ratio=l1_ratio, settings=settings)
                    runs[label].append((time.perf_counter() - start, fitted))
            for label, settings in variants.items():
                fitted = runs[label][-1][1]
                value = objective(X, y, fitted.W, fitted.b, l1_ratio=l1_ratio)
                library = settings.working_sets == chosen and (
                    settings.working_set_growth == growth
                )
                yield (
                    f"| {name} | {l1_ratio:g} | {label} | {'yes' if library else ''} "
                    f"| {fitted.n_iter} | {np.median([t for t, _ in runs[label]]):.2f} "
                    f"| {value:.9f} | {np.count_nonzero(fitted.W)} |"
                )


def start_from_zeros(X, y):
    """The library's fit, and no first stage: ``(W, b, iterations as text)``."""
    fitted = core.fit(X, y)
    return fitted.W, fitted.b, f"{fitted.n_iter}"


def start_from_priors(X, y):
    """The fit from ``W = 0`` and the intercepts at the centered log class priors (the
    cross-entropy optimum of a model without features), the core's ``start``."""
    problem, C, l1_ratio = core.problem(X, y)
    classes, counts = np.unique(y, return_counts=True)
    log_prior = np.log(counts / counts.sum())
    if classes.size == 2:
        W0, b0 = np.zeros((1, X.shape[1])), log_prior[1:] - log_prior[:1]
    else:
        W0, b0 = np.zeros((classes.size, X.shape[1])), log_prior - log_prior.mean()
    (fitted,) = fit_path(problem, [(C, l1_ratio)], start=Start(classes, W0, b0)).points
    return fitted.W, fitted.b, f"{fitted.n_iter}"


def start_from_rows(X, y, step=8):
    """A fit on every ``step``-th row (a strided view, no copy) with ``C`` times
    ``step`` (so that ``J / (C sum w)`` stays comparable), warm-starting the full fit
    (``SoftmaxClassifier(warm_start=True)``); both stages' iterations as text."""
    model = SoftmaxClassifier(C=float(step), warm_start=True).fit(X[::step], y[::step])
    first = model.n_iter_
    model.set_params(C=1.0).fit(X, y)
    return model.coef_, model.intercept_, f"{first} + {model.n_iter_}"


def starts(names, repeats=3):
    """Rows of the 'starts' section."""
    yield (
        "| data | start | iterations (first stage + full) | median s of 3 | ratio to zeros "
        "| F rel. to zeros |"
    )
    yield "|---|---|---|---|---|---|"
    for name in [*names, "synthetic"]:
        X, y = data(name)

        variants = {"zeros": start_from_zeros, "log priors": start_from_priors}
        if np.unique(y[::8]).size == np.unique(y).size:
            variants["rows 1/8 first"] = start_from_rows
        times = {label: [] for label in variants}
        last = {}
        for _ in range(repeats):  # alternating
            for label, run in variants.items():
                start = time.perf_counter()
                last[label] = run(X, y)
                times[label].append(time.perf_counter() - start)
        values = {label: objective(X, y, W, b) for label, (W, b, _) in last.items()}
        base = np.median(times["zeros"])
        for label, (_, _, iterations) in last.items():
            yield (
                f"| {name} | {label} | {iterations} | {np.median(times[label]):.3f} "
                f"| {np.median(times[label]) / base:.2f} "
                f"| {(values[label] - values['zeros']) / values['zeros']:+.1e} |"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", default=SECTIONS, choices=SECTIONS)
    parser.add_argument("--datasets", nargs="+", default=REAL, choices=REAL)
    parser.add_argument("--repeats", type=int, default=5, help="fits per variant in 'lanes'")
    args = parser.parse_args(argv)
    if not datasets.available():
        parser.error(f"the shared data directory {datasets.DATA_DIR} is absent")
    start = time.perf_counter()
    for section in args.sections:
        if section == "preconditioner":
            lines = preconditioner(args.datasets)
        elif section == "iterations":
            lines = iteration_counts(args.datasets)
        elif section == "l1-history":
            lines = l1_history(args.datasets)
        elif section == "csv":
            lines = csv_reading()
        elif section == "starts":
            lines = starts(args.datasets)
        elif section == "working-sets":
            lines = working_sets(args.datasets)
        elif section == "lanes":
            lines = lanes([*args.datasets, "synthetic"], args.repeats)
        else:
            lines = history(args.datasets)
        print(f"## {section}\n", flush=True)
        for line in lines:  # each row as soon as it is measured
            print(line, flush=True)
        print(flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
