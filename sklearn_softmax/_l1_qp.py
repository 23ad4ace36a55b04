"""The proximal Newton subproblem: an L1-penalized quadratic, solved by an active set.

``min_u q(u) = 1/2 u^T A u + c^T u + sum_j t_j |u_j|``, ``A`` symmetric positive
definite and small (the Hessian of a model with few parameters, see
:mod:`._hessian`), ``t_j >= 0`` (0: a free coordinate, the intercepts).

The active-set method follows feature-sign search (Lee, Battle, Raina and Ng,
NIPS 2006): it keeps the nonzero coordinates and their signs, on which ``q`` is a
plain quadratic; each step solves that quadratic exactly (a linear solve on the
active set) and moves towards its solution as far as ``q`` decreases
(an exact line search of the convex, piecewise quadratic ``q`` along the segment),
dropping the coordinates that reach zero on the way. When the active set is
optimal, the zero coordinates that violate ``|r_j| <= t_j`` (``r = A u + c``) join it,
the worst ``batch`` first, with the sign that decreases ``q``. Exact solves on the
active set are what make flat directions cheap: where ``A`` is nearly singular (a
multinomial model's class sums, collinear features) the step goes straight to the
next kink of the L1 term, where a coordinate method creeps.
"""

from __future__ import annotations

import numpy as np


def solve_l1_qp(
    A: np.ndarray,
    c: np.ndarray,
    slopes: np.ndarray,
    start: np.ndarray,
    *,
    tol: float,
    batch: int,
    max_steps: int,
) -> tuple[np.ndarray, int]:
    """``(u, steps)``: ``u`` with every KKT residual of ``q`` at most ``tol`` (or the
    point reached after ``max_steps`` steps, or where no step decreases ``q``)."""
    u = np.array(start, dtype=np.float64)
    free = slopes == 0
    r = A @ u + c
    for step in range(max_steps):
        nonzero = (u != 0) | free
        signs = np.where(free, 0.0, np.sign(u))
        if np.abs((r + slopes * signs)[nonzero]).max(initial=0.0) <= tol:
            excess = np.where(nonzero, 0.0, np.abs(r) - slopes)
            violators = np.flatnonzero(excess > tol)
            if violators.size == 0:
                return u, step
            worst = violators[np.argsort(excess[violators])[::-1][:batch]]
            target = _join(A, c, slopes, nonzero, signs, r, worst)
        else:
            target = _target(A, c, slopes, nonzero, signs)
        active = np.flatnonzero(nonzero)
        here, direction = u[active], target[active] - u[active]
        curvature = direction @ (A[np.ix_(active, active)] @ direction)
        kinks = _kinks(here, direction, slopes[active])
        t = _exact_step(here, direction, r[active], curvature, slopes[active], kinks)
        if t <= 0.0:
            return u, step
        moved = here + t * direction
        moved[kinks == t] = 0.0  # stopped at its kink (t is that kink exactly)
        r += A[:, active] @ (moved - here)
        u[active] = moved
    return u, max_steps


def _target(A, c, slopes, active: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """The minimizer of ``q`` on the coordinates ``active`` (a mask) with these signs
    (the others 0): ``A_aa u_a = -(c_a + t_a signs_a)``."""
    index = np.flatnonzero(active)
    target = np.zeros_like(c)
    target[index] = _solve(A[np.ix_(index, index)], -(c[index] + slopes[index] * signs[index]))
    return target


def _join(A, c, slopes, active: np.ndarray, signs: np.ndarray, r, candidates) -> np.ndarray:
    """Add ``candidates`` (zero coordinates that violate, worst first) to ``active``
    and ``signs`` in place, with the sign that decreases ``q`` (``-sign(r)``), and
    return the target of the enlarged set. Candidates whose target has the other
    sign are left out and the target solved again (the step would not descend at
    first otherwise); one candidate always joins (feature-sign's single step)."""
    joining = candidates
    while True:
        trial, trial_signs = active.copy(), signs.copy()
        trial[joining] = True
        trial_signs[joining] = -np.sign(r[joining])
        target = _target(A, c, slopes, trial, trial_signs)
        agree = np.sign(target[joining]) == trial_signs[joining]
        if agree.all() or joining.size == 1:
            break
        joining = joining[agree] if agree.any() else joining[:1]
    active[joining] = True
    signs[joining] = trial_signs[joining]
    return target


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``A^-1 b`` (LAPACK's LU: the matrices are small, the call's overhead is what
    counts), by least squares if ``A`` is numerically singular."""
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


def _kinks(u: np.ndarray, d: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """Per coordinate, the ``t > 0`` where ``u + t d`` crosses zero (inf if it does not,
    or if it is free)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((slopes > 0) & (u * d < 0), -u / d, np.inf)


def _exact_step(u, d, r, curvature: float, slopes, kinks) -> float:
    """The ``t`` in ``[0, 1]`` that minimizes ``q(u + t d)``.

    ``dq/dt = r.d + t d^T A d + sum_j t_j sign(u_j + t d_j) d_j``: nondecreasing (``q``
    is convex), piecewise linear, jumping up by ``2 t_j |d_j|`` where a coordinate
    crosses zero. The first ``t`` where it reaches 0 is the minimizer.
    """
    penalized = slopes > 0
    start_sign = np.where(u != 0, np.sign(u), np.sign(d))
    slope = r @ d + float(np.sum(slopes[penalized] * start_sign[penalized] * d[penalized]))
    order = np.argsort(kinks)
    begin = 0.0
    for index in order:
        end = min(kinks[index], 1.0)
        if slope + curvature * end >= 0.0:  # the zero of dq/dt lies in [begin, end]
            return max(begin, -slope / curvature) if curvature > 0 else begin
        if end >= 1.0:
            return 1.0
        slope += 2.0 * slopes[index] * abs(d[index])
        begin = end
    if slope + curvature >= 0.0:
        return max(begin, -slope / curvature) if curvature > 0 else begin
    return 1.0
