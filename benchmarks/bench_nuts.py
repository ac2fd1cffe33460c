"""Case 1: NUTS min bulk ESS per second against the peers at their best; and Gibbs.

Models: diabetes (X and y centred, sigma = OLS residual sd, tau = 50 and 5) and a simulated
n = 1000, p = 100 problem (sigma = 1, tau = 1); Laplace(0, tau) prior on w, sigma and tau fixed.
Every tool runs 4 chains of 1000 warmup + 1000 draws, in this one process with the XLA flags
bayesreg set up.

Second fit, same process (the summary rows and the per-case detail tables): every tool is run
once on the problem's data (compiling), then timed on new data of the same shapes (the rows
resampled with replacement, or a second simulated data set), the tools in turn, ``repeats``
times (``FAST_REPEATS`` x as many for the tools compiled once); ESS/s = the mean over the
repeats of the min bulk ESS over the coefficients (ArviZ) / the median wall time. A fit's min
ESS varies by +-15% from seed to seed of the same algorithm, which a median of per-fit ratios
over a few repeats carries whole; the mean over more repeats averages it out.

* ``bayesreg``: ``BayesianLinearRegression(prior="laplace", method="nuts", ...).fit(X, y)``,
  end to end (validation, X'X, sampling, the result object), public API only;
* ``numpyro-functional``, ``blackjax``: see ``peers.py``; bayesreg's sufficient-statistics model,
  the whole run one compiled program (pmap over the cores, lax.map within), X'X in the timing;
* ``... + the same checks``: a peer, then the R-hat/ESS checks a default ``.fit()`` makes
  (``bayesreg.diagnostics`` on its draws): like for like with ``.fit()``, which no peer's run
  is, as ``.fit(convergence_checks=False)`` is with the bare peers;
* ``blackjax + ArviZ rhat/ess``: the checks a BlackJAX user runs for the same warnings;
* ``numpyro MCMC.run``: ``MCMC(NUTS(model), jit_model_args=True)`` on the full-data model
  ``bayesreg.models.linear_regression`` (what a user writes), second ``run``; chains in parallel
  when there is a device per chain, else in sequence (NumPyro's own fallback);
* ``nutpie``: the full-data PyMC model, compiled once, ``with_data`` for the new data.

Per tool the detail table also gives the mean leapfrog steps per draw (sampling phase) and the
wall time per leapfrog step: wall / total steps of warmup and sampling where the tool reports
warmup steps (the peers, nutpie); "~" marks an estimate from the sampling steps x (warmup +
draws) / draws where it does not (bayesreg, MCMC.run); warmup usually takes more steps per
iteration than sampling, so "~" overstates the cost per step. The last column gives that same
estimate for every tool, to compare like with like. The posterior means of all tools are
checked to agree: |mean_a - mean_b| / sqrt(MCSE_a^2 + MCSE_b^2) over every coefficient and
every pair; above 4.5 the case is reported as failed (a fast but wrong peer is no reference).

First fit in a fresh process: bayesreg (persistent compilation cache warm) against nutpie
(compiling its model), whole process work after imports.
"""

from __future__ import annotations

import functools
import itertools
import statistics

import numpy as np
from common import failure, max_z, mean_and_mcse, min_bulk_ess, row, run_fresh, section, size, timed_runs

CHAINS = 4
Z_LIMIT = 4.5


def settings():
    return size(1000, 150), size(1000, 150)   # warmup, draws


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


# ----------------------------------------------------------------------------- the tools
UNCHECKED = "bayesreg (convergence_checks=False)"
ARVIZ_CHECKED = "blackjax + ArviZ rhat/ess"
FAST_REPEATS = 3


def checked(tool: str) -> str:
    return f"{tool} + the same checks"


def with_checks(out: dict) -> dict:
    """The R-hat/ESS checks a default ``.fit()`` makes, on a peer's draws."""
    from bayesreg.diagnostics import convergence_problems, quick_diagnostics

    convergence_problems(quick_diagnostics({"w": out["w"]}), 0, out["w"].shape[0])
    return out


def with_arviz_checks(out: dict) -> dict:
    """The same checks with ArviZ: rank-normalised R-hat, bulk and tail ESS of every coefficient."""
    from bayesreg.inference_data import arviz

    az = arviz()
    ds = az.convert_to_dataset({"w": out["w"]})
    az.rhat(ds), az.ess(ds, method="bulk"), az.ess(ds, method="tail")
    return out


