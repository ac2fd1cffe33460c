"""The exact MAP under a Laplace prior: the lasso, solved to machine precision.

With sigma and tau fixed, the negative log posterior of w under w_j ~ Laplace(loc_j, tau)
and y ~ N(Xw, sigma^2 I) is, up to a constant,

    (1 / (2 sigma^2)) ||y - X w||^2 + (1 / tau) ||w - loc||_1,

that is (times sigma^2) the lasso in v = w - loc with penalty lambda = sigma^2 / tau,
or scikit-learn's ``Lasso(alpha=sigma^2 / (tau * n_samples))``.

Single problems (:func:`lasso_map`) are solved by an active-set method on the host (numpy and
LAPACK): once the set A of nonzero coefficients and their signs s are known, the optimality
conditions are linear, G_AA v_A = c_A - lambda s_A with G = X'X and c = X'y, and one Cholesky
solve gives the solution exactly, to rounding. The method searches for that set (feature-sign
search, Lee, Battle, Raina & Ng 2007): solve on the current set and signs; if a coefficient
changes sign, move to the best point of the objective among the zero crossings on the segment,
the solve itself, and the solve with the offending coefficients dropped (so the objective
always decreases); when the signs hold, add the coordinates that violate |c_j - G_j v| <= lambda:
all of them at first, later the largest in batches that at most double the set. A column in the
span of the active ones (p > n at the densest solutions, duplicated columns) makes G_AA
singular; then the step follows its null direction to the first zero crossing, as LARS does.
The Gram entries of a column are computed only when it enters, so sparse solutions never form
the p x p matrix. Dense and
ill-conditioned problems (p ~ n), where coordinate descent needs thousands of sweeps, take a
few dozen solves.

Batches of problems (:func:`lasso_map_batched`, used by studies) run cyclic coordinate descent
on the Gram matrix in JAX, ``vmap``-ed over the batch, in stages of tolerance with the same
exact active-set solve at the end of each stage (``_solve_gram``); it is also the fallback of
:func:`lasso_map` where the active-set search cannot proceed (rare: a singular G_AA it cannot
step out of, or no solution after 100 + 2p solves; 8 of 600 random problems, all with p > n or
duplicated columns at penalties down to 1e-6 lambda_max).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray
from scipy.linalg.lapack import dpotrf as _potrf
from scipy.linalg.lapack import dpotrs as _potrs

from ..results import PointEstimate

MAX_SWEEPS = 100_000


@dataclass(frozen=True)
class LassoSolution(PointEstimate):
    """Coefficients, the work done, and the largest KKT violation relative to the penalty.

    ``n_solves``: linear solves of the active-set search; ``n_sweeps``: coordinate-descent sweeps
    (0 unless the search fell back to them); ``polished``: the result is an exact active-set
    solution (not only converged sweeps). As a fit of ``BayesianLinearRegression`` it is a
    :class:`~bayesreg.results.PointEstimate` (the interface :class:`~bayesreg.results.RegressionResult`)."""

    KIND: ClassVar[str] = "lasso"
    SECTION: ClassVar[str] = "solver"

    coef: NDArray[np.float64]
    n_sweeps: int
    kkt_violation: float
    polished: bool
    n_solves: int = 0

    def restate(self, tau_vec, loc, loc_fit):
        """The solution for u (w = tau_j u_j) restated for w: a coefficient at its prior
        location stays exactly there."""
        return replace(self, coef=np.where(self.coef == loc_fit, loc, self.coef * tau_vec))

    def to_arrays(self) -> dict[str, Any]:
        return {"kind": self.KIND, "n_sweeps": self.n_sweeps, "kkt_violation": self.kkt_violation,
                "polished": self.polished, "n_solves": self.n_solves}

    @classmethod
    def from_arrays(cls, arrays, *, coef, idata=None):
        return cls(coef=coef, n_sweeps=arrays["n_sweeps"], kkt_violation=arrays["kkt_violation"],
                   polished=arrays["polished"], n_solves=arrays.get("n_solves", 0))  # files before n_solves: 0


def _soft(x, t):
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - t, 0.0)


STAGES = (1e-4, 1e-8)  # sweep tolerances tried before the final one


@partial(jax.jit, static_argnames=("max_sweeps",))
def _solve_gram(G, c, lam, v0, tol, max_sweeps=MAX_SWEEPS):
    """Minimise 0.5 v'Gv - c'v + lam ||v||_1; returns (v, sweeps, polished).

    Sweeps run in stages of decreasing tolerance (1e-4, 1e-8, then ``tol``). After each
    stage the active-set solve is tried; once the sign pattern is right it gives the exact
    solution and the remaining stages are skipped, so most problems stop after a few loose
    sweeps instead of sweeping to 1e-13.
    """
    diag = jnp.diag(G)
    safe_diag = jnp.where(diag > 0, diag, 1.0)
    n_features = c.shape[0]
    tols = jnp.asarray(STAGES + (tol,))

    def coordinate(j, carry):
        v, r, biggest = carry  # r = c - G v: minus the gradient of the smooth part
        old = v[j]
        new = jnp.where(diag[j] > 0, _soft(r[j] + diag[j] * old, lam) / safe_diag[j], 0.0)
        delta = new - old
        r = r - G[:, j] * delta
        return v.at[j].set(new), r, jnp.maximum(biggest, jnp.abs(delta))

    def sweeps_to(v, r, it, stage_tol):
        def sweep(carry):
            v, r, it, _ = carry
            v, r, biggest = jax.lax.fori_loop(0, n_features, coordinate, (v, r, 0.0))
            return v, r, it + 1, biggest

        def not_done(carry):
            v, _, it, biggest = carry
            return (it < max_sweeps) & (biggest > stage_tol * (1.0 + jnp.max(jnp.abs(v))))

        v, r, it, _ = jax.lax.while_loop(not_done, sweep, (v, r, it, jnp.inf))
        return v, r, it

    def polish(v):
        """The exact solve on the active set, and whether it is a valid KKT point."""
        active = v != 0
        signs = jnp.sign(v)
        both = active[:, None] & active[None, :]
        G_active = jnp.where(both, G, 0.0) + jnp.diag(jnp.where(active, 0.0, 1.0))
        exact = jnp.linalg.solve(G_active, jnp.where(active, c - lam * signs, 0.0))
        residual = c - G @ exact
        valid = (
            jnp.all(jnp.isfinite(exact))
            & jnp.all(jnp.where(active, jnp.sign(exact) == signs, True))
            & jnp.all(jnp.where(active, True, jnp.abs(residual) <= lam * (1 + 1e-9)))
        )
        return exact, valid

    def stage(carry):
        v, r, it, _, k = carry
        v, r, it = sweeps_to(v, r, it, tols[k])
        exact, valid = polish(v)
        v = jnp.where(valid, exact, v)
        return v, jnp.where(valid, c - G @ v, r), it, valid, k + 1

    def more(carry):
        _, _, _, valid, k = carry
        return (~valid) & (k < tols.shape[0])

    v, _, sweeps, valid, _ = jax.lax.while_loop(more, stage, (v0, c - G @ v0, 0, False, 0))
    return v, sweeps, valid


def _kkt_from_gradient(g, v, lam) -> float:
    """Largest violation of g_j = lam sign(v_j) (v_j != 0), |g_j| <= lam (v_j = 0), relative to lam."""
    viol = np.where(v != 0, np.abs(g - np.sign(v) * lam), np.maximum(np.abs(g) - lam, 0.0))
    return float(np.max(viol) / lam) if viol.size else 0.0


def kkt_violation(X, y, coef, *, loc, sigma: float, tau: float) -> float:
    """Largest violation of the optimality conditions, relative to the penalty 1/tau.

    At the MAP, g = X'(y - Xw) / sigma^2 must equal sign(w_j - loc_j) / tau where
    w_j != loc_j and lie in [-1/tau, 1/tau] where w_j == loc_j.
    """
    return _kkt_from_gradient(X.T @ (y - X @ coef) / sigma**2, coef - loc, 1.0 / tau)


class _GivenGram:
    """G = X'X given in full: blocks and gradients are slices of it."""

    def __init__(self, G, c):
        self.G, self.c = G, c

    def block(self, A):
        return self.G[A[:, None], A]

    def gradient(self, A, vA):
        return self.c - self.G[:, A] @ vA


