"""The chunked data source of a fit on Dask arrays: every pass over ``X`` is a map-reduce.

``X`` is split into its row chunks (all columns in one chunk). The fit persists the
chunks where they are (on the workers of a ``distributed`` cluster), then:

1. one pass over ``y`` (the classes) and one over ``X``: each chunk is validated
   by the front end's checks (:func:`~sklearn_softmax._data.validate_chunk`, the
   first failure by the in-memory order raised), summarized by the in-memory path's
   :func:`~sklearn_softmax._summary.class_moments` and the summaries merged in a
   tree (:func:`~sklearn_softmax._summary.merge_moments`), so both paths derive
   class weights and coordinates from the same summary;
2. each L-BFGS evaluation sends ``(W, b)`` to the chunks; each computes its share
   of ``F(W, b)`` and of its gradient with the in-memory
   :class:`~sklearn_softmax._objective.LinearObjective` (the same loss code); the
   ``(n_scores, d)`` results are summed in a tree. ``X`` never leaves its workers.

Dask is optional: this module imports it only when a Dask collection is passed.
"""

from __future__ import annotations

import dataclasses
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._data import encode_labels, validate_chunk
from ._loss import Loss
from ._objective import LinearObjective
from ._settings import DEFAULT_SETTINGS, SolverSettings
from ._summary import DataSummary, class_moments, merge_moments

INSTALL_HINT = "pip install 'sklearn_softmax[dask]' (dask[array] and distributed)"


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
def naming_failures(what: str, chunks: list | None = None):
    """Re-raise a Dask task's exception as a RuntimeError that names the step, and the
    persisted row ``chunks`` whose data a lost worker took with it, if any."""
    try:
        yield
    except Exception as error:
        lost = _lost(chunks or [])
        where = ""
        if lost:
            where = (
                f" (row chunks {', '.join(map(str, lost))} of {len(chunks)} were lost with a "
                "worker and cannot be recomputed: data placed with client.scatter live "
                "only on their worker; build X from a graph, or scatter with broadcast=True)"
            )
        raise RuntimeError(
            f"A Dask task failed while {what}: {type(error).__name__}: {error}{where}"
        ) from error


def _lost(chunks: list) -> list[int]:
    """Indices of the persisted ``chunks`` whose futures a distributed cluster lost."""
    try:
        from distributed import futures_of
    except ImportError:
        return []
    return [
        i
        for i, chunk in enumerate(chunks)
        if any(future.status in ("lost", "cancelled", "error") for future in futures_of(chunk))
    ]


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
    with naming_failures(what, chunks):
        return scheduler(graph, parts[0])


def is_frame(X) -> bool:
    """Whether ``X`` is a Dask DataFrame (columns that become an array's)."""
    return hasattr(X, "to_dask_array") and getattr(X, "ndim", None) == 2


def columns_of(X):
    """What scikit-learn reads the features' number and names from: a Dask
    DataFrame's empty pandas frame of its columns (``_meta``), else ``X`` itself."""
    return X._meta if is_frame(X) else X


def as_dask_array(X, *, lengths: bool = True):
    """A Dask DataFrame's or Series' values as a Dask array, chunked by partition
    (``lengths``: with the partitions' lengths computed, one pass over them); any
    other input unchanged. Columns that are not numbers raise the ``ValueError``
    scikit-learn raises for them in memory."""
    if not hasattr(X, "to_dask_array"):
        return X
    if is_frame(X):
        for name, dtype in X.dtypes.items():
            if dtype.kind not in "iufb":
                raise ValueError(
                    f"could not convert string to float: column {name!r} of the Dask "
                    f"DataFrame holds {dtype} values; encode it as numbers first"
                )
    elif X.dtype.kind not in "iufb":  # labels as text: plain objects, not an extension dtype
        X = X.astype(object)
    return X.to_dask_array(lengths=True) if lengths else X.to_dask_array()


