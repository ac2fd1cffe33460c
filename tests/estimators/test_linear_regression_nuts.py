"""NUTS posteriors of the regression model against exact answers, within 4 MCSE.

References: the conjugate Gaussian posterior (Normal prior, fixed sigma); 1-D quadrature
over sigma of the conjugate posterior (Normal prior, HalfNormal sigma); and grid
quadrature of the Laplace posterior for p = 1 and p = 2.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from references import laplace_grid_moments, sigma_quadrature

from bayesreg import BayesianLinearRegression, HalfNormal
from bayesreg.conjugate import linear_normal_posterior
from bayesreg.datasets import simulate_regression
from bayesreg.testing import assert_posterior_matches

POSTERIORDB = Path(__file__).parents[1] / "data" / "posteriordb"
NUTS = dict(method="nuts", num_warmup=500, num_samples=1000, num_chains=4, progress=False)


def _check_all(draws, means, sds):
    """draws: (chain, draw, p); every coordinate's mean and sd within 4 MCSE."""
    for j in range(draws.shape[-1]):
        assert_posterior_matches(draws[..., j], means[j], sds[j])


@pytest.mark.parametrize("n, p, fit_intercept", [(50, 3, True), (10, 20, False)])
def test_normal_prior_nuts_matches_exact_posterior(n, p, fit_intercept):
    data = simulate_regression(n, p, n_nonzero=min(p, 3), sigma=0.8, correlation=0.4, seed=p)
    y = data.y + (5.0 if fit_intercept else 0.0)
    kw = dict(prior="normal", tau=1.5, sigma=0.8, fit_intercept=fit_intercept)
    exact = BayesianLinearRegression(method="exact", **kw).fit(data.X, y)
    est = BayesianLinearRegression(seed=1, **NUTS, **kw).fit(data.X, y)
    assert est.fit_result_.num_divergences == 0
    _check_all(est.fit_result_.draws("w"), exact.posterior_.mean, exact.posterior_.std)
    if fit_intercept:  # b = ybar - xbar'w + N(0, sigma^2/n)
        xbar = data.X.mean(axis=0)
        b_sd = np.sqrt(xbar @ exact.posterior_.cov @ xbar + 0.64 / n)
        assert_posterior_matches(est.fit_result_.draws("intercept"), exact.intercept_, b_sd)


def test_dense_mass_nuts_matches_exact_posterior():
    # strongly correlated columns: the posterior of w is strongly correlated too
    data = simulate_regression(30, 4, n_nonzero=2, sigma=1.0, correlation=0.9, seed=3)
    kw = dict(prior="normal", tau=2.0, sigma=1.0)
    exact = BayesianLinearRegression(method="exact", **kw).fit(data.X, data.y)
    est = BayesianLinearRegression(seed=2, dense_mass=True, **NUTS, **kw).fit(data.X, data.y)
    assert est.fit_result_.num_divergences == 0
    _check_all(est.fit_result_.draws("w"), exact.posterior_.mean, exact.posterior_.std)
    assert est.fit_result_.settings["dense_mass"] is True
    # the adapted dense metric undoes the correlation: far shorter trajectories than diagonal
    diag = BayesianLinearRegression(seed=2, **NUTS, **kw).fit(data.X, data.y)
    steps = {name: e.fit_result_.sample_stats["n_steps"].mean() for name, e in (("dense", est), ("diag", diag))}
    assert steps["dense"] < 0.6 * steps["diag"], steps
    with pytest.raises(TypeError, match="dense_mass must be True or False"):
        BayesianLinearRegression(dense_mass="yes", **NUTS).fit(data.X, data.y)


def _posteriordb(name):
    d = json.loads((POSTERIORDB / f"{name}.json").read_text())
    return np.asarray(d["X"], dtype=float), np.asarray(d["y"], dtype=float)


@pytest.mark.parametrize("name", ["sblrc", "sblri"])
def test_posteriordb_fixed_sigma_matches_exact(name):
    X, y = _posteriordb(name)
    sigma = float(np.sqrt(np.mean((y - X @ np.linalg.lstsq(X, y, rcond=None)[0]) ** 2)))
    exact = linear_normal_posterior(X, y, loc=0.0, tau=10.0, sigma=sigma)
    est = BayesianLinearRegression(prior="normal", tau=10.0, sigma=sigma, fit_intercept=False, seed=2,
                                   **NUTS).fit(X, y)
    assert est.fit_result_.num_divergences == 0
    _check_all(est.fit_result_.draws("w"), exact.mean, exact.std)


@pytest.mark.parametrize("name", ["sblrc", "sblri"])
def test_posteriordb_halfnormal_sigma_matches_quadrature(name):
    """The posteriordb model itself: beta ~ N(0, 10), sigma ~ HalfNormal(0, 10)."""
    X, y = _posteriordb(name)
    e_w, sd_w, e_s, sd_s = sigma_quadrature(X, y, tau=10.0, sigma_scale=10.0)
    # Stan's default warmup of 1000: after 500, R-hat of sigma is within sampling noise of the 1.01 line
    est = BayesianLinearRegression(prior="normal", tau=10.0, sigma=HalfNormal(10.0), fit_intercept=False, seed=3,
                                   **{**NUTS, "num_warmup": 1000}).fit(X, y)
    fit = est.fit_result_
    assert fit.num_divergences == 0
    assert fit.summary()["r_hat"].max() < 1.01
    _check_all(fit.draws("w"), e_w, sd_w)
    assert_posterior_matches(fit.draws("sigma"), e_s, sd_s)


