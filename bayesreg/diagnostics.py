"""Convergence checks on posterior draws: R-hat, effective sample size, divergences."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .exceptions import ConvergenceWarning

RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100  # Vehtari et al. (2021): bulk and tail ESS > 100 per chain


def convergence_problems(summary: pd.DataFrame, num_divergences: int, num_chains: int) -> list[str]:
    """Human-readable list of what is wrong with a fit (empty when nothing is)."""
    problems = []
    if num_divergences:
        problems.append(
            f"{num_divergences} divergent transition(s) after warmup: the posterior may be "
            "biased; increase target_accept_prob (e.g. 0.95) or reparameterise."
        )
    rhat = summary.get("r_hat")
    if rhat is not None and num_chains > 1:
        bad = rhat[rhat > RHAT_MAX]
        if len(bad):
            worst = bad.idxmax()
            problems.append(
                f"R-hat > {RHAT_MAX} for {len(bad)} parameter(s) (worst {worst}: "
                f"{bad.max():.3f}): chains disagree; run more warmup and samples."
            )
    min_ess = ESS_PER_CHAIN_MIN * num_chains
    for column in ("ess_bulk", "ess_tail"):
        ess = summary.get(column)
        if ess is None:
            continue
        low = ess[ess < min_ess]
        if len(low):
            problems.append(
                f"{column} below {min_ess} for {len(low)} parameter(s) (lowest {low.idxmin()}: "
                f"{low.min():.0f}): Monte Carlo error is large; draw more samples."
            )
    return problems


def quick_diagnostics(draws: dict[str, np.ndarray]) -> pd.DataFrame:
    """Split R-hat, bulk ESS and tail ESS of every scalar component, from NumPyro's
    FFT-based estimators on (chain, draw, ...) arrays: the numbers behind the convergence
    warnings, computed for all components at once without building an ArviZ summary (10-20x
    faster). Tail ESS is the smaller ESS of the indicators x <= q5% and x >= q95% (Vehtari
    et al. 2021)."""
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

    labels, columns = [], []
    for name, value in draws.items():
        value = np.asarray(value, dtype=np.float64)
        flat = value.reshape(value.shape[:2] + (-1,))
        scalar = flat.shape[-1] == 1 and value.ndim == 2
        labels += [name] if scalar else [f"{name}[{j}]" for j in range(flat.shape[-1])]
        columns.append(flat)
    x = np.concatenate(columns, axis=-1)                        # (chain, draw, component)
    lo, hi = np.quantile(x, [0.05, 0.95], axis=(0, 1))
    tails = np.minimum(effective_sample_size((x <= lo).astype(float)),
                       effective_sample_size((x >= hi).astype(float)))
    enough = x.shape[0] > 1 or x.shape[1] >= 4
    return pd.DataFrame({
        "r_hat": np.asarray(split_gelman_rubin(x), dtype=float) if enough else np.full(len(labels), np.nan),
        "ess_bulk": np.asarray(effective_sample_size(x), dtype=float),
        "ess_tail": np.asarray(tails, dtype=float),
    }, index=labels)


def warn_if_unconverged(problems: list[str], *, stacklevel: int = 3) -> None:
    """One :class:`ConvergenceWarning` per problem, pointing at the user's call."""
    for message in problems:
        warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel)


def mcse_of_mean(draws: np.ndarray) -> float:
    """Monte Carlo standard error of the mean of (chain, draw) draws, ESS-based."""
    from numpyro.diagnostics import effective_sample_size

    draws = np.asarray(draws, dtype=np.float64)
    ess = float(effective_sample_size(draws))
    return float(draws.std(ddof=1) / np.sqrt(ess))
