"""Student-t noise (``noise="student_t"``): robustness to outliers, NUTS against an independent
NumPyro run, the likelihood and predictive against scipy, MAP, save/load, the prior predictive
and the refusals of the methods that have no Student-t form."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayesreg import BayesianLinearRegression, Gamma, HalfNormal, load
from bayesreg.testing import assert_same_mean

W_TRUE = np.array([1.0, -2.0, 0.5])
B_TRUE = 3.0
FAST = dict(num_warmup=500, num_samples=1000, num_chains=2, chain_method="sequential", progress=False, seed=0)


def _outlier_data(n=100, seed=0):
    """y = 3 + X w + N(0, 0.5^2), and 8 gross outliers (+-25) aligned with x_0, which drag a
    Normal-noise fit's w_0 away from the truth."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = B_TRUE + X @ W_TRUE + 0.5 * rng.standard_normal(n)
    y[:8] += 25.0 * np.sign(X[:8, 0])
    return X, y


@pytest.fixture(scope="module")
def outlier_fits():
    X, y = _outlier_data()
    fits = {noise: BayesianLinearRegression(noise=noise, **FAST).fit(X, y) for noise in ("normal", "student_t")}
    return X, y, fits


def test_student_t_fit_resists_outliers_where_the_normal_fit_is_pulled_away(outlier_fits):
    X, y, fits = outlier_fits
    t, normal = fits["student_t"], fits["normal"]
    # measured (seed 0): Student-t max |coef - truth| 0.07, Normal 1.6 (w_0 = 2.6 instead of 1)
    assert np.max(np.abs(t.coef_ - W_TRUE)) < 0.25
    assert abs(t.intercept_ - B_TRUE) < 0.25
    assert np.max(np.abs(normal.coef_ - W_TRUE)) > 1.0
    table = t.coef_table()  # the truth is inside the Student-t fit's 95% intervals, not the Normal's for w_0
    assert np.all((table["lower"] < W_TRUE) & (W_TRUE < table["upper"]))
    assert not normal.coef_table()["lower"].iloc[0] < W_TRUE[0]
    assert t.fit_result_.convergence_problems() == []
    assert {"w", "sigma", "nu", "intercept"} == set(t.fit_result_.posterior)  # no internal centred intercept
    assert "Student-t noise, nu ~ Gamma(2, 0.1)" in t.prior_summary()
    assert isinstance(t.priors_["nu"], Gamma)
    # heavy tails were learnt: nu is small, far below its prior mean of 20
    assert np.median(t.fit_result_.draws("nu")) < 3.0
    # and PSIS-LOO prefers the Student-t model by far
    assert t.loo().elpd_loo > fits["normal"].loo().elpd_loo + 50


def test_pointwise_log_likelihood_and_predictive_are_student_t(outlier_fits):
    X, y, fits = outlier_fits
    est = fits["student_t"]
    post = est.fit_result_.posterior
    mean = post["w"] @ X.T + post["intercept"][..., None]
    expected = stats.t.logpdf(y, df=post["nu"][..., None], loc=mean, scale=post["sigma"][..., None])
    np.testing.assert_allclose(est.idata_.log_likelihood["y"].values, expected, rtol=1e-10)
    np.testing.assert_allclose(est.log_likelihood(X, y, max_elements=1000), expected, rtol=1e-10)
    # replicated data: the standardised residuals of posterior predictive draws are t(nu) draws
    draws = est.sample_predictive(X[:1], seed=1)[:, 0]
    u = (draws - mean[..., 0].ravel()) / post["sigma"].ravel()
    pit = stats.t.cdf(u, df=post["nu"].ravel())
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    assert stats.kstest(stats.t.cdf((est.idata_.posterior_predictive["y"].values[..., 3] - mean[..., 3])
                                    / post["sigma"], df=post["nu"]).ravel(), "uniform").pvalue > 1e-3
    lower, upper = est.predict_interval(X, 0.9)
    covered = np.mean((lower <= y) & (y <= upper))
    assert 0.8 < covered < 0.98
    _, sd = est.predict(X[:2], return_std=True)
    assert np.all(np.isinf(sd))  # nu < 2 has posterior mass: the predictive variance does not exist