@pytest.mark.parametrize("p, tau, loc", [(1, 0.3, 0.0), (1, 0.5, 0.8), (2, 0.4, 0.0)])
def test_laplace_prior_nuts_matches_quadrature(p, tau, loc):
    data = simulate_regression(12, p, sigma=1.0, coef_scale=0.4, correlation=0.5, seed=10 + p)
    loc_vec = np.full(p, loc)
    mean, sd = laplace_grid_moments(data.X, data.y, sigma=1.0, tau=tau, loc=loc_vec)
    est = BayesianLinearRegression(prior="laplace", tau=tau, sigma=1.0, loc=loc, fit_intercept=False, seed=4,
                                   **NUTS).fit(data.X, data.y)
    assert est.fit_result_.num_divergences == 0
    _check_all(est.fit_result_.draws("w"), mean, sd)


def test_posterior_mean_approaches_loc_as_tau_shrinks():
    data = simulate_regression(40, 3, sigma=1.0, coef_scale=3.0, seed=6)
    loc = np.array([1.0, -1.0, 0.5])
    gaps = []
    for tau in (10.0, 0.1, 0.001):
        est = BayesianLinearRegression(prior="laplace", tau=tau, sigma=1.0, loc=loc, fit_intercept=False, seed=5,
                                       **{**NUTS, "num_chains": 2}).fit(data.X, data.y)
        gaps.append(np.abs(est.coef_ - loc).max())
    assert gaps[0] > 0.5 and gaps[1] < gaps[0] and gaps[2] < 0.01


def test_sampled_tau_and_sigma_scaled_laplace_run_and_converge():
    from bayesreg import HalfCauchy

    data = simulate_regression(60, 4, n_nonzero=2, sigma=1.0, seed=8)
    est = BayesianLinearRegression(prior="laplace", tau=HalfCauchy(1.0), sigma=HalfNormal(2.0),
                                   scale_by_sigma=True, fit_intercept=False, target_accept_prob=0.9, seed=0,
                                   **{**NUTS, "num_chains": 2}).fit(data.X, data.y)
    post = est.idata_.posterior
    assert {"w", "sigma", "tau"} <= set(post.data_vars)
    assert est.fit_result_.summary()["r_hat"].max() < 1.02
    assert abs(float(post["sigma"].mean()) - 1.0) < 0.3


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # a deliberately tiny run
def test_nuts_fit_has_all_groups_and_same_seed_same_draws():
    data = simulate_regression(25, 2, seed=9)
    kw = dict(prior="laplace", tau=1.0, sigma=1.0, fit_intercept=True, seed=7,
              **{**NUTS, "num_warmup": 200, "num_samples": 200, "num_chains": 2})
    a = BayesianLinearRegression(**kw).fit(data.X, data.y)
    b = BayesianLinearRegression(**kw).fit(data.X, data.y)
    np.testing.assert_array_equal(a.fit_result_.draws("w"), b.fit_result_.draws("w"))
    for group in ("posterior", "posterior_predictive", "log_likelihood", "observed_data", "sample_stats"):
        assert group in a.idata_.groups()
    assert a.idata_.posterior_predictive["y"].shape == (2, 200, 25)
    mean, std = a.predict(data.X[:3], return_std=True)
    lo, hi = a.predict_interval(data.X[:3], 0.9)
    assert np.all(lo < mean) and np.all(mean < hi) and np.all(std > 0.9)


def test_convergence_checks_false_skips_rhat_and_ess_at_fit_time_only():
    """A 2 x (20 + 10) run fails the ESS check; with convergence_checks=False the fit warns of nothing but
    divergences, and fit_result_.convergence() still finds what the default fit warned about."""
    import warnings

    from bayesreg import ConvergenceWarning

    data = simulate_regression(30, 3, seed=2)
    kw = dict(prior="laplace", tau=1.0, sigma=1.0, seed=3, **{**NUTS, "num_warmup": 20, "num_samples": 10,
                                                              "num_chains": 2})
    with pytest.warns(ConvergenceWarning) as checked:
        a = BayesianLinearRegression(**kw).fit(data.X, data.y)
    assert any("ess_" in str(w.message) for w in checked)
    with warnings.catch_warnings(record=True) as unchecked:
        warnings.simplefilter("always")
        b = BayesianLinearRegression(convergence_checks=False, **kw).fit(data.X, data.y)
    assert [str(w.message) for w in unchecked if issubclass(w.category, ConvergenceWarning)] == \
        b.fit_result_.divergence_problems()
    np.testing.assert_array_equal(a.fit_result_.draws("w"), b.fit_result_.draws("w"))
    assert b.fit_result_.convergence()["problems"] == [str(w.message) for w in checked]
    with pytest.raises(TypeError, match="convergence_checks must be True or False"):
        BayesianLinearRegression(convergence_checks="no").validate()
