"""The Gibbs sampler for the Laplace prior: against quadrature, against NUTS, reproducible."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from references import laplace_grid_moments

import bayesreg
from bayesreg import BayesianLinearRegression, HalfNormal, InverseGamma
from bayesreg.datasets import load_diabetes_data, simulate_regression
from bayesreg.diagnostics import mcse_of_mean
from bayesreg.infer.gibbs import (
    gibbs_data,
    inverse_gaussian,
    laplace_normal,
    normal_upper_tail,
    run_gibbs,
    run_gibbs_batched,
)
from bayesreg.infer.mcmc import MCMCSettings
from bayesreg.testing import assert_posterior_matches, assert_within_mcse

GIBBS = dict(method="gibbs", num_warmup=500, num_samples=2000, num_chains=4, progress=False)


def test_inverse_gaussian_moments():
    mean, shape = np.array([0.5, 2.0, 40.0]), 3.0
    x = np.asarray(inverse_gaussian(jax.random.key(0), jnp.broadcast_to(mean, (100_000, 3)), shape))
    for j in range(3):
        assert_within_mcse(x[None, :, j], mean[j])                          # E = mean
        assert_within_mcse((x[None, :, j] - mean[j]) ** 2, mean[j] ** 3 / shape)  # Var = mean^3 / shape


@pytest.mark.parametrize("alpha", [-3.0, 0.0, 2.5, 9.0, 40.0, 80.0])
def test_normal_upper_tail_matches_truncated_normal(alpha):
    from scipy import stats

    u = (np.arange(2000) + 0.5) / 2000
    x = np.asarray(normal_upper_tail(jnp.full(u.shape, alpha), jnp.asarray(u)))
    assert np.all(x > alpha)
    # the draw is the truncated normal's quantile at 1 - u: compare through its survival function
    sf = stats.truncnorm.logsf(x, alpha, np.inf)
    np.testing.assert_allclose(sf, np.log(u), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("a, b, scale", [(1.0, 0.3, 1.0), (4.0, -6.0, 0.5), (1e-4, 0.0, 2.0), (50.0, 1.0, 1e-3),
                                         (1e4, 3e4, 0.05)])
def test_laplace_normal_draws_match_quadrature(a, b, scale):
    """v with density ~ exp(-a v^2/2 + b v - |v|/scale): sample moments against a fine grid."""
    n = 200_000
    u = jax.random.uniform(jax.random.key(1), (2, n), minval=1e-300)
    v = np.asarray(laplace_normal(u[0], u[1], a, b, scale))
    sd_guess = 1 / np.sqrt(a) if a * scale**2 > 1 else scale
    centre = b / a if a * scale**2 > 1 else 0.0
    grid = np.linspace(centre - 40 * sd_guess, centre + 40 * sd_guess, 400_001)
    log_d = -a * grid**2 / 2 + b * grid - np.abs(grid) / scale
    d = np.exp(log_d - log_d.max())
    d /= d.sum()
    mean = np.sum(grid * d)
    sd = np.sqrt(np.sum((grid - mean) ** 2 * d))
    assert_posterior_matches(v[None, :], mean, sd)
    assert abs(np.mean(v > 0) - np.sum(d[grid > 0])) < 4 * 0.5 / np.sqrt(n)


@pytest.mark.parametrize("p, tau, loc", [(1, 0.3, 0.0), (2, 0.4, 0.5)])
def test_gibbs_matches_quadrature(p, tau, loc):
    data = simulate_regression(12, p, sigma=1.0, coef_scale=0.4, correlation=0.5, seed=10 + p)
    mean, sd = laplace_grid_moments(data.X, data.y, sigma=1.0, tau=tau, loc=np.full(p, loc))
    est = BayesianLinearRegression(tau=tau, sigma=1.0, loc=loc, fit_intercept=False, seed=1,
                                   **GIBBS).fit(data.X, data.y)
    w = est.fit_result_.draws("w")
    for j in range(p):
        assert_posterior_matches(w[..., j], mean[j], sd[j])


def _agree(a, b, z=4.0):
    """Two samplers' means agree within their combined Monte Carlo error."""
    se = [mcse_of_mean(x) for x in (a, b)]
    gap = abs(a.mean() - b.mean())
    assert gap <= z * np.hypot(*se), (a.mean(), b.mean(), se)


