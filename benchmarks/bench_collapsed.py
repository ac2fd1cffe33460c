"""Collapsed against non-centred NUTS for the shrinkage priors (issue 16).

Usage: ``python benchmarks/bench_collapsed.py diabetes [target_accept_prob]`` or
``python benchmarks/bench_collapsed.py sparse PRIOR [num_warmup]``.

* ``diabetes``: the horseshoe (sigma ~ HalfNormal(100), intercept integrated out), 2 chains in
  sequence x (1000 + 2000), seeds 0 and 1, both models through ``run_nuts`` on the sufficient
  statistics; each timed on its second run (compiled).
* ``sparse``: replicate 0 of the sparse study (n = 100, p = 200, 5 nonzero, seed 0), 2 chains x
  (num_warmup + num_warmup) at target_accept_prob = 0.95 through ``fit_prior_batched``; wall time
  with compilation.

Printed: divergences, wall time, smallest bulk ESS of w (ArviZ's rank-normalised) and per second,
mean leapfrog steps per draw.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def diabetes(tap: float) -> None:
    import jax

    from bayesreg import likelihood, models
    from bayesreg.datasets import load_diabetes_data
    from bayesreg.infer.mcmc import MCMCSettings
    from bayesreg.infer.nuts import run_nuts
    from bayesreg.priors import Horseshoe

    d = load_diabetes_data()
    Xc, yc, _, _ = likelihood.center(d.X, d.y, fit_intercept=True)
    p = Xc.shape[1]
    static = dict(prior="horseshoe", sigma_prior="halfnormal", tau_prior=None, scale_by_sigma=False, centered=True)
    data = dict(loc=np.zeros(p), sigma=100.0, tau=1.0, shrinkage=Horseshoe().params(*Xc.shape),
                **likelihood.sufficient_statistics(Xc, yc))
    settings = MCMCSettings(num_warmup=1000, num_samples=2000, num_chains=2, chain_method="sequential",
                            target_accept_prob=tap)
    for name, model, draw_key in [("collapsed", models.linear_regression_collapsed, "w_key"),
                                  ("non-centred", models.linear_regression_gram, None)]:
        for seed in (0, 1):
            run_nuts(model, jax.random.key(seed), data, static=static, settings=settings, progress=False,
                     draw_key=draw_key)
            start = time.perf_counter()
            draws = run_nuts(model, jax.random.key(seed), data, static=static, settings=settings, progress=False,
                             draw_key=draw_key)
            _report(f"diabetes horseshoe {name} tap={tap} seed={seed}", draws, time.perf_counter() - start)


def sparse(prior: str, num_warmup: int) -> None:
    import jax

    from bayesreg.infer.mcmc import MCMCSettings
    from bayesreg.studies.sparse import fit_prior_batched, simulate_sparse

    sim = simulate_sparse(100, 200, 5, 2, coef_scale=2.0, sigma=1.0, n_test=10, rng=np.random.default_rng(0))
    settings = MCMCSettings(num_warmup=num_warmup, num_samples=num_warmup, num_chains=2, target_accept_prob=0.95)
    for collapsed in (True, False):
        start = time.perf_counter()
        draws = fit_prior_batched(sim["X"][:1], sim["y"][:1], prior, settings=settings, key=jax.random.key(0),
                                  n_nonzero=5, collapsed=collapsed)
        wall = time.perf_counter() - start
        draws = type(draws)(samples={k: v[0] for k, v in draws.samples.items()},
                            stats={k: v[0] for k, v in draws.stats.items()}, settings=draws.settings)
        _report(f"sparse {prior} {'collapsed' if collapsed else 'non-centred'}", draws, wall,
                sqerr=float(np.sum((draws.samples["w"].mean(axis=(0, 1)) - sim["w"][0]) ** 2)))


def _report(label, draws, wall, **extra) -> None:
    from bayesreg.diagnostics import rank_diagnostics

    ess = np.asarray(rank_diagnostics(draws.samples["w"])["ess_bulk"])
    more = "".join(f", {k} {v:.3f}" for k, v in extra.items())
    print(f"{label}: divergences {int(draws.stats['diverging'].sum())}, wall {wall:.1f} s, min bulk ESS of w "
          f"{ess.min():.0f} ({ess.min() / wall:.1f}/s), mean steps {draws.stats['n_steps'].mean():.0f}{more}",
          flush=True)


if __name__ == "__main__":
    import bayesreg

    bayesreg.setup()
    if sys.argv[1] == "diabetes":
        diabetes(float(sys.argv[2]) if len(sys.argv) > 2 else 0.95)
    else:
        sparse(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 500)
