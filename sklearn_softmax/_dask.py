"""Fitting and predicting on Dask arrays: every pass over ``X`` is a map-reduce.

``X`` is split into its row chunks (all columns in one chunk). The fit persists the
chunks where they are (on the workers of a ``distributed`` cluster), then:

1. one pass over ``y`` (the classes) and one over ``X`` (per chunk and class: the
   sum of sample weights, the weighted mean and the weighted sum of squared
   deviations, merged in a tree with the parallel-variance formula), which
   give the class weights and the feature statistics of the in-memory path;
2. each L-BFGS evaluation sends ``(W, b)`` to the chunks; each computes its share
   of ``F(W, b)`` and of its gradient with the in-memory
   :class:`~sklearn_softmax._objective.LinearObjective` (the same loss code); the
   ``(n_scores, d)`` results are summed in a tree. ``X`` never leaves its workers.

Dask is optional: this module imports it only when a Dask collection is passed.
"""

from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ._losses import Loss
from ._objective import AffinePreconditioner, LinearObjective

INSTALL_HINT = "pip install 'sklearn_softmax[dask]' (dask[array] and distributed)"


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a Dask collection (array, data frame, ...), without importing Dask.

    As in Dask's own test, a ``__dask_graph__`` that returns None (an xarray object
    holding NumPy data) does not count.
    """
    graph = getattr(X, "__dask_graph__", None)
    return callable(graph) and graph() is not None


def import_dask():
    """``(dask, dask.array)``, or an ImportError that says what to install."""
    try:
        import dask
        import dask.array
    except ImportError as error:
        raise ImportError(
            f"Fitting or predicting on Dask collections needs Dask: {INSTALL_HINT}. ({error})"
        ) from error
    return dask, dask.array


@contextmanager
def naming_failures(what: str):
    """Re-raise a Dask task's exception as a RuntimeError that names the step."""
    try:
        yield
    except Exception as error:
        raise RuntimeError(
            f"A Dask task failed while {what}: {type(error).__name__}: {error}"
        ) from error


def map_reduce(chunks: list, graph: dict, function, arguments: tuple, combine, *, what: str):
    """``combine`` of ``function(chunk, *arguments)`` over the persisted ``chunks``.

    One task graph on the chunks' keys (``graph`` holds them), reduced pairwise in
    a balanced tree, run on the active scheduler. It is written out directly:
    ``dask.delayed`` would spend more time building it than small chunks spend
    computing. The small ``arguments`` travel inside each task.
    """
    dask, _ = import_dask()
    token = uuid.uuid4().hex
    graph = dict(graph)
    parts = []
    for i, chunk in enumerate(chunks):
        key = (f"{function.__name__}-{token}", i)
        graph[key] = (function, chunk.key, *arguments)
        parts.append(key)
    level = 0
    while len(parts) > 1:
        pairs = [parts[i : i + 2] for i in range(0, len(parts), 2)]
        parts = []
        for i, pair in enumerate(pairs):
            key = (f"{combine.__name__}-{level}-{token}", i)
            graph[key] = (combine, *pair) if len(pair) == 2 else pair[0]
            parts.append(key)
        level += 1
    scheduler = dask.base.get_scheduler(collections=chunks)
    with naming_failures(what):
        return scheduler(graph, parts[0])


def check_array_2d(X, *, known_rows: bool = True):
    """``X`` as a 2-D floating Dask array with one column chunk (and, if
    ``known_rows``, known row chunk sizes)."""
    _, da = import_dask()
    if not isinstance(X, da.Array):
        raise TypeError(
            f"Expected a dask.array.Array, got {type(X).__name__}; for a Dask DataFrame "
            "pass df.to_dask_array(lengths=True)."
        )
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D Dask array, got {X.ndim} dimension(s).")
    if known_rows and any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "The Dask array has unknown chunk sizes; compute them first, for example "
            "with df.to_dask_array(lengths=True) or X.compute_chunk_sizes()."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:  # (NaN for unknown sizes: not 0)
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
            f"(shape={X.shape}) while a minimum of 1 is required."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X.rechunk({1: -1})


def _row_aligned(v, X, name: str, dtype=None):
    """``v`` (NumPy or Dask, 1-D, length ``n``) chunked like the rows of ``X``."""
    _, da = import_dask()
    if not isinstance(v, da.Array):
        v = np.asarray(v)
    if v.ndim != 1:
        raise ValueError(f"{name} should be a 1d array, got an array of shape {v.shape}.")
    if v.shape[0] != X.shape[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {v.shape[0]}] ({name})."
        )
    if isinstance(v, da.Array):
        v = v.rechunk((X.chunks[0],))
    else:
        v = da.from_array(v, chunks=(X.chunks[0],))
    return v if dtype is None else v.astype(dtype)


