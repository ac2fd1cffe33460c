"""Case 3: the exact Laplace MAP against scikit-learn's coordinate-descent Lasso."""

from __future__ import annotations

import numpy as np
from common import alternate, row


def run(repeats: int) -> list[dict]:
    from sklearn.linear_model import Lasso

    from bayesreg.datasets import load_diabetes_data, simulate_regression
    from bayesreg.infer.lasso import lasso_map

    d = load_diabetes_data()
    Xd, yd = d.X - d.X.mean(0), d.y - d.y.mean()
    ols = np.linalg.lstsq(Xd, yd, rcond=None)[0]
    sigma_d = float(np.sqrt(np.sum((yd - Xd @ ols) ** 2) / (len(yd) - 11)))
    problems = [("diabetes, tau=5", Xd, yd, sigma_d, 5.0)]
    for n, p in ((1000, 100), (20000, 500)):
        sim = simulate_regression(n, p, n_nonzero=p // 10, coef_scale=2.0, sigma=1.0, seed=0)
        tau = 1.0 / (0.05 * np.abs(sim.X.T @ sim.y).max())   # lambda = 5% of lambda_max
        problems.append((f"simulated n={n} p={p}", sim.X, sim.y, 1.0, tau))
    rows = []
    for name, X, y, sigma, tau in problems:
        n = X.shape[0]
        lasso_map(X, y, sigma=sigma, tau=tau)  # compile
        out = {}
        t = alternate({
            "bayesreg": lambda rep: out.update(b=lasso_map(X, y, sigma=sigma, tau=tau).coef),
            "sklearn": lambda rep: out.update(s=Lasso(alpha=sigma**2 / (tau * n), fit_intercept=False, tol=1e-12,
                                                      max_iter=1_000_000).fit(X, y).coef_),
        }, repeats)
        diff = float(np.abs(out["b"] - out["s"]).max() / np.abs(out["s"]).max())
        rows.append(row(f"Lasso MAP {name}", "bayesreg (JAX CD + active-set solve)", t["bayesreg"],
                        "sklearn Lasso(tol=1e-12)", t["sklearn"], unit="s", higher_is_better=False,
                        note=f"max coef diff / max |coef| = {diff:.1e}; zeros {int(np.sum(out['b'] == 0))} vs "
                             f"{int(np.sum(out['s'] == 0))}"))
    return rows
