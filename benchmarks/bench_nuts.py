"""Case 1: NUTS min bulk ESS per second on the Laplace regression model; and Gibbs.

Models: diabetes (sigma = OLS residual sd, tau = 50 and 5) and a simulated n = 1000,
p = 100 problem. Every tool runs 2 chains (one per core) of 1000 warmup + 1000 draws.
(a) first fit in a fresh process (bayesreg with a warm persistent compilation cache);
(b) a second fit on new same-shaped data in the same process.
"""

from __future__ import annotations

import numpy as np
from common import alternate, min_bulk_ess, row, run_fresh

WARMUP, DRAWS, CHAINS = 1000, 1000, 2


def problems():
    from bayesreg.datasets import load_diabetes_data, simulate_regression

    d = load_diabetes_data()
    X = d.X - d.X.mean(0)
    y = d.y - d.y.mean()
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    sigma = float(np.sqrt(np.sum((y - X @ ols) ** 2) / (len(y) - X.shape[1] - 1)))
    rng = np.random.default_rng(1)
    # "new same-shaped data": the diabetes rows resampled with replacement
    boot = rng.integers(0, len(y), len(y))
    sim = simulate_regression(1000, 100, n_nonzero=10, coef_scale=2.0, sigma=1.0, seed=0)
    sim2 = simulate_regression(1000, 100, n_nonzero=10, coef_scale=2.0, sigma=1.0, seed=1)
    return [
        ("diabetes, tau=50", X, y, X[boot] - X[boot].mean(0), y[boot] - y[boot].mean(), sigma, 50.0),
        ("diabetes, tau=5", X, y, X[boot] - X[boot].mean(0), y[boot] - y[boot].mean(), sigma, 5.0),
        ("simulated n=1000 p=100, tau=1", sim.X, sim.y, sim2.X, sim2.y, 1.0, 1.0),
    ]


def bayesreg_fit(X, y, sigma, tau, seed, method="nuts"):
    from bayesreg import BayesianLinearRegression

    est = BayesianLinearRegression(prior="laplace", tau=tau, sigma=sigma, method=method, num_warmup=WARMUP,
                                   num_samples=DRAWS, num_chains=CHAINS, seed=seed, progress=False).fit(X, y)
    return {"w": est.fit_result_.draws("w")}


def nutpie_model(X, y, sigma, tau):
    import pymc as pm

    with pm.Model() as model:
        Xd = pm.Data("X", X)
        yd = pm.Data("y", y)
        w = pm.Laplace("w", mu=0.0, b=tau, shape=X.shape[1])
        pm.Normal("obs", mu=Xd @ w, sigma=sigma, observed=yd)
    return model


def nutpie_fit(compiled, seed):
    import nutpie

    idata = nutpie.sample(compiled, draws=DRAWS, tune=WARMUP, chains=CHAINS, cores=CHAINS, seed=seed,
                          progress_bar=False)
    return {"w": idata.posterior["w"].values}


def numpyro_fit(mcmc, X, y, sigma, tau, seed):
    import jax

    mcmc.run(jax.random.key(seed), X, y, loc=0.0, tau=tau, sigma=sigma, prior="laplace")
    return {"w": np.asarray(mcmc.get_samples(group_by_chain=True)["w"])}


FRESH = {
    "bayesreg": """
import json, sys, time, numpy as np
sys.path.insert(0, '.')
import bayesreg
from bench_nuts import problems, bayesreg_fit, min_bulk_ess
name, X, y, _, _, sigma, tau = problems()[{index}]
t = time.perf_counter(); d = bayesreg_fit(X, y, sigma, tau, 0); t = time.perf_counter() - t
print(json.dumps({{"seconds": t, "ess": min_bulk_ess(d)}}))
""",
    "nutpie": """
import json, sys, time, numpy as np
sys.path.insert(0, '.')
import bayesreg
from bench_nuts import problems, nutpie_model, nutpie_fit, min_bulk_ess
import nutpie
name, X, y, _, _, sigma, tau = problems()[{index}]
t = time.perf_counter()
compiled = nutpie.compile_pymc_model(nutpie_model(X, y, sigma, tau))
d = nutpie_fit(compiled, 0)
t = time.perf_counter() - t
print(json.dumps({{"seconds": t, "ess": min_bulk_ess(d)}}))
""",
}


