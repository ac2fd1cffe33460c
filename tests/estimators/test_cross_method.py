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


# ------------------------------------------------------------ sampled sigma or tau
def test_jeffreys_sigma_normal_prior_matches_normal_inverse_gamma_closed_form():
    """Normal prior with scale_by_sigma and p(sigma^2) ~ 1/sigma^2 is conjugate (Normal-InvGamma):
    sigma^2 | y ~ InvGamma(n_eff / 2, S / 2), S = r'r - r'X A^-1 X'r, A = X'X + I / tau^2,
    r = y - X loc; w | y has mean loc + A^-1 X'r and covariance E[sigma^2] A^-1. The joint
    mode has the same w and sigma^2 = S / (n_eff + p + 1)."""
    from scipy import special

    from bayesreg.priors import Jeffreys

    X, y = _data(True)
    Xc, yc = _centred(X, y, True)
    loc = LOCS["vector"]
    n_eff, p = X.shape[0] - 1, X.shape[1]
    r = yc - Xc @ loc
    A = Xc.T @ Xc + np.eye(p) / TAU**2
    shift = np.linalg.solve(A, Xc.T @ r)
    a, b = n_eff / 2, (r @ r - r @ Xc @ shift) / 2
    e_sigma = np.sqrt(b) * np.exp(special.gammaln(a - 0.5) - special.gammaln(a))
    e_var = b / (a - 1)
    kw = dict(prior="normal", tau=TAU, sigma=Jeffreys(), loc=loc, scale_by_sigma=True, fit_intercept=True)
    nuts = BayesianLinearRegression(method="nuts", **kw, **SAMPLER).fit(X, y)
    _check_draws(nuts, loc + shift, np.sqrt(e_var * np.diag(np.linalg.inv(A))), X, y, True)
    assert_posterior_matches(nuts.fit_result_.draws("sigma"), e_sigma, np.sqrt(e_var - e_sigma**2))
    mode = BayesianLinearRegression(method="map", **kw).fit(X, y)
    np.testing.assert_allclose(mode.coef_, loc + shift, rtol=1e-6)
    np.testing.assert_allclose(mode.fit_result_.params["sigma"] ** 2, 2 * b / (n_eff + p + 1), rtol=1e-6)


def _grid_moments(X, y, *, loc, fit_intercept, sigma, tau, scale_by_sigma, sigma_prior=None, tau_prior=None):
    """Posterior moments of (w, theta) for one feature by 2-D quadrature, theta the sampled
    one of sigma (Jeffreys: density 1/sigma) and tau (LassoLambda(r, delta): 1/tau^2 ~ Gamma)."""
    from scipy import stats

    Xc, yc = _centred(X, y, fit_intercept)
    x = Xc[:, 0]
    n_eff = X.shape[0] - (1 if fit_intercept else 0)
    ols = x @ yc / (x @ x)
    width = 16 * np.std(yc) / np.sqrt(x @ x)
    w = np.linspace(min(ols, loc) - width, max(ols, loc) + width, 1501)[:, None]
    theta = np.exp(np.linspace(np.log(1e-2), np.log(1e3), 1501))[None, :] * (np.std(yc) if sigma_prior else 1.0)
    sig = theta if sigma_prior else sigma
    t = theta if tau_prior else tau
    rss = yc @ yc - 2 * w * (x @ yc) + w**2 * (x @ x)
    scale = sig * t if scale_by_sigma else t
    logp = -n_eff * np.log(sig) - rss / (2 * sig**2) - np.log(scale) - np.abs(w - loc) / scale
    if sigma_prior:
        logp = logp - np.log(theta)                  # p(sigma) ~ 1/sigma
    if tau_prior:                                    # p(tau) = Gamma(tau^-2; r, delta) |d tau^-2 / d tau|
        logp = logp + stats.gamma.logpdf(theta**-2.0, tau_prior[0], scale=1 / tau_prior[1]) + np.log(2 / theta**3)
    logp = logp + np.log(theta)                      # the grid is uniform in log theta
    weight = np.exp(logp - logp.max())
    assert weight[[0, -1], :].max() < 1e-10 and weight[:, [0, -1]].max() < 1e-10  # the grid holds the mass
    weight /= weight.sum()

    def moments(v):
        m = float((weight * v).sum())
        return m, float(np.sqrt((weight * (v - m) ** 2).sum()))

    return moments(w + 0 * theta), moments(theta + 0 * w)


@pytest.mark.parametrize("case", ["jeffreys", pytest.param("jeffreys-scaled", marks=pytest.mark.slow), "lambda",
                                  pytest.param("lambda-jeffreys-scaled", marks=pytest.mark.slow)])
def test_sampled_sigma_and_tau_nuts_and_gibbs_match_quadrature(case):
    from bayesreg.priors import Jeffreys, LassoLambda

    data = simulate_regression(15, 1, sigma=1.0, coef_scale=0.5, seed=21)
    X, y = data.X, data.y + 2.0
    jeffreys, scaled, lam = "jeffreys" in case, "scaled" in case, "lambda" in case
    r_delta = (2.0, 1.0)
    sigma = Jeffreys() if jeffreys else 1.0
    tau = LassoLambda(*r_delta) if lam else 0.4
    kw = dict(prior="laplace", sigma=sigma, tau=tau, loc=0.1, scale_by_sigma=scaled, fit_intercept=True)
    (w_mean, w_sd), (t_mean, t_sd) = _grid_moments(
        X, y, loc=0.1, fit_intercept=True, sigma=1.0, tau=0.4, scale_by_sigma=scaled,
        sigma_prior=jeffreys, tau_prior=r_delta if lam else None)
    name = "tau" if lam else "sigma"
    for method in ("nuts", "gibbs"):
        fit = BayesianLinearRegression(method=method, **kw, **{**SAMPLER, "num_chains": 4}).fit(X, y).fit_result_
        assert_posterior_matches(fit.draws("w")[..., 0], w_mean, w_sd)
        if not (jeffreys and lam):  # both sampled: theta is tau, sigma is checked against NUTS below
            assert_posterior_matches(fit.draws(name), t_mean, t_sd)
        if lam:
            np.testing.assert_allclose(fit.draws("lambda"), 1 / fit.draws("tau"))
