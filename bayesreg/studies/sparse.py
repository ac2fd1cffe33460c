"""Simulation study: shrinkage priors on a sparse problem (Piironen & Vehtari 2017, Sec. 4).

Each of R replicates draws X ~ N(0, I) of shape (n, p), a w with ``n_nonzero`` coefficients
N(0, coef_scale^2) and the rest exactly 0, y = X w + N(0, sigma^2), and a test set. Every
prior is fitted by NUTS to all R replicates at once (one compiled program per prior, mapped
over the replicates on every core: :func:`bayesreg.infer.nuts.run_nuts_batched`, on the
sufficient statistics). sigma ~ HalfNormal(sd(y)) for every prior; the Laplace prior gets
tau ~ HalfCauchy(1), the horseshoe its own tau ~ HalfCauchy(scale), the regularised horseshoe
tau0 from p0 = ``n_nonzero`` (the true number, as in P&V's experiments). The shrinkage priors
run collapsed: NUTS samples their scales with w integrated out, and w is drawn exactly given
them (:func:`bayesreg.models.linear_regression_collapsed`).

Reported per replicate: the estimation error ||w_mean - w||^2 of the posterior mean, its
test MSE, divergences and the largest R-hat of w; per prior: means with 95% intervals over
the replicates and the paired difference to the Laplace prior (same data sets).
"""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from .. import models
from .._validation import check_int, check_positive
from ..config import ensure_setup
from ..diagnostics import RHAT_MAX, rank_diagnostics
from ..infer.mcmc import MCMCSettings
from ..infer.nuts import run_nuts_batched
from ..likelihood import sufficient_statistics
from ..priors import COEFFICIENT_PRIORS, split_coef_prior
from ..runner import Cell, run_cells


def simulate_sparse(n: int, p: int, n_nonzero: int, replicates: int, *, coef_scale: float, sigma: float,
                    n_test: int, rng: np.random.Generator) -> dict:
    """Replicate sparse data sets, arrays with a leading replicate axis."""
    w = np.zeros((replicates, p))
    w[:, :n_nonzero] = coef_scale * rng.standard_normal((replicates, n_nonzero))
    X, X_test = rng.standard_normal((replicates, n, p)), rng.standard_normal((replicates, n_test, p))
    y = np.einsum("rnp,rp->rn", X, w) + sigma * rng.standard_normal((replicates, n))
    y_test = np.einsum("rnp,rp->rn", X_test, w) + sigma * rng.standard_normal((replicates, n_test))
    return {"w": w, "X": X, "y": y, "X_test": X_test, "y_test": y_test}


def fit_prior_batched(X, y, prior, *, settings: MCMCSettings, key, n_nonzero: int | None = None,
                      collapsed: bool = True):
    """NUTS draws for every replicate under one coefficient prior (a name or a prior object).

    The shrinkage priors run collapsed (:func:`bayesreg.models.linear_regression_collapsed`, as
    the estimator does) unless ``collapsed=False`` (the non-centred model, for comparison)."""
    num_reps, n, p = X.shape
    family, shrinkage = split_coef_prior(prior)
    if (family == "regularized_horseshoe" and shrinkage.p0 is None and shrinkage.scale_global is None
            and n_nonzero is not None):
        shrinkage = type(shrinkage)(p0=n_nonzero, slab_scale=shrinkage.slab_scale, slab_df=shrinkage.slab_df)
    static = dict(prior=family, sigma_prior="halfnormal", tau_prior="halfcauchy" if shrinkage is None else None,
                  scale_by_sigma=False, centered=False)
    data = dict(sufficient_statistics(X, y), loc=np.zeros((num_reps, p)), sigma=y.std(axis=1),
                tau=np.ones(num_reps))
    if shrinkage is not None:
        data["shrinkage"] = np.tile(shrinkage.params(n, p), (num_reps, 1))
        if family == "r2d2":
            data["x_sq"] = models.column_mean_squares(X)
    model, draw_key, extra = models.gram_form(X, y, collapsed=shrinkage is not None and collapsed)
    return run_nuts_batched(model, key, {**data, **extra}, static=static, settings=settings, draw_key=draw_key)


def _study_data(n, p, n_nonzero, replicates, coef_scale, sigma, n_test, seed):
    """The replicates and the key of replicate r (``split(key, replicates)[r]``) of a study seed."""
    data_seq, key_seq = np.random.SeedSequence(seed).spawn(2)
    sim = simulate_sparse(n, p, n_nonzero, replicates, coef_scale=coef_scale, sigma=sigma, n_test=n_test,
                          rng=np.random.default_rng(data_seq))
    key = jax.random.key(int(key_seq.generate_state(1)[0]))  # the same key for every prior: paired runs
    return sim, jax.random.split(key, replicates)