def test_nuts_agrees_with_an_independent_numpyro_run():
    """The Student-t regression written out again in plain NumPyro (flat intercept on the raw scale,
    Normal prior on w, sigma ~ HalfNormal, nu ~ Gamma(2, 0.1)), run by numpyro.infer.MCMC: posterior
    means of w, intercept, sigma and nu agree within the two runs' combined MCSE."""
    import warnings

    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    from numpyro.infer import MCMC, NUTS

    def robust(X, y):
        b = numpyro.sample("b", dist.ImproperUniform(constraints.real, (), ()))
        w = numpyro.sample("w", dist.Normal(0.0, 2.0).expand([X.shape[1]]).to_event(1))
        sigma = numpyro.sample("sigma", dist.HalfNormal(3.0))
        nu = numpyro.sample("nu", dist.Gamma(2.0, 0.1))
        with numpyro.plate("data", X.shape[0]):
            numpyro.sample("y", dist.StudentT(nu, b + X @ w, sigma), obs=y)

    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 2))
    y = 1.0 + X @ np.array([0.7, -0.4]) + rng.standard_t(3.0, size=30)
    settings = dict(num_warmup=500, num_samples=1000, num_chains=2)
    est = BayesianLinearRegression(prior="normal", tau=2.0, sigma=HalfNormal(3.0), noise="student_t",
                                   chain_method="sequential", progress=False, seed=0, **settings).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPyro's own chain-method notices
        mcmc = MCMC(NUTS(robust), chain_method="sequential", progress_bar=False, **settings)
        mcmc.run(jax.random.key(1), X, y)
    ref = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    post = est.fit_result_.posterior
    for j in range(2):
        assert_same_mean(post["w"][..., j], ref["w"][..., j], label=f"w[{j}]")
    assert_same_mean(post["intercept"], ref["b"], label="intercept")
    assert_same_mean(post["sigma"], ref["sigma"], label="sigma")
    assert_same_mean(post["nu"], ref["nu"], label="nu")


