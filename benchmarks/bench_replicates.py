"""Case 2: 200 replicate data sets (n = 50, p = 5): one compiled NUTS program for the batch
(the study's ``nuts_batched``: the replicates mapped over the cores) against fitting them
one by one (bayesreg's compiled single fits of the full model, and a NumPyro MCMC.run loop
timed on 20 fits and scaled to 200)."""

from __future__ import annotations

import time

import numpy as np
from common import alternate, row


def run(repeats: int) -> list[dict]:
    import jax
    from numpyro.infer import MCMC, NUTS

    from bayesreg import models
    from bayesreg.infer.mcmc import MCMCSettings
    from bayesreg.infer.nuts import run_nuts
    from bayesreg.studies.linear import nuts_batched, simulate_cell

    R, n, p = 200, 50, 5
    sim = simulate_cell(n, p, 1.0, 1.0, R, rng=np.random.default_rng(0), n_test=1)
    static = dict(prior="laplace", sigma_prior=None, tau_prior=None, scale_by_sigma=False, centered=False)
    data = dict(X=sim["X"], y=sim["y"], loc=np.zeros((R, p)), sigma=np.ones(R), tau=np.ones(R))
    settings = MCMCSettings(num_warmup=500, num_samples=500, num_chains=1, chain_method="vectorized")
    start = time.perf_counter()
    nuts_batched(sim["X"], sim["y"], prior="laplace", tau=1.0, sigma=1.0, settings=settings, key=jax.random.key(0))
    with_compile = time.perf_counter() - start
    keys = jax.random.split(jax.random.key(0), R)
    run_nuts(models.linear_regression, keys[0], {k: v[0] for k, v in data.items()}, static=static,
             settings=settings)
    mcmc = MCMC(NUTS(models.linear_regression), num_warmup=500, num_samples=500, num_chains=1, progress_bar=False)
    n_numpyro = 20

    def batched(rep):  # what `bayesreg simulate linear` runs for one cell
        nuts_batched(sim["X"], sim["y"], prior="laplace", tau=1.0, sigma=1.0, settings=settings,
                     key=jax.random.key(rep))

    def loop_bayesreg(rep):
        for r in range(R):
            run_nuts(models.linear_regression, keys[r], {k: v[r] for k, v in data.items()}, static=static,
                     settings=settings)

    def loop_numpyro(rep):
        for r in range(n_numpyro):
            mcmc.run(keys[r], sim["X"][r], sim["y"][r], loc=0.0, tau=1.0, sigma=1.0, prior="laplace")
            np.asarray(mcmc.get_samples()["w"])

    t = alternate({"batched": batched, "loop_bayesreg": loop_bayesreg, "loop_numpyro": loop_numpyro},
                  repeats)
    numpyro_200 = t["loop_numpyro"] * R / n_numpyro
    case = "200 replicates (n=50, p=5), NUTS 500+500, 1 chain each"
    return [
        row(f"{case}", "bayesreg batched", t["batched"], "loop of bayesreg compiled fits", t["loop_bayesreg"],
            unit="s", higher_is_better=False),
        row(f"{case}", "bayesreg batched", t["batched"], "numpyro MCMC.run loop (20 fits x 10)", numpyro_200,
            unit="s", higher_is_better=False),
        row(f"{case}, batched incl. tracing and compilation", "bayesreg batched", with_compile,
            "numpyro MCMC.run loop (20 fits x 10)",
            numpyro_200, unit="s", higher_is_better=False),
    ]
