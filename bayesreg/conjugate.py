"""Closed-form Normal distributions and the conjugate Normal-mean posterior (plain numpy).

Model: x_i = mu + eps_i, eps_i ~ N(0, sigma^2) iid with sigma known, prior mu ~ N(m0, tau^2).
Precisions add (Gelman et al., BDA3 sec. 2.5):

    1/v_n = 1/tau^2 + n/sigma^2,        m_n = v_n (m0/tau^2 + n xbar/sigma^2)

With m0 = 0 the mean is n tau^2 xbar / (sigma^2 + n tau^2). The posterior predictive of a
new x is N(m_n, v_n + sigma^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from ._validation import check_level


@dataclass(frozen=True)
class Normal:
    """A univariate Normal distribution N(mean, var), with the usual summaries."""

    mean: float
    var: float

    @property
    def std(self) -> float:
        return math.sqrt(self.var)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Central interval holding probability ``level`` (equal tails)."""
        level = check_level(level)
        half = self.std * float(special.ndtri(0.5 + level / 2))
        return (self.mean - half, self.mean + half)

    def logpdf(self, value: ArrayLike) -> NDArray[np.float64] | float:
        out = stats.norm.logpdf(np.asarray(value, dtype=np.float64), self.mean, self.std)
        return float(out) if np.ndim(out) == 0 else out

    def pdf(self, value: ArrayLike) -> NDArray[np.float64] | float:
        out = np.exp(self.logpdf(value))
        return float(out) if np.ndim(out) == 0 else out

    def cdf(self, value: ArrayLike) -> NDArray[np.float64] | float:
        out = stats.norm.cdf(np.asarray(value, dtype=np.float64), self.mean, self.std)
        return float(out) if np.ndim(out) == 0 else out

    def sample(self, size: int | tuple[int, ...], *, rng: np.random.Generator) -> NDArray[np.float64]:
        return self.mean + self.std * rng.standard_normal(size)

    def __repr__(self) -> str:
        return f"Normal(mean={self.mean:.6g}, std={self.std:.6g})"


def normal_mean_posterior(x: NDArray[np.float64], *, sigma: float, tau: float, loc: float = 0.0) -> Normal:
    """Posterior of mu given validated data ``x`` (sufficient statistics: n and sum x)."""
    n = x.size
    precision = 1.0 / tau**2 + n / sigma**2
    var = 1.0 / precision
    mean = var * (loc / tau**2 + float(np.sum(x)) / sigma**2)
    return Normal(mean=mean, var=var)


def normal_mean_map(x: NDArray[np.float64], *, sigma: float, tau: float, loc: float = 0.0) -> float:
    """MAP of mu: the posterior mode, which for a Normal posterior is its mean."""
    return normal_mean_posterior(x, sigma=sigma, tau=tau, loc=loc).mean


def normal_mean_predictive(x: NDArray[np.float64], *, sigma: float, tau: float, loc: float = 0.0) -> Normal:
    """Posterior predictive of a new observation: N(m_n, v_n + sigma^2)."""
    post = normal_mean_posterior(x, sigma=sigma, tau=tau, loc=loc)
    return Normal(mean=post.mean, var=post.var + sigma**2)


@dataclass(frozen=True)
class MultivariateNormal:
    """N(mean, cov) in p dimensions, with its Cholesky factor for drawing."""

    mean: NDArray[np.float64]
    cov: NDArray[np.float64]

    @property
    def std(self) -> NDArray[np.float64]:
        return np.sqrt(np.diag(self.cov))

    def sample(self, size: int | tuple[int, ...], *, rng: np.random.Generator) -> NDArray[np.float64]:
        size = (size,) if isinstance(size, int) else tuple(size)
        chol = np.linalg.cholesky(self.cov)
        z = rng.standard_normal(size + (self.mean.size,))
        return self.mean + z @ chol.T


def _linear_normal_system(X, y, *, loc, tau, sigma):
    """Precision A = X'X / sigma^2 + I / tau^2 and b = X'y / sigma^2 + loc / tau^2 of the
    linear-Normal posterior (Bishop, PRML eq. 3.50-51), over any leading batch axes of X and y."""
    n_features = X.shape[-1]
    loc = np.broadcast_to(np.asarray(loc, dtype=np.float64), (n_features,))
    precision = np.einsum("...ni,...nj->...ij", X, X) / sigma**2 + np.eye(n_features) / tau**2
    rhs = np.einsum("...ni,...n->...i", X, y) / sigma**2 + loc / tau**2
    return precision, rhs


def linear_normal_posterior(X: NDArray[np.float64], y: NDArray[np.float64], *, loc, tau: float,
                            sigma: float) -> MultivariateNormal:
    """Posterior of w for y ~ N(Xw, sigma^2 I), w ~ N(loc, tau^2 I) (Bishop, PRML eq. 3.50-51).

    Precision A = X'X / sigma^2 + I / tau^2, mean = A^-1 (X'y / sigma^2 + loc / tau^2).
    Solved through a Cholesky factor of A, which works for p > n too (A is positive
    definite whatever the rank of X).
    """
    from scipy import linalg

    precision, rhs = _linear_normal_system(X, y, loc=loc, tau=tau, sigma=sigma)
    factor = linalg.cho_factor(precision, lower=True)
    mean = linalg.cho_solve(factor, rhs)
    cov = linalg.cho_solve(factor, np.eye(len(rhs)))
    return MultivariateNormal(mean=mean, cov=(cov + cov.T) / 2)


def linear_normal_mean(X: NDArray[np.float64], y: NDArray[np.float64], *, loc=0.0, tau: float,
                       sigma: float) -> NDArray[np.float64]:
    """The posterior mean (= mode, the ridge solution) of :func:`linear_normal_posterior` for a
    batch of data sets: X of shape (..., n, p), y of shape (..., n); returns (..., p)."""
    precision, rhs = _linear_normal_system(X, y, loc=loc, tau=tau, sigma=sigma)
    return np.linalg.solve(precision, rhs[..., None])[..., 0]
