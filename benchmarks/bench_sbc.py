"""Simulation-based calibration: simulations per second of ``bayesreg.calibrate`` against
simuk (NumPyro backend) on the Gaussian-mean model, at equal draws per simulation
(one chain, 500 warmup + 1,000 samples, NumPyro's NUTS in both).

bayesreg fits all 1,000 simulations in one compiled, batched program; the time is of one
cold call (compilation included), as a user would run it. simuk runs ``numpyro.infer.MCMC``
once per simulation; its pace is measured on ``SIMUK_SIMS`` simulations (it is linear in
the number of simulations). If simuk is not installed, its published pace (about 4 s per
simulation) is used and the row says so.

Run alone: ``python benchmarks/bench_sbc.py``, or as the ``sbc`` case of ``benchmarks/run.py``.
"""

from __future__ import annotations

import importlib.util
import time

import numpy as np
from common import row

N, SIGMA, TAU = 20, 1.0, 1.0
NUM_WARMUP, NUM_SAMPLES = 500, 1000
BAYESREG_SIMS, SIMUK_SIMS = 1000, 10
SIMUK_PUBLISHED_SEC_PER_SIM = 4.0


def bayesreg_pace() -> tuple[float, dict]:
    import bayesreg

    bayesreg.setup()
    start = time.perf_counter()
    result = bayesreg.calibrate("gaussian_mean", "nuts", n=N, sigma=SIGMA, tau=TAU, n_sims=BAYESREG_SIMS,
                                num_warmup=NUM_WARMUP, num_samples=NUM_SAMPLES, seed=0)
    return BAYESREG_SIMS / (time.perf_counter() - start), result.summary()


def simuk_pace() -> float | None:
    if importlib.util.find_spec("simuk") is None:
        return None
    import logging

    import simuk
    from numpyro.infer import NUTS

    from bayesreg.models import gaussian_mean

    logging.getLogger("numpyro").setLevel(logging.ERROR)
    sbc = simuk.SBC(NUTS(gaussian_mean), num_simulations=SIMUK_SIMS, seed=0,
                    sample_kwargs=dict(num_warmup=NUM_WARMUP, num_samples=NUM_SAMPLES, num_chains=1),
                    data_dir=dict(x=np.zeros(N), sigma=SIGMA, tau=TAU, n=N))
    start = time.perf_counter()
    sbc.run_simulations()
    return SIMUK_SIMS / (time.perf_counter() - start)


def run(repeats: int = 1) -> list[dict]:
    ours, summary = bayesreg_pace()
    theirs = simuk_pace()
    note = (f"1 chain x ({NUM_WARMUP}+{NUM_SAMPLES}), n={N}; bayesreg: one cold call of {BAYESREG_SIMS} "
            f"simulations, passed={summary['passed']}, min adj. p={summary['min_adj_p']:.2g}")
    if theirs is None:
        theirs, reference = 1.0 / SIMUK_PUBLISHED_SEC_PER_SIM, "simuk (published ~4 s/simulation; not installed)"
    else:
        reference = f"simuk {importlib.import_module('simuk').__version__} (measured on {SIMUK_SIMS} simulations)"
    return [row("SBC, Gaussian mean: simulations per second", "bayesreg.calibrate", ours, reference, theirs,
                unit="sims/s", higher_is_better=True, note=note)]


if __name__ == "__main__":
    for r in run():
        print(r)
