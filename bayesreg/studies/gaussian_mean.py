"""Simulation study: MLE plug-in, MAP plug-in and posterior predictive as n grows.

For each n and each of R replicates: mu ~ N(0, tau^2) (the model is right), x_1..x_n and
n_test held-out points ~ N(mu, sigma^2). For each predictive: the mean held-out log
predictive density and the coverage of its central ``level`` interval; also mu_MAP / mu_MLE
and the posterior predictive variance / sigma^2 against their limits. Everything is in
closed form and vectorised over replicates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .._validation import check_int, check_level, check_positive, check_seed
from ..runner import Cell, run_cells
from ._grid import parse_grid

PREDICTIVES = ("MLE plug-in", "MAP plug-in", "posterior predictive")


def run_cell(n: int, *, sigma: float, tau: float, replicates: int, n_test: int, level: float,
             seed: int) -> pd.DataFrame:
    """One row per replicate and predictive for one n; its randomness depends on (seed, n) only."""
    z = special.ndtri(0.5 + level / 2)
    rng = np.random.default_rng(np.random.SeedSequence([seed, n]))
    mu = tau * rng.standard_normal(replicates)
    x = mu[:, None] + sigma * rng.standard_normal((replicates, n))
    x_new = mu[:, None] + sigma * rng.standard_normal((replicates, n_test))
    mle = x.mean(axis=1)
    post_var = 1.0 / (1.0 / tau**2 + n / sigma**2)
    post_mean = post_var * x.sum(axis=1) / sigma**2
    centres = {"MLE plug-in": (mle, sigma**2), "MAP plug-in": (post_mean, sigma**2),
               "posterior predictive": (post_mean, post_var + sigma**2)}
    frames = []
    for name, (centre, var) in centres.items():
        resid = x_new - centre[:, None]
        lpd = -0.5 * np.log(2 * np.pi * var) - 0.5 * resid**2 / var
        frames.append(pd.DataFrame({
            "n": n, "predictive": name, "replicate": np.arange(replicates),
            "mean_lpd": lpd.mean(axis=1), "coverage": (np.abs(resid) <= z * np.sqrt(var)).mean(axis=1),
            "map_over_mle": np.where(mle != 0, post_mean / np.where(mle != 0, mle, 1.0), np.nan),
            "predictive_var_over_sigma2": var / sigma**2,
        }))
    return pd.concat(frames, ignore_index=True)


def run_study(ns, *, sigma: float = 1.0, tau: float = 1.0, replicates: int = 2000, n_test: int = 100,
              level: float = 0.95, seed: int = 0, progress: bool | None = None, workers: int | None = None,
              client=None, checkpoint=None, resume: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (per-replicate table, summary per n and predictive with standard errors).

    Each n is one cell of :func:`bayesreg.runner.run_cells` (in-process, ``workers``, ``client``,
    ``checkpoint`` and ``resume`` as there)."""
    ns = parse_grid(ns, "n", kind=int)
    sigma, tau = check_positive(sigma, "sigma"), check_positive(tau, "tau")
    replicates = check_int(replicates, "replicates", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    level = check_level(level)
    seed = check_seed(seed)
    common = dict(sigma=sigma, tau=tau, replicates=replicates, n_test=n_test, level=level, seed=seed)
    cells = [Cell(f"n={n}", run_cell, dict(n=n, **common)) for n in ns]
    results = run_cells(cells, workers=workers, client=client, checkpoint=checkpoint,
                        study=dict(study="gaussian-mean", ns=ns, **common), resume=resume, progress=progress,
                        desc="gaussian-mean study")
    frames = list(results.values())
    per_rep = pd.concat(frames, ignore_index=True)
    grouped = per_rep.groupby(["n", "predictive"], sort=False)
    summary = grouped.agg(mean_lpd=("mean_lpd", "mean"), coverage=("coverage", "mean"),
                          predictive_var_over_sigma2=("predictive_var_over_sigma2", "mean"))
    summary["mean_lpd_se"] = grouped["mean_lpd"].std(ddof=1) / np.sqrt(replicates)
    summary["coverage_se"] = grouped["coverage"].std(ddof=1) / np.sqrt(replicates)
    summary["map_over_mle_theory"] = [n * tau**2 / (sigma**2 + n * tau**2) for n, _ in summary.index]
    summary = summary.reset_index()
    best = summary.loc[summary["predictive"] == "posterior predictive", ["n", "mean_lpd"]].set_index("n")["mean_lpd"]
    summary["lpd_minus_posterior"] = summary["mean_lpd"] - summary["n"].map(best)
    return per_rep, summary


def paired_lpd_differences(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Per n: posterior predictive minus each plug-in, paired over replicates, with SE."""
    wide = per_rep.pivot_table(index=["n", "replicate"], columns="predictive", values="mean_lpd")
    rows = []
    for n, g in wide.groupby(level="n"):
        for other in ("MLE plug-in", "MAP plug-in"):
            d = g["posterior predictive"] - g[other]
            rows.append({"n": n, "versus": other, "lpd_gain": d.mean(), "se": d.std(ddof=1) / np.sqrt(len(d))})
    return pd.DataFrame(rows)


def plot_summary(summary: pd.DataFrame, *, level: float = 0.95):
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4))
    for i, name in enumerate(PREDICTIVES):
        g = summary[summary["predictive"] == name]
        ax1.errorbar(g["n"], g["lpd_minus_posterior"], yerr=1.96 * g["mean_lpd_se"], fmt="o-", capsize=3,
                     color=f"C{i}", label=name)
        ax2.errorbar(g["n"], g["coverage"], yerr=1.96 * g["coverage_se"], fmt="o-", capsize=3, color=f"C{i}",
                     label=name)
    ax1.set_xscale("log")
    ax1.set_xlabel("n")
    ax1.set_ylabel("mean held-out log density minus posterior predictive's")
    ax1.set_title("Held-out log predictive density")
    ax1.legend(fontsize="small")
    ax2.axhline(level, color="0.5", ls=":")
    ax2.set_xscale("log")
    ax2.set_xlabel("n")
    ax2.set_ylabel(f"coverage of the {level:.0%} interval")
    ax2.set_title("Interval coverage")
    post = summary[summary["predictive"] == "posterior predictive"]
    ax3.semilogx(post["n"], post["map_over_mle_theory"], "o-", color="C2", label="mu_MAP / mu_MLE")
    ax3.semilogx(post["n"], post["predictive_var_over_sigma2"], "s-", color="C0", label="predictive var / sigma²")
    ax3.axhline(1.0, color="0.5", ls=":")
    ax3.set_xlabel("n")
    ax3.set_title("Both tend to 1")
    ax3.legend(fontsize="small")
    fig.tight_layout()
    return fig

