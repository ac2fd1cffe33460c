"""bayesreg benchmarks: each case measures bayesreg and a reference tool side by side in
the same process (alternating, median of repeats) and reports their ratio.

    python benchmarks/run.py [--repeats N] [--out benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import numpyro  # noqa: E402

import bayesreg  # noqa: E402
from bayesreg.io import atomic_write_text  # noqa: E402


def alternate(fns: dict[str, Callable[[int], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function, calling them in turn ``repeats`` times."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for rep in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(rep)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def case_gaussian_mean_refit(repeats: int) -> dict:
    """Refit on new same-shaped data: bayesreg's compiled sampler vs numpyro MCMC.run()."""
    from numpyro.infer import MCMC, NUTS

    from bayesreg import models
    from bayesreg.datasets import simulate_gaussian_mean

    model = bayesreg.GaussianMean(sigma=1.0, tau=1.0)
    kw = dict(num_warmup=500, num_samples=1000)
    data = [simulate_gaussian_mean(50, mu=1.0, sigma=1.0, seed=s) for s in range(repeats + 1)]
    model.sample(data[-1], num_chains=1, seed=0, **kw)  # compile outside the timing
    mcmc = MCMC(NUTS(models.gaussian_mean), num_chains=1, progress_bar=False, **kw)
    mcmc.run(jax.random.key(0), data[-1], sigma=1.0, tau=1.0)

    def bayesreg_fit(rep):
        model.sample(data[rep], num_chains=1, seed=rep, **kw).draws("mu")

    def numpyro_fit(rep):
        mcmc.run(jax.random.key(rep), data[rep], sigma=1.0, tau=1.0)
        np.asarray(mcmc.get_samples()["mu"])

    t = alternate({"bayesreg": bayesreg_fit, "numpyro MCMC.run": numpyro_fit}, repeats)
    return {"case": "Gaussian mean, refit on new data (n=50, 500+1000 draws, 1 chain)",
            "bayesreg_s": t["bayesreg"], "reference": "numpyro MCMC.run", "reference_s":
            t["numpyro MCMC.run"], "speedup": t["numpyro MCMC.run"] / t["bayesreg"]}


def case_replicates_vectorised(repeats: int) -> list[dict]:
    """200 replicate data sets (n = 50, p = 5, Laplace prior): one vmap-ed NUTS program
    against the same fits one by one (bayesreg's compiled sampler reused, and a plain
    NumPyro MCMC.run loop, timed on 20 fits and scaled to 200)."""
    from numpyro.infer import MCMC, NUTS

    from bayesreg import models
    from bayesreg.sampling import NUTSSettings, run_nuts, run_nuts_batched
    from bayesreg.studies.linear import simulate_cell

    R, n, p = 200, 50, 5
    sim = simulate_cell(n, p, 1.0, 1.0, R, rng=np.random.default_rng(0), n_test=1)
    static = dict(prior="laplace", sigma_prior=None, tau_prior=None, scale_by_sigma=False, centered=False)
    data = dict(X=sim["X"], y=sim["y"], loc=np.zeros((R, p)), sigma=np.ones(R), tau=np.ones(R))
    settings = NUTSSettings(num_warmup=500, num_samples=500, num_chains=1, chain_method="vectorized")
    start = time.perf_counter()
    run_nuts_batched(models.linear_regression, jax.random.key(0), data, static=static, settings=settings)
    compile_and_run = time.perf_counter() - start
    keys = jax.random.split(jax.random.key(0), R)
    one = {k: v[0] for k, v in data.items()}
    run_nuts(models.linear_regression, keys[0], one, static=static, settings=settings)  # compile
    mcmc = MCMC(NUTS(models.linear_regression), num_warmup=500, num_samples=500, num_chains=1,
                progress_bar=False)
    n_numpyro = 20

    def vectorised(rep):
        run_nuts_batched(models.linear_regression, jax.random.key(rep), data, static=static, settings=settings)

    def loop_bayesreg(rep):
        for r in range(R):
            run_nuts(models.linear_regression, keys[r], {k: v[r] for k, v in data.items()}, static=static,
                     settings=settings)

    def loop_numpyro(rep):
        for r in range(n_numpyro):
            mcmc.run(keys[r], sim["X"][r], sim["y"][r], loc=0.0, tau=1.0, sigma=1.0, prior="laplace")
            np.asarray(mcmc.get_samples()["w"])

    t = alternate({"vectorised": vectorised, "loop_bayesreg": loop_bayesreg, "loop_numpyro": loop_numpyro},
                  repeats)
    numpyro_200 = t["loop_numpyro"] * R / n_numpyro
    case = "200 replicates (n=50, p=5), NUTS 500+500, 1 chain each"
    return [
        {"case": f"{case}: vmap vs bayesreg loop", "bayesreg_s": t["vectorised"],
         "reference": "loop of compiled single fits", "reference_s": t["loop_bayesreg"],
         "speedup": t["loop_bayesreg"] / t["vectorised"]},
        {"case": f"{case}: vmap vs NumPyro loop (20 fits x 10)", "bayesreg_s": t["vectorised"],
         "reference": "numpyro MCMC.run loop", "reference_s": numpyro_200, "speedup": numpyro_200 / t["vectorised"]},
        {"case": f"{case}: vmap incl. compilation vs NumPyro loop", "bayesreg_s": compile_and_run,
         "reference": "numpyro MCMC.run loop", "reference_s": numpyro_200, "speedup": numpyro_200 / compile_and_run},
    ]


CASES = [case_gaussian_mean_refit, case_replicates_vectorised]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    rows = []
    for case in CASES:
        out = case(args.repeats)
        for row in out if isinstance(out, list) else [out]:
            rows.append(row)
            print(f"{row['case']}: bayesreg {row['bayesreg_s']:.3f} s, {row['reference']} "
                  f"{row['reference_s']:.3f} s, ratio {row['speedup']:.1f}x", flush=True)
    lines = [
        "# Benchmark results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, jax {jax.__version__}, numpyro {numpyro.__version__}, "
        f"bayesreg {bayesreg.__version__}. Medians of {args.repeats} alternating runs.",
        "",
        "| case | bayesreg (s) | reference | reference (s) | speed-up |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    lines += [f"| {r['case']} | {r['bayesreg_s']:.3f} | {r['reference']} | {r['reference_s']:.3f} | "
              f"{r['speedup']:.1f}x |" for r in rows]
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
