"""The compiled NUTS runner: compile once, same draws whatever the execution strategy."""

import jax
import numpy as np

from bayesreg import models
from bayesreg.sampling import NUTSSettings, run_nuts, trace_count

HYPER = dict(sigma=1.0, tau=1.0, loc=0.0)


def _run(x, key, settings, **kw):
    return run_nuts(models.gaussian_mean, jax.random.key(key), {"x": x, **HYPER},
                    settings=settings, **kw)


def test_refit_on_same_shaped_data_reuses_the_compiled_sampler():
    settings = NUTSSettings(num_warmup=50, num_samples=50, num_chains=2, chain_method="sequential")
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
        settings = NUTSSettings(num_warmup=100, num_samples=100, num_chains=2, chain_method=method)
        # progress stated, not left to the environment (inside Jupyter it defaults to on)
        draws[method] = _run(x, 3, settings, progress=False).samples["mu"]
    settings = NUTSSettings(num_warmup=100, num_samples=100, num_chains=2, chain_method="sequential")
    draws["progress"] = _run(x, 3, settings, progress=True).samples["mu"]
    # one chain program per key: bitwise identical however the chains are scheduled
    np.testing.assert_array_equal(draws["parallel"], draws["sequential"])
    np.testing.assert_array_equal(draws["progress"], draws["sequential"])
    # vmap lets XLA fuse operations differently: equal up to floating-point rounding
    np.testing.assert_allclose(draws["vectorized"], draws["sequential"], rtol=1e-7, atol=1e-9)


def test_sample_stats_are_recorded():
    settings = NUTSSettings(num_warmup=100, num_samples=100, num_chains=2, chain_method="sequential")
    out = _run(np.ones(3), 0, settings)
    for name in ("diverging", "acceptance_rate", "n_steps", "energy", "lp", "step_size", "tree_depth"):
        assert out.stats[name].shape == (2, 100), name
    assert out.stats["diverging"].dtype == bool
    assert np.all(out.stats["tree_depth"] >= 1)