class _ColumnGram:
    """Gram entries computed from X as columns enter, kept in buffers that double as needed."""

    def __init__(self, X, c):
        self.XT, self.c = X.T, c  # rows of X.T are the columns of X, gathered into contiguous rows
        n_samples, n_features = X.shape
        self.slot = np.full(n_features, -1)
        self.size = 0
        self.rows = np.empty((16, n_samples))
        self.gram = np.empty((16, 16))

    def _enter(self, A):
        new = A[self.slot[A] < 0]
        if not new.size:
            return
        m, k = self.size, new.size
        if m + k > self.rows.shape[0]:
            # room for twice as many: np.empty's untouched pages cost nothing, copies at n = 20,000 do
            cap = min(max(2 * (m + k), 16), self.slot.size)
            rows, gram = np.empty((cap, self.rows.shape[1])), np.empty((cap, cap))
            rows[:m], gram[:m, :m] = self.rows[:m], self.gram[:m, :m]
            self.rows, self.gram = rows, gram
        XN = self.XT[new]
        self.rows[m:m + k] = XN
        cross = self.rows[:m] @ XN.T
        self.gram[:m, m:m + k] = cross
        self.gram[m:m + k, :m] = cross.T
        self.gram[m:m + k, m:m + k] = XN @ XN.T
        self.slot[new] = np.arange(m, m + k)
        self.size = m + k

    def block(self, A):
        self._enter(A)
        i = self.slot[A]
        return self.gram[i[:, None], i]

    def gradient(self, A, vA):
        XT = self.XT
        if 4 * A.size < XT.shape[0]:
            fitted = XT[A].T @ vA
        else:
            v = np.zeros(XT.shape[0])
            v[A] = vA
            fitted = XT.T @ v
        return self.c - XT @ fitted