def test_park_casella_gibbs_agrees_with_nuts_on_diabetes():
    """Sigma-scaled Laplace prior, sigma^2 ~ InvGamma(1, 1), intercept integrated out."""
    data = load_diabetes_data()
    kw = dict(prior="laplace", tau=0.2, sigma=InverseGamma(1.0, 1.0), scale_by_sigma=True, fit_intercept=True)
    gibbs = BayesianLinearRegression(seed=0, **kw, **GIBBS).fit(data.X, data.y)
    nuts = BayesianLinearRegression(seed=0, method="nuts", num_warmup=500, num_samples=1000, num_chains=4,
                                    progress=False, **kw).fit(data.X, data.y)
    assert nuts.fit_result_.num_divergences == 0
    for name in ("w", "sigma"):
        a, b = gibbs.fit_result_.draws(name), nuts.fit_result_.draws(name)
        for j in range(a.shape[-1] if a.ndim == 3 else 1):
            _agree(a[..., j] if a.ndim == 3 else a, b[..., j] if b.ndim == 3 else b)
    summary = gibbs.fit_result_.summary()
    assert {"ess_bulk", "ess_tail", "r_hat"} <= set(summary.columns)
    assert summary["ess_bulk"].min() > 400 and summary["r_hat"].max() < 1.01


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # a deliberately tiny run
def test_same_seed_same_draws_and_batched_equals_single():
    data = simulate_regression(30, 3, seed=2)
    kw = dict(tau=0.5, sigma=1.0, fit_intercept=False, num_warmup=50, num_samples=100, num_chains=2,
              method="gibbs", progress=False)
    a = BayesianLinearRegression(seed=3, **kw).fit(data.X, data.y).fit_result_.draws("w")
    b = BayesianLinearRegression(seed=3, **kw).fit(data.X, data.y).fit_result_.draws("w")
    np.testing.assert_array_equal(a, b)
    settings = MCMCSettings(num_warmup=50, num_samples=100, num_chains=2)
    rng = np.random.default_rng(0)
    sets = [gibbs_data(rng.normal(size=(30, 3)), rng.normal(size=30), loc=0.0, tau=0.5, sigma=1.0,
                       sigma_prior=(2.0, 1.0)) for _ in range(3)]
    batch = {k: np.stack([s[k] for s in sets]) for k in sets[0]}
    together = run_gibbs_batched(jax.random.key(5), batch, settings=settings)
    for r, key in enumerate(jax.random.split(jax.random.key(5), 3)):
        alone = run_gibbs(key, sets[r], settings=settings)
        # the same program on the same key: bit for bit
        np.testing.assert_array_equal(together.samples["w"][r], alone.samples["w"])
        np.testing.assert_array_equal(together.samples["sigma"][r], alone.samples["sigma"])


def _batch(rng, reps, n, p):
    sets = [gibbs_data(rng.normal(size=(n, p)), rng.normal(size=n), loc=0.0, tau=0.5, sigma=1.0,
                       sigma_prior=(2.0, 1.0)) for _ in range(reps)]
    return {k: np.stack([s[k] for s in sets]) for k in sets[0]}


def test_batched_lapack_calls_are_never_batched():
    """jaxlib 0.10 splits a batched LAPACK call of >= 200,000 flops (its estimate) across the
    intra-op pool and blocks the calling thread, which deadlocked one vmap over 3,000 data sets
    at p = 10 (see test_slow.py). On the driver every (data set, chain) pair runs alone: the
    compiled program's Cholesky factors and triangular solves are single p x p matrices."""
    from bayesreg.infer import mcmc
    from bayesreg.infer.gibbs import GibbsKernel

    reps, p = 3000, 10
    batch = {"G": np.broadcast_to(np.eye(p), (reps, p, p)), "c": np.zeros((reps, p)), "yy": np.ones(reps),
             "n_eff": np.full(reps, 8.0), "loc": np.zeros((reps, p)), "tau": np.ones(reps), "sigma2": np.ones(reps),
             "sigma_prior": np.ones((reps, 2))}
    settings = MCMCSettings(num_warmup=300, num_samples=300, num_chains=4)
    kernel = GibbsKernel(settings, scale_by_sigma=False, sample_sigma=True, sample_tau=False)
    devices = jax.local_device_count()
    runner = mcmc._runner(kernel, settings, devices=devices, vectorized=False, data_axis=0)
    pairs = 8  # the layout of any number of pairs is (device, pairs on the device, ...)
    keys = jax.random.split(jax.random.key(0), pairs * devices).reshape(devices, pairs)
    data = {k: np.broadcast_to(v[:1], (devices, pairs) + v.shape[1:]) for k, v in batch.items()}
    chains = runner.start(keys, data)
    text = runner.advance.lower(chains, data, np.int32(600)).as_text()
    calls = re.findall(r"@(lapack_\w+)\(.*:\s*\(tensor<([\dx]+)xf64>", text)
    assert {name for name, _ in calls} == {"lapack_dpotrf_ffi", "lapack_dtrsm_ffi"}
    for name, shape in calls:
        assert tuple(map(int, shape.split("x"))) == (p, p), (name, shape)