def fit_cell(prior, start: int, stop: int, *, n: int, p: int, n_nonzero: int, replicates: int, coef_scale: float,
             sigma: float, n_test: int, seed: int, settings: MCMCSettings, collapsed: bool) -> pd.DataFrame:
    """One cell of :func:`run_study`: one prior on replicates ``start..stop-1``, a row each.
    The data and each replicate's key come from the study seed, not from the cell."""
    ensure_setup()
    sim, keys = _study_data(n, p, n_nonzero, replicates, coef_scale, sigma, n_test, seed)
    part = slice(start, stop)
    draws = fit_prior_batched(sim["X"][part], sim["y"][part], prior, settings=settings, key=keys[part],
                              n_nonzero=n_nonzero, collapsed=collapsed)
    w_draws = draws.samples["w"]                                   # (R, chain, draw, p)
    w_mean = w_draws.mean(axis=(1, 2))
    reps, chains, per_chain = w_draws.shape[:3]
    stacked = np.moveaxis(w_draws, 0, 2).reshape(chains, per_chain, -1)
    rhat = rank_diagnostics(stacked, mcse=False)["r_hat"].reshape(reps, p).max(axis=1)
    resid = sim["y_test"][part] - np.einsum("rnp,rp->rn", sim["X_test"][part], w_mean)
    return pd.DataFrame({
        "prior": split_coef_prior(prior)[0] if isinstance(prior, str) else repr(prior),
        "replicate": np.arange(start, stop),
        "sqerr": np.sum((w_mean - sim["w"][part]) ** 2, axis=1), "test_mse": (resid**2).mean(axis=1),
        "divergences": draws.stats["diverging"].sum(axis=(1, 2)), "max_rhat": rhat,
    })