def check_array_2d(X, *, known_rows: bool = True):
    """``X`` (a Dask array or DataFrame) as a 2-D floating Dask array with one column
    chunk (and, if ``known_rows``, known row chunk sizes)."""
    _, da = import_dask()
    X = as_dask_array(X, lengths=known_rows)
    if not isinstance(X, da.Array):
        raise TypeError(f"Expected a Dask array or DataFrame, got {type(X).__name__}.")
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
    """``v`` (NumPy, a Dask array or Series, 1-D, length ``n``) chunked like the rows
    of ``X``."""
    _, da = import_dask()
    v = as_dask_array(v)
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
    sample_weight: np.ndarray
    _objective: LinearObjective | None = field(default=None, repr=False)

    def objective(
        self, loss: Loss, class_factor, fit_intercept, n_scores, settings
    ) -> LinearObjective:
        """The chunk's share of ``F`` without the penalty, weights ``s_i class_factor[y_i]``.

        Built on the first call and kept, so that every evaluation reuses its
        buffers (and a hinge's screens); a loss of other parameters (the next
        smoothing stage) gets a view with its own copy of the loss (a workspace of
        its own, even when tasks share the loss object in threads).
        """
        cached = self._objective
        if cached is None or (cached.fit_intercept, cached.n_scores) != (fit_intercept, n_scores):
            cached = LinearObjective(
                dataclasses.replace(loss),
                self.X,
                self.y,
                self.sample_weight * class_factor[self.y],
                alpha=0.0,
                fit_intercept=fit_intercept,
                n_scores=n_scores,
                settings=settings,
            )
        elif cached.loss != loss:
            cached = cached.with_loss(dataclasses.replace(loss))
        self._objective = cached
        return cached

    def __getstate__(self) -> dict:
        """Moving a chunk moves its rows, not its buffers."""
        return {**self.__dict__, "_objective": None}

    def __sizeof__(self) -> int:
        """Bytes held, rows and buffers: what Dask's memory accounting sees."""
        held = sum(array.nbytes for array in [self.X, self.y, self.sample_weight])
        if self._objective is not None:
            held += self._objective.buffer_bytes
        return held


def _make_chunk(X, y, sample_weight, classes) -> Chunk:
    if sample_weight is None:
        sample_weight = np.ones(len(y))
    return Chunk(X, encode_labels(y, classes), sample_weight)


def _chunk_summary(chunk: Chunk, n_classes: int, estimator_name: str):
    """``(moments, None)``, or ``(None, (rank, message))`` for a chunk that fails the
    front end's checks (:func:`_failure_rank`)."""
    try:
        validate_chunk(chunk.X, chunk.sample_weight, estimator_name)
    except ValueError as error:
        return None, (_failure_rank(chunk), str(error))
    return class_moments(chunk.X, chunk.y, chunk.sample_weight, n_classes), None


def _failure_rank(chunk: Chunk) -> tuple[int, int]:
    """Which failure the in-memory checks meet first, as they meet them: ``(0, 0)``
    NaN in X, ``(0, 1)`` infinity in X, then ``(1, .)`` the sample weights' (NaN,
    infinity, a negative weight)."""
    for position, array in enumerate((chunk.X, chunk.sample_weight)):
        values = array.data if sp.issparse(array) else array
        if np.isnan(values).any():
            return position, 0
        if np.isinf(values).any():
            return position, 1
    return 1, 2


def _merge_summaries(a, b):
    """Moments of both chunks, or the failure the in-memory checks would meet first."""
    failures = [part[1] for part in (a, b) if part[1] is not None]
    if failures:
        return None, min(failures)
    return merge_moments(a[0], b[0]), None


@dataclass
class DaskData:
    """A validated fit's rows as persisted :class:`Chunk` s: a data source of the core."""

    chunks: list  # of persisted dask.delayed Chunks: holding them keeps them in memory
    graph: dict  # the chunks' tasks (data or futures) by key
    classes: np.ndarray
    n_samples: int
    n_stored: int
    n_features: int
    dtype: np.dtype
    estimator_name: str

    def summarize(self) -> DataSummary:
        """One map-reduce over the chunks: each validated, then :func:`class_moments`."""
        moments, failure = map_reduce(
            self.chunks,
            self.graph,
            _chunk_summary,
            (self.classes.size, self.estimator_name),
            _merge_summaries,
            what="computing the feature statistics",
        )
        if failure is not None:
            raise ValueError(failure[1])
        return DataSummary(self.classes, moments, self.n_features, self.dtype)

    def objective(
        self,
        loss,
        class_factor,
        *,
        alpha,
        fit_intercept,
        n_scores,
        n_lanes=1,
        settings=DEFAULT_SETTINGS,
    ) -> DaskObjective:
        """``F`` over the chunks; ``n_lanes`` is not used: Dask's tasks evaluate the
        chunks in parallel, each in one lane."""
        return DaskObjective(loss, self, class_factor, alpha, fit_intercept, n_scores, settings)


