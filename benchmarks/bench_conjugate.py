"""Case 5: the exact conjugate posterior (Normal prior, fixed sigma): time to the posterior
mean and 2,000 draws, against NUTS on the same posterior (NumPyro, compiled, 2 chains x 1000)."""

from __future__ import annotations

import numpy as np
from common import alternate, row


def run(repeats: int) -> list[dict]:
    from bayesreg import BayesianLinearRegression
    from bayesreg.datasets import simulate_regression

    rows = []
    for n, p in ((442, 10), (1000, 100)):
        data = simulate_regression(n, p, seed=0)
        kw = dict(prior="normal", tau=1.0, sigma=1.0, fit_intercept=False)

        def exact(rep):
            est = BayesianLinearRegression(method="exact", **kw).fit(data.X, data.y)
            est.posterior_.sample(2000, rng=np.random.default_rng(rep))

        def nuts(rep):
            BayesianLinearRegression(method="nuts", num_warmup=1000, num_samples=1000, num_chains=2, seed=rep,
                                     progress=False, **kw).fit(data.X, data.y)

        nuts(0)
        t = alternate({"exact": exact, "nuts": nuts}, repeats)
        rows.append(row(f"Exact posterior n={n} p={p}: mean + 2,000 draws", "bayesreg exact", t["exact"],
                        "bayesreg NUTS (compiled)", t["nuts"], unit="s", higher_is_better=False))
    return rows
