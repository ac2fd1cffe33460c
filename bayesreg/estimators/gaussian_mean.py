"""The Gaussian-mean model: closed form, NUTS and numerical MAP side by side.

x_i = mu + eps_i with eps_i ~ N(0, sigma^2) iid, sigma known; prior mu ~ N(loc, tau^2),
loc = 0 by default.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import conjugate, likelihood, models
from .._validation import check_1d, check_option, check_positive, check_seed
from ..config import ensure_setup, provenance
from ..conjugate import Normal
from ..diagnostics import check_chains_moved, warn_if_unconverged
from ..infer.mcmc import MCMCSettings, seed_keys
from ..infer.nuts import run_nuts
from ..infer.optimize import find_map
from ..results import MAPEstimate, PosteriorFit


class GaussianMean:
    """Normal observations with unknown mean ``mu`` and known noise scale ``sigma``.

    Parameters
    ----------
    sigma : float, default=1.0
        Standard deviation of the observation noise (known), > 0.
    tau : float, default=1.0
        Standard deviation of the Normal prior on mu, > 0.
    loc : float, default=0.0
        Mean of the Normal prior on mu.

    Examples
    --------
    >>> model = GaussianMean(sigma=2.0, tau=1.0)
    >>> post = model.posterior([1.0, 2.0, 3.0])
    >>> round(post.mean, 4), round(post.var, 4)
    (1.2857, 0.5714)
    >>> round(model.mle([1.0, 2.0, 3.0]), 4)
    2.0
    """

    def __init__(self, sigma: float = 1.0, tau: float = 1.0, *, loc: float = 0.0) -> None:
        self.sigma = check_positive(sigma, "sigma")
        self.tau = check_positive(tau, "tau")
        self.loc = float(loc)
        if not np.isfinite(self.loc):
            raise ValueError(f"loc must be a finite number; got {loc!r}.")

    def __repr__(self) -> str:
        return f"GaussianMean(sigma={self.sigma:g}, tau={self.tau:g}, loc={self.loc:g})"

    @property
    def _hyper(self) -> dict[str, float]:
        return {"sigma": self.sigma, "tau": self.tau, "loc": self.loc}

    # -------------------------------------------------------------- closed forms
    def posterior(self, x: ArrayLike) -> Normal:
        """Posterior of mu given data x: N(m_n, v_n) with 1/v_n = 1/tau^2 + n/sigma^2."""
        return conjugate.normal_mean_posterior(check_1d(x, "x"), **self._hyper)

    def predictive(self, x: ArrayLike) -> Normal:
        """Posterior predictive of a new observation: N(m_n, v_n + sigma^2)."""
        return conjugate.normal_mean_predictive(check_1d(x, "x"), **self._hyper)

    def mle(self, x: ArrayLike) -> float:
        """Maximum-likelihood estimate of mu: the sample mean."""
        return float(np.mean(check_1d(x, "x")))

    def map(self, x: ArrayLike) -> float:
        """MAP estimate of mu (closed form): the posterior mean, shrunk towards loc."""
        return conjugate.normal_mean_map(check_1d(x, "x"), **self._hyper)

    def plugin_predictive(self, x: ArrayLike, estimate: str = "mle") -> Normal:
        """N(mu_hat, sigma^2): the predictive that treats a point estimate as the truth."""
        check_option(estimate, "estimate", ("mle", "map"))
        mu_hat = self.mle(x) if estimate == "mle" else self.map(x)
        return Normal(mean=mu_hat, var=self.sigma**2)

    # -------------------------------------------------------------- NumPyro
    def sample(
        self,
        x: ArrayLike,
        *,
        num_warmup: int = 1000,
        num_samples: int = 1000,
        num_chains: int = 4,
        seed: int = 0,
        chain_method: str = "parallel",
        target_accept_prob: float = 0.8,
        progress: bool | None = None,
    ) -> PosteriorFit:
        """Fit the NumPyro model by NUTS.

        Warns (:class:`~bayesreg.ConvergenceWarning`) on divergences, R-hat > 1.01 or bulk/tail
        ESS below 100 per chain. Returns a :class:`~bayesreg.results.PosteriorFit` whose ``idata`` holds the
        posterior of ``mu``, the posterior predictive (``x_new``, one new observation
        per draw, and replicated data ``x`` when it fits in memory), the pointwise
        log-likelihood, the observed data and the sampler statistics.
        """
        x = check_1d(x, "x")
        seed = check_seed(seed)
        ensure_setup()  # float64 etc. with setup()'s defaults unless bayesreg.setup() ran
        settings = MCMCSettings(num_warmup=num_warmup, num_samples=num_samples,
                                num_chains=num_chains, target_accept_prob=target_accept_prob,
                                chain_method=chain_method)
        key_mcmc, key_pred = seed_keys(seed)
        draws = run_nuts(models.gaussian_mean, key_mcmc, {"x": x, **self._hyper},
                         settings=settings, progress=progress, desc="NUTS gaussian-mean")
        mu = draws.samples["mu"]
        check_chains_moved(mu, "NUTS", num_warmup)
        rng = np.random.default_rng(key_pred)
        predictive = {"x_new": likelihood.normal_replicates(mu, self.sigma, rng=rng)}
        log_lik = {}
        if likelihood.pointwise_fits(*mu.shape, x.size):
            mean = np.broadcast_to(mu[..., None], mu.shape + (x.size,))
            predictive["x"] = likelihood.normal_replicates(mean, self.sigma, rng=rng)
            log_lik["x"] = likelihood.normal_log_likelihood(x, mean, self.sigma)
        fit = PosteriorFit.from_draws(
            draws,
            posterior_predictive=predictive,
            log_likelihood=log_lik,
            observed_data={"x": x},
            dims={"x": ["obs"]},
            attrs={**provenance(), "model": repr(self), "seed": seed},
        )
        warn_if_unconverged(fit.convergence_problems())
        return fit

    def find_map(self, x: ArrayLike, *, init: float | None = None) -> MAPEstimate:
        """MAP of mu by L-BFGS on the NumPyro model's log joint density (not the closed form)."""
        x = check_1d(x, "x")
        start = None if init is None else {"mu": float(init)}
        return find_map(models.gaussian_mean, {"x": x, **self._hyper}, init=start)
