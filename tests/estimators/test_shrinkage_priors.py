"""The shrinkage priors (horseshoe, regularised horseshoe, R2D2): objects, refusals, the prior
predictive against closed forms, save/load, and (slow) NUTS against an independent NumPyro run."""

from __future__ import annotations

import numpy as np
import pytest

from bayesreg import BayesianLinearRegression, HalfCauchy, HalfNormal, load
from bayesreg.priors import R2D2, Horseshoe, RegularizedHorseshoe, prior_from_json, prior_to_json, split_coef_prior
from bayesreg.testing import assert_within_mcse


def test_prior_objects_validate_their_arguments():
    with pytest.raises(ValueError, match="Horseshoe.scale"):
        Horseshoe(scale=-1.0)
    with pytest.raises(ValueError, match="RegularizedHorseshoe.p0"):
        RegularizedHorseshoe(p0=0)
    with pytest.raises(ValueError, match=r"R2D2.mean_r2 must be in \(0, 1\)"):
        R2D2(mean_r2=1.0)
    with pytest.raises(ValueError, match="prior must be one of"):
        split_coef_prior("hs")
    with pytest.raises(ValueError, match="p0 must be less than the number of features"):
        RegularizedHorseshoe(p0=10).params(100, 10)


def test_tau0_follows_piironen_vehtari():
    # tau0 = p0 / (p - p0) * sigma / sqrt(n); the model multiplies by sigma
    tau0_over_sigma, slab_scale, slab_df = RegularizedHorseshoe(p0=5, slab_scale=3.0, slab_df=2.0).params(100, 200)
    assert tau0_over_sigma == pytest.approx(5 / 195 / 10)
    assert (slab_scale, slab_df) == (3.0, 2.0)
    assert RegularizedHorseshoe().params(400, 10)[0] == pytest.approx(1 / 20)  # p0 = p / 2


@pytest.mark.parametrize("prior", [Horseshoe(0.5), RegularizedHorseshoe(p0=3, slab_scale=1.5), R2D2(0.3, 4.0, 1.0),
                                   "horseshoe", "laplace"])
def test_prior_json_round_trip(prior):
    assert prior_from_json(prior_to_json(prior)) == prior


@pytest.mark.parametrize("method", ["map", "exact", "gibbs"])
def test_fast_paths_refuse_shrinkage_priors(method):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    with pytest.raises(ValueError, match=f"method='{method}' is not available for prior='horseshoe'"):
        BayesianLinearRegression(prior="horseshoe", method=method).fit(X, y)


def test_tau_prior_is_refused_with_a_shrinkage_prior():
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    with pytest.raises(ValueError, match="samples its own global scale"):
        BayesianLinearRegression(prior="r2d2", tau=HalfCauchy(1.0)).fit(X, y)


def test_prior_predictive_of_the_normal_prior_has_the_closed_form_variance():
    # y_i ~ N(0, tau^2 ||x_i||^2 + sigma^2) a priori
    X = np.random.default_rng(1).normal(size=(6, 3))
    est = BayesianLinearRegression(prior="normal", tau=2.0, sigma=0.5, fit_intercept=False, seed=3)
    draws = est.sample_prior_predictive(X, num_samples=4000)
    assert draws.shape == (4000, 6)
    for i in range(6):
        assert_within_mcse(draws[None, :, i], 0.0)
        assert_within_mcse(draws[None, :, i] ** 2, 4.0 * X[i] @ X[i] + 0.25, label=f"var y[{i}]")


def test_r2d2_prior_predictive_explains_the_stated_share_of_variance():
    # With orthogonal columns mean_i (x_i'w)^2 = sum_j x_sq_j w_j^2 = sigma^2 W sum_j phi_j z_j^2, whose
    # expectation is sigma^2 E[W]; E[W] = a / (b - 1) for R^2 ~ Beta(a, b). So E[mean y^2] = sigma^2 (E[W] + 1).
    q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(40, 5)))
    X = q * np.sqrt(40) * np.array([1.0, 3.0, 0.1, 10.0, 1.0])  # units of X must not matter
    est = BayesianLinearRegression(prior=R2D2(mean_r2=0.5, precision=10.0), sigma=2.0, fit_intercept=False, seed=0)
    draws = est.sample_prior_predictive(X, num_samples=4000)
    assert_within_mcse(np.mean(draws**2, axis=1)[None, :], 4.0 * (5 / 4 + 1))