def bayesreg_fit(X, y, sigma, tau, seed, method="nuts", convergence_checks=True):
    from bayesreg import BayesianLinearRegression

    warmup, draws = settings()
    est = BayesianLinearRegression(prior="laplace", tau=tau, sigma=sigma, fit_intercept=False, method=method,
                                   num_warmup=warmup, num_samples=draws, num_chains=CHAINS, seed=seed,
                                   progress=False, convergence_checks=convergence_checks).fit(X, y)
    return {"w": est.fit_result_.draws("w"), "fit": est.fit_result_}


def _bayesreg_steps(out):
    """Sampling-phase leapfrog steps (chain, draw) from the public result, if it reports them."""
    try:
        stats = out["fit"].to_arviz().sample_stats
    except Exception:
        return None
    for name in ("n_steps", "num_steps"):
        if name in stats:
            return np.asarray(stats[name].values)
    return None


def nutpie_model(X, y, sigma, tau):
    import pymc as pm

    with pm.Model() as model:
        Xd = pm.Data("X", X)
        yd = pm.Data("y", y)
        w = pm.Laplace("w", mu=0.0, b=tau, shape=X.shape[1])
        pm.Normal("obs", mu=Xd @ w, sigma=sigma, observed=yd)
    return model


def nutpie_fit(compiled, seed, chains=CHAINS):
    import os

    import nutpie

    warmup, draws = settings()
    idata = nutpie.sample(compiled, draws=draws, tune=warmup, chains=chains, cores=min(chains, os.cpu_count() or 1),
                          seed=seed, progress_bar=False)
    out = {"w": idata.posterior["w"].values, "steps": idata.sample_stats["n_steps"].values}
    if "warmup_sample_stats" in idata.groups():
        out["warmup_steps"] = int(idata.warmup_sample_stats["n_steps"].values.sum())
    return out


def numpyro_mcmc():
    import jax
    from numpyro.infer import MCMC, NUTS

    from bayesreg import models

    warmup, draws = settings()
    model = functools.partial(models.linear_regression, prior="laplace")
    return MCMC(NUTS(model), num_warmup=warmup, num_samples=draws, num_chains=CHAINS, jit_model_args=True,
                chain_method="parallel" if jax.local_device_count() >= CHAINS else "sequential", progress_bar=False)