def run_study(priors=("regularized_horseshoe", "horseshoe", "laplace"), *, n: int = 100, p: int = 200,
              n_nonzero: int = 5, replicates: int = 20, coef_scale: float = 2.0, sigma: float = 1.0,
              n_test: int = 1000, num_warmup: int = 1000, num_samples: int = 1000, num_chains: int = 2,
              target_accept_prob: float = 0.95, seed: int = 0, collapsed: bool = True,
              chunk: int | None = None, checkpoint=None, resume: bool = False, workers: int | None = None,
              client=None, progress: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every prior to the same replicates; returns (per-replicate table, per-prior summary).

    ``collapsed=False`` runs the shrinkage priors non-centred, with w sampled by NUTS, instead of
    integrating w out (the default, as in the estimator).

    Each prior's replicates are fitted ``chunk`` at a time (default: all in one batch), each
    chunk one cell of :func:`bayesreg.runner.run_cells`: ``checkpoint`` (a folder) keeps every
    finished chunk as it completes and ``resume`` computes only the missing ones, so a long run
    (the collapsed horseshoe at n = 100, p = 200 takes minutes per replicate) survives a crash;
    ``workers`` / ``client`` run the cells on Dask. The tables do not depend on ``chunk`` or on
    how the cells ran, only (for NUTS) on ``chunk``: replicate r always runs with the r-th key
    of the study seed, so the same chunk gives the same table bit for bit, resumed or not, on
    any number of workers; another chunk maps a different number of chains per compiled
    program, whose rounding NUTS can amplify into other, equally valid, draws.
    """
    n, p = check_int(n, "n"), check_int(p, "p")
    n_nonzero = check_int(n_nonzero, "n_nonzero", minimum=0)
    replicates = check_int(replicates, "replicates", minimum=2)
    chunk = replicates if chunk is None else min(check_int(chunk, "chunk"), replicates)
    if n_nonzero > p:
        raise ValueError(f"n_nonzero ({n_nonzero}) cannot exceed p ({p}).")
    if not priors:
        raise ValueError(f"priors must list at least one of {COEFFICIENT_PRIORS}.")
    names = [split_coef_prior(prior)[0] if isinstance(prior, str) else repr(prior) for prior in priors]  # validates
    settings = MCMCSettings(num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains,
                            target_accept_prob=target_accept_prob)
    common = dict(n=n, p=p, n_nonzero=n_nonzero, replicates=replicates,
                  coef_scale=check_positive(coef_scale, "coef_scale"), sigma=check_positive(sigma, "sigma"),
                  n_test=n_test, seed=seed, collapsed=collapsed)
    cells = [Cell(f"prior={name},replicates={start}-{min(start + chunk, replicates) - 1}", fit_cell,
                  dict(prior=prior, start=start, stop=min(start + chunk, replicates), settings=settings, **common))
             for prior, name in zip(priors, names, strict=True) for start in range(0, replicates, chunk)]
    study = dict(study="sparse", priors=names, chunk=chunk, num_warmup=num_warmup, num_samples=num_samples,
                 num_chains=num_chains, target_accept_prob=target_accept_prob, **common)
    results = run_cells(cells, workers=workers, client=client, checkpoint=checkpoint, study=study, resume=resume,
                        progress=progress, desc="sparse study cells")
    per_rep = pd.concat(list(results.values()), ignore_index=True)
    return per_rep, summarize(per_rep)


RHAT_DISAGREE = 1.1  # a replicate's largest R-hat of w past this: its chains disagree (1.01 is passed by chance)


def summarize(per_rep: pd.DataFrame, baseline: str = "laplace") -> pd.DataFrame:
    """Per prior: mean estimation error and test MSE with 95% intervals over the replicates,
    the paired difference sqerr(prior) - sqerr(baseline) with its 95% interval, divergences, and
    the largest R-hat of w and in how many replicates it exceeds 1.01 and 1.1 (the largest of p
    R-hats of two short chains passes 1.01 by chance; past 1.1 the chains disagree)."""
    rows = []
    base = per_rep[per_rep["prior"] == baseline].set_index("replicate")["sqerr"]
    for prior, g in per_rep.groupby("prior", sort=False):
        r = len(g)
        row = {"prior": prior, "replicates": r}
        for col in ("sqerr", "test_mse"):
            mean, se = g[col].mean(), g[col].std(ddof=1) / np.sqrt(r)
            row.update({col: mean, f"{col}_se": se, f"{col}_low": mean - 1.96 * se, f"{col}_high": mean + 1.96 * se})
        if len(base) and prior != baseline:
            diff = g.set_index("replicate")["sqerr"] - base
            mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(diff.count())
            row.update({f"sqerr_minus_{baseline}": mean, "diff_low": mean - 1.96 * se, "diff_high": mean + 1.96 * se})
        row.update({"divergences": int(g["divergences"].sum()),
                    "replicates_with_divergences": int((g["divergences"] > 0).sum()),
                    "max_rhat": g["max_rhat"].max(),
                    "replicates_rhat_over_1.01": int((g["max_rhat"] > RHAT_MAX).sum()),
                    "replicates_rhat_over_1.1": int((g["max_rhat"] > RHAT_DISAGREE).sum())})
        rows.append(row)
    return pd.DataFrame(rows)


def plot_summary(summary: pd.DataFrame, baseline: str = "laplace"):
    """Mean estimation error ||w_mean - w||^2 per prior (left) and its paired difference to
    ``baseline`` (right), with 95% intervals over the replicates; each prior's label gives its
    divergences (in how many replicates). Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    labels = [f"{row.prior}\n{row.divergences} div. ({row.replicates_with_divergences} of {row.replicates})"
              for row in summary.itertuples()]
    y = np.arange(len(summary))
    ax1.errorbar(summary["sqerr"], y, xerr=1.96 * summary["sqerr_se"], fmt="o", capsize=4)
    ax1.set_yticks(y, labels, fontsize="small")
    ax1.set_ylim(len(summary) - 0.5, -0.5)
    ax1.set_xlim(left=0)
    ax1.set_xlabel("||posterior mean - w||^2 (mean over replicates)")
    ax1.set_title("Estimation error (95% intervals)")
    if f"sqerr_minus_{baseline}" in summary:
        others = summary[summary["prior"] != baseline].reset_index(drop=True)
        diff = others[f"sqerr_minus_{baseline}"]
        ax2.errorbar(diff, np.arange(len(others)), xerr=[diff - others["diff_low"], others["diff_high"] - diff],
                     fmt="o", capsize=4, color="C1")
        ax2.set_yticks(np.arange(len(others)), others["prior"], fontsize="small")
        ax2.set_ylim(len(others) - 0.5, -0.5)
        ax2.axvline(0, color="0.5", lw=0.8)
        ax2.set_xlabel(f"error(prior) - error({baseline}), same data sets")
        ax2.set_title(f"Paired difference to the {baseline} prior")
    else:
        ax2.set_axis_off()
    fig.tight_layout()
    return fig