def run(repeats: int) -> list[dict]:
    import jax
    import nutpie
    from numpyro.infer import MCMC, NUTS

    from bayesreg import models

    rows = []
    for index, (name, X, y, X2, y2, sigma, tau) in enumerate(problems()):
        # (a) first fit in a fresh process; bayesreg's persistent cache warmed by one run first
        run_fresh(FRESH["bayesreg"].format(index=index))
        fresh = {tool: [run_fresh(FRESH[tool].format(index=index)) for _ in range(repeats)] for tool in FRESH}
        ess_s = {tool: float(np.median([r["ess"] / r["seconds"] for r in rs])) for tool, rs in fresh.items()}
        rows.append(row(f"NUTS {name}: first fit, fresh process", "bayesreg (warm cache)", ess_s["bayesreg"],
                        "nutpie", ess_s["nutpie"], unit="min bulk ESS/s", higher_is_better=True))
        # (b) second fit on new same-shaped data in the same process
        bayesreg_fit(X, y, sigma, tau, 0)
        compiled = nutpie.compile_pymc_model(nutpie_model(X, y, sigma, tau))
        nutpie_fit(compiled, 0)
        compiled2 = compiled.with_data(X=X2, y=y2)
        mcmc = MCMC(NUTS(models.linear_regression), num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS,
                    chain_method="parallel" if jax.local_device_count() >= CHAINS else "sequential",
                    progress_bar=False)
        ess, out = {}, {}

        def timed(tool, fn):
            def call(rep):
                out[tool] = fn(rep)
            return call

        t = alternate({
            "bayesreg": timed("bayesreg", lambda rep: bayesreg_fit(X2, y2, sigma, tau, rep + 1)),
            "nutpie": timed("nutpie", lambda rep: nutpie_fit(compiled2, rep + 1)),
            "numpyro": timed("numpyro", lambda rep: numpyro_fit(mcmc, X2, y2, sigma, tau, rep + 1)),
        }, repeats)
        for tool in t:
            ess[tool] = min_bulk_ess(out[tool]) / t[tool]
        case = f"NUTS {name}: second fit, same process"
        rows.append(row(case, "bayesreg", ess["bayesreg"], "nutpie", ess["nutpie"], unit="min bulk ESS/s",
                        higher_is_better=True))
        rows.append(row(case, "bayesreg", ess["bayesreg"], "numpyro MCMC.run", ess["numpyro"],
                        unit="min bulk ESS/s", higher_is_better=True))
        # Gibbs, sampling only: every sweep costs the same, so sampling = total x draws / (warmup + draws)
        bayesreg_fit(X2, y2, sigma, tau, 0, method="gibbs")
        g_out = {}
        t_g = alternate({"gibbs": lambda rep: g_out.update(d=bayesreg_fit(X2, y2, sigma, tau, rep, "gibbs"))}, repeats)
        gibbs_ess_s = min_bulk_ess(g_out["d"]) / (t_g["gibbs"] * DRAWS / (WARMUP + DRAWS))
        mcmc.warmup(jax.random.key(0), X2, y2, loc=0.0, tau=tau, sigma=sigma, prior="laplace", collect_warmup=False)
        numpyro_fit_after_warmup = lambda rep: mcmc.run(mcmc.post_warmup_state.rng_key, X2, y2, loc=0.0,  # noqa: E731
                                                        tau=tau, sigma=sigma, prior="laplace")
        numpyro_fit_after_warmup(0)  # compile the sampling phase
        t_n = alternate({"numpyro": numpyro_fit_after_warmup}, repeats)
        nuts_ess_s = min_bulk_ess({"w": np.asarray(mcmc.get_samples(group_by_chain=True)["w"])}) / t_n["numpyro"]
        rows.append(row(f"Gibbs vs NUTS {name} (sampling only)", "bayesreg Gibbs", gibbs_ess_s,
                        "numpyro NUTS", nuts_ess_s, unit="min bulk ESS/s", higher_is_better=True))
    return rows