def test_batched_refuses_ragged_replicates():
    batch = _batch(np.random.default_rng(0), 2, 10, 2)
    settings = MCMCSettings(num_warmup=5, num_samples=5, num_chains=2)
    with pytest.raises(ValueError, match="same leading replicate axis"):
        run_gibbs_batched(jax.random.key(0), {**batch, "tau": np.ones(3)}, settings=settings)


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # a deliberately tiny run
def test_gibbs_fit_saves_and_loads(tmp_path):
    data = simulate_regression(30, 3, seed=4)
    est = BayesianLinearRegression(tau=0.5, sigma=InverseGamma(2.0, 1.0), fit_intercept=False, seed=0, method="gibbs",
                                   num_warmup=100, num_samples=200, num_chains=2).fit(data.X, data.y)
    loaded = bayesreg.load(est.save(tmp_path / "g"))
    assert repr(loaded.sigma) == "InverseGamma(2, 1)"
    np.testing.assert_array_equal(loaded.predict(data.X, return_std=True)[1], est.predict(data.X, return_std=True)[1])


@pytest.mark.parametrize("kwargs", [dict(prior="normal"), dict(sigma=HalfNormal(1.0)),
                                    dict(tau=bayesreg.HalfCauchy(1.0))])
def test_gibbs_refuses_models_it_cannot_sample(kwargs):
    with pytest.raises(ValueError, match="method='gibbs' needs prior='laplace', a fixed tau"):
        BayesianLinearRegression(method="gibbs", **kwargs).fit(np.ones((5, 2)), np.arange(5.0))


@pytest.mark.slow  # ~40 s cold: two 4 x 2000 fits; tests/test_cross_method.py checks both against quadrature
def test_park_casella_full_model_gibbs_agrees_with_nuts_on_diabetes():
    """Park & Casella's (2008) Bayesian lasso as they state it: Jeffreys p(sigma^2) ~ 1/sigma^2,
    w_j | sigma, lambda ~ Laplace(0, sigma / lambda), lambda^2 ~ Gamma(1, 1.78), flat intercept."""
    from bayesreg.priors import Jeffreys, LassoLambda

    data = load_diabetes_data()
    kw = dict(prior="laplace", tau=LassoLambda(1.0, 1.78), sigma=Jeffreys(), scale_by_sigma=True,
              fit_intercept=True, num_warmup=500, num_samples=2000, num_chains=4, progress=False, seed=0)
    gibbs = BayesianLinearRegression(method="gibbs", **kw).fit(data.X, data.y)
    nuts = BayesianLinearRegression(method="nuts", **kw).fit(data.X, data.y)
    assert nuts.fit_result_.num_divergences == 0
    for name in ("w", "sigma", "tau", "lambda"):
        a, b = gibbs.fit_result_.draws(name), nuts.fit_result_.draws(name)
        for j in range(a.shape[-1] if a.ndim == 3 else 1):
            _agree(a[..., j] if a.ndim == 3 else a, b[..., j] if b.ndim == 3 else b)
    assert gibbs.fit_result_.summary()["r_hat"].max() < 1.01


@pytest.mark.parametrize("kwargs, message", [
    (dict(fit_intercept=True), "needs at least 2 observations besides the intercept"),
    (dict(), "X fits y exactly"),
])
def test_jeffreys_refused_where_the_posterior_may_be_improper(kwargs, message):
    from bayesreg.priors import Jeffreys

    X, y = (np.array([[1.0], [2.0]]), np.array([1.0, 3.0])) if kwargs else (np.eye(3), np.arange(3.0))
    for method in ("nuts", "gibbs", "map"):
        with pytest.raises(ValueError, match=message):
            BayesianLinearRegression(sigma=Jeffreys(), method=method, **kwargs).fit(X, y)
    with pytest.raises(TypeError, match=r"tau=Jeffreys\(\): Jeffreys is a prior for sigma, not tau"):
        BayesianLinearRegression(tau=Jeffreys(), method="map").fit(X, y)


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # a deliberately tiny run
def test_park_casella_priors_save_and_load(tmp_path):
    from bayesreg.priors import Jeffreys, LassoLambda

    data = simulate_regression(30, 3, seed=4)
    est = BayesianLinearRegression(tau=LassoLambda(1.0, 1.78), sigma=Jeffreys(), scale_by_sigma=True, seed=0,
                                   method="gibbs", num_warmup=100, num_samples=200, num_chains=2,
                                   progress=False).fit(data.X, data.y)
    loaded = bayesreg.load(est.save(tmp_path / "pc"))
    assert (repr(loaded.sigma), repr(loaded.tau)) == ("Jeffreys()", "LassoLambda(1, 1.78)")
    np.testing.assert_array_equal(loaded.fit_result_.draws("lambda"), est.fit_result_.draws("lambda"))
