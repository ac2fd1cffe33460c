"""A Gibbs sampler for the Laplace prior (the Bayesian lasso), in JAX.

The Laplace prior is a scale mixture of normals (Andrews & Mallows 1974):
v_j = w_j - loc_j, v_j | s_j ~ N(0, k s_j), s_j ~ Exponential with mean 2 tau^2, where
k = 1 (w_j ~ Laplace(loc_j, tau)) or k = sigma^2 (the sigma-scaled form of Park & Casella
2008, w_j | sigma ~ Laplace(loc_j, sigma tau)). Every full conditional is standard:

* w | s, sigma^2, y ~ N(loc + A^-1 X'(y - X loc) / sigma^2, A^-1), A = X'X / sigma^2 + diag(1 / (k s)):
  one Cholesky factor of a p x p matrix per sweep;
* 1/s_j | v_j ~ InverseGaussian(mean = sqrt(k) / (tau |v_j|), shape = 1 / tau^2);
* sigma^2 | w, s, y ~ InvGamma(a + n/2 [+ p/2], b + RSS/2 [+ sum v_j^2 / (2 s_j)]) under an
  InverseGamma(a, b) prior on sigma^2 (bracketed terms for the sigma-scaled form; n is
  n - 1 when a flat intercept has been integrated out by centring).

The sweeps depend on the data only through X'X, X'y and y'y, so a sweep costs O(p^3)
whatever n is. The whole run is one jitted program with the data as arguments: compiled
once per (p, settings), reused for new data, and ``vmap``-able across data sets.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_solve, solve_triangular

from .likelihood import sufficient_statistics
from .sampling import NUTSDraws, NUTSSettings


def inverse_gaussian(key, mean, shape):
    """Draws from InverseGaussian(mean, shape) (Michael, Schucany & Haas 1976), written
    without cancellation for large means: x = mean / (1 + r + sqrt(r (r + 2))),
    r = mean nu^2 / (2 shape)."""
    k_normal, k_uniform = jax.random.split(key)
    nu = jax.random.normal(k_normal, jnp.shape(mean))
    r = mean * nu**2 / (2.0 * shape)
    x = mean / (1.0 + r + jnp.sqrt(r * (r + 2.0)))
    u = jax.random.uniform(k_uniform, jnp.shape(mean))
    return jnp.where(u <= mean / (mean + x), x, mean * (mean / x))


def _chain(key, data, *, num_warmup: int, num_samples: int, scale_by_sigma: bool, sample_sigma: bool):
    G, c, yy, n_eff, loc, tau = (data[k] for k in ("G", "c", "yy", "n_eff", "loc", "tau"))
    p = c.shape[0]
    c_loc = c - G @ loc          # X'(y - X loc)
    shape_ig = 1.0 / tau**2

    def sweep(state, key):
        v, inv_s, sigma2 = state
        k_w, k_s, k_sigma = jax.random.split(key, 3)
        k = sigma2 if scale_by_sigma else 1.0
        A = G / sigma2 + jnp.diag(inv_s / k)
        L = jnp.linalg.cholesky(A)
        mean = cho_solve((L, True), c_loc / sigma2)
        v = mean + solve_triangular(L.T, jax.random.normal(k_w, (p,)), lower=False)
        absv = jnp.maximum(jnp.abs(v), 1e-300)
        inv_s = inverse_gaussian(k_s, jnp.sqrt(k) / (tau * absv), shape_ig)
        if sample_sigma:
            a, b = data["sigma_prior"][0], data["sigma_prior"][1]
            w = loc + v
            rss = yy - 2.0 * w @ c + w @ G @ w
            a_post = a + n_eff / 2.0 + (p / 2.0 if scale_by_sigma else 0.0)
            b_post = b + rss / 2.0 + (0.5 * jnp.sum(v**2 * inv_s) if scale_by_sigma else 0.0)
            sigma2 = b_post / jax.random.gamma(k_sigma, a_post)
        return (v, inv_s, sigma2), (loc + v, jnp.sqrt(sigma2))

    k_init, k_run = jax.random.split(key)
    sigma2 = data["sigma2"]
    v0 = 0.1 * tau * jax.random.normal(k_init, (p,))
    state = (v0, jnp.full((p,), shape_ig / 2.0), sigma2)
    keys = jax.random.split(k_run, num_warmup + num_samples)
    state, _ = jax.lax.scan(sweep, state, keys[:num_warmup])
    _, (w, sigma) = jax.lax.scan(sweep, state, keys[num_warmup:])
    return w, sigma


_RUNNERS: dict[tuple, object] = {}


def _runner(settings: NUTSSettings, scale_by_sigma: bool, sample_sigma: bool, batched: bool):
    key = (settings.num_warmup, settings.num_samples, settings.num_chains, scale_by_sigma, sample_sigma, batched)
    if key not in _RUNNERS:
        chain = partial(_chain, num_warmup=settings.num_warmup, num_samples=settings.num_samples,
                        scale_by_sigma=scale_by_sigma, sample_sigma=sample_sigma)
        chains = jax.vmap(chain, in_axes=(0, None))
        _RUNNERS[key] = jax.jit(jax.vmap(chains, in_axes=(0, 0)) if batched else chains)
    return _RUNNERS[key]


def gibbs_data(X, y, *, loc, tau, sigma, sigma_prior=None, centered: bool = False) -> dict:
    """Sufficient statistics and hyperparameters, as the sampler's arguments.

    ``sigma`` is the fixed noise sd, or (with ``sigma_prior=(a, b)`` for sigma^2 ~
    InvGamma(a, b)) only a starting value.
    """
    stats = sufficient_statistics(X, y)
    n, p = np.shape(X)
    data = {"G": stats["G"], "c": stats["c"], "yy": stats["yy"], "n_eff": float(n - 1 if centered else n),
            "loc": np.broadcast_to(np.asarray(loc, dtype=np.float64), (p,)).copy(), "tau": float(tau),
            "sigma2": float(sigma) ** 2}
    if sigma_prior is not None:
        data["sigma_prior"] = np.asarray(sigma_prior, dtype=np.float64)
    return data


def run_gibbs(rng_key, data: dict, *, settings: NUTSSettings, scale_by_sigma: bool = False) -> NUTSDraws:
    """Run ``settings.num_chains`` Gibbs chains (in one vmap); draws have axes (chain, draw)."""
    sample_sigma = "sigma_prior" in data
    runner = _runner(settings, scale_by_sigma, sample_sigma, batched=False)
    keys = jax.random.split(rng_key, settings.num_chains)
    w, sigma = runner(keys, {k: jnp.asarray(v) for k, v in data.items()})
    samples = {"w": np.asarray(w)}
    if sample_sigma:
        samples["sigma"] = np.asarray(sigma)
    stats = {"diverging": np.zeros(np.asarray(w).shape[:2], dtype=bool)}
    return NUTSDraws(samples=samples, stats=stats, settings=settings, extra={"sampler": "gibbs"})


def run_gibbs_batched(rng_key, data: dict, *, settings: NUTSSettings, scale_by_sigma: bool = False) -> NUTSDraws:
    """Gibbs on many data sets at once: every array in ``data`` has a leading replicate axis."""
    sample_sigma = "sigma_prior" in data
    data = {k: jnp.asarray(v) for k, v in data.items()}
    num_reps = data["G"].shape[0]
    runner = _runner(settings, scale_by_sigma, sample_sigma, batched=True)
    keys = jax.vmap(lambda k: jax.random.split(k, settings.num_chains))(jax.random.split(rng_key, num_reps))
    w, sigma = runner(keys, data)
    samples = {"w": np.asarray(w)}
    if sample_sigma:
        samples["sigma"] = np.asarray(sigma)
    return NUTSDraws(samples=samples, stats={"diverging": np.zeros(np.asarray(w).shape[:3], dtype=bool)},
                     settings=settings, extra={"sampler": "gibbs"})
