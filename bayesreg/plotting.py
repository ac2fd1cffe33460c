"""Plots: each takes an optional ``ax`` and returns the Axes it drew on.

matplotlib is imported lazily; nothing calls ``plt.show()``. ``save_figure`` writes a
PNG atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .io import atomic_path


def _axes(ax=None, **subplot_kw):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(**subplot_kw)
    return ax


def save_figure(fig, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Save ``fig`` as a PNG atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def _grid(dists, width: float = 4.0, num: int = 400) -> np.ndarray:
    lo = min(d.mean - width * d.std for d in dists)
    hi = max(d.mean + width * d.std for d in dists)
    return np.linspace(lo, hi, num)


def plot_posterior_mu(model, x: ArrayLike, *, fit=None, ax=None):
    """Prior and posterior density of mu, the NUTS draws if given, MLE and MAP marked."""
    from .conjugate import Normal

    ax = _axes(ax, figsize=(6, 4))
    post = model.posterior(x)
    prior = Normal(mean=model.loc, var=model.tau**2)
    grid = _grid([post], width=5.0)
    if fit is not None:
        ax.hist(fit.draws("mu").ravel(), bins=60, density=True, color="0.8",
                label=f"NUTS draws ({fit.num_chains}x{fit.num_draws})")
    ax.plot(grid, prior.pdf(grid), color="0.4", ls=":", label=f"prior N({model.loc:g}, {model.tau:g}²)")
    ax.plot(grid, post.pdf(grid), color="C0", lw=2, label="posterior (closed form)")
    ax.axvline(model.mle(x), color="C1", ls="--", label=f"MLE = {model.mle(x):.3g}")
    ax.axvline(model.map(x), color="C2", ls="-.", label=f"MAP = {model.map(x):.3g}")
    ax.set_xlabel("mu")
    ax.set_ylabel("density")
    ax.set_title(f"Posterior of mu (n = {np.size(x)})")
    ax.legend(fontsize="small")
    return ax


def plot_predictives(model, x: ArrayLike, *, x_test: ArrayLike | None = None, ax=None):
    """The MLE plug-in, MAP plug-in and posterior predictive densities of a new x."""
    from .predictive import predictive_distributions

    ax = _axes(ax, figsize=(6, 4))
    dists = predictive_distributions(model, x)
    grid = _grid(dists.values())
    styles = {"MLE plug-in": ("C1", "--"), "MAP plug-in": ("C2", "-."),
              "posterior predictive": ("C0", "-")}
    for name, dist in dists.items():
        color, ls = styles[name]
        ax.plot(grid, dist.pdf(grid), color=color, ls=ls, lw=2,
                label=f"{name}: N({dist.mean:.3g}, {dist.var:.3g})")
    if x_test is not None:
        x_test = np.asarray(x_test, dtype=float)
        ax.plot(x_test, np.zeros_like(x_test), "|", color="k", alpha=0.4, ms=10,
                label=f"held-out points ({x_test.size})")
    ax.set_xlabel("new x")
    ax.set_ylabel("density")
    ax.set_title("Predictive distributions")
    ax.legend(fontsize="small")
    return ax


def plot_growth(table, *, axes=None):
    """mu_MAP / mu_MLE and predictive variance / sigma^2 against n (a growth_table)."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax1, ax2 = axes
    n = table.index.values
    ax1.semilogx(n, table["map_over_mle"], "o", color="C2", label="simulated data")
    ax1.semilogx(n, table["ratio_theory"], "-", color="k", label="n tau² / (sigma² + n tau²)")
    ax1.axhline(1.0, color="0.6", ls=":")
    ax1.set_xlabel("n")
    ax1.set_ylabel("mu_MAP / mu_MLE")
    ax1.set_title("MAP shrinkage vanishes as n grows")
    ax1.legend(fontsize="small")
    ax2.semilogx(n, table["predictive_var_over_sigma2"], "o-", color="C0")
    ax2.axhline(1.0, color="0.6", ls=":", label="sigma² (plug-in variance)")
    ax2.set_xlabel("n")
    ax2.set_ylabel("predictive variance / sigma²")
    ax2.set_title("Posterior predictive variance -> sigma²")
    ax2.legend(fontsize="small")
    return axes


