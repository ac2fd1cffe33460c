"""The compiled NUTS runner: compile once, same draws whatever the execution strategy."""

import jax
import numpy as np
import pytest

from bayesreg import models
from bayesreg.infer.mcmc import MCMCSettings, seed_keys, trace_count
from bayesreg.infer.nuts import run_nuts
from bayesreg.results import PosteriorFit
from bayesreg.testing import assert_posterior_matches, assert_same_mean, assert_within_mcse

HYPER = dict(sigma=1.0, tau=1.0, loc=0.0)


def _run(x, key, settings, **kw):
    return run_nuts(models.gaussian_mean, jax.random.key(key), {"x": x, **HYPER},
                    settings=settings, **kw)


def test_refit_on_same_shaped_data_reuses_the_compiled_sampler():
    settings = MCMCSettings(num_warmup=50, num_samples=50, num_chains=2, chain_method="sequential")
    rng = np.random.default_rng(0)
    _run(rng.normal(size=7), 0, settings)
    before = trace_count()
    for key in range(3):  # new data, new hyperparameters, new keys: no new compilation
        run_nuts(models.gaussian_mean, jax.random.key(key),
                 {"x": rng.normal(size=7), "sigma": 1.0 + key, "tau": 2.0, "loc": 0.5},
                 settings=settings)
    assert trace_count() == before
    _run(rng.normal(size=8), 0, settings)  # a new shape compiles once more
    assert trace_count() == before + 1
    _run(rng.normal(size=8), 1, settings)
    assert trace_count() == before + 1


def test_chain_methods_and_progress_do_not_change_the_draws():
    x = np.random.default_rng(1).normal(size=9)
    draws = {}
    for method in ("parallel", "sequential", "vectorized"):
        settings = MCMCSettings(num_warmup=100, num_samples=100, num_chains=2, chain_method=method)
        # progress stated, not left to the environment (inside Jupyter it defaults to on)
        draws[method] = _run(x, 3, settings, progress=False).samples["mu"]
    settings = MCMCSettings(num_warmup=100, num_samples=100, num_chains=2, chain_method="sequential")
    draws["progress"] = _run(x, 3, settings, progress=True).samples["mu"]
    # one chain program per key: bitwise identical however the chains are scheduled
    np.testing.assert_array_equal(draws["parallel"], draws["sequential"])
    np.testing.assert_array_equal(draws["progress"], draws["sequential"])
    # vmap lets XLA fuse operations differently: equal up to floating-point rounding, which
    # 200 iterations of leapfrog steps carry to ~5e-7 relative in a draw or two
    np.testing.assert_allclose(draws["vectorized"], draws["sequential"], rtol=1e-5, atol=1e-9)


def test_sample_stats_are_recorded():
    settings = MCMCSettings(num_warmup=100, num_samples=100, num_chains=2, chain_method="sequential")
    out = _run(np.ones(3), 0, settings)
    for name in ("diverging", "acceptance_rate", "n_steps", "energy", "lp", "step_size", "tree_depth"):
        assert out.stats[name].shape == (2, 100), name
    assert out.stats["diverging"].dtype == bool
    assert np.all(out.stats["tree_depth"] >= 1)


# ---------------------------------------------------------------- the sampler on known targets
COV = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, -0.3], [0.0, -0.3, 4.0]])
MEAN = np.array([1.0, -2.0, 0.5])


def _mvn(*, mean, cov):
    import numpyro
    import numpyro.distributions as dist

    numpyro.sample("z", dist.MultivariateNormal(mean, cov))


def _laplace(*, loc, scale):
    import numpyro
    import numpyro.distributions as dist

    numpyro.sample("z", dist.Laplace(loc, scale))


# BlackJAX's kernel is the default engine; NumPyro's is kept selectable and checked here too
@pytest.mark.parametrize("dense_mass, engine", [(False, "blackjax"), (True, "blackjax"), (True, "numpyro")])
def test_correlated_gaussian_moments(dense_mass, engine):
    settings = MCMCSettings(num_warmup=500, num_samples=2000, num_chains=2, dense_mass=dense_mass,
                            chain_method="sequential")
    out = run_nuts(_mvn, jax.random.key(0), {"mean": MEAN, "cov": COV}, settings=settings, progress=False,
                   engine=engine)
    z = out.samples["z"]
    assert z.shape == (2, 2000, 3) and not out.stats["diverging"].any()
    for j in range(3):
        assert_posterior_matches(z[..., j], MEAN[j], np.sqrt(COV[j, j]))
    for i, j in ((0, 1), (1, 2)):  # covariances, as means of products of centred draws
        assert_within_mcse((z[..., i] - MEAN[i]) * (z[..., j] - MEAN[j]), COV[i, j])


def test_kinked_laplace_target_matches_its_moments():
    """Laplace(0.5, 1): mean 0.5, sd sqrt(2); the gradient jumps at the mode, as in the Bayesian lasso."""
    settings = MCMCSettings(num_warmup=500, num_samples=3000, num_chains=2, chain_method="sequential")
    out = run_nuts(_laplace, jax.random.key(1), {"loc": 0.5, "scale": 1.0}, settings=settings, progress=False)
    assert_posterior_matches(out.samples["z"], 0.5, np.sqrt(2.0))


def test_tree_depth_is_capped():
    """With max_tree_depth=2 no trajectory has more than 2^2 - 1 = 3 leapfrog steps; the
    strongly correlated target needs more, so the cap binds."""
    cov = np.array([[1.0, 0.999], [0.999, 1.0]])
    settings = MCMCSettings(num_warmup=200, num_samples=200, num_chains=1, max_tree_depth=2,
                            chain_method="sequential")
    out = run_nuts(_mvn, jax.random.key(2), {"mean": np.zeros(2), "cov": cov}, settings=settings, progress=False)
    assert out.stats["n_steps"].max() == 3 and out.stats["tree_depth"].max() == 2


def test_same_key_same_draws_other_key_other_draws():
    settings = MCMCSettings(num_warmup=50, num_samples=50, num_chains=2, chain_method="sequential")
    draw = [run_nuts(_mvn, jax.random.key(k), {"mean": MEAN, "cov": COV}, settings=settings,
                     progress=False).samples["z"] for k in (3, 3, 4)]
    np.testing.assert_array_equal(draw[0], draw[1])
    assert np.abs(draw[0] - draw[2]).max() > 0.1


# ---------------------------------------------------------------- the two NUTS engines
def test_engine_is_checked():
    settings = MCMCSettings(num_warmup=10, num_samples=10, num_chains=1)
    with pytest.raises(ValueError, match="engine"):
        run_nuts(_mvn, jax.random.key(0), {"mean": MEAN, "cov": COV}, settings=settings, engine="stan")


def test_blackjax_and_numpyro_engines_agree_on_a_hierarchical_regression():
    """BlackJAX's kernel (the default) and NumPyro's sample the same posterior: Laplace regression
    with tau and sigma sampled (half-Cauchy priors), means of every parameter within MCSE."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, 0.0, -0.5]) + rng.normal(size=30)
    static = dict(prior="laplace", sigma_prior="halfcauchy", tau_prior="halfcauchy")
    data = {"X": X, "y": y, "loc": np.zeros(3), "sigma": 1.0, "tau": 1.0}
    settings = MCMCSettings(num_warmup=500, num_samples=1000, num_chains=2, chain_method="sequential")
    out = {engine: run_nuts(models.linear_regression, jax.random.key(5), data, static=static, settings=settings,
                            progress=False, engine=engine) for engine in ("blackjax", "numpyro")}
    for engine, draws in out.items():
        assert not draws.stats["diverging"].any(), engine
    bj, np_ = out["blackjax"].samples, out["numpyro"].samples
    for j in range(3):
        assert_same_mean(bj["w"][..., j], np_["w"][..., j], label=f"w[{j}]")
    assert_same_mean(bj["sigma"], np_["sigma"], label="sigma")
    assert_same_mean(np.log(bj["tau"]), np.log(np_["tau"]), label="log tau")


def test_the_draws_name_the_kernel_that_made_them():
    """A fit's provenance says which NUTS engine produced it (``MCMCDraws.sampler``, the
    InferenceData's ``inference`` attribute)."""
    settings = MCMCSettings(num_warmup=20, num_samples=20, num_chains=1)
    for engine, name in (("blackjax", "BlackJAX"), ("numpyro", "NumPyro")):
        out = run_nuts(_mvn, jax.random.key(0), {"mean": MEAN, "cov": COV}, settings=settings, progress=False,
                       engine=engine)
        assert out.sampler.startswith(f"NUTS ({name} "), out.sampler
        attrs = PosteriorFit.from_draws(out).idata.attrs
        assert attrs["inference"] == out.sampler


@pytest.mark.parametrize("seed", [0, 12345, 2**32 + 7, 2**63 - 1])
def test_seed_keys_are_the_eager_split_of_the_seed(seed):
    """One compiled call, the same bits as jax.random.split(jax.random.key(seed)): a fit's draws
    do not depend on how its keys were computed."""
    run, other = jax.random.split(jax.random.key(seed))
    key_run, key_data = seed_keys(seed)
    np.testing.assert_array_equal(jax.random.key_data(key_run), jax.random.key_data(run))
    np.testing.assert_array_equal(key_data, jax.random.key_data(other))
