"""Simulation study: does the posterior mean predict better than the MAP, and by how much?

For each cell (n, p, tau, sigma) of a grid and each of R replicates: draw w from the prior
(Laplace(0, tau) or Normal(0, tau^2)), X ~ N(0, Sigma) with unit variances (Sigma = I, or
equal correlations), y = Xw + N(0, sigma^2), and an independent test set. Fit w_MAP (the
exact lasso / ridge solution) and w_mean (NUTS on the sufficient statistics) for all R
replicates at once (one compiled program each: the lasso ``vmap``-ed, NUTS mapped over the
replicates across the cores, see :func:`bayesreg.infer.mcmc.run_nuts_batched`), then record the test MSE of both,
||w - w_hat||^2, the theoretical expected test MSE sigma^2 + (w - w_hat)' Sigma (w - w_hat),
and the posterior-expected test MSE.

Per cell the paired difference MSE(w_MAP) - MSE(w_mean) is reported with a 95% interval.
When the model is right, the posterior mean minimises the expected test MSE, so the
difference is positive, and it shrinks as n / p grows.

The shrinkage priors (``prior="horseshoe"``, ``"regularized_horseshoe"``, ``"r2d2"``) draw w
from the prior itself, by the NumPyro model the fit uses (horseshoe: ``Horseshoe(scale=tau)``;
the other two with their defaults, tau unused), and fit their posterior mean by NUTS. They
have no MAP (the posterior density is unbounded at w = 0), so the MAP columns and the paired
difference are NaN; the posterior mean's test MSE, its squared error and the theoretical and
posterior-expected test MSE are reported as for the other priors.
"""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pandas as pd

from .. import models
from .._validation import check_int, check_option, check_positive, check_seed
from ..config import ensure_setup
from ..conjugate import linear_normal_mean
from ..diagnostics import ESS_PER_CHAIN_MIN, RHAT_MAX, rank_diagnostics
from ..infer.lasso import lasso_map_batched
from ..infer.mcmc import MCMCSettings
from ..infer.nuts import run_nuts_batched
from ..likelihood import sufficient_statistics
from ..priors import shrinkage_params
from ..runner import Cell, run_cells
from ._grid import parse_grid

PRIORS = ("laplace", "normal", *models.SHRINKAGE)