def plot_regularization_path(path, *, axes=None):
    """MAP coefficients (left) and posterior means (right) against tau, log scale (the
    horseshoe's path has posterior means only)."""
    data = [("MAP (exact: zeros are exact)", path.map_coef)] if path.map_coef is not None else []
    if path.mean_coef is not None:
        data.append(("posterior mean (NUTS)", path.mean_coef))
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, len(data), figsize=(6 * len(data), 4.5), sharey=True, squeeze=False)
        axes = axes[0]
    for ax, (title, coef) in zip(axes, data, strict=False):
        for j, name in enumerate(path.feature_names):
            ax.semilogx(path.taus, coef[:, j], "-", marker=".", ms=3, label=name)
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xlabel("scale of the global scale's prior (smaller = stronger prior)" if path.prior == "horseshoe"
                      else "prior scale tau (smaller = stronger prior)")
        ax.set_title(f"{path.prior.capitalize()} prior: {title}")
        ax.invert_xaxis()
    axes[0].set_ylabel("coefficient")
    if len(path.feature_names) <= 12:
        axes[-1].legend(fontsize="small", loc="best")
    return axes


def plot_coef_comparison(names, estimates: dict, *, intervals: dict | None = None, ax=None):
    """A forest-style plot of several coefficient estimates side by side."""
    ax = _axes(ax, figsize=(7, 0.45 * len(names) + 1.5))
    y = np.arange(len(names))
    k = len(estimates)
    for i, (label, values) in enumerate(estimates.items()):
        offset = (i - (k - 1) / 2) * 0.18
        if intervals and label in intervals:
            lo, hi = intervals[label]
            ax.hlines(y + offset, lo, hi, color=f"C{i}", lw=1.5)
        ax.plot(values, y + offset, "o", color=f"C{i}", label=label, ms=5)
    ax.axvline(0.0, color="0.5", lw=0.8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("coefficient")
    ax.legend(fontsize="small")
    return ax


def plot_duplicated_confidence(table, *, axes=None, title: str | None = None):
    """P(class 1 | x) and the log odds against the number of copies of one feature."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax1, ax2 = axes
    k = table.index.values
    ax1.plot(k, table["p_class1"], "o-", color="C3")
    ax1.set_xscale("log", base=2)
    ax1.set_xlabel("copies of the feature")
    ax1.set_ylabel("P(class 1 | x)")
    ax1.set_ylim(min(0.45, table["p_class1"].min() - 0.05), 1.02)
    ax1.axhline(0.5, color="0.6", ls=":")
    ax1.set_title(title or "Confidence grows with duplicated evidence")
    ax2.plot(k, table["log_odds"], "o-", color="C0")
    ax2.set_xlabel("copies of the feature")
    ax2.set_ylabel("log posterior odds  b + w'x")
    ax2.set_title("Log odds grow linearly: each copy adds the same evidence")
    return axes


def plot_learning_curves(history, *, ax=None, title: str | None = None, legend: bool = True):
    """Loss (left axis) and accuracy (right axis) per epoch, training and validation."""
    ax = _axes(ax, figsize=(6, 4))
    epochs = history.epoch
    ax.plot(epochs, history.train_loss, color="C0", label="train loss")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, color="C0", ls="--", label="val loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color="C0")
    handles, labels = ax.get_legend_handles_labels()
    finite_acc = [a for a in history.train_acc if np.isfinite(a)]
    if finite_acc:
        ax2 = ax.twinx()
        ax2.plot(epochs, history.train_acc, color="C1", label="train accuracy")
        if history.val_acc:
            ax2.plot(epochs, history.val_acc, color="C1", ls="--", label="val accuracy")
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("accuracy", color="C1")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    finite_loss = [v for v in history.train_loss + history.val_loss if np.isfinite(v)]
    if finite_loss:
        ax.set_ylim(0, min(max(finite_loss), 5 * np.median(finite_loss)) * 1.05)
    text = title or ""
    if history.diverged:
        text += f"  (diverged at epoch {history.epoch[-1]})"
    ax.set_title(text.strip(), fontsize="medium")
    if legend:
        ax.legend(handles, labels, fontsize="x-small", loc="center right")
    return ax


def plot_experiment(runs, *, ncols: int = 2):
    """One learning-curve panel per run of an experiment; returns the Figure."""
    import matplotlib.pyplot as plt

    nrows = int(np.ceil(len(runs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 3.6 * nrows), squeeze=False)
    for i, (ax, run) in enumerate(zip(axes.ravel(), runs, strict=False)):
        plot_learning_curves(run.history, ax=ax, title=run.label, legend=i == 0)
    for ax in axes.ravel()[len(runs):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_rank_histogram(result, quantity: str, *, level: float = 0.99, ax=None):
    """Histogram of one quantity's SBC ranks in ``result.num_bins`` bins, with the central
    ``level`` interval of a bin's count under uniformity (Binomial(N, 1 / bins)) shaded.

    ``result`` is a :class:`bayesreg.studies.calibration.CalibrationResult` (anything with
    ``ranks``, ``num_draws``, ``num_bins``)."""
    from scipy import stats

    ax = _axes(ax, figsize=(4, 3))
    ranks, bins = np.asarray(result.ranks[quantity]), result.num_bins
    counts = np.bincount(ranks * bins // (result.num_draws + 1), minlength=bins)
    lo, hi = stats.binom.interval(level, ranks.size, 1.0 / bins)
    ax.axhspan(lo, hi, color="0.85", label=f"{level:.0%} if uniform")
    ax.axhline(ranks.size / bins, color="0.5", lw=0.8)
    ax.bar(np.arange(bins), counts, width=1.0, align="edge", color="C0", alpha=0.8, edgecolor="white")
    ax.set_xlim(0, bins)
    ax.set_xticks([0, bins / 2, bins], ["0", f"{(result.num_draws + 1) // 2}", f"{result.num_draws + 1}"])
    ax.set_xlabel(f"rank of {quantity}")
    ax.set_ylabel("simulations")
    return ax


def plot_ecdf_difference(result, quantity: str, *, alpha: float = 0.05, color: str = "C0", ax=None):
    """ECDF of one quantity's fractional ranks minus the uniform CDF, inside the
    simultaneous 1 - alpha band of Säilynoja, Bürkner & Vehtari (2022) (``result.ecdf_band``)."""
    ax = _axes(ax, figsize=(4, 3))
    z, lower, upper = result.ecdf_band(alpha)
    ax.fill_between(z, lower, upper, step="post", color="0.85", label=f"{1 - alpha:.0%} simultaneous band")
    zq, diff = result.ecdf_difference(quantity)
    ax.step(zq, diff, where="post", color=color)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"fractional rank of {quantity}")
    ax.set_ylabel("ECDF - uniform")
    return ax


def plot_calibration(result, *, quantities=None, title: str | None = None):
    """Rank histograms (top) and ECDF differences (bottom) of every quantity of an SBC
    result; a quantity that fails (Bonferroni-adjusted p below ``result.alpha``) is drawn
    in red. The band is the 95% simultaneous band of one quantity, so with several
    quantities one may leave it now and then without failing. Returns the Figure."""
    import matplotlib.pyplot as plt

    names = list(quantities or result.ranks)
    fig, axes = plt.subplots(2, len(names), figsize=(2.6 * len(names) + 0.6, 4.8), squeeze=False)
    passed = dict(zip(result.table["quantity"], result.table["pass"], strict=True))
    adj = dict(zip(result.table["quantity"], result.table["adj_p"], strict=True))
    for j, name in enumerate(names):
        plot_rank_histogram(result, name, ax=axes[0, j])
        plot_ecdf_difference(result, name, color="C0" if passed[name] else "C3", ax=axes[1, j])
        axes[0, j].set_title(f"{name}  (adj. p = {adj[name]:.2g})", fontsize="small",
                             color="black" if passed[name] else "C3")
        for ax in axes[:, j]:
            ax.xaxis.label.set_size("small")
            if j:
                ax.set_ylabel("")
    verdict = "passes" if result.passed else "FAILS"
    fig.suptitle(title or f"SBC: {result.case.label} ({result.n_sims} simulations) {verdict}", fontsize="medium")
    fig.tight_layout()
    return fig


def plot_prior_comparison(table, *, axes=None, title: str | None = None):
    """Left: PSIS-LOO elpd of each prior with its SE (and, from the second, the paired
    difference's SE); right: held-out test MSE of the posterior mean and of the MAP where
    there is one, with 95% intervals. ``table`` is :func:`bayesreg.compare_priors`'s table."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(table) + 2))
    ax1, ax2 = axes
    rows = np.arange(len(table))
    ax1.errorbar(table["elpd_loo"], rows, xerr=table["elpd_se"], fmt="o", color="C0", capsize=3, label="elpd_loo ± SE")
    best = table["elpd_loo"].iloc[0]
    ax1.errorbar(best - table["elpd_diff"].iloc[1:], rows[1:] + 0.15, xerr=table["elpd_diff_se"].iloc[1:], fmt="^",
                 color="C1", capsize=3, label="difference to best ± SE")
    ax1.set_yticks(rows, [f"{p}\n(weight {w:.2f})" for p, w in zip(table.index, table["weight"], strict=True)])
    ax1.invert_yaxis()
    ax1.set_xlabel("elpd (PSIS-LOO, higher is better)")
    ax1.legend(fontsize="small")
    ax2.errorbar(table["test_mse"], rows, xerr=1.96 * table["test_mse_se"], fmt="o", color="C0", capsize=3,
                 label="posterior mean")
    has_map = table["map_test_mse"].notna().to_numpy()
    if has_map.any():
        ax2.errorbar(table["map_test_mse"][has_map], rows[has_map] + 0.15,
                     xerr=1.96 * table["map_test_mse_se"][has_map], fmt="s", color="C2", capsize=3, label="MAP")
    ax2.set_yticks(rows, list(table.index))
    ax2.invert_yaxis()
    ax2.set_xlabel("held-out test MSE (95% intervals)")
    ax2.legend(fontsize="small")
    if title:
        ax1.figure.suptitle(title)
    return axes


def plot_prior_predictive(y_draws: ArrayLike, y: ArrayLike, *, centered: bool = False, num_draws: int = 50,
                          ax=None):
    """Histograms of prior predictive draws of y (thin lines, up to ``num_draws`` of them)
    against the observed y (thick), as ArviZ's ``plot_ppc`` does for the posterior.

    ``centered``: the draws are of y - mean(y) (a model with an intercept, see
    ``BayesianLinearRegression.sample_prior_predictive``), so y is centred too.
    """
    y_draws, y = np.asarray(y_draws, dtype=float), np.asarray(y, dtype=float).ravel()
    if y_draws.ndim != 2 or y_draws.shape[1] != y.size:
        raise ValueError(f"y_draws must have shape (num_draws, {y.size}); got {y_draws.shape}.")
    if centered:
        y = y - y.mean()
    ax = _axes(ax, figsize=(7, 4))
    shown = y_draws[: max(1, int(num_draws))]
    lo, hi = np.quantile(np.concatenate([shown.ravel(), y]), [0.005, 0.995])
    bins = np.linspace(min(lo, y.min()), max(hi, y.max()), 60)
    for i, draw in enumerate(shown):
        ax.hist(draw, bins=bins, density=True, histtype="step", color="C0", alpha=0.25, lw=0.8,
                label="prior predictive draws" if i == 0 else None)
    ax.hist(y, bins=bins, density=True, histtype="step", color="k", lw=2.0,
            label="observed y" + (" - mean(y)" if centered else ""))
    ax.set_xlabel("y - mean(y)" if centered else "y")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax
