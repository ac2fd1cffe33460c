"""NumPyro model functions: plain, traced, no validation inside.

Site names equal the variable names used everywhere else (``mu``, ``x``), so ``Predictive``
and ArviZ's groups line up. Hyperparameters are keyword-only; with the observations set to
``None`` a model samples from its prior predictive.
"""

from __future__ import annotations

import numpyro
import numpyro.distributions as dist


def gaussian_mean(x=None, *, sigma, tau, loc=0.0, n=None):
    """x_i = mu + eps_i, eps_i ~ N(0, sigma^2); prior mu ~ N(loc, tau^2).

    ``n`` is only needed when ``x`` is None (sampling new data).
    """
    n = x.shape[0] if x is not None else n
    mu = numpyro.sample("mu", dist.Normal(loc, tau))
    with numpyro.plate("data", n):
        numpyro.sample("x", dist.Normal(mu, sigma), obs=x)