def test_prior_predictive_refuses_an_improper_sigma():
    from bayesreg import Jeffreys

    with pytest.raises(ValueError, match="improper"):
        BayesianLinearRegression(sigma=Jeffreys()).sample_prior_predictive(np.ones((3, 2)))


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # short run: only the structure is checked
def test_horseshoe_fit_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = X @ np.array([3.0, 0.0, 0.0, -2.0]) + rng.normal(size=40)
    est = BayesianLinearRegression(prior=RegularizedHorseshoe(p0=2), sigma=HalfNormal(3.0), fit_intercept=True,
                                   num_warmup=300, num_samples=300, num_chains=1, chain_method="sequential",
                                   target_accept_prob=0.95, progress=False, seed=1).fit(X, y)
    post = est.fit_result_.posterior
    assert {"w", "z", "lambda", "tau", "c2", "sigma"} <= set(post)
    np.testing.assert_allclose(post["w"], post["z"] * post["tau"][..., None] * np.sqrt(
        post["c2"][..., None] * post["lambda"] ** 2
        / (post["c2"][..., None] + post["tau"][..., None] ** 2 * post["lambda"] ** 2)), rtol=1e-10)
    assert abs(est.coef_[0] - 3.0) < 1.0 and abs(est.coef_[1]) < 0.5
    back = load(est.save(tmp_path / "rhs"))
    assert back.prior == est.prior
    np.testing.assert_array_equal(back.coef_, est.coef_)
    np.testing.assert_allclose(back.predict(X), est.predict(X))


@pytest.mark.slow
def test_horseshoe_on_diabetes_has_no_divergences_and_agrees_with_an_independent_numpyro_run():
    """Issue 16's must-show. bayesreg runs the horseshoe collapsed (w integrated out, drawn given the
    scales) at target_accept_prob = 0.95 without a divergence. The reference is the non-collapsed model
    written out again in plain NumPyro, with an explicit flat intercept (bayesreg integrates it out by
    centring), run by numpyro.infer.MCMC at 0.99: posterior means of w, sigma and the intercept agree
    within the two runs' combined MCSE."""
    import warnings

    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    from numpyro.infer import MCMC, NUTS

    from bayesreg.datasets import load_diabetes_data
    from bayesreg.testing import assert_same_mean

    def horseshoe(X, y, sigma_scale):
        p = X.shape[1]
        b = numpyro.sample("b", dist.ImproperUniform(constraints.real, (), ()))
        sigma = numpyro.sample("sigma", dist.HalfNormal(sigma_scale))
        tau = numpyro.sample("tau", dist.HalfCauchy(1.0))
        lam = numpyro.sample("lambda", dist.HalfCauchy(jnp.ones(p)).to_event(1))
        z = numpyro.sample("z", dist.Normal(jnp.zeros(p), 1.0).to_event(1))
        numpyro.sample("y", dist.Normal(b + X @ (z * lam * tau), sigma), obs=y)

    d = load_diabetes_data()
    settings = dict(num_warmup=1000, num_samples=2000, num_chains=2)
    est = BayesianLinearRegression(prior="horseshoe", sigma=HalfNormal(100.0), fit_intercept=True,
                                   chain_method="sequential", target_accept_prob=0.95, progress=False, seed=0,
                                   **settings).fit(d.X, d.y)
    assert est.fit_result_.num_divergences == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mcmc = MCMC(NUTS(horseshoe, target_accept_prob=0.99), chain_method="sequential", progress_bar=False,
                    **settings)
        mcmc.run(jax.random.key(1), d.X, d.y, 100.0)
    ref = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    ref_w = ref["z"] * ref["lambda"] * ref["tau"][..., None]
    w = est.fit_result_.draws("w")
    for j, name in enumerate(d.feature_names):
        assert_same_mean(w[..., j], ref_w[..., j], label=f"w[{name}]", min_ess=200)
    assert_same_mean(est.fit_result_.draws("sigma"), ref["sigma"], label="sigma", min_ess=200)
    assert_same_mean(est.fit_result_.draws("intercept"), ref["b"], label="intercept", min_ess=200)
    print("divergences: bayesreg", est.fit_result_.num_divergences,
          "numpyro (non-collapsed, 0.99)", int(np.sum(mcmc.get_extra_fields()["diverging"])))


def test_prior_predictive_with_the_default_scales_needs_y_and_uses_it():
    """sigma='auto' and tau='auto' are scaled by sd(y) in fit; the prior predictive asks for y
    and then implies a spread of the order of sd(y), whatever the units."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.1]
    y = 1000.0 * rng.normal(size=50)
    est = BayesianLinearRegression(seed=0)
    with pytest.raises(ValueError, match="pass the observed y"):
        est.sample_prior_predictive(X)
    draws = est.sample_prior_predictive(X, y, num_samples=2000)
    spread = np.median(np.std(draws, axis=1))
    assert 0.3 * np.std(y) < spread < 30 * np.std(y)