@dataclass
class Chunk:
    """The rows of one chunk, kept together on one worker, and their objective."""

    X: np.ndarray
    y: np.ndarray  # class indices
    sample_weight: np.ndarray | None
    _objective: LinearObjective | None = field(default=None, repr=False)

    def objective(self, loss: Loss, class_weight, fit_intercept, n_scores) -> LinearObjective:
        """The chunk's share of ``F`` without the penalty, weights ``s_i c_{y_i} / total``.

        Built on the first call and kept, so that every evaluation reuses its score
        buffer and its own copy of the loss's workspace; a new loss (the next
        smoothing stage) is swapped in.
        """
        cached = self._objective
        if cached is None or (cached.fit_intercept, cached.n_scores) != (fit_intercept, n_scores):
            weights = class_weight[self.y]
            if self.sample_weight is not None:
                weights = weights * self.sample_weight
            cached = self._objective = LinearObjective(
                copy.copy(loss),
                self.X,
                self.y,
                weights,
                alpha=0.0,
                fit_intercept=fit_intercept,
                n_scores=n_scores,
            )
        elif not _same_loss(cached.loss, loss):
            cached.loss = copy.copy(loss)
        return cached

    def __getstate__(self) -> dict:
        """Moving a chunk moves its rows, not its buffers."""
        return {**self.__dict__, "_objective": None}

    def __sizeof__(self) -> int:
        """Bytes held, rows and buffers: what Dask's memory accounting sees."""
        arrays = [self.X, self.y, self.sample_weight]
        if self._objective is not None:
            arrays.append(self._objective._scores)
        return sum(array.nbytes for array in arrays if array is not None)


def _same_loss(a: Loss, b: Loss) -> bool:
    return type(a) is type(b) and a.__getstate__() == b.__getstate__()


def _make_chunk(X, y, sample_weight, classes) -> Chunk:
    return Chunk(X, np.searchsorted(classes, y), sample_weight)


def _class_moments(chunk: Chunk, n_classes: int):
    """Per class of one chunk: weight sum ``(K,)``, weighted mean and squared deviations
    ``(K, d)``, all float64, and whether the chunk is finite."""
    X = np.asarray(chunk.X, dtype=np.float64)
    n_samples = len(chunk.y)
    weight = np.ones(n_samples) if chunk.sample_weight is None else chunk.sample_weight
    weighted_onehot = np.zeros((n_samples, n_classes))
    weighted_onehot[np.arange(n_samples), chunk.y] = weight
    totals = weighted_onehot.sum(axis=0)
    means = (weighted_onehot.T @ X) / np.where(totals > 0, totals, 1.0)[:, None]
    deviations = X - means[chunk.y]
    squares = weighted_onehot.T @ (deviations * deviations)
    finite = np.isfinite(X).all() and np.isfinite(weight).all()
    return totals, means, squares, bool(finite)


def _merge_moments(a, b):
    """Chan et al.'s combination of two sets of per-class weighted moments."""
    total_a, mean_a, squares_a, finite_a = a
    total_b, mean_b, squares_b, finite_b = b
    total = total_a + total_b
    share_b = (total_b / np.where(total > 0, total, 1.0))[:, None]
    delta = mean_b - mean_a
    mean = mean_a + share_b * delta
    squares = squares_a + squares_b + (total_a[:, None] * share_b) * delta * delta
    return total, mean, squares, finite_a and finite_b


@dataclass
class DaskData:
    """A validated fit's data: persisted :class:`Chunk` s and their statistics."""

    chunks: list  # of persisted dask.delayed Chunks: holding them keeps them in memory
    graph: dict  # the chunks' tasks (data or futures) by key
    classes: np.ndarray
    class_weight: np.ndarray  # c_k / total_weight: the normalized weight of class k
    total_weight: float  # sum_i s_i c_{y_i}
    mean: np.ndarray
    variance: np.ndarray
    n_features: int
    dtype: np.dtype


def prepare(X, y, sample_weight, class_weight, fit_intercept: bool) -> DaskData:
    """Validate, persist and summarize the data: the in-memory fit's preprocessing."""
    dask, da = import_dask()
    X = check_array_2d(X)
    y = _row_aligned(y, X, "y")
    weight = None
    if sample_weight is not None:
        weight = _row_aligned(sample_weight, X, "sample_weight", dtype=np.float64)

    with naming_failures("finding the classes"):
        classes, smallest_weight = dask.compute(
            da.unique(y), 0.0 if weight is None else weight.min()
        )
    if type_of_target(classes) == "continuous":  # a sample of y is enough to say
        check_classification_targets(classes)
    if classes.size < 2:
        raise ValueError(
            "SoftmaxClassifier needs samples of at least 2 classes in the data, "
            f"but the data contains only {classes.size} class: {classes.tolist()!r}."
        )
    if smallest_weight < 0:
        raise ValueError("Negative values in data passed to `sample_weight`")

    rows = X.to_delayed()[:, 0].tolist()
    labels = y.to_delayed().tolist()
    weights = weight.to_delayed().tolist() if weight is not None else [None] * len(rows)
    chunks = [
        dask.delayed(_make_chunk)(*parts, classes)
        for parts in zip(rows, labels, weights, strict=True)
    ]
    chunks = list(dask.persist(*chunks))
    graph = {}
    for chunk in chunks:
        graph.update(chunk.__dask_graph__())
    totals, class_means, squares, finite = map_reduce(
        chunks,
        graph,
        _class_moments,
        (classes.size,),
        _merge_moments,
        what="computing the feature statistics",
    )
    if not finite:
        raise ValueError("Input X or sample_weight contains NaN or infinity.")

    class_weight = _class_weights(class_weight, classes, totals)
    total = float(class_weight @ totals)
    if not total > 0:
        raise ValueError(
            "The sample weights (times the class weights) sum to zero; "
            "at least one sample needs a positive weight."
        )
    share = class_weight * totals / total  # weight of each class in the normalized weights
    mean = share @ class_means if fit_intercept else np.zeros(X.shape[1])
    deviation = class_means - mean
    variance = (class_weight @ squares) / total + share @ (deviation * deviation)
    return DaskData(
        chunks,
        graph,
        classes,
        class_weight / total,
        total,
        mean,
        variance,
        n_features=int(X.shape[1]),
        dtype=X.dtype,
    )