def test_map_matches_a_direct_optimisation_of_the_student_t_posterior():
    """With sigma, tau and nu fixed, the MAP (L-BFGS) minimises sum -log t_nu((y - b - Xw) / sigma)
    + ||w||^2 / (2 tau^2): scipy's BFGS on that objective, written out independently."""
    from scipy import optimize

    X, y = _outlier_data(n=60, seed=1)
    est = BayesianLinearRegression(prior="normal", tau=3.0, sigma=0.5, noise="student_t", nu=3.0,
                                   method="map").fit(X, y)

    def objective(theta):
        b, w = theta[0], theta[1:]
        return -np.sum(stats.t.logpdf(y, df=3.0, loc=b + X @ w, scale=0.5)) + w @ w / (2 * 9.0)

    ref = optimize.minimize(objective, np.r_[np.median(y), np.zeros(3)], method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(est.coef_, ref[1:], atol=1e-5)
    assert est.intercept_ == pytest.approx(ref[0], abs=1e-5)
    assert np.max(np.abs(est.coef_ - W_TRUE)) < 0.2  # robust as the posterior
    lower, upper = est.predict_interval(X[:1], 0.9)  # plug-in Student-t(3) interval
    half = 0.5 * stats.t.ppf(0.95, 3.0)
    np.testing.assert_allclose([lower[0], upper[0]], est.predict(X[:1])[0] + np.array([-half, half]))
    _, sd = est.predict(X[:1], return_std=True)
    assert sd[0] == pytest.approx(0.5 * np.sqrt(3.0))  # sigma^2 nu / (nu - 2)


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # short runs: only the structure is checked
@pytest.mark.parametrize("prior", ["horseshoe", pytest.param("regularized_horseshoe", marks=pytest.mark.slow),
                                   pytest.param("r2d2", marks=pytest.mark.slow)])
def test_every_coefficient_prior_samples_with_student_t_noise(prior):
    """(The Laplace prior is the fixture's; Normal is the NumPyro comparison's.)"""
    X, y = _outlier_data(n=60)
    est = BayesianLinearRegression(prior=prior, noise="student_t", nu=4.0, num_warmup=200, num_samples=200,
                                   num_chains=1, chain_method="sequential", progress=False, seed=0).fit(X, y)
    assert "nu" not in est.fit_result_.posterior  # fixed
    assert est.prior_summary().endswith("Student-t noise, nu = 4")
    assert np.max(np.abs(est.coef_ - W_TRUE)) < 0.5


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_student_t_fit_saves_and_loads(tmp_path):
    X, y = _outlier_data()  # the fixture's shapes and settings: the compiled sampler is reused
    est = BayesianLinearRegression(noise="student_t", nu=Gamma(3.0, 0.2), **{**FAST, "seed": 1}).fit(X, y)
    back = load(est.save(tmp_path / "robust"))
    assert back.noise == "student_t" and back.nu == Gamma(3.0, 0.2)
    assert back.prior_summary() == est.prior_summary()
    np.testing.assert_array_equal(back.coef_, est.coef_)
    np.testing.assert_allclose(back.log_likelihood(X, y), est.log_likelihood(X, y), rtol=1e-12)
    np.testing.assert_allclose(back.sample_predictive(X[:3], seed=2), est.sample_predictive(X[:3], seed=2))
    fixed = BayesianLinearRegression(noise="student_t", nu=5.0, method="map").fit(X, y)
    back = load(fixed.save(tmp_path / "map"))
    assert back.nu == 5.0 and back.intercept_ == fixed.intercept_
    np.testing.assert_array_equal(back.predict_interval(X[:2]), fixed.predict_interval(X[:2]))


def test_prior_predictive_has_student_t_tails():
    """With w pinned at 0 (tiny tau) and nu = 1, the prior predictive is Cauchy(0, sigma):
    P(|y| > 10) = 2 (1 - F(10)) = 0.0635; Normal noise gives ~0."""
    X = np.random.default_rng(0).normal(size=(50, 2))
    common = dict(prior="normal", tau=1e-8, sigma=1.0, fit_intercept=False, seed=0)
    t = BayesianLinearRegression(noise="student_t", nu=1.0, **common).sample_prior_predictive(X, num_samples=400)
    normal = BayesianLinearRegression(**common).sample_prior_predictive(X, num_samples=400)
    expected = 2 * stats.cauchy.sf(10.0)
    share = np.mean(np.abs(t) > 10.0)
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / t.size)
    assert np.mean(np.abs(normal) > 10.0) == 0.0


@pytest.mark.parametrize("method", ["exact", "gibbs"])
def test_methods_without_a_student_t_form_refuse_it(method):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    with pytest.raises(ValueError, match=f"method='{method}' has no form for noise='student_t'"):
        BayesianLinearRegression(noise="student_t", method=method, sigma=1.0, tau=1.0).fit(X, y)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(noise="t"), ValueError, "noise must be one of"),
    (dict(nu=4.0), ValueError, "pass noise='student_t'"),
    (dict(noise="student_t", nu=-1.0), ValueError, "nu"),
    (dict(noise="student_t", nu="4"), TypeError, "nu must be None, a positive number or a Gamma prior"),
    (dict(noise="student_t", nu=HalfNormal(1.0)), TypeError, "nu must be None"),
    (dict(sigma=Gamma(2.0, 0.1)), TypeError, "Gamma is a prior for nu, not sigma"),
])
def test_bad_noise_arguments_are_one_line_errors(kwargs, error, match):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    with pytest.raises(error, match=match):
        BayesianLinearRegression(**kwargs).fit(X, y)
