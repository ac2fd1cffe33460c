"""NUTS and numerical MAP on the NumPyro Gaussian-mean model against the closed form."""

import numpy as np
import pytest

from bayesreg import GaussianMean
from bayesreg.datasets import simulate_gaussian_mean
from bayesreg.testing import assert_posterior_matches, assert_within_mcse


@pytest.mark.parametrize(
    "n, sigma, tau, mu_true",
    [
        (1, 1.0, 1.0, 0.5),       # one observation: prior and likelihood weigh the same
        (20, 2.0, 1.0, 1.5),
        (5, 0.5, 10.0, -3.0),     # vague prior
        (10_000, 1.0, 0.1, 0.2),  # posterior sd 0.01
    ],
)
def test_nuts_agrees_with_closed_form_within_mcse(n, sigma, tau, mu_true):
    x = simulate_gaussian_mean(n, mu=mu_true, sigma=sigma, seed=n)
    model = GaussianMean(sigma=sigma, tau=tau)
    exact = model.posterior(x)
    fit = model.sample(x, num_warmup=500, num_samples=1000, num_chains=4, seed=11)
    mu = fit.draws("mu")
    assert mu.shape == (4, 1000)
    assert fit.num_divergences == 0
    assert fit.summary().loc["mu", "r_hat"] < 1.01
    assert_posterior_matches(mu, exact.mean, exact.std)


def test_predictive_variance_formula_matches_monte_carlo():
    x = simulate_gaussian_mean(8, mu=1.0, sigma=1.5, seed=3)
    model = GaussianMean(sigma=1.5, tau=0.8)
    pred = model.predictive(x)
    fit = model.sample(x, num_warmup=500, num_samples=1000, num_chains=4, seed=5)
    x_new = fit.idata.posterior_predictive["x_new"].values
    assert_within_mcse(x_new, pred.mean, label="predictive mean")
    assert_within_mcse((x_new - pred.mean) ** 2, pred.var, label="predictive variance")


def test_fit_holds_all_inference_data_groups():
    x = simulate_gaussian_mean(12, mu=0.3, sigma=1.0, seed=0)
    fit = GaussianMean().sample(x, num_warmup=200, num_samples=500, num_chains=2, seed=0)
    idata = fit.to_arviz()
    for group in ("posterior", "posterior_predictive", "log_likelihood", "observed_data",
                  "sample_stats"):
        assert group in idata.groups(), group
    assert idata.log_likelihood["x"].shape == (2, 500, 12)
    np.testing.assert_array_equal(idata.observed_data["x"].values, x)
    # the pointwise log-likelihood is the Normal log density at each draw
    mu = fit.draws("mu")
    expected = -0.5 * np.log(2 * np.pi) - 0.5 * (x[None, None, :] - mu[..., None]) ** 2
    np.testing.assert_allclose(idata.log_likelihood["x"].values, expected, rtol=1e-12)
    summary = fit.summary()
    for column in ("mean", "sd", "median", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat"):
        assert column in summary.columns
    assert "divergences: 0" in fit.report()


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # a deliberately tiny run
def test_same_seed_same_draws_and_different_seed_different_draws():
    x = simulate_gaussian_mean(10, mu=1.0, sigma=1.0, seed=0)
    model = GaussianMean()
    kw = dict(num_warmup=100, num_samples=200, num_chains=2)
    a = model.sample(x, seed=7, **kw).draws("mu")
    b = model.sample(x, seed=7, **kw).draws("mu")
    c = model.sample(x, seed=8, **kw).draws("mu")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("n, sigma, tau, loc", [(1, 1.0, 1.0, 0.0), (50, 3.0, 0.2, 1.0),
                                                (10_000, 1.0, 5.0, -2.0)])
def test_find_map_agrees_with_closed_form(n, sigma, tau, loc):
    x = simulate_gaussian_mean(n, mu=1.7, sigma=sigma, seed=n)
    model = GaussianMean(sigma=sigma, tau=tau, loc=loc)
    est = model.find_map(x, init=-10.0)
    assert est.converged, est.message
    np.testing.assert_allclose(float(est["mu"]), model.map(x), rtol=1e-6)
    assert est.grad_norm < 1e-6


def test_sample_rejects_bad_settings():
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        GaussianMean().sample([1.0], num_samples=0)
    with pytest.raises(ValueError, match="chain_method must be one of"):
        GaussianMean().sample([1.0], chain_method="threads")


def test_a_run_too_short_to_trust_warns_and_names_the_problem():
    from bayesreg import ConvergenceWarning

    x = simulate_gaussian_mean(10, mu=1.0, sigma=1.0, seed=0)
    # every problem found is its own warning; each names what is wrong and what to do
    with pytest.warns(ConvergenceWarning, match=r"(ess_(bulk|tail) below 400|R-hat > 1.01|divergent)") as caught:
        fit = GaussianMean().sample(x, num_warmup=20, num_samples=30, num_chains=4, seed=0)
    assert any("ess_bulk below 400" in str(w.message) and "draw more samples" in str(w.message) for w in caught)
    assert len(caught) == len(fit.convergence_problems())


def test_sample_raises_when_no_chain_moves():
    """x = 1e200 overflows the log density ((x - mu)^2 = inf) wherever NUTS starts: every draw
    equals the first. That is an error, as in BayesianLinearRegression, not a warning beside
    a 'posterior' made of the starting points."""
    from bayesreg.exceptions import ConvergenceError

    with pytest.raises(ConvergenceError, match=r"never moved"):
        GaussianMean(sigma=1.0, tau=1.0).sample([1e200, 2e200], num_warmup=100, num_samples=100, progress=False)