class _Stuck(Exception):
    """The active-set search cannot proceed (singular G_AA, no descent, too many solves)."""


def _cholesky_solve(M, b):
    """M^-1 b for a symmetric positive definite M by LAPACK's Cholesky (dpotrf, dpotrs), called
    directly: these solves are most of the work, and many are small."""
    factor, info = _potrf(M, lower=1, clean=0)
    if info != 0:
        raise _Stuck(f"G_AA is singular ({M.shape[0]} active)")
    x, info = _potrs(factor, b, lower=1)
    return x


def _null_step(G_AA, vA, A, theta, g_new, n_solves):
    """The step of :func:`_active_set` when the last coordinate of A makes G_AA singular."""
    d = np.append(-_cholesky_solve(G_AA[:-1, :-1], G_AA[:-1, -1]), 1.0) * np.sign(g_new)
    scale = np.sqrt(np.diag(G_AA)) * np.abs(d)
    if np.linalg.norm(G_AA @ d) > 1e-8 * np.linalg.norm(scale) * scale.max():
        raise _Stuck(f"more active coefficients ({A.size}) than the rank of X seems to allow, but G_AA is not singular")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(vA * d < 0, -vA / d, np.inf)
    i = int(np.argmin(t))
    if not np.isfinite(t[i]):
        raise _Stuck("no zero crossing along the null direction")
    vA = vA + t[i] * d
    vA[i] = 0.0
    keep = vA != 0
    keep[-1] = True  # the new coordinate, moving in the direction of its sign
    return vA[keep], A[keep], np.where(vA[keep] != 0, np.sign(vA[keep]), theta[keep]), n_solves + 1


