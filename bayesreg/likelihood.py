"""Pointwise Normal (and Student-t) log-likelihood and replicated data from posterior draws.

Shared by every model whose likelihood is y_i ~ N(m_i, sigma^2). These become ArviZ's
log_likelihood (for LOO/WAIC) and posterior_predictive groups. Both are (chain, draw, n)
arrays, so for large n times many draws they are skipped rather than filling memory.
"""

from __future__ import annotations

import numpy as np

MAX_POINTWISE = 4_000_000  # elements of a (chain, draw, n) array: 32 MB in float64


def center(X, y, *, fit_intercept: bool):
    """(Xc, yc, x_mean, y_mean): X and y centred when ``fit_intercept``, else as they are.

    Centring integrates a flat-prior intercept out of a Normal likelihood (its posterior
    given w is then N(ybar - xbar'w, sigma^2 / n)); every path that fits an intercept
    centres here, so they agree on what the intercept is."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    x_mean = X.mean(axis=0) if fit_intercept else np.zeros(X.shape[1])
    y_mean = float(y.mean()) if fit_intercept else 0.0
    return X - x_mean, y - y_mean, x_mean, y_mean


def sufficient_statistics(X, y) -> dict[str, np.ndarray]:
    """G = X'X, c = X'y, yy = y'y and n: all a Normal likelihood needs of the data.

    Works on one data set (X: (n, p)) or a batch with leading axes (X: (..., n, p)).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = X.shape[-2]
    return {"G": np.einsum("...ni,...nj->...ij", X, X), "c": np.einsum("...ni,...n->...i", X, y),
            "yy": np.einsum("...n,...n->...", y, y), "n": np.full(X.shape[:-2], float(n))}


def pointwise_fits(num_chains: int, num_draws: int, n: int) -> bool:
    return num_chains * num_draws * n <= MAX_POINTWISE


def normal_log_likelihood(obs: np.ndarray, mean: np.ndarray, sigma) -> np.ndarray:
    """log N(obs_i | mean[..., i], sigma^2); ``sigma`` a scalar or (chain, draw) array."""
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.ndim:
        sigma = sigma[..., None]
    out = np.subtract(obs, mean)
    out /= sigma
    np.square(out, out=out)
    out *= -0.5
    out -= np.log(sigma) + 0.5 * np.log(2.0 * np.pi)
    return out


def normal_replicates(mean: np.ndarray, sigma, *, rng: np.random.Generator) -> np.ndarray:
    """One replicated data set per draw: mean + sigma * standard normal noise."""
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.ndim and sigma.ndim < mean.ndim:
        sigma = sigma[..., None]
    return mean + sigma * rng.standard_normal(mean.shape)


def _per_draw(value, ndim: int):
    """A scalar, or a (chain, draw) array given a trailing axis to broadcast over observations."""
    value = np.asarray(value, dtype=np.float64)
    return value[..., None] if value.ndim and value.ndim < ndim else value


def student_t_log_likelihood(obs: np.ndarray, mean: np.ndarray, sigma, nu) -> np.ndarray:
    """log StudentT(obs_i | nu, mean[..., i], sigma); ``sigma`` and ``nu`` scalars or (chain, draw)
    arrays. The density of brms's ``student()`` and NumPyro's ``StudentT``."""
    from scipy import special

    mean = np.asarray(mean, dtype=np.float64)
    sigma, nu = _per_draw(sigma, mean.ndim), _per_draw(nu, mean.ndim)
    z = np.subtract(obs, mean)
    z /= sigma
    np.square(z, out=z)
    z /= nu
    out = np.log1p(z, out=z)
    out *= -0.5 * (nu + 1.0)
    out += special.gammaln(0.5 * (nu + 1.0)) - special.gammaln(0.5 * nu) - 0.5 * np.log(nu * np.pi) - np.log(sigma)
    return out


def student_t_replicates(mean: np.ndarray, sigma, nu, *, rng: np.random.Generator) -> np.ndarray:
    """One replicated data set per draw: mean + sigma * standard Student-t(nu) noise."""
    mean = np.asarray(mean, dtype=np.float64)
    sigma = _per_draw(sigma, mean.ndim)
    nu = np.broadcast_to(_per_draw(nu, mean.ndim), mean.shape)
    return mean + sigma * rng.standard_t(nu)
