"""The closed-form Normal-mean posterior: formulas and properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

from bayesreg import GaussianMean, Normal

data = arrays(np.float64, st.integers(1, 30), elements=st.floats(-100, 100))
scales = st.floats(0.05, 20.0)


@given(x=data, sigma=scales, tau=scales)
def test_posterior_matches_the_textbook_formula(x, sigma, tau):
    n, xbar = x.size, x.mean()
    post = GaussianMean(sigma, tau).posterior(x)
    np.testing.assert_allclose(post.mean, n * tau**2 * xbar / (sigma**2 + n * tau**2),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(post.var, 1.0 / (1.0 / tau**2 + n / sigma**2), rtol=1e-12)


@given(x=data, split=st.integers(0, 30), sigma=scales, tau=scales)
def test_sequential_update_equals_batch_update(x, split, sigma, tau):
    split = min(split, x.size - 1)
    first, second = x[: split + 1], x[split + 1:]
    post1 = GaussianMean(sigma, tau).posterior(first)
    if second.size == 0:
        return
    # yesterday's posterior is today's prior
    post2 = GaussianMean(sigma, post1.std, loc=post1.mean).posterior(second)
    batch = GaussianMean(sigma, tau).posterior(x)
    np.testing.assert_allclose(post2.mean, batch.mean, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(post2.var, batch.var, rtol=1e-9)


@given(x=data, seed=st.integers(0, 2**31))
def test_permuting_the_data_changes_nothing(x, seed):
    model = GaussianMean(1.3, 0.7)
    perm = np.random.default_rng(seed).permutation(x)
    a, b = model.posterior(x), model.posterior(perm)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12, atol=1e-12)
    assert a.var == b.var


def test_posterior_sd_shrinks_with_n_and_map_tends_to_mle():
    x = np.random.default_rng(1).normal(2.0, 1.0, size=4000)
    model = GaussianMean(1.0, 0.5)
    sds = [model.posterior(x[:n]).std for n in (1, 10, 100, 1000, 4000)]
    assert all(a > b for a, b in zip(sds, sds[1:], strict=False))
    assert abs(model.map(x) / model.mle(x) - 1) < 1e-3


def test_flat_prior_limit_gives_the_sample_mean():
    x = np.array([0.3, 1.9, -0.4, 2.2])
    post = GaussianMean(1.5, 1e8).posterior(x)
    np.testing.assert_allclose(post.mean, x.mean(), rtol=1e-12)
    np.testing.assert_allclose(post.var, 1.5**2 / x.size, rtol=1e-12)


def test_posterior_agrees_with_quadrature():
    """Normalise prior x likelihood numerically and compare its moments."""
    x = np.array([0.8, 2.1, 1.4])
    sigma, tau = 1.2, 0.9
    def unnorm(mu):
        return stats.norm.pdf(mu, 0, tau) * np.prod(stats.norm.pdf(x, mu, sigma))
    z = integrate.quad(unnorm, -20, 20, epsabs=1e-14)[0]
    mean = integrate.quad(lambda m: m * unnorm(m), -20, 20, epsabs=1e-14)[0] / z
    var = integrate.quad(lambda m: (m - mean) ** 2 * unnorm(m), -20, 20, epsabs=1e-14)[0] / z
    post = GaussianMean(sigma, tau).posterior(x)
    np.testing.assert_allclose([post.mean, post.var], [mean, var], rtol=1e-8)


def test_normal_summaries():
    d = Normal(mean=1.0, var=4.0)
    assert d.std == 2.0
    lo, hi = d.interval(0.95)
    np.testing.assert_allclose([lo, hi], stats.norm.interval(0.95, 1.0, 2.0), rtol=1e-12)
    np.testing.assert_allclose(d.logpdf([0.0, 1.0]), stats.norm.logpdf([0.0, 1.0], 1.0, 2.0))
    assert isinstance(d.logpdf(0.5), float)
    with pytest.raises(ValueError, match="level must be in"):
        d.interval(95)


def test_predictive_and_plugins():
    x = np.array([1.0, 2.0, 3.0])
    model = GaussianMean(sigma=2.0, tau=1.0)
    post, pred = model.posterior(x), model.predictive(x)
    assert pred.mean == post.mean and pred.var == pytest.approx(post.var + 4.0)
    assert model.plugin_predictive(x, "mle") == Normal(2.0, 4.0)
    assert model.plugin_predictive(x, "map").mean == pytest.approx(model.map(x))
    with pytest.raises(ValueError, match="estimate must be one of"):
        model.plugin_predictive(x, "median")


@pytest.mark.parametrize("kwargs, message", [
    ({"sigma": 0.0}, "sigma must be a finite number > 0"),
    ({"tau": -1.0}, "tau must be a finite number > 0"),
    ({"tau": np.nan}, "tau must be a finite number > 0"),
    ({"loc": np.inf}, "loc must be a finite number"),
])
def test_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianMean(**kwargs)


@pytest.mark.parametrize("x, message", [
    ([], "x is empty"),
    ([1.0, np.nan], "NaN at index 1"),
    ([np.inf], "infinite at index 0"),
])
def test_bad_data_is_rejected_by_every_method(x, message):
    model = GaussianMean()
    for method in (model.posterior, model.predictive, model.mle, model.map,
                   model.find_map, model.sample):
        with pytest.raises(ValueError, match=message):
            method(x)


def test_batched_ridge_mean_equals_the_posterior_mean_of_each_data_set():
    from bayesreg.conjugate import linear_normal_mean, linear_normal_posterior

    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(4, 6, 8)), rng.normal(size=(4, 6))  # p > n too
    batched = linear_normal_mean(X, y, tau=0.7, sigma=1.3)
    for r in range(4):
        np.testing.assert_allclose(batched[r], linear_normal_posterior(X[r], y[r], loc=0.0, tau=0.7, sigma=1.3).mean,
                                   rtol=1e-10, atol=1e-12)