def _active_set(ops, c, lam, v0, *, max_active, rtol=1e-9, min_batch=16):
    """Minimise 0.5 v'Gv - c'v + lam ||v||_1 by feature-sign search with exact solves.

    ``ops`` gives the blocks G_AA and the gradient c - G v. Returns (v, g, n_solves) at a point
    that satisfies the KKT conditions to rounding (|g_j| <= lam (1 + rtol) where v_j = 0, and
    g_A = lam sign(v_A) from the solve), or raises _Stuck.
    """
    n_features = c.shape[0]
    bound = lam * (1.0 + rtol)
    A = np.flatnonzero(v0)
    if A.size > max_active:  # more nonzeros than X has rank: not a lasso solution's pattern
        A = A[:0]
    vA = np.asarray(v0, dtype=np.float64)[A]
    theta = np.sign(vA)
    g = None  # the full gradient at the current v, when known
    first = True
    need_add = A.size == 0  # a warm start is first solved on its own nonzeros and signs
    single = False
    n_solves, max_solves = 0, 100 + 2 * n_features
    while True:
        from_init, added = n_solves == 0 and not need_add, 0
        if need_add:
            if g is None:
                g = ops.gradient(A, vA)
            outside = np.ones(n_features, dtype=bool)
            outside[A] = False
            viol = np.flatnonzero(outside & (np.abs(g) > bound))
            if viol.size == 0:
                v = np.zeros(n_features)
                v[A] = vA
                return v, g, n_solves
            room = max_active - A.size
            # the first batch takes every violator (in well-conditioned problems they are the
            # solution's support); later ones at most double the set
            k = min(1 if single else viol.size if first else max(min_batch, A.size), viol.size, max(room, 1))
            first = False
            if k < viol.size:
                viol = viol[np.argpartition(-np.abs(g[viol]), k - 1)[:k]]
            A = np.concatenate([A, viol])
            theta = np.concatenate([theta, np.sign(g[viol])])
            vA = np.concatenate([vA, np.zeros(k)])
            added = k
        if n_solves >= max_solves:
            raise _Stuck(f"no solution after {n_solves} solves")
        G_AA = ops.block(A)
        if A.size > max_active:
            # More coefficients than the rank of X (p > n, at the densest): G_AA is singular. With
            # X_old invertible, d = [-G_old^-1 G_old,j; 1] spans its null space, X_A d = 0, so along
            # s d (s = sign(g_j)) the fit is unchanged and the penalty falls at rate |g_j| - lambda
            # (the old coordinates are optimal on their signs); follow it to the first zero crossing
            # and drop that coordinate, which restores the rank (the step of LARS at a full set).
            if added != 1:
                raise _Stuck(f"{A.size} active coefficients, more than the rank of X")
            vA, A, theta, n_solves = _null_step(G_AA, vA, A, theta, g[A[-1]], n_solves)
            g, need_add, single = None, False, False
            continue
        n_solves += 1
        cA = c[A]
        try:
            x = _cholesky_solve(G_AA, cA - lam * theta)
        except _Stuck:
            if added > 1:  # some new column is (numerically) in the span of the others: one at a time
                A, theta, vA = A[:-added], theta[:-added], vA[:-added]
                single, need_add = True, True
                continue
            if added == 0 and from_init:  # the warm start's own columns are linearly dependent
                A, theta, vA = A[:0], theta[:0], vA[:0]
                need_add = True
                continue
            if added != 1:
                raise
            # the new column is in the span of the active ones (e.g. a duplicated column)
            vA, A, theta, n_solves = _null_step(G_AA, vA, A, theta, g[A[-1]], n_solves)
            g, need_add, single = None, A.size == 0, False
            continue
        if (x * theta > 0).all():  # the signs hold: x is the exact minimiser on this orthant
            vA, g, need_add, single = x, None, True, False
            continue
        # Some coordinate changed sign. Candidates, all scored by the true objective relative to
        # the current point: the zero crossings on the segment vA -> x, x itself, and x with the
        # coordinates of the wrong sign dropped.
        gA = cA - G_AA @ vA
        d = x - vA
        cross = x * theta <= 0
        t_cross = np.where(vA[cross] == 0, 0.0, vA[cross] / (vA[cross] - x[cross]))
        t = np.unique(np.append(t_cross[t_cross > 0], 1.0))
        Gd = G_AA @ d
        a, b = -(gA @ d), d @ Gd
        l1_now = np.abs(vA).sum()
        f_line = a * t + 0.5 * b * t**2 + lam * (np.abs(vA[:, None] + d[:, None] * t[None, :]).sum(axis=0) - l1_now)
        proj = np.where(cross, 0.0, x)
        dp = proj - vA
        f_proj = -(gA @ dp) + 0.5 * dp @ (G_AA @ dp) + lam * (np.abs(proj).sum() - l1_now)
        i = int(np.argmin(f_line))
        if f_proj <= f_line[i]:
            best, new = f_proj, proj
        else:
            best, new = f_line[i], vA + t[i] * d
            new[cross] = np.where(t_cross == t[i], 0.0, new[cross])  # the crossing coordinate is exactly 0
        if not best < 0:
            if added > 1:
                # a batch of new coordinates gave no descent: take back all but the largest violator
                # (with one, the objective decreases: Lee et al. 2007, Lemma 1)
                A, theta, vA = A[:-added], theta[:-added], vA[:-added]
                single, need_add = True, True
                continue
            raise _Stuck("no descent along the active-set step")
        keep = new != 0
        A, vA, theta = A[keep], new[keep], np.sign(new[keep])
        g, need_add, single = None, A.size == 0, False  # (an empty set is optimal on itself)