def prepare(X, y, sample_weight, *, estimator_name: str) -> DaskData:
    """Check the arrays' shapes, persist the rows and find the classes; each chunk's
    values are validated by its first summary (:meth:`DaskData.summarize`)."""
    dask, da = import_dask()
    X = check_array_2d(X)
    y = _row_aligned(y, X, "y")
    weight = None
    if sample_weight is not None:
        weight = _row_aligned(sample_weight, X, "sample_weight", dtype=np.float64)
    with naming_failures("finding the classes"):
        (classes,) = dask.compute(da.unique(y))
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
    n_samples, n_features = (int(size) for size in X.shape)
    return DaskData(
        chunks, graph, classes, n_samples, n_samples * n_features, n_features, X.dtype,
        estimator_name,
    )  # fmt: skip


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _chunk_value_gradient(chunk, loss, class_factor, W, b, fit_intercept, n_scores, settings):
    objective = chunk.objective(loss, class_factor, fit_intercept, n_scores, settings)
    return (*objective.value_gradient(W, b), objective.rows_scored)


def _chunk_value(chunk, loss, class_factor, W, b, fit_intercept, n_scores, settings):
    return (chunk.objective(loss, class_factor, fit_intercept, n_scores, settings).value(W, b),)


def _chunk_gap(chunk, loss, class_factor, W, b, fit_intercept, n_scores, settings):
    objective = chunk.objective(loss, class_factor, fit_intercept, n_scores, settings)
    return (objective.fenchel_young_gap(W, b),)


@dataclass
class DaskObjective:
    """``F(W, b)`` of :class:`~sklearn_softmax._objective.LinearObjective` over Dask chunks.

    ``F = sum_i s_i class_factor[y_i] l(W x_i + b, y_i) + alpha / 2 ||W||_F^2``; each
    call is one map-reduce. ``rows_scored``: as ``LinearObjective``'s, summed over
    the chunks.
    """

    loss: Loss
    data: DaskData
    class_factor: np.ndarray
    alpha: float
    fit_intercept: bool
    n_scores: int
    settings: SolverSettings = DEFAULT_SETTINGS
    rows_scored: int = 0
    #: The chunks' tasks bring their own parallelism.
    n_lanes = 1

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    def with_loss(self, loss: Loss) -> DaskObjective:
        """The same chunks and penalty with another loss (a smoothing stage)."""
        return dataclasses.replace(self, loss=loss)

    def _map_reduce(self, chunk_function, W, b, what):
        """Sum over the chunks of ``chunk_function``'s tuples at ``(W, b)``."""
        dtype = self.data.dtype
        arguments = (self.loss, self.class_factor, W.astype(dtype), b.astype(dtype))
        arguments += (self.fit_intercept, self.n_scores, self.settings)
        return map_reduce(
            self.data.chunks, self.data.graph, chunk_function, arguments, _add, what=what
        )

    def value_gradient(self, W: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``F(W, b)``, ``dF/dW`` of shape (n_scores, d) and ``dF/db``, float64."""
        value, grad_W, grad_b, self.rows_scored = self._map_reduce(
            _chunk_value_gradient, W, b, "evaluating the objective"
        )
        value += 0.5 * self.alpha * float(np.vdot(W, W))
        return float(value), grad_W + self.alpha * W, grad_b

    def value(self, W: np.ndarray, b: np.ndarray) -> float:
        """``F(W, b)``."""
        (value,) = self._map_reduce(_chunk_value, W, b, "evaluating the objective")
        return float(value) + 0.5 * self.alpha * float(np.vdot(W, W))

    def fenchel_young_gap(self, W: np.ndarray, b: np.ndarray) -> float:
        """``sum_i s_i FY_i`` (see ``LinearObjective.fenchel_young_gap``)."""
        (gap,) = self._map_reduce(_chunk_gap, W, b, "evaluating the smoothing's duality gap")
        return float(gap)


def map_partitions_to_series(frame, function, dtype):
    """``function`` (rows -> 1-D labels) applied lazily to each partition of the Dask
    DataFrame ``frame``: a Dask Series on the same index and partitions."""
    import pandas as pd

    def apply(part):
        return pd.Series(function(part.to_numpy()), index=part.index, dtype=dtype)

    return frame.map_partitions(apply, meta=pd.Series(dtype=dtype))


def map_rows(X, function, *, n_outputs: int | None, dtype):
    """``function`` applied lazily to each row chunk of ``X``: a Dask array of
    shape ``(n,)`` (``n_outputs=None``) or ``(n, n_outputs)``; ``X`` as
    :func:`check_array_2d` returns it."""
    if n_outputs is None:
        return X.map_blocks(function, drop_axis=1, dtype=dtype, meta=np.empty(0, dtype))
    return X.map_blocks(
        function, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=np.empty((0, 0), dtype)
    )
