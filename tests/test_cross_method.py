"""Every method the estimator offers for a model answers for the same prior.

For each prior setting ``BayesianLinearRegression`` accepts with a fixed sigma (prior
Laplace/Normal, scale_by_sigma on/off, intercept on/off, loc scalar/vector) every method
that applies is checked against a reference computed here from the model's definition,
not through the estimator: the prior scale of w is sigma * tau under scale_by_sigma,
else tau. Normal prior: the conjugate posterior; exact equals it, MAP equals its mean and
NUTS matches it within Monte Carlo error. Laplace prior: grid quadrature; NUTS and Gibbs
match it within Monte Carlo error and the MAP satisfies the lasso's optimality (KKT)
conditions. A parameter that one path forgets (as ``method="exact"`` once ignored
scale_by_sigma) makes that path disagree here.
"""

import numpy as np
import pytest
from references import laplace_grid_moments

from bayesreg import BayesianLinearRegression
from bayesreg.conjugate import linear_normal_posterior
from bayesreg.datasets import simulate_regression
from bayesreg.testing import assert_posterior_matches, assert_within_mcse

SIGMA, TAU = 2.0, 0.5          # sigma * tau = 1 differs from tau = 0.5: scale_by_sigma matters
LOCS = {"scalar": 0.3, "vector": np.array([0.6, -0.4])}
SAMPLER = dict(num_warmup=400, num_samples=1500, num_chains=2, progress=False, seed=3)


def _data(fit_intercept):
    data = simulate_regression(20, 2, sigma=SIGMA, coef_scale=1.0, correlation=0.3, seed=11)
    return data.X, data.y + (4.0 if fit_intercept else 0.0)


def _centred(X, y, fit_intercept):
    if not fit_intercept:
        return X, y
    return X - X.mean(axis=0), y - y.mean()


def _check_draws(est, mean, sd, X, y, fit_intercept):
    w = est.fit_result_.draws("w")
    for j in range(w.shape[-1]):
        assert_posterior_matches(w[..., j], mean[j], sd[j])
    if fit_intercept:  # E[b] = ybar - xbar' E[w]
        assert_within_mcse(est.fit_result_.draws("intercept"), y.mean() - X.mean(axis=0) @ mean)


@pytest.mark.parametrize("loc", list(LOCS))
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("scale_by_sigma", [False, True])
def test_normal_prior_exact_map_and_nuts_agree(scale_by_sigma, fit_intercept, loc):
    X, y = _data(fit_intercept)
    loc_vec = np.broadcast_to(LOCS[loc], (2,))
    scale = SIGMA * TAU if scale_by_sigma else TAU
    ref = linear_normal_posterior(*_centred(X, y, fit_intercept), loc=loc_vec, tau=scale, sigma=SIGMA)
    kw = dict(prior="normal", tau=TAU, sigma=SIGMA, loc=LOCS[loc], scale_by_sigma=scale_by_sigma,
              fit_intercept=fit_intercept)
    exact = BayesianLinearRegression(method="exact", **kw).fit(X, y)
    np.testing.assert_allclose(exact.posterior_.mean, ref.mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(exact.posterior_.cov, ref.cov, rtol=1e-10, atol=1e-12)
    mode = BayesianLinearRegression(method="map", **kw).fit(X, y)
    np.testing.assert_allclose(mode.coef_, exact.coef_, rtol=1e-8, atol=1e-10)  # Gaussian: mode = mean
    np.testing.assert_allclose(mode.intercept_, exact.intercept_, rtol=1e-8, atol=1e-10)
    nuts = BayesianLinearRegression(method="nuts", **kw, **SAMPLER).fit(X, y)
    _check_draws(nuts, exact.posterior_.mean, exact.posterior_.std, X, y, fit_intercept)


@pytest.mark.parametrize("loc", list(LOCS))
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("scale_by_sigma", [False, True])
def test_laplace_prior_map_nuts_and_gibbs_agree(scale_by_sigma, fit_intercept, loc):
    X, y = _data(fit_intercept)
    Xc, yc = _centred(X, y, fit_intercept)
    loc_vec = np.broadcast_to(LOCS[loc], (2,)).astype(float)
    scale = SIGMA * TAU if scale_by_sigma else TAU
    mean, sd = laplace_grid_moments(Xc, yc, sigma=SIGMA, tau=scale, loc=loc_vec, num=801)
    kw = dict(prior="laplace", tau=TAU, sigma=SIGMA, loc=LOCS[loc], scale_by_sigma=scale_by_sigma,
              fit_intercept=fit_intercept)
    with pytest.raises(ValueError, match="method='exact' needs prior='normal'"):
        BayesianLinearRegression(method="exact", **kw).fit(X, y)
    # MAP: 0 in the subgradient of RSS / (2 sigma^2) + sum |w - loc| / scale
    w = BayesianLinearRegression(method="map", **kw).fit(X, y).coef_
    grad = Xc.T @ (yc - Xc @ w) / SIGMA**2
    active = w != loc_vec
    np.testing.assert_allclose(grad[active], np.sign(w - loc_vec)[active] / scale, rtol=1e-6, atol=1e-8)
    assert np.all(np.abs(grad[~active]) <= 1 / scale + 1e-8)
    for method in ("nuts", "gibbs"):
        est = BayesianLinearRegression(method=method, **kw, **SAMPLER).fit(X, y)
        _check_draws(est, mean, sd, X, y, fit_intercept)
