"""How a fit runs, as data: the solver settings and the rules that derive from them.

:class:`SolverSettings` holds every tuning constant of the core (block sizes, lanes,
L-BFGS history, working sets, smoothing stages, coordinates). The estimators always
use :data:`DEFAULT_SETTINGS`, whose defaults were measured where each field says
(``benchmarks/notes.md``, sections by letter); tests and benchmarks that study a
setting pass another instance to the core (``dataclasses.replace(DEFAULT_SETTINGS,
...)``). Settings change how fast a fit reaches the optimum, never the optimum or
the stopping rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SolverSettings:
    """The core's tuning constants, with the rules that read them."""

    #: Bytes of ``X`` per row block of an evaluation: 2 to 4 MB blocks evaluated
    #: fastest on synthetic and MNIST (notes.md g).
    block_bytes: int = 4 << 20
    #: An evaluation's work (:meth:`evaluation_work`) per lane, at least: below it a
    #: second lane cost more than it saved. satimage (1.6e6), USPS (5.6e6) and R8
    #: (3.7e6) were slower per iteration in two lanes; shuttle in float64 (1.0e7)
    #: 1.2x faster (``bench_design.py --sections lanes``, notes.md g).
    lane_work: float = 4e6
    #: The loss's arithmetic per score (exponentials, logarithms, divisions), in
    #: multiply-adds of a matrix product (notes.md g).
    loss_work_per_score: float = 25.0
    #: The samples left in a product (those of nonzero hinge gradient, or not
    #: screened out) are gathered when they are at most this share of a block:
    #: gathering their rows costs a pass over them (notes.md g).
    skip_share: float = 0.5
    #: L-BFGS correction pairs; None: :meth:`lbfgs_history`'s rule.
    history: int | None = None
    #: Solver variables from which :meth:`lbfgs_history` may keep fewer than 10
    #: pairs, and from which L1 fits may run on working sets.
    wide: int = 10_000
    #: Whether L1 fits run on working sets; None: :meth:`use_working_sets`' rule.
    working_sets: bool | None = None
    #: Working sets pay when an evaluation's work (stored entries times scores) is
    #: below this many times the solver variables: R8 has 8.2 and ran 3.5x faster
    #: on them, MNIST (5,000) and USPS slower (notes.md h).
    working_set_work: float = 100.0
    #: The fewest weights a working set grows by (R8 at 1,024, 4,096 and 16,384:
    #: 4,096 fastest, notes.md h).
    working_set_growth: int = 4096
    #: Whether L1 fits of cross-entropy in memory run the proximal Newton method
    #: (:mod:`._newton`); None: :meth:`use_newton`'s rule.
    newton: bool | None = None
    #: The most solver parameters (``n_scores (d + 1)``) for which :meth:`use_newton`
    #: chooses the proximal Newton method: a Hessian costs about ``p / 4``
    #: evaluations, and Newton's 5 to 35 iterations beat L-BFGS-B's hundreds up to
    #: a few hundred parameters (shuttle, p = 70: 1.5x faster; satimage, 222: 0.7x-2x;
    #: 3000 x 100 x 3 problems, 303: even in time, where L-BFGS-B stalled in 7 of 24
    #: fits; letter, 442: 4x slower; digits, 650: 20x slower; ``benchmarks/notes.md`` j).
    newton_max_parameters: int = 400
    #: The ridge added to the Hessian of the Newton model, relative to its mean
    #: diagonal: definite along the flat directions, small enough that the
    #: subproblem crosses them to the next kink of the L1 term.
    newton_ridge: float = 1e-8
    #: A Newton step keeps its Hessian for the next step when it was a full step that
    #: cut the KKT measure to this share or less (0: a fresh Hessian every step).
    newton_reuse: float = 0.3
    #: Zero coordinates that join the subproblem's active set at once, the worst first.
    newton_batch: int = 8
    #: The subproblem's KKT tolerance, as a share of ``tol``.
    newton_subproblem_tol: float = 0.1
    #: Active-set steps of one subproblem at most.
    newton_max_steps: int = 2000
    #: Each smoothing stage of the hinges divides the smoothing by this.
    smoothing_decrease: float = 10.0
    #: Smoothing stages stop once the largest gradient entry is below ``mu`` times
    #: this (or ``tol`` if larger): they only warm-start the next stage (0.03 moved
    #: the hinges' default fits by 0.43x to 1.84x, notes.md g).
    stage_tol_per_mu: float = 1e-2
    #: At most this many restarts of one L-BFGS run from the canonical L1 point.
    max_restarts: int = 10
    #: L-BFGS works on centered, scaled features (:mod:`._coordinates`); False: on
    #: ``(W, b)`` itself, for comparisons.
    precondition: bool = True
    #: Features are divided by ``max(sd, floor)`` (a constant feature by 1), the
    #: floor at most ``scale_floor``: scaled to unit spread, never up past ``1 /
    #: floor``. Full standardization (0) took 3 to 6 times the iterations on R8 and
    #: MNIST (notes.md a), floors of 0.1 and 0.3 up to twice as many on R8's counts,
    #: MNIST and USPS (notes.md j).
    scale_floor: float = 1.0
    #: ... and at most this times the data's total spread ``sqrt(sum_j sd_j^2)``
    #: (:meth:`floor`): on TF-IDF rows (unit norm, total spread about 1, no
    #: feature's spread above 0.2) a floor of 1 left the coordinates unscaled and
    #: took 2 to 3 times the iterations of a floor of 0.2 to 0.3 (notes.md j). Data
    #: of total spread above ``scale_floor / scale_floor_per_spread`` keep
    #: ``scale_floor``.
    scale_floor_per_spread: float = 0.2
    #: L1-split coordinates (L-BFGS-B's bounds) also at ``l1_ratio=0`` if True; None:
    #: only with an L1 term. For comparisons.
    split: bool | None = None

    def floor(self, total_spread: float) -> float:
        """The scale floor of data of total spread ``sqrt(sum_j sd_j^2)``:
        ``min(scale_floor, scale_floor_per_spread * total_spread)`` (positive)."""
        floor = min(self.scale_floor, self.scale_floor_per_spread * total_spread)
        return floor if floor > 0 else self.scale_floor

    def evaluation_work(self, n_stored: int, n_samples: int, n_scores: int, dtype) -> float:
        """An evaluation's work in float64 multiply-adds: one product over the stored
        entries of X and the loss's arithmetic on the ``n_samples x n_scores`` scores
        (``loss_work_per_score`` each); float32 arithmetic counts half."""
        work = n_scores * (n_stored + self.loss_work_per_score * n_samples)
        return work * np.dtype(dtype).itemsize / 8

    def lanes(self, work: float, threads: int) -> int:
        """Lanes (threads) of an evaluation of ``work`` (:meth:`evaluation_work`): one
        per ``lane_work``, at most ``threads``."""
        return int(np.clip(work // self.lane_work, 1, max(threads, 1)))

    def lbfgs_history(
        self, n_stored: int, n_scores: int, n_parameters: int, *, bounded: bool = False
    ) -> int:
        """How many L-BFGS correction pairs to keep: ``history`` if set, else as many
        as stay cheap.

        An L-BFGS step costs about ``10 * history * n_parameters`` flops, an
        evaluation about ``4 * n_scores * n_stored`` (``n_stored``: entries of X).
        Small, badly conditioned problems need far fewer iterations with a long
        history; on wide sparse ones the steps would cost more than the evaluations:
        there (R8: 160k parameters, 2 pairs) a short history needs more iterations
        but each costs half as much (notes.md e): 2 to 100 pairs. Below ``wide``
        parameters a step costs microseconds at any history: at least 10 pairs.
        With bounds (L1), L-BFGS-B's generalized Cauchy point and subspace step make
        a step about 4 times dearer, and a history beyond 40 pairs cost more time
        than it saved on satimage, letter and USPS (notes.md e): 10 to 40 pairs.
        """
        if self.history is not None:
            return self.history
        if bounded:
            return int(np.clip(n_stored * n_scores / (40 * n_parameters), 10, 40))
        fewest = 2 if n_parameters >= self.wide else 10
        return int(np.clip(n_stored * n_scores / (10 * n_parameters), fewest, 100))

    def use_working_sets(self, n_stored: int, n_scores: int, n_variables: int) -> bool:
        """Whether an L1 fit of a smooth loss runs on working sets: ``working_sets``
        if set, else on ``wide`` solver variables or more when an evaluation's work
        is below ``working_set_work`` times their number. There L-BFGS-B's step and
        scipy's conversion of the bounds (a Python loop, about 2.7 us per bounded
        variable and run) cost more than the evaluations. Tiny problems have small
        ratios too, but steps of microseconds (and scikit-learn's sample-weight check
        would see the repeated and the weighted data take different paths)."""
        if self.working_sets is not None:
            return self.working_sets
        return (
            n_variables >= self.wide and n_stored * n_scores < self.working_set_work * n_variables
        )

    def use_newton(self, n_parameters: int) -> bool:
        """Whether an L1 fit of a loss with a Hessian, in memory, runs the proximal
        Newton method: ``newton`` if set, else on at most ``newton_max_parameters``
        parameters, where a Hessian costs about ``n_parameters / 4`` evaluations."""
        if self.newton is not None:
            return self.newton
        return n_parameters <= self.newton_max_parameters


#: The settings every estimator fits with.
DEFAULT_SETTINGS = SolverSettings()