def numpyro_mcmc_fit(mcmc, X, y, sigma, tau, seed):
    import jax

    mcmc.run(jax.random.key(seed), X, y, loc=0.0, tau=tau, sigma=sigma, extra_fields=("num_steps",))
    return {"w": np.asarray(mcmc.get_samples(group_by_chain=True)["w"]),
            "steps": np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"])}


# ----------------------------------------------------------------------------- the case
def _fmt(x, digits=4):
    return f"{x:.{digits}g}"


def _compare(name, X, y, X2, y2, sigma, tau, repeats):
    """Time every tool on a second fit; returns (rows, detail section, failures)."""
    import nutpie
    from peers import TOOLS, Peer, gram_data

    warmup, draws = settings()
    peers = {tool: Peer(tool, num_warmup=warmup, num_samples=draws) for tool in TOOLS}
    compiled = nutpie.compile_pymc_model(nutpie_model(X, y, sigma, tau))
    compiled2 = compiled.with_data(X=X2, y=y2)
    mcmc = numpyro_mcmc()
    fast = {
        "bayesreg": lambda data, seed: bayesreg_fit(*data, sigma, tau, seed),
        UNCHECKED: lambda data, seed: bayesreg_fit(*data, sigma, tau, seed, convergence_checks=False),
        **{tool: (lambda data, seed, peer=peer: peer.fit(gram_data(*data, sigma, tau), CHAINS, seed))
           for tool, peer in peers.items()},
        # like for like with a default fit: the peer, then the same R-hat/ESS checks on its draws
        **{checked(tool): (lambda data, seed, peer=peer: with_checks(peer.fit(gram_data(*data, sigma, tau), CHAINS,
                                                                               seed)))
           for tool, peer in peers.items()},
        # what a peer's user runs for the same warnings: ArviZ's R-hat and bulk/tail ESS
        ARVIZ_CHECKED: lambda data, seed: with_arviz_checks(peers["blackjax"].fit(gram_data(*data, sigma, tau),
                                                                                   CHAINS, seed)),
    }
    slow = {
        "numpyro MCMC.run": lambda data, seed: numpyro_mcmc_fit(mcmc, *data, sigma, tau, seed),
        "nutpie": lambda data, seed: nutpie_fit(compiled if data[0] is X else compiled2, seed),
    }
    fns = {**fast, **slow}
    for fn in fns.values():  # the first fit: compiles
        fn((X, y), 0)
    # the compiled-once tools take ~0.03-0.2 s a fit: FAST_REPEATS x as many repeats for them
    runs = {}
    for group, count in ((fast, repeats * FAST_REPEATS), (slow, repeats)):
        runs.update(timed_runs({tool: functools.partial(lambda rep, fn: fn((X2, y2), rep + 1), fn=fn)
                                for tool, fn in group.items()}, count))
    stats = {}
    for tool, results in runs.items():
        # ESS per second: the mean min bulk ESS over the repeats (its seed-to-seed noise, +-15% a
        # fit, averaged out) over the median wall time (robust to a busy machine)
        ess = statistics.fmean(min_bulk_ess({"w": out["w"]}) for _, out in results)
        t, out = results[-1]
        steps = out.get("steps")
        if steps is None and tool.startswith("bayesreg"):
            steps = _bayesreg_steps(out)
        per_draw = float(np.mean(steps)) if steps is not None else float("nan")
        if "warmup_steps" in out and steps is not None:
            per_step, approx = t / (out["warmup_steps"] + np.sum(steps)), ""
        elif steps is not None:
            per_step, approx = t / (np.sum(steps) * (warmup + draws) / draws), "~"
        else:
            per_step, approx = float("nan"), ""
        # the same estimate for every tool, comparable where warmup steps are not reported
        per_step_est = t / (np.sum(steps) * (warmup + draws) / draws) if steps is not None else float("nan")
        seconds = statistics.median(t for t, _ in results)
        stats[tool] = {"ess_s": ess / seconds, "seconds": seconds,
                       "per_draw": per_draw, "per_step": per_step, "approx": approx, "per_step_est": per_step_est,
                       "moments": mean_and_mcse(out["w"])}
    # the tools must agree on the posterior means
    z = {(a, b): float(max_z(stats[a]["moments"], stats[b]["moments"]).max())
         for a, b in itertools.combinations(stats, 2)}
    worst = max(z, key=z.get)
    agree = f"max z over coefficients and pairs {z[worst]:.2f} ({worst[0]} vs {worst[1]})"
    failures = []
    if z[worst] > Z_LIMIT:
        bad = ", ".join(f"{a} vs {b} {v:.1f}" for (a, b), v in z.items() if v > Z_LIMIT)
        failures.append(failure(f"NUTS {name}: posterior means disagree beyond {Z_LIMIT} MCSE: {bad}"))
    best = max(TOOLS, key=lambda tool: stats[tool]["ess_s"])
    best_checked = max(map(checked, TOOLS), key=lambda tool: stats[tool]["ess_s"])
    b = stats["bayesreg"]["ess_s"]
    lines = [[tool, _fmt(s["seconds"]), _fmt(s["ess_s"]), f"{b / s['ess_s']:.2f}x",
              f"{s['per_draw']:.1f}", f"{s['approx']}{s['per_step'] * 1e6:.3g}", f"{s['per_step_est'] * 1e6:.3g}"]
             for tool, s in stats.items()]
    sec = section(f"NUTS {name}: second fit, {CHAINS} chains x {warmup} + {draws}",
                  ["tool", "wall s", "min bulk ESS/s", "bayesreg / tool", "steps per draw", "µs per leapfrog step",
                   "µs per step, est. from sampling steps"],
                  lines, text=f"Posterior means agree: {agree}.")
    case = f"NUTS {name}: second fit, same process"
    rows = [
        row(case, "bayesreg .fit()", b, f"best of numpyro-functional / blackjax ({best}, jitted once)",
            stats[best]["ess_s"], unit="min bulk ESS/s", higher_is_better=True, note="target >= 0.9x"),
        row(case, "bayesreg .fit()", b, f"the same peers, then the same R-hat/ESS checks ({best_checked})",
            stats[best_checked]["ess_s"], unit="min bulk ESS/s", higher_is_better=True,
            note="like for like: both sample and check (bayesreg.diagnostics on the peer's draws)"),
        row(case, "bayesreg .fit(), convergence_checks=False", stats[UNCHECKED]["ess_s"],
            f"best of numpyro-functional / blackjax ({best}, jitted once)", stats[best]["ess_s"],
            unit="min bulk ESS/s", higher_is_better=True,
            note="like for like: neither checks at fit time"),
        row(case, "bayesreg .fit()", b, f"{ARVIZ_CHECKED}", stats[ARVIZ_CHECKED]["ess_s"], unit="min bulk ESS/s",
            higher_is_better=True, note="what a BlackJAX user runs for the same warnings"),
        row(case, "bayesreg .fit()", b, "numpyro MCMC.run (jit_model_args, full data)",
            stats["numpyro MCMC.run"]["ess_s"], unit="min bulk ESS/s", higher_is_better=True, note="target >= 5x"),
        row(case, "bayesreg .fit()", b, "nutpie (full data)", stats["nutpie"]["ess_s"], unit="min bulk ESS/s",
            higher_is_better=True, note="target >= 5x"),
    ]
    # Gibbs, end to end, against the same best peer
    bayesreg_fit(X, y, sigma, tau, 0, method="gibbs")
    g = timed_runs({"gibbs": lambda rep: bayesreg_fit(X2, y2, sigma, tau, rep + 1, method="gibbs")}, repeats)
    gibbs = statistics.median(min_bulk_ess({"w": out["w"]}) / t for t, out in g["gibbs"])
    rows.append(row(f"Gibbs {name}: second fit, same process", "bayesreg Gibbs .fit()", gibbs,
                    f"{best} NUTS (jitted once)", stats[best]["ess_s"], unit="min bulk ESS/s", higher_is_better=True))
    return rows, sec, failures


FRESH = {
    "bayesreg": """
import json, sys, time, numpy as np
sys.path.insert(0, '.')
import common
common.SMOKE = {smoke}
common.setup_bayesreg()
from bench_nuts import problems, bayesreg_fit, min_bulk_ess
name, X, y, _, _, sigma, tau = problems()[{index}]
t = time.perf_counter(); d = bayesreg_fit(X, y, sigma, tau, 0); t = time.perf_counter() - t
print(json.dumps({{"seconds": t, "ess": min_bulk_ess({{"w": d["w"]}})}}))
""",
    "nutpie": """
import json, sys, time, numpy as np
sys.path.insert(0, '.')
import common
common.SMOKE = {smoke}
common.setup_bayesreg()
from bench_nuts import problems, nutpie_model, nutpie_fit, min_bulk_ess
import nutpie
name, X, y, _, _, sigma, tau = problems()[{index}]
t = time.perf_counter()
compiled = nutpie.compile_pymc_model(nutpie_model(X, y, sigma, tau))
d = nutpie_fit(compiled, 0)
t = time.perf_counter() - t
print(json.dumps({{"seconds": t, "ess": min_bulk_ess({{"w": d["w"]}})}}))
""",
}


def run(repeats: int) -> list[dict]:
    import common

    out = []
    for index, (name, X, y, X2, y2, sigma, tau) in enumerate(problems()):
        rows, sec, failures = _compare(name, X, y, X2, y2, sigma, tau, repeats)
        out += [*rows, sec, *failures]
        # first fit in a fresh process; bayesreg's persistent cache warmed by one run first
        script = {tool: src.format(index=index, smoke=common.SMOKE) for tool, src in FRESH.items()}
        run_fresh(script["bayesreg"])
        fresh = {tool: [run_fresh(script[tool]) for _ in range(repeats)] for tool in script}
        ess_s = {tool: float(np.median([r["ess"] / r["seconds"] for r in rs])) for tool, rs in fresh.items()}
        out.append(row(f"NUTS {name}: first fit, fresh process", "bayesreg (warm cache)", ess_s["bayesreg"],
                       "nutpie", ess_s["nutpie"], unit="min bulk ESS/s", higher_is_better=True))
    return out