def _max_rank(X) -> int:
    """min(n, p), less one where every column has mean 0 (centred data, rank at most n - 1)."""
    n_samples, n_features = X.shape
    if n_features < n_samples - 1:
        return n_features
    scale = np.sqrt(n_samples * np.einsum("ij,ij->j", X, X))  # bounds |column sum|
    centred = n_samples > 1 and bool(np.all(np.abs(X.sum(axis=0)) <= 1e-9 * scale))
    return min(n_samples - centred, n_features)


def lasso_map(
    X: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    sigma: float,
    tau: float,
    loc: NDArray[np.float64] | float = 0.0,
    init: NDArray[np.float64] | None = None,
    tol: float = 1e-13,
    gram: tuple | None = None,
) -> LassoSolution:
    """Exact MAP of w under a Laplace(loc, tau) prior with sigma fixed (validated input).

    ``init`` warm-starts the search (a neighbouring tau's solution on a path: its nonzeros and
    signs are the first active set); ``gram`` passes a precomputed (X'X, X'y). Without it, the
    Gram entries of a column are computed when it enters the active set, unless most columns
    violate the KKT conditions at the start (then X'X is formed at once). ``tol`` is the sweep
    tolerance of the coordinate-descent fallback.
    """
    n_samples, n_features = X.shape
    loc = np.broadcast_to(np.asarray(loc, dtype=np.float64), (n_features,))
    lam = sigma**2 / tau
    v0 = np.zeros(n_features) if init is None else np.asarray(init, dtype=np.float64) - loc
    if gram is not None:
        G, Xty = gram
        c = Xty - G @ loc  # the lasso in v = w - loc has response y - X loc
        ops = _GivenGram(G, c)
    else:
        c = X.T @ (y - X @ loc if np.any(loc) else y)
        dense = 4 * np.count_nonzero(np.abs(c) > lam) > 3 * n_features
        ops = _GivenGram(X.T @ X, c) if dense else _ColumnGram(X, c)
    try:
        # in general position a lasso solution has at most rank(X) nonzeros
        v, g, n_solves = _active_set(ops, c, lam, v0, max_active=_max_rank(X))
        n_sweeps, polished = 0, True
        violation = _kkt_from_gradient(g, v, lam)
    except _Stuck:
        G = ops.G if isinstance(ops, _GivenGram) else X.T @ X
        v, n_sweeps, polished = _solve_gram(jnp.asarray(G), jnp.asarray(c), lam, jnp.asarray(v0), tol)
        v, n_sweeps, polished, n_solves = np.asarray(v), int(n_sweeps), bool(polished), 0
        violation = None
    coef = v + loc
    if violation is None:
        violation = kkt_violation(X, y, coef, loc=loc, sigma=sigma, tau=tau)
    return LassoSolution(coef=coef, n_sweeps=n_sweeps, kkt_violation=violation, polished=polished,
                         n_solves=n_solves)


def lasso_map_batched(X, y, *, sigma, tau, loc=0.0, tol: float = 1e-13) -> np.ndarray:
    """Exact Laplace MAPs for a batch of problems: X (R, n, p), y (R, n); sigma and tau
    scalars or (R,) arrays. One compiled, ``vmap``-ed solver; returns (R, p)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    num_reps, _, n_features = X.shape
    loc = np.broadcast_to(np.asarray(loc, dtype=np.float64), (n_features,))
    G = np.einsum("rni,rnj->rij", X, X)
    c = np.einsum("rni,rn->ri", X, y) - G @ loc
    lam = np.broadcast_to(np.asarray(sigma, dtype=np.float64) ** 2 / np.asarray(tau, dtype=np.float64), (num_reps,))
    solve = jax.vmap(_solve_gram, in_axes=(0, 0, 0, 0, None))
    v, _, _ = solve(jnp.asarray(G), jnp.asarray(c), jnp.asarray(lam), jnp.zeros((num_reps, n_features)), tol)
    return np.asarray(v) + loc
