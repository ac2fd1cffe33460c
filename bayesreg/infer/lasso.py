"""The exact MAP under a Laplace prior: the lasso, solved to machine precision in JAX.

With sigma and tau fixed, the negative log posterior of w under w_j ~ Laplace(loc_j, tau)
and y ~ N(Xw, sigma^2 I) is, up to a constant,

    (1 / (2 sigma^2)) ||y - X w||^2 + (1 / tau) ||w - loc||_1,

that is (times sigma^2) the lasso in v = w - loc with penalty lambda = sigma^2 / tau,
or scikit-learn's ``Lasso(alpha=sigma^2 / (tau * n_samples))``.

Solver: cyclic coordinate descent on the Gram matrix G = X'X (covariance updates, as in
Friedman, Hastie & Tibshirani 2010), each update an exact soft-threshold, so coefficients
that should be zero are exactly zero. Once the sign pattern is known, the KKT conditions on
the active set are linear, G_AA v_A = c_A - lambda s_A: one solve makes the solution exact
to rounding, and is kept only if it keeps the signs and the inactive coordinates still
satisfy |c_j - G_j v| <= lambda. The sweeps stop at a loose tolerance first and tighten only
when that solve is not yet valid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from ..results import PointEstimate

MAX_SWEEPS = 100_000


@dataclass(frozen=True)
class LassoSolution(PointEstimate):
    """Coefficients, the number of sweeps, and the largest relative KKT violation.

    As a fit of ``BayesianLinearRegression`` it is a :class:`~bayesreg.results.PointEstimate`
    (the interface :class:`~bayesreg.results.RegressionResult`)."""

    KIND: ClassVar[str] = "lasso"
    SECTION: ClassVar[str] = "solver"

    coef: NDArray[np.float64]
    n_sweeps: int
    kkt_violation: float
    polished: bool

    def restate(self, tau_vec, loc, loc_fit):
        """The solution for u (w = tau_j u_j) restated for w: a coefficient at its prior
        location stays exactly there."""
        return replace(self, coef=np.where(self.coef == loc_fit, loc, self.coef * tau_vec))

    def to_arrays(self) -> dict[str, Any]:
        return {"kind": self.KIND, "n_sweeps": self.n_sweeps, "kkt_violation": self.kkt_violation,
                "polished": self.polished}

    @classmethod
    def from_arrays(cls, arrays, *, coef, idata=None):
        return cls(coef=coef, n_sweeps=arrays["n_sweeps"], kkt_violation=arrays["kkt_violation"],
                   polished=arrays["polished"])


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


def kkt_violation(X, y, coef, *, loc, sigma: float, tau: float) -> float:
    """Largest violation of the optimality conditions, relative to the penalty 1/tau.

    At the MAP, g = X'(y - Xw) / sigma^2 must equal sign(w_j - loc_j) / tau where
    w_j != loc_j and lie in [-1/tau, 1/tau] where w_j == loc_j.
    """
    v = coef - loc
    g = X.T @ (y - X @ coef) / sigma**2
    bound = 1.0 / tau
    viol = np.where(v != 0, np.abs(g - np.sign(v) * bound), np.maximum(np.abs(g) - bound, 0.0))
    return float(np.max(viol) / bound) if viol.size else 0.0


WORKING_SET_MIN_FEATURES = 64


def _bucket(m: int) -> int:
    """Pad working sets to powers of two (>= 16) so the solver compiles once per bucket."""
    size = 16
    while size < m:
        size *= 2
    return size


def _solve_subproblem(G, c, lam, v0, tol):
    """_solve_gram on a padded copy: dummy coordinates have G = I, c = 0 and stay 0."""
    m = c.shape[0]
    size = _bucket(m)
    G_pad = np.eye(size)
    G_pad[:m, :m] = G
    c_pad, v_pad = np.zeros(size), np.zeros(size)
    c_pad[:m], v_pad[:m] = c, v0
    v, sweeps, polished = _solve_gram(jnp.asarray(G_pad), jnp.asarray(c_pad), lam, jnp.asarray(v_pad), tol)
    return np.asarray(v)[:m], int(sweeps), bool(polished)


def _working_set(X, r0, lam, v_init, tol):
    """Lasso in v for the response r0 = y - X loc, solved on a growing set of columns.

    Start from the columns that violate the KKT conditions at v = 0 (|X_j' r0| > lambda)
    and the nonzeros of ``v_init``; solve exactly on those columns (their Gram matrix
    only); check the KKT conditions of all columns with one pass X'(r0 - X_W v_W); add
    every violator; repeat. (The strong rule |X_j' r0| >= 2 lambda - lambda_max admits
    every column once lambda < lambda_max / 2, so it does not help at small penalties.)
    """
    n_features = X.shape[1]
    c_full = X.T @ r0
    lam_max = float(np.max(np.abs(c_full)))
    v = np.zeros(n_features)
    if lam >= lam_max:
        return v, 0, True
    working = np.flatnonzero((np.abs(c_full) > lam) | (v_init != 0))
    total_sweeps = 0
    while True:
        XW = X[:, working]
        vW, sweeps, polished = _solve_subproblem(XW.T @ XW, c_full[working], lam, v_init[working], tol)
        total_sweeps += sweeps
        v = np.zeros(n_features)
        v[working] = vW
        g = c_full - X.T @ (XW @ vW)
        outside = np.ones(n_features, dtype=bool)
        outside[working] = False
        violators = np.flatnonzero(outside & (np.abs(g) > lam * (1 + 1e-9)))
        if violators.size == 0:
            return v, total_sweeps, polished
        working = np.union1d(working, violators)


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

    ``init`` warm-starts the sweeps (a neighbouring tau's solution on a path); ``gram``
    passes a precomputed (X'X, X'y) and solves on all columns at once. Without it, problems
    with at least 64 features are solved on a working set of columns (see
    :func:`_working_set`), which never forms the full p x p Gram matrix.
    """
    n_features = X.shape[1]
    loc = np.broadcast_to(np.asarray(loc, dtype=np.float64), (n_features,))
    lam = sigma**2 / tau
    v0 = np.zeros(n_features) if init is None else np.asarray(init, dtype=np.float64) - loc
    if gram is None and n_features >= WORKING_SET_MIN_FEATURES:
        v, sweeps, polished = _working_set(X, y - X @ loc, lam, v0, tol)
    else:
        G, Xty = gram if gram is not None else (X.T @ X, X.T @ y)
        c = Xty - G @ loc  # the lasso in v = w - loc has response y - X loc
        v, sweeps, polished = _solve_gram(jnp.asarray(G), jnp.asarray(c), lam, jnp.asarray(v0), tol)
        v, sweeps, polished = np.asarray(v), int(sweeps), bool(polished)
    coef = v + loc
    return LassoSolution(
        coef=coef,
        n_sweeps=sweeps,
        kkt_violation=kkt_violation(X, y, coef, loc=loc, sigma=sigma, tau=tau),
        polished=polished,
    )


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
