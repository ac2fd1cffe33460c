"""The exact MAP under a Laplace prior: the lasso, solved to machine precision in JAX.

With sigma and tau fixed, the negative log posterior of w under w_j ~ Laplace(loc_j, tau)
and y ~ N(Xw, sigma^2 I) is, up to a constant,

    (1 / (2 sigma^2)) ||y - X w||^2 + (1 / tau) ||w - loc||_1,

that is (times sigma^2) the lasso in v = w - loc with penalty lambda = sigma^2 / tau,
or scikit-learn's ``Lasso(alpha=sigma^2 / (tau * n_samples))``.

Solver: cyclic coordinate descent on the Gram matrix G = X'X (covariance updates, as in
Friedman, Hastie & Tibshirani 2010), each update an exact soft-threshold, so coefficients
that should be zero are exactly zero. When the sweeps have settled, the sign pattern is
known and the KKT conditions on the active set are linear, G_AA v_A = c_A - lambda s_A:
one solve makes the solution exact to rounding, and is kept only if it keeps the signs and
the inactive coordinates still satisfy |c_j - G_j v| <= lambda.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

MAX_SWEEPS = 100_000


@dataclass(frozen=True)
class LassoSolution:
    """Coefficients, the number of sweeps, and the largest relative KKT violation."""

    coef: NDArray[np.float64]
    n_sweeps: int
    kkt_violation: float
    polished: bool


def _soft(x, t):
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - t, 0.0)


@partial(jax.jit, static_argnames=("max_sweeps",))
def _solve_gram(G, c, lam, v0, tol, max_sweeps=MAX_SWEEPS):
    """Minimise 0.5 v'Gv - c'v + lam ||v||_1; returns (v, sweeps, polished)."""
    diag = jnp.diag(G)
    safe_diag = jnp.where(diag > 0, diag, 1.0)
    n_features = c.shape[0]

    def coordinate(j, carry):
        v, r, biggest = carry  # r = c - G v: minus the gradient of the smooth part
        old = v[j]
        new = jnp.where(diag[j] > 0, _soft(r[j] + diag[j] * old, lam) / safe_diag[j], 0.0)
        delta = new - old
        r = r - G[:, j] * delta
        return v.at[j].set(new), r, jnp.maximum(biggest, jnp.abs(delta))

    def sweep(carry):
        v, r, it, _ = carry
        v, r, biggest = jax.lax.fori_loop(0, n_features, coordinate, (v, r, 0.0))
        return v, r, it + 1, biggest

    def not_done(carry):
        v, _, it, biggest = carry
        return (it < max_sweeps) & (biggest > tol * (1.0 + jnp.max(jnp.abs(v))))

    v, r, sweeps, _ = jax.lax.while_loop(not_done, sweep, (v0, c - G @ v0, 0, jnp.inf))

    # exact solve on the active set, kept only if it is a valid KKT point
    active = v != 0
    signs = jnp.sign(v)
    both = active[:, None] & active[None, :]
    G_active = jnp.where(both, G, 0.0) + jnp.diag(jnp.where(active, 0.0, 1.0))
    rhs = jnp.where(active, c - lam * signs, 0.0)
    polished = jnp.linalg.solve(G_active, rhs)
    residual = c - G @ polished
    valid = (
        jnp.all(jnp.isfinite(polished))
        & jnp.all(jnp.where(active, jnp.sign(polished) == signs, True))
        & jnp.all(jnp.where(active, True, jnp.abs(residual) <= lam * (1 + 1e-9)))
    )
    return jnp.where(valid, polished, v), sweeps, valid


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
    passes a precomputed (X'X, X'y) to skip recomputing it.
    """
    n_features = X.shape[1]
    loc = np.broadcast_to(np.asarray(loc, dtype=np.float64), (n_features,))
    G, Xty = gram if gram is not None else (X.T @ X, X.T @ y)
    c = Xty - G @ loc  # the lasso in v = w - loc has response y - X loc
    lam = sigma**2 / tau
    v0 = np.zeros(n_features) if init is None else np.asarray(init, dtype=np.float64) - loc
    v, sweeps, polished = _solve_gram(jnp.asarray(G), jnp.asarray(c), lam, jnp.asarray(v0), tol)
    coef = np.asarray(v) + loc
    return LassoSolution(
        coef=coef,
        n_sweeps=int(sweeps),
        kkt_violation=kkt_violation(X, y, coef, loc=loc, sigma=sigma, tau=tau),
        polished=bool(polished),
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
