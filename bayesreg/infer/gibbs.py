"""A Gibbs sampler for the Laplace prior (the Bayesian lasso), in JAX.

The Laplace prior is a scale mixture of normals (Andrews & Mallows 1974):
v_j = w_j - loc_j, v_j | s_j ~ N(0, k s_j), s_j ~ Exponential with mean 2 tau^2, where
k = 1 (w_j ~ Laplace(loc_j, tau)) or k = sigma^2 (the sigma-scaled form of Park & Casella
2008, w_j | sigma ~ Laplace(loc_j, sigma tau)). Every full conditional is standard:

* w | s, sigma^2, y ~ N(loc + A^-1 X'(y - X loc) / sigma^2, A^-1), A = X'X / sigma^2 + diag(1 / (k s)):
  one Cholesky factor of a p x p matrix per sweep;
* v_j | v_-j, sigma^2, y with s integrated out, for j = 1..p in turn: a Normal likelihood
  times a Laplace prior, a two-piece mixture of truncated normals drawn exactly (Hans
  2009). This step is what lets a coefficient leave zero: given a small s_j the first
  step pins v_j near zero, so the plain scale-mixture sampler mixes slowly exactly where
  the lasso is interesting (strong shrinkage; ~9x the ESS on diabetes with tau = 5);
* 1/s_j | v_j ~ InverseGaussian(mean = sqrt(k) / (tau |v_j|), shape = 1 / tau^2);
* sigma^2 | w, s, y ~ InvGamma(a + n/2 [+ p/2], b + RSS/2 [+ sum v_j^2 / (2 s_j)]) under an
  InverseGamma(a, b) prior on sigma^2 (bracketed terms for the sigma-scaled form; n is
  n - 1 when a flat intercept has been integrated out by centring); a = b = 0 is the
  Jeffreys prior p(sigma^2) ~ 1/sigma^2;
* lambda^2 = 1/tau^2 | s ~ Gamma(p + r, sum s_j / 2 + delta) under Park & Casella's
  hyperprior lambda^2 ~ Gamma(r, delta): s_j | tau ~ Exponential with rate lambda^2 / 2
  (their tau_j^2), whatever k is, and nothing else involves lambda.

Each sweep does these in this order and records (w, sigma, tau) at its end. The single-site
step leaves s stale, but s is drawn afresh from s | v before anything uses it, so the
sweep is a valid partially collapsed Gibbs sampler (van Dyk & Park 2008). The sweeps
depend on the data only through X'X, X'y and y'y, so a sweep costs O(p^3) whatever n is.
The whole run is one jitted program with the data as arguments: compiled once per
(p, settings), reused for new data, and ``vmap``-able across data sets. Its random numbers
are drawn before the loop (inside it, each ``jax.random`` call is a loop of its own).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_solve, solve_triangular
from jax.scipy.special import log_ndtr, ndtri

from ..likelihood import sufficient_statistics
from .mcmc import MCMCDraws, MCMCSettings


def inverse_gaussian(key, mean, shape):
    """Draws from InverseGaussian(mean, shape) (Michael, Schucany & Haas 1976)."""
    k_normal, k_uniform = jax.random.split(key)
    return inverse_gaussian_from(jax.random.normal(k_normal, jnp.shape(mean)),
                                 jax.random.uniform(k_uniform, jnp.shape(mean)), mean, shape)


def inverse_gaussian_from(nu, u, mean, shape):
    """The inverse Gaussian draw made from a standard normal nu and a uniform u, written
    without cancellation for large means: x = mean / (1 + r + sqrt(r (r + 2))),
    r = mean nu^2 / (2 shape)."""
    r = mean * nu**2 / (2.0 * shape)
    x = mean / (1.0 + r + jnp.sqrt(r * (r + 2.0)))
    return jnp.where(u <= mean / (mean + x), x, mean * (mean / x))


def normal_upper_tail(alpha, u):
    """X ~ N(0, 1) conditioned on X > alpha, from a uniform u in (0, 1), by inverting the
    CDF in log space: log P(X > x) = log u + log P(X > alpha). Where that probability is
    below float64's range (alpha > ~37), Newton steps on log_ndtr, which is accurate there,
    finish from the asymptotic inverse."""
    log_t = jnp.log(u) + log_ndtr(-alpha)
    direct = -ndtri(jnp.exp(jnp.maximum(log_t, -700.0)))
    # far tail: solve log_ndtr(-x) = log_t for x > alpha
    q = -2.0 * jnp.minimum(log_t, -700.0)
    x = jnp.sqrt(q - jnp.log(q) - jnp.log(2.0 * jnp.pi))
    for _ in range(4):
        log_sf = log_ndtr(-x)
        log_pdf = -0.5 * x * x - 0.5 * jnp.log(2.0 * jnp.pi)
        x = x + (log_sf - log_t) * jnp.exp(log_sf - log_pdf)
    return jnp.where(log_t > -700.0, direct, jnp.maximum(x, alpha))


def laplace_normal(u_side, u_tail, a, b, scale):
    """A draw from the density proportional to exp(-a v^2 / 2 + b v - |v| / scale): a Normal
    likelihood times a Laplace(0, scale) prior, which is a two-piece mixture of truncated
    normals (Hans 2009). u_side and u_tail are uniforms in (0, 1)."""
    root_a = jnp.sqrt(a)
    mu_pos, mu_neg = (b - 1.0 / scale) / a, (b + 1.0 / scale) / a
    log_pos = 0.5 * a * mu_pos**2 + log_ndtr(mu_pos * root_a)
    log_neg = 0.5 * a * mu_neg**2 + log_ndtr(-mu_neg * root_a)
    positive = jnp.log(u_side) < log_pos - jnp.logaddexp(log_pos, log_neg)
    x = normal_upper_tail(jnp.where(positive, -mu_pos * root_a, mu_neg * root_a), u_tail)
    return jnp.where(positive, mu_pos + x / root_a, mu_neg - x / root_a)


def _chain(key, data, *, num_warmup: int, num_samples: int, scale_by_sigma: bool, sample_sigma: bool):
    G, c, yy, n_eff, loc, tau = (data[k] for k in ("G", "c", "yy", "n_eff", "loc", "tau"))
    sample_tau = "tau_prior" in data  # the dict's keys are static: a separate program per case
    p = c.shape[0]
    total = num_warmup + num_samples
    c_loc = c - G @ loc          # X'(y - X loc)
    diag = jnp.diag(G)
    if sample_sigma:
        a, b = data["sigma_prior"][0], data["sigma_prior"][1]
        a_post = a + n_eff / 2.0 + (p / 2.0 if scale_by_sigma else 0.0)
    # every random number of the run, drawn before the loop: inside it each jax.random
    # call compiles to a loop of its own, which costs more than the sweep's arithmetic
    k_init, k_w, k_site, k_ig, k_sigma = jax.random.split(key, 5)
    randomness = {"w": jax.random.normal(k_w, (total, p)),
                  "site": jax.random.uniform(k_site, (total, p, 2), minval=jnp.finfo(c.dtype).tiny),
                  "ig_normal": jax.random.normal(k_ig, (total, p)),
                  "ig_uniform": jax.random.uniform(jax.random.fold_in(k_ig, 1), (total, p))}
    if sample_sigma:
        randomness["gamma"] = jax.random.gamma(k_sigma, a_post, (total,))
    if sample_tau:
        r_shape, delta = data["tau_prior"][0], data["tau_prior"][1]
        randomness["lambda_sq"] = jax.random.gamma(jax.random.fold_in(k_sigma, 1), p + r_shape, (total,))

    def sweep(state, r):
        v, inv_s, sigma2, tau = state
        k = sigma2 if scale_by_sigma else 1.0
        # 1. v | s, sigma^2: multivariate normal, one Cholesky factor
        A = G / sigma2 + jnp.diag(inv_s / k)
        L = jnp.linalg.cholesky(A)
        mean = cho_solve((L, True), c_loc / sigma2)
        v = mean + solve_triangular(L.T, r["w"], lower=False)
        # 2. each v_j | v_-j, sigma^2 with s integrated out (a Laplace-normal draw): lets
        #    coefficients leave zero, where small scales s_j make step 1 stick
        laplace_scale = jnp.sqrt(k) * tau

        def site(j, carry):
            v, Gv = carry
            a_j = diag[j] / sigma2
            b_j = (c_loc[j] - Gv[j] + diag[j] * v[j]) / sigma2
            new = laplace_normal(r["site"][j, 0], r["site"][j, 1], a_j, b_j, laplace_scale)
            return v.at[j].set(new), Gv + G[:, j] * (new - v[j])

        v, _ = jax.lax.fori_loop(0, p, site, (v, G @ v))
        # 3. 1/s_j | v_j: inverse Gaussian
        absv = jnp.maximum(jnp.abs(v), 1e-300)
        inv_s = inverse_gaussian_from(r["ig_normal"], r["ig_uniform"], jnp.sqrt(k) / (tau * absv), 1.0 / tau**2)
        # 4. sigma^2 | v, s: inverse gamma
        if sample_sigma:
            w = loc + v
            rss = yy - 2.0 * w @ c + w @ G @ w
            b_post = b + rss / 2.0 + (0.5 * jnp.sum(v**2 * inv_s) if scale_by_sigma else 0.0)
            sigma2 = b_post / r["gamma"]
        # 5. lambda^2 = 1/tau^2 | s: gamma (s_j = 1 / inv_s_j has mean 2 tau^2 = 2 / lambda^2)
        if sample_tau:
            tau = jnp.sqrt((0.5 * jnp.sum(1.0 / inv_s) + delta) / r["lambda_sq"])
        return (v, inv_s, sigma2, tau), {"w": loc + v, "sigma": jnp.sqrt(sigma2), "tau": tau}

    sigma2 = data["sigma2"]
    v0 = 0.1 * tau * jax.random.normal(k_init, (p,))
    state = (v0, jnp.full((p,), 0.5 / tau**2), sigma2, tau)
    warm = jax.tree.map(lambda x: x[:num_warmup], randomness)
    state, _ = jax.lax.scan(sweep, state, warm)
    _, draws = jax.lax.scan(sweep, state, jax.tree.map(lambda x: x[num_warmup:], randomness))
    if not sample_tau:
        del draws["tau"]
    return draws


_RUNNERS: dict[tuple, object] = {}


def _runner(settings: MCMCSettings, scale_by_sigma: bool, sample_sigma: bool, batched: bool):
    key = (settings.num_warmup, settings.num_samples, settings.num_chains, scale_by_sigma, sample_sigma, batched)
    if key not in _RUNNERS:
        chain = partial(_chain, num_warmup=settings.num_warmup, num_samples=settings.num_samples,
                        scale_by_sigma=scale_by_sigma, sample_sigma=sample_sigma)
        chains = jax.vmap(chain, in_axes=(0, None))
        _RUNNERS[key] = jax.jit(jax.vmap(chains, in_axes=(0, 0)) if batched else chains)
    return _RUNNERS[key]


def gibbs_data(X, y, *, loc, tau, sigma, sigma_prior=None, tau_prior=None, centered: bool = False) -> dict:
    """Sufficient statistics and hyperparameters, as the sampler's arguments.

    ``sigma`` is the fixed noise sd, or (with ``sigma_prior=(a, b)`` for sigma^2 ~
    InvGamma(a, b); (0, 0) is the Jeffreys prior) only a starting value. Likewise ``tau``
    is fixed, or with ``tau_prior=(r, delta)`` for 1/tau^2 ~ Gamma(r, delta) a starting value.
    """
    stats = sufficient_statistics(X, y)
    n, p = np.shape(X)
    data = {"G": stats["G"], "c": stats["c"], "yy": stats["yy"], "n_eff": float(n - 1 if centered else n),
            "loc": np.broadcast_to(np.asarray(loc, dtype=np.float64), (p,)).copy(), "tau": float(tau),
            "sigma2": float(sigma) ** 2}
    if sigma_prior is not None:
        data["sigma_prior"] = np.asarray(sigma_prior, dtype=np.float64)
    if tau_prior is not None:
        data["tau_prior"] = np.asarray(tau_prior, dtype=np.float64)
    return data


def run_gibbs(rng_key, data: dict, *, settings: MCMCSettings, scale_by_sigma: bool = False) -> MCMCDraws:
    """Run ``settings.num_chains`` Gibbs chains (in one vmap); draws have axes (chain, draw)."""
    sample_sigma = "sigma_prior" in data
    runner = _runner(settings, scale_by_sigma, sample_sigma, batched=False)
    keys = jax.random.split(rng_key, settings.num_chains)
    draws = runner(keys, {k: jnp.asarray(v) for k, v in data.items()})
    samples = {k: np.asarray(v) for k, v in draws.items() if k != "sigma" or sample_sigma}
    stats = {"diverging": np.zeros(samples["w"].shape[:2], dtype=bool)}
    return MCMCDraws(samples=samples, stats=stats, settings=settings)


def run_gibbs_batched(rng_key, data: dict, *, settings: MCMCSettings, scale_by_sigma: bool = False) -> MCMCDraws:
    """Gibbs on many data sets at once: every array in ``data`` has a leading replicate axis."""
    sample_sigma = "sigma_prior" in data
    data = {k: jnp.asarray(v) for k, v in data.items()}
    num_reps = data["G"].shape[0]
    runner = _runner(settings, scale_by_sigma, sample_sigma, batched=True)
    keys = jax.vmap(lambda k: jax.random.split(k, settings.num_chains))(jax.random.split(rng_key, num_reps))
    draws = runner(keys, data)
    samples = {k: np.asarray(v) for k, v in draws.items() if k != "sigma" or sample_sigma}
    return MCMCDraws(samples=samples, stats={"diverging": np.zeros(samples["w"].shape[:3], dtype=bool)},
                     settings=settings)