def _class_weights(class_weight, classes, totals) -> np.ndarray:
    """``c_k``: 1, a dict's values, or "balanced" ``sum s / (K sum_{y_i = k} s_i)``
    (0 for a class whose samples all weigh 0)."""
    if class_weight is None:
        return np.ones(classes.size)
    if class_weight == "balanced":
        with np.errstate(divide="ignore"):
            weights = totals.sum() / (classes.size * totals)
        return np.where(totals > 0, weights, 0.0)
    return compute_class_weight(class_weight, classes=classes, y=classes)


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _chunk_value_gradient(chunk, loss, class_weight, W, b, fit_intercept, n_scores):
    objective = chunk.objective(loss, class_weight, fit_intercept, n_scores)
    return objective.value_gradient(W, b)


def _chunk_value(chunk, loss, class_weight, W, b, fit_intercept, n_scores):
    objective = chunk.objective(loss, class_weight, fit_intercept, n_scores)
    return (objective.value(W, b),)


def _chunk_gap(chunk, loss, class_weight, W, b, fit_intercept, n_scores):
    objective = chunk.objective(loss, class_weight, fit_intercept, n_scores)
    return (objective.fenchel_young_gap(W, b),)


class DaskObjective:
    """``F(W, b)`` of :class:`~sklearn_softmax._objective.LinearObjective` over Dask chunks.

    ``F = sum_i s_i l(W x_i + b, y_i) + alpha / 2 ||W||_F^2`` with the normalized
    weights ``s_i = w_i c_{y_i} / sum_j w_j c_{y_j}``; each call is one map-reduce.
    """

    def __init__(self, loss: Loss, data: DaskData, *, alpha, fit_intercept, n_scores):
        self.loss = loss
        self.data = data
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_scores = n_scores

    def _map_reduce(self, chunk_function, loss, W, b, what):
        """Sum over the chunks of ``chunk_function``'s tuples at ``(W, b)``."""
        dtype = self.data.dtype
        arguments = (loss, self.data.class_weight, W.astype(dtype), b.astype(dtype))
        arguments += (self.fit_intercept, self.n_scores)
        return map_reduce(
            self.data.chunks, self.data.graph, chunk_function, arguments, _add, what=what
        )

    def value_gradient(self, W: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``F(W, b)``, ``dF/dW`` of shape (n_scores, d) and ``dF/db``, float64."""
        value, grad_W, grad_b = self._map_reduce(
            _chunk_value_gradient, self.loss, W, b, "evaluating the objective"
        )
        value += 0.5 * self.alpha * float(np.vdot(W, W))
        return float(value), grad_W + self.alpha * W, grad_b

    def value(self, W: np.ndarray, b: np.ndarray, loss: Loss | None = None) -> float:
        """``F(W, b)`` with ``loss`` in place of ``self.loss``."""
        (value,) = self._map_reduce(
            _chunk_value, loss or self.loss, W, b, "evaluating the objective"
        )
        return float(value) + 0.5 * self.alpha * float(np.vdot(W, W))

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float:
        """``sum_i s_i FY_i`` (see ``LinearObjective.fenchel_young_gap``)."""
        (gap,) = self._map_reduce(
            _chunk_gap, self.loss, W, b, "evaluating the smoothing's duality gap"
        )
        return float(gap)


def preconditioner(data: DaskData, n_scores: int, fit_intercept: bool) -> AffinePreconditioner:
    """The in-memory path's coordinates, from the statistics of :func:`prepare`."""
    scale = np.sqrt(np.maximum(data.variance, 1.0))
    return AffinePreconditioner(data.mean, scale, n_scores, fit_intercept)


def map_rows(X, function, *, n_outputs: int | None, dtype):
    """``function`` applied lazily to each row chunk of ``X``: a Dask array of
    shape ``(n,)`` (``n_outputs=None``) or ``(n, n_outputs)``; ``X`` as
    :func:`check_array_2d` returns it."""
    if n_outputs is None:
        return X.map_blocks(function, drop_axis=1, dtype=dtype, meta=np.empty(0, dtype))
    return X.map_blocks(
        function, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=np.empty((0, 0), dtype)
    )
