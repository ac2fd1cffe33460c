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
  n - 1 when a flat intercept has been integrated out by centring).

Each sweep does these in this order and records (w, sigma) at its end. The single-site
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

from .likelihood import sufficient_statistics
from .sampling import NUTSDraws, NUTSSettings


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
    p = c.shape[0]
    total = num_warmup + num_samples
    c_loc = c - G @ loc          # X'(y - X loc)
    shape_ig = 1.0 / tau**2
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

    def sweep(state, r):
        v, inv_s, sigma2 = state
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
        inv_s = inverse_gaussian_from(r["ig_normal"], r["ig_uniform"], jnp.sqrt(k) / (tau * absv), shape_ig)
        # 4. sigma^2 | v, s: inverse gamma
        if sample_sigma:
            w = loc + v
            rss = yy - 2.0 * w @ c + w @ G @ w
            b_post = b + rss / 2.0 + (0.5 * jnp.sum(v**2 * inv_s) if scale_by_sigma else 0.0)
            sigma2 = b_post / r["gamma"]
        return (v, inv_s, sigma2), (loc + v, jnp.sqrt(sigma2))

    sigma2 = data["sigma2"]
    v0 = 0.1 * tau * jax.random.normal(k_init, (p,))
    state = (v0, jnp.full((p,), shape_ig / 2.0), sigma2)
    warm = jax.tree.map(lambda x: x[:num_warmup], randomness)
    state, _ = jax.lax.scan(sweep, state, warm)
    _, (w, sigma) = jax.lax.scan(sweep, state, jax.tree.map(lambda x: x[num_warmup:], randomness))
    return w, sigma


_RUNNERS: dict[tuple, object] = {}

# jaxlib 0.10 (lapack_kernels.cc) splits a batched LAPACK call whose estimated work, batch x
# flops per matrix, is at least this many flops into pieces on XLA's intra-op thread pool, and
# the pool thread that made the call blocks until the pieces are done. When as many such calls
# run at once as the pool has threads, every thread waits and no thread is left to run the
# pieces: the program never finishes. A sweep has two independent triangular solves (the mean
# and the noise of step 1), which XLA runs concurrently, so 2 cores were enough to deadlock
# (jax-ml/jax#36927; later jaxlib releases no longer split LAPACK calls). Below the threshold
# the call runs in its own thread and cannot block.
_LAPACK_SERIAL_FLOPS = 200_000


def _pairs_per_call(p: int) -> int:
    """How many chains to batch per LAPACK call so that every call stays below
    ``_LAPACK_SERIAL_FLOPS``, by jaxlib's own estimates: p^3 / 3 for a Cholesky factor, p^2
    for a triangular solve with one right-hand side. At least 1: a single matrix is never split."""
    return max(1, (_LAPACK_SERIAL_FLOPS - 1) // max(p**3 // 3, p * p))


def _runner(settings: NUTSSettings, scale_by_sigma: bool, sample_sigma: bool, batched: bool = False):
    """One data set's chains in one vmap, or (``batched``) groups of independent (data set,
    chain) pairs, arrays of shape (group, pair in group, ...): one vmap per group, the groups
    in sequence with ``lax.map`` (see ``_LAPACK_SERIAL_FLOPS`` for why not one vmap)."""
    key = (settings.num_warmup, settings.num_samples, settings.num_chains, scale_by_sigma, sample_sigma, batched)
    if key not in _RUNNERS:
        chain = partial(_chain, num_warmup=settings.num_warmup, num_samples=settings.num_samples,
                        scale_by_sigma=scale_by_sigma, sample_sigma=sample_sigma)
        if batched:
            group = jax.vmap(chain)
            _RUNNERS[key] = jax.jit(lambda keys, data: jax.lax.map(lambda g: group(*g), (keys, data)))
        else:
            _RUNNERS[key] = jax.jit(jax.vmap(chain, in_axes=(0, None)))
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
    runner = _runner(settings, scale_by_sigma, sample_sigma)
    keys = jax.random.split(rng_key, settings.num_chains)
    w, sigma = runner(keys, {k: jnp.asarray(v) for k, v in data.items()})
    samples = {"w": np.asarray(w)}
    if sample_sigma:
        samples["sigma"] = np.asarray(sigma)
    stats = {"diverging": np.zeros(np.asarray(w).shape[:2], dtype=bool)}
    return NUTSDraws(samples=samples, stats=stats, settings=settings, extra={"sampler": "gibbs"})


def run_gibbs_batched(rng_key, data: dict, *, settings: NUTSSettings, scale_by_sigma: bool = False,
                      pairs_per_call: int | None = None) -> NUTSDraws:
    """Gibbs on many data sets at once: every array in ``data`` has a leading replicate axis.

    Returns draws of shape (replicate, chain, draw, ...). Replicate r gets the key
    ``jax.random.split(rng_key, R)[r]`` and its chains keys split from it, as in :func:`run_gibbs`.

    The R x num_chains (replicate, chain) pairs run in one compiled program, in equal groups
    of at most ``pairs_per_call`` pairs: one vmap per group, the groups one after another
    (``lax.map``). The default is as many as keep every batched Cholesky factor and triangular
    solve below the size at which jaxlib 0.10 splits it across threads (600 pairs at p = 10;
    see ``_LAPACK_SERIAL_FLOPS``). One vmap over all pairs deadlocked there: 3,000 data sets
    with n = 8, p = 10, 4 chains and 300 + 300 sweeps hung in 3 of 3 runs on 2 cores (1,000 data
    sets too), every thread waiting inside a LAPACK call. The groups are padded to equal size
    with copies of the last pair, so one vmapped program serves them all; at p = 10 the draws
    are the same, bit for bit, whatever ``pairs_per_call`` (>= 2) is.
    """
    sample_sigma = "sigma_prior" in data
    data = {k: jnp.asarray(v) for k, v in data.items()}
    sizes = {v.shape[0] for v in data.values()}
    if len(sizes) != 1:
        raise ValueError(f"every data array needs the same leading replicate axis; got sizes {sorted(sizes)}.")
    num_reps, chains = sizes.pop(), settings.num_chains
    if pairs_per_call is None:
        pairs_per_call = _pairs_per_call(data["c"].shape[-1])
    elif isinstance(pairs_per_call, bool) or not isinstance(pairs_per_call, (int, np.integer)) or pairs_per_call < 1:
        raise ValueError(f"pairs_per_call must be a positive integer; got {pairs_per_call!r}.")
    pairs = num_reps * chains
    groups = -(-pairs // int(pairs_per_call))
    size = -(-pairs // groups)  # equal groups, fewer than `groups` padding pairs
    # pair i = (replicate i // chains, chain i % chains); the last pair fills the last group
    index = np.minimum(np.arange(groups * size), pairs - 1)
    keys = jax.vmap(lambda k: jax.random.split(k, chains))(jax.random.split(rng_key, num_reps)).reshape(-1)
    runner = _runner(settings, scale_by_sigma, sample_sigma, batched=True)
    w, sigma = runner(keys[index].reshape(groups, size),
                      {k: v[index // chains].reshape((groups, size) + v.shape[1:]) for k, v in data.items()})

    def unpack(x):
        return np.asarray(x).reshape((groups * size,) + x.shape[2:])[:pairs].reshape((num_reps, chains) + x.shape[2:])

    samples = {"w": unpack(w)}
    if sample_sigma:
        samples["sigma"] = unpack(sigma)
    return NUTSDraws(samples=samples, stats={"diverging": np.zeros(samples["w"].shape[:3], dtype=bool)},
                     settings=settings, extra={"sampler": "gibbs"})
