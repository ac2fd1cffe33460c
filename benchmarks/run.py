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


CASES = [case_gaussian_mean_refit]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    rows = []
    for case in CASES:
        row = case(args.repeats)
        rows.append(row)
        print(f"{row['case']}: bayesreg {row['bayesreg_s']:.3f} s, {row['reference']} "
              f"{row['reference_s']:.3f} s, ratio {row['speedup']:.1f}x")
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