def _shrinkage_truth(X, *, prior: str, tau: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """w drawn from a shrinkage prior by the model itself, one per replicate: (R, p)."""
    from numpyro.handlers import seed, trace

    num_reps, n, p = X.shape
    kwargs = dict(loc=np.zeros(p), tau=tau, sigma=sigma, prior=prior, shrinkage=shrinkage_params(prior, tau, n, p))

    def one(key, X):
        x_sq = models.column_mean_squares(X)  # R2D2's column scales, as the fit computes them
        return trace(seed(models.linear_regression, key)).get_trace(X, None, x_sq=x_sq, **kwargs)["w"]["value"]

    keys = jax.random.split(jax.random.key(int(rng.integers(2**31))), num_reps)
    return np.asarray(jax.jit(jax.vmap(one))(keys, X))


def _cell_seed(seed: int, *values) -> np.random.SeedSequence:
    """Randomness for one cell depends on the seed and the cell only."""
    return np.random.SeedSequence([seed, *(int(round(v * 1_000_000)) for v in values)])


def simulate_cell(n: int, p: int, tau: float, sigma: float, replicates: int, *, prior: str = "laplace",
                  correlation: float = 0.0, n_test: int = 1000, rng: np.random.Generator) -> dict:
    """Replicate data sets from the model, as arrays with a leading replicate axis."""
    if prior == "laplace":
        w = rng.laplace(0.0, tau, size=(replicates, p))
    elif prior == "normal":
        w = rng.normal(0.0, tau, size=(replicates, p))

    def design(rows):
        X = rng.standard_normal((replicates, rows, p))
        if correlation:
            X = np.sqrt(1 - correlation) * X + np.sqrt(correlation) * rng.standard_normal((replicates, rows, 1))
        return X

    X, X_test = design(n), design(n_test)
    if prior in models.SHRINKAGE:
        w = _shrinkage_truth(X, prior=prior, tau=tau, sigma=sigma, rng=rng)
    y = np.einsum("rnp,rp->rn", X, w) + sigma * rng.standard_normal((replicates, n))
    y_test = np.einsum("rnp,rp->rn", X_test, w) + sigma * rng.standard_normal((replicates, n_test))
    cov = (1 - correlation) * np.eye(p) + correlation * np.ones((p, p))
    return {"w": w, "X": X, "y": y, "X_test": X_test, "y_test": y_test, "cov": cov}


def map_batched(X, y, *, prior: str, tau: float, sigma: float) -> np.ndarray:
    """w_MAP for every replicate: the exact lasso (Laplace) or ridge (Normal) solution; NaN for a
    shrinkage prior, which has no MAP."""
    if prior in models.SHRINKAGE:
        return np.full(X.shape[:1] + X.shape[2:], np.nan)
    if prior == "laplace":
        return lasso_map_batched(X, y, sigma=sigma, tau=tau)
    return linear_normal_mean(X, y, tau=tau, sigma=sigma)


def nuts_batched(X, y, *, prior: str, tau: float, sigma: float, settings: MCMCSettings, key):
    """Posterior draws of w for every replicate at once: (R, chain, draw, p).

    One compiled NUTS program, mapped over the replicates on every core
    (:func:`bayesreg.infer.mcmc.run_nuts_batched`), on the sufficient-statistics form of the model
    (X'X, X'y, y'y per replicate), so each gradient costs O(p^2) rather than O(n p).
    """
    num_reps, n, p = X.shape
    static = dict(prior=prior, sigma_prior=None, tau_prior=None, scale_by_sigma=False, centered=False)
    data = dict(sufficient_statistics(X, y), loc=np.zeros((num_reps, p)), sigma=np.full(num_reps, sigma),
                tau=np.full(num_reps, tau))
    shrinkage = shrinkage_params(prior, tau, n, p)
    if shrinkage is not None:
        data["shrinkage"] = np.broadcast_to(shrinkage, (num_reps,) + shrinkage.shape)
        data["x_sq"] = models.column_mean_squares(X)
    return run_nuts_batched(models.linear_regression_gram, key, data, static=static, settings=settings)


def run_cell(n: int, p: int, tau: float, sigma: float, replicates: int, *, prior: str = "laplace",
             correlation: float = 0.0, n_test: int = 1000, settings: MCMCSettings, seed: int = 0) -> pd.DataFrame:
    """One row per replicate of one cell (see module docs for the columns)."""
    seq = _cell_seed(check_seed(seed), n, p, tau, sigma, correlation, PRIORS.index(prior) + 1)
    data_seq, key_seq = seq.spawn(2)
    sim = simulate_cell(n, p, tau, sigma, replicates, prior=prior, correlation=correlation, n_test=n_test,
                        rng=np.random.default_rng(data_seq))
    w_map = map_batched(sim["X"], sim["y"], prior=prior, tau=tau, sigma=sigma)
    key = jax.random.key(int(key_seq.generate_state(1)[0]))
    draws = nuts_batched(sim["X"], sim["y"], prior=prior, tau=tau, sigma=sigma, settings=settings, key=key)
    w_draws = draws.samples["w"]                      # (R, chain, draw, p)
    w_mean = w_draws.mean(axis=(1, 2))
    cov = sim["cov"]

    def test_mse(w_hat):
        resid = sim["y_test"] - np.einsum("rnp,rp->rn", sim["X_test"], w_hat)
        return (resid**2).mean(axis=1)

    def quad(diff):
        return np.einsum("...i,ij,...j->...", diff, cov, diff)

    def posterior_expected(w_hat):
        return sigma**2 + quad(w_draws - w_hat[:, None, None, :]).mean(axis=(1, 2))

    # the package's one R-hat (ArviZ's rank-normalised), for every coefficient of every replicate
    # in one call: components are independent, so the replicates' coefficients are stacked as components
    chains, draws_per_chain = w_draws.shape[1:3]
    stacked = np.moveaxis(w_draws, 0, 2).reshape(chains, draws_per_chain, -1)  # (chain, draw, R * p)
    diag = rank_diagnostics(stacked, mcse=False)
    rhat = diag["r_hat"].reshape(replicates, p).max(axis=1)
    min_ess = np.fmin(diag["ess_bulk"], diag["ess_tail"]).reshape(replicates, p).min(axis=1)
    return pd.DataFrame({
        "n": n, "p": p, "tau": tau, "sigma": sigma, "replicate": np.arange(replicates),
        "mse_map": test_mse(w_map), "mse_mean": test_mse(w_mean),
        "sqerr_map": np.sum((sim["w"] - w_map) ** 2, axis=1),
        "sqerr_mean": np.sum((sim["w"] - w_mean) ** 2, axis=1),
        "theory_mse_map": sigma**2 + quad(sim["w"] - w_map),
        "theory_mse_mean": sigma**2 + quad(sim["w"] - w_mean),
        "pe_mse_map": posterior_expected(w_map), "pe_mse_mean": posterior_expected(w_mean),
        "zeros_map": np.sum(w_map == 0, axis=1),
        "divergences": draws.stats["diverging"].sum(axis=(1, 2)), "max_rhat": rhat, "min_ess": min_ess,
        "num_chains": chains,
    })


def summarize(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Per cell: mean test MSEs, the paired difference with its 95% interval, and theory."""
    rows = []
    for (n, p, tau, sigma), g in per_rep.groupby(["n", "p", "tau", "sigma"], sort=True):
        diff = g["mse_map"] - g["mse_mean"]
        theory = g["theory_mse_map"] - g["theory_mse_mean"]
        se = diff.std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else np.nan
        t_se = theory.std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else np.nan
        rows.append({
            "n": n, "p": p, "tau": tau, "sigma": sigma, "n_over_p": n / p, "replicates": len(g),
            "mse_map": g["mse_map"].mean(), "mse_mean": g["mse_mean"].mean(),
            "mse_mean_se": g["mse_mean"].std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else np.nan,
            "diff": diff.mean(), "diff_se": se, "ci_low": diff.mean() - 1.96 * se, "ci_high": diff.mean() + 1.96 * se,
            "theory_diff": theory.mean(), "theory_diff_se": t_se,
            "sigma2_plus_sqerr_map": sigma**2 + g["sqerr_map"].mean(),
            "sigma2_plus_sqerr_mean": sigma**2 + g["sqerr_mean"].mean(),
            "zeros_map": g["zeros_map"].mean(), "divergences": int(g["divergences"].sum()),
            "max_rhat": g["max_rhat"].max(), "min_ess": g["min_ess"].min(),
            "unconverged": int(((g["divergences"] > 0) | (g["max_rhat"] > RHAT_MAX)
                                | (g["min_ess"] < ESS_PER_CHAIN_MIN * g["num_chains"])).sum()),
        })
    return pd.DataFrame(rows)


def run_study(ns, ps, taus, sigmas, *, replicates: int = 200, prior: str = "laplace", correlation: float = 0.0,
              n_test: int = 1000, num_warmup: int = 500, num_samples: int = 500, num_chains: int = 2,
              seed: int = 0, progress: bool | None = None, workers: int | None = None, client=None,
              checkpoint=None, resume: bool = False,
              target_accept_prob: float = 0.8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every cell of the grid; returns (per-replicate table, per-cell summary).

    Each cell (n, p, tau, sigma) is one task of :func:`bayesreg.runner.run_cells`: in-process by
    default, on a new ``LocalCluster`` of ``workers`` processes, or on ``client`` (a
    ``distributed.Client``); ``checkpoint`` (a folder) keeps each finished cell and ``resume``
    computes only the missing ones. The tables do not depend on how the cells ran.
    """
    ns = parse_grid(ns, "n", kind=int)
    ps = parse_grid(ps, "p", kind=int)
    taus = [check_positive(t, "tau") for t in parse_grid(taus, "tau")]
    sigmas = [check_positive(s, "sigma") for s in parse_grid(sigmas, "sigma")]
    replicates = check_int(replicates, "replicates", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    seed = check_seed(seed)  # once: every cell of one study shares it
    check_option(prior, "prior", PRIORS)
    if prior in ("regularized_horseshoe", "r2d2") and len(taus) > 1:
        raise ValueError(f"tau is not used by prior={prior!r} (it brings its own scales): give one value; "
                         f"got {taus}.")
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1); got {correlation!r}.")
    ensure_setup()
    settings = MCMCSettings(num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains,
                            chain_method="vectorized", target_accept_prob=target_accept_prob)
    common = dict(replicates=replicates, prior=prior, correlation=correlation, n_test=n_test, seed=seed)
    cells = [Cell(f"n={n},p={p},tau={tau!r},sigma={sigma!r}", run_cell,
                  dict(n=n, p=p, tau=tau, sigma=sigma, settings=settings, **common))
             for n, p, tau, sigma in itertools.product(ns, ps, taus, sigmas)]
    study = dict(study="linear", ns=ns, ps=ps, taus=taus, sigmas=sigmas, num_warmup=num_warmup,
                 num_samples=num_samples, num_chains=num_chains, **common)
    if target_accept_prob != 0.8:  # keeps the checkpoints of earlier runs at the default valid for --resume
        study["target_accept_prob"] = target_accept_prob
    results = run_cells(cells, workers=workers, client=client, checkpoint=checkpoint, study=study, resume=resume,
                        progress=progress, desc="simulation cells")
    per_rep = pd.concat(list(results.values()), ignore_index=True)
    return per_rep, summarize(per_rep)


def plot_summary(summary: pd.DataFrame):
    """Paired difference MSE(w_MAP) - MSE(w_mean) with 95% intervals against n / p (left)
    and against tau (right); returns the Figure. Without a MAP (the shrinkage priors), the
    posterior mean's test MSE instead."""
    import matplotlib.pyplot as plt

    if summary["diff"].isna().all():  # no MAP: plot what there is
        summary = summary.assign(diff=summary["mse_mean"], diff_se=summary["mse_mean_se"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, ((p, tau, sigma), g) in enumerate(summary.groupby(["p", "tau", "sigma"])):
        g = g.sort_values("n_over_p")
        ax1.errorbar(g["n_over_p"], g["diff"], yerr=1.96 * g["diff_se"], fmt="o-", capsize=3, color=f"C{i}",
                     label=f"p={p}, tau={tau:g}, sigma={sigma:g}")
    ax1.axhline(0, color="0.5", lw=0.8)
    ax1.set_xscale("log")
    ax1.set_xlabel("n / p")
    ax1.set_ylabel("MSE(w_MAP) - MSE(w_mean)")
    ax1.set_title("Paired test-MSE difference (95% intervals)")
    ax1.legend(fontsize="x-small")
    for i, ((n, p, _sigma), g) in enumerate(summary.groupby(["n", "p", "sigma"])):
        g = g.sort_values("tau")
        ax2.errorbar(g["tau"], g["diff"], yerr=1.96 * g["diff_se"], fmt="o-", capsize=3, color=f"C{i}",
                     label=f"n={n}, p={p}")
    ax2.axhline(0, color="0.5", lw=0.8)
    ax2.set_xscale("log")
    ax2.set_xlabel("prior scale tau")
    ax2.set_title("... against the prior scale")
    ax2.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig

