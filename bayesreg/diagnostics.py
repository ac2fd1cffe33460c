"""Convergence checks on posterior draws: R-hat, effective sample size, MCSE, divergences.

One implementation of ArviZ's rank-normalised diagnostics (Vehtari et al. 2021, as in
``arviz.stats.diagnostics`` 0.23: ``_rhat_rank``, ``_ess_bulk``, ``_ess_tail``, ``_ess_mean``,
``_mcse_mean``, ``_mcse_sd``), vectorised over all scalar components of (chain, draw, component)
draws. ArviZ computes them one component at a time through xarray (several ms per component);
here every step (ranks, FFT autocovariance, Geyer's truncation) runs on all components at once,
so the convergence warnings of every fit and the summary table print the same numbers at a
fraction of the cost, and without importing ArviZ.
"""

from __future__ import annotations

import functools
import itertools
import os
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import fft, special

from .exceptions import ConvergenceError, ConvergenceWarning

RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100  # Vehtari et al. (2021): bulk and tail ESS > 100 per chain
MIN_DRAWS = 4            # ArviZ returns NaN below this many draws per chain (and R-hat below 2 chains)


def convergence_problems(summary: pd.DataFrame, num_divergences: int, num_chains: int) -> list[str]:
    """Human-readable list of what is wrong with a fit (empty when nothing is)."""
    # numpy on the columns: pandas' masking and idxmax cost more than the checks (~1.5 ms a fit)
    labels = summary.index
    problems = []
    if num_divergences:
        problems.append(
            f"{num_divergences} divergent transition(s) after warmup: the posterior may be "
            "biased; increase target_accept_prob (e.g. 0.95) or reparameterise."
        )
    if "r_hat" in summary and num_chains > 1:
        rhat = summary["r_hat"].to_numpy()
        bad = np.flatnonzero(rhat > RHAT_MAX)
        if bad.size:
            worst = bad[np.argmax(rhat[bad])]
            problems.append(
                f"R-hat > {RHAT_MAX} for {bad.size} parameter(s) (worst {labels[worst]}: "
                f"{rhat[worst]:.3f}): chains disagree; run more warmup and samples."
            )
    min_ess = ESS_PER_CHAIN_MIN * num_chains
    for column in ("ess_bulk", "ess_tail"):
        if column not in summary:
            continue
        ess = summary[column].to_numpy()
        low = np.flatnonzero(ess < min_ess)
        if low.size:
            lowest = low[np.argmin(ess[low])]
            problems.append(
                f"{column} below {min_ess} for {low.size} parameter(s) (lowest {labels[lowest]}: "
                f"{ess[lowest]:.0f}): Monte Carlo error is large; draw more samples."
            )
    return problems


def _extreme(values: pd.Series, *, largest: bool) -> tuple[float | None, str | None]:
    values = values.dropna()
    if values.empty:
        return None, None
    label = values.idxmax() if largest else values.idxmin()
    return float(values[label]), str(label)


def convergence_summary(summary: pd.DataFrame, num_divergences: int, num_chains: int) -> dict:
    """What a command prints and writes to ``--json`` about one fit: the number of divergences,
    the largest R-hat and the smallest ESS (bulk or tail) with the parameters they belong to
    (``summary``'s row labels, e.g. ``w[bmi]``), and :func:`convergence_problems`' text.
    ``None`` where a statistic is undefined (R-hat of one chain, fewer than 4 draws)."""
    missing = pd.Series(np.nan, index=summary.index)
    max_rhat, rhat_at = (_extreme(summary.get("r_hat", missing), largest=True) if num_chains > 1
                         else (None, None))
    min_ess, ess_at = _extreme(np.fmin(summary.get("ess_bulk", missing), summary.get("ess_tail", missing)),
                               largest=False)
    problems = convergence_problems(summary, num_divergences, num_chains)
    return {"divergences": int(num_divergences), "num_chains": int(num_chains),
            "max_rhat": max_rhat, "max_rhat_parameter": rhat_at, "min_ess": min_ess, "min_ess_parameter": ess_at,
            "converged": not problems, "problems": problems}


# -- ArviZ's estimators, on (component, chain, draw) arrays --------------------------------
# The draw axis is last and contiguous: ranks, FFTs and reductions along it are several times
# faster than along a strided axis of (chain, draw, component).
def _split_chains(x: np.ndarray) -> np.ndarray:
    """First and last halves of each chain as separate chains (the middle draw of an odd count goes)."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., x.shape[-1] - half:]], axis=1)


@functools.lru_cache(maxsize=8)
def _untied_scores(n: int) -> np.ndarray:
    """Normal scores of ranks 1..n (no ties): the same row for every fit of n pooled draws."""
    scores = special.ndtri((np.arange(1.0, n + 1) - 3 / 8) / (n - 2 * (3 / 8) + 1))
    scores.flags.writeable = False
    return scores


def _sorted_scores(s: np.ndarray) -> np.ndarray:
    """Normal scores of the entries of each row of ``s`` (rows sorted ascending), as ArviZ's
    ``_z_scale``: ranks with ties averaged (``scipy.stats.rankdata(method="average")``), Blom's
    offset 3/8 (``_backtransform_ranks``), the standard normal quantile (``stats.norm.ppf`` is
    ``special.ndtri``). Untied entries have rank = position + 1, so their scores are one
    precomputed row; tie groups are found and averaged sparsely. So a sort is all this costs
    (rankdata's stable sort and tie bookkeeping, and ndtri on every draw, cost four times more)."""
    n = s.shape[1]
    scores = np.broadcast_to(_untied_scores(n), s.shape).copy()
    row, pos = np.nonzero(s[:, 1:] == s[:, :-1])          # s[row, pos] == s[row, pos + 1]
    if row.size:
        start = np.ones(row.size, dtype=bool)
        start[1:] = (row[1:] != row[:-1]) | (pos[1:] != pos[:-1] + 1)
        group = np.cumsum(start) - 1
        last = np.zeros(int(start.sum()), dtype=np.intp)
        np.maximum.at(last, group, pos + 1)
        rank = (pos[start][group] + last[group]) / 2 + 1
        scores[row, pos] = scores[row, pos + 1] = special.ndtri((rank - 3 / 8) / (n - 2 * (3 / 8) + 1))
    return scores


def _bulk_and_folded_scores(split: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal scores of ``split`` and of ``|split - median|`` (pooled over chains, per component),
    and the sorted values. One sort serves both: in sorted order the folded values fall then rise,
    so a stable sort (a run-merging timsort) orders them in linear time."""
    flat = split.reshape(split.shape[0], -1)
    k, n = flat.shape
    # positions in flat.ravel(): one-dimensional gathers and scatters are faster than fancy
    # indexing with (row, order) pairs (a sixth of this function at p = 100)
    offsets = (np.arange(k) * n)[:, None]
    order = np.argsort(flat, axis=-1)
    order += offsets
    s = flat.ravel().take(order)
    bulk = np.empty(k * n)
    bulk[order.ravel()] = _sorted_scores(s).ravel()  # fancy assignment: ~2x faster than put's checks
    median = (s[:, n // 2 - 1] + s[:, n // 2]) / 2         # n is even; the value np.median gives
    folded = np.abs(s - median[:, None])
    order_folded = np.argsort(folded, axis=-1, kind="stable")
    order_folded += offsets
    fold = np.empty(k * n)
    fold[order.ravel().take(order_folded).ravel()] = _sorted_scores(folded.ravel().take(order_folded)).ravel()
    return bulk.reshape(split.shape), fold.reshape(split.shape), s


def _rhat(x: np.ndarray) -> np.ndarray:
    """Gelman-Rubin potential scale reduction of each component (no splitting)."""
    n = x.shape[-1]
    between = n * np.var(x.mean(axis=-1), axis=-1, ddof=1)
    within = np.mean(np.var(x, axis=-1, ddof=1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant component: NaN, as ArviZ
        return np.sqrt((between / within + n - 1) / n)


_FIRST_LAGS = 40  # autocovariance lags of the first pass; a longer Geyer sequence is redone in full


def _ess(x: np.ndarray, relative: bool = False) -> np.ndarray:
    """ESS of each component from the multi-chain FFT autocovariance and Geyer's initial
    monotone sequence, step for step as ArviZ's ``_ess`` (its two while loops become a
    first-crossing index and a cumulative minimum over pairs of lags).

    Geyer's sequence stops at the first pair of lags whose autocorrelations sum to <= 0, which
    for a chain that mixes is within a few dozen lags; ArviZ's FFT pads every chain to twice its
    length to get all of them. So a first pass pads only enough for the first ``_FIRST_LAGS``
    lags (an FFT of about half the length, the same values up to rounding), and only the
    components whose sequence runs past them are redone with ArviZ's full padding."""
    n_comp, n_chain, n_draw = x.shape
    chain_mean = x.mean(axis=-1)
    centred = x - chain_mean[..., None]
    between = np.var(chain_mean, axis=-1, ddof=1) if n_chain > 1 else np.zeros(n_comp)
    tau = np.full(n_comp, np.nan)
    todo = np.ones(n_comp, dtype=bool)
    if 4 * _FIRST_LAGS < n_draw:
        tau, todo = _geyer_tau(centred, between, _FIRST_LAGS)
    if todo.any():
        tau[todo] = _geyer_tau(centred[todo], between[todo], n_draw - 1)[0]
    size = n_chain * n_draw
    ess = np.where(np.isnan(tau), np.nan, (1.0 if relative else size) / tau)
    constant = (x.max(axis=(1, 2)) - x.min(axis=(1, 2))) < np.finfo(float).resolution
    return np.where(constant, float(size), ess)


def _geyer_tau(centred: np.ndarray, between: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """ArviZ's integrated autocorrelation time tau of each component from the autocovariances
    of lags 0..``lags`` (all of them when ``lags`` is n_draw - 1), and whether those lags sufficed
    (Geyer's sequence stopped within them); tau is NaN where they did not or rho_1 is NaN."""
    n_comp, n_chain, n_draw = centred.shape
    # lags 0..lags of the linear autocovariance are exact for an FFT of length >= n_draw + lags;
    # in full, ArviZ's autocov: the same FFT length and padding
    m = fft.next_fast_len(2 * n_draw if lags >= n_draw - 1 else n_draw + lags)
    spectrum = np.fft.rfft(centred, n=m, axis=-1)
    # the chains' mean power spectrum |S|^2 = re^2 + im^2: squares of the contiguous float pairs,
    # summed over chains, then each pair added (strided .real and .imag cost 1.5x more)
    squares = spectrum.view(np.float64)
    squares *= squares
    summed = squares.sum(axis=1)
    power = (summed[:, 0::2] + summed[:, 1::2]) / n_chain
    mean_acov = np.fft.irfft(power, n=m, axis=-1)[:, :min(lags + 1, n_draw)] / n_draw  # (component, lag)
    mean_var = mean_acov[:, 0] * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw + between
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - mean_acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    # Geyer's initial positive sequence: ArviZ visits pairs (rho[2j], rho[2j+1]) for j <= num_pairs
    # and stops after the first pair whose sum is <= 0; the pairs before it all count.
    num_pairs = len(range(1, n_draw - 3, 2))
    known_pairs = min(num_pairs + 1, rho.shape[1] // 2)
    pair = rho[:, 0:2 * known_pairs:2] + rho[:, 1:2 * known_pairs:2]  # (component, known_pairs)
    scan = min(num_pairs, pair.shape[1] - 1)               # pairs whose stop test and successor are known
    stop = ~(pair[:, :scan] > 0)                           # NaN stops too, as in ArviZ's loop
    found = stop.any(axis=-1)
    last = np.where(found, stop.argmax(axis=-1), scan) if scan else np.zeros(n_comp, dtype=np.intp)  # 0..last-1 kept
    known = found | (scan == num_pairs)
    # Geyer's initial monotone sequence: each kept pair sum is at most the one before it.
    kept = np.minimum.accumulate(pair[:, :scan], axis=-1) if scan else np.zeros((n_comp, 0))
    kept = np.where(np.arange(scan) < last[:, None], kept, 0.0).sum(axis=-1)
    rows = np.arange(n_comp)
    rho_last, pair_last = rho[rows, 2 * last], pair[rows, last]
    # the even lag after the kept pairs counts once if positive (ArviZ's "improve estimation"),
    # or if its pair was still stored (sum exactly 0)
    tail = np.where((rho_last > 0) | (pair_last >= 0), rho_last, 0.0)
    tau = np.maximum(-1.0 + 2.0 * kept + tail, 1 / np.log10(n_chain * n_draw))
    return np.where(known & ~np.isnan(rho[:, 1]), tau, np.nan), ~known


def _quantile(s: np.ndarray, prob: float) -> np.ndarray:
    """Type-7 quantile of each row of ``s`` (sorted ascending), with the arithmetic of
    ``scipy.stats.mstats.mquantiles(alphap=1, betap=1)`` that ArviZ uses: the tail ESS
    thresholds ``x <= q``, so q must match bit for bit when draws are tied."""
    n = s.shape[-1]
    aleph = n * prob + (1 + prob * (1.0 - 1 - 1))
    k = int(np.floor(np.clip(aleph, 1, n - 1)))
    gamma = np.clip(aleph - k, 0, 1)
    return (1.0 - gamma) * s[:, k - 1] + gamma * s[:, k]


_COMPONENTS_PER_THREAD = 5  # from p = 10 on, two threads: 5.3 -> 3.7 ms at p = 10 (4 x 1000 draws)
_VALUES_PER_THREAD = 10_000  # below, waking a thread costs more than it saves (1.1 vs 0.3 ms at 4 x 10 x 10)


@functools.cache
def _pool():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=3, thread_name_prefix="bayesreg-diagnostics")


_COLUMNS = ("mcse_mean", "mcse_sd", "ess_mean", "ess_bulk", "ess_tail", "r_hat")


def rank_diagnostics(x: np.ndarray, *, mcse: bool = True, relative: bool = False) -> dict[str, np.ndarray]:
    """ArviZ's convergence diagnostics of every component of (chain, draw, component) draws.

    Returns arrays of shape (component,): ``r_hat`` (rank-normalised split R-hat, the larger
    of bulk and folded, as ``az.rhat(method="rank")``), ``ess_bulk``, ``ess_tail`` (the smaller
    ESS of the indicators x <= q5% and x <= q95%) and, when ``mcse``, ``ess_mean``,
    ``mcse_mean`` and ``mcse_sd`` (as ``az.summary``); all equal to ArviZ 0.23's values up to
    rounding (about 1e-14). ESS is divided by the number of draws when ``relative``.
    Components with a NaN, and every component when there are fewer than 4 draws per chain,
    get NaN; R-hat is NaN for a single chain.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (chain, draw, component); got shape {x.shape}.")
    workers = min(os.cpu_count() or 1, 3, x.shape[2] // _COMPONENTS_PER_THREAD, x.size // _VALUES_PER_THREAD)
    if workers > 1:
        # Components are independent and numpy's sorts and FFTs release the GIL, so the
        # components split over threads give the very same numbers in about 1/workers of the time
        # (with p = 100 the diagnostics otherwise cost a third of a NUTS fit).
        # The calling thread takes the first part itself: a hand-off to the pool and back costs
        # ~0.4 ms on a busy 2-core machine, a tenth of the checks at p = 10.
        first, *rest = np.array_split(np.arange(x.shape[2]), workers)
        futures = [_pool().submit(_rank_diagnostics, x[..., idx], mcse, relative) for idx in rest]
        results = [_rank_diagnostics(x[..., first], mcse, relative), *(f.result() for f in futures)]
        return {k: np.concatenate([r[k] for r in results]) for k in results[0]}
    return _rank_diagnostics(x, mcse, relative)


def _rank_diagnostics(x: np.ndarray, mcse: bool, relative: bool) -> dict[str, np.ndarray]:
    """rank_diagnostics on the calling thread (a pool worker must never wait on the pool)."""
    n_chain, n_draw, n_comp = x.shape
    out = {k: np.full(n_comp, np.nan) for k in (_COLUMNS if mcse else _COLUMNS[3:])}
    valid = ~np.isnan(x).any(axis=(0, 1))
    if n_draw < MIN_DRAWS or not valid.any():
        return out
    xv = np.ascontiguousarray(np.moveaxis(x[..., valid], -1, 0))  # (component, chain, draw)
    k = len(xv)
    split = _split_chains(xv)
    z_bulk, z_folded, s = _bulk_and_folded_scores(split)
    if n_chain > 1:
        bulk, folded = _rhat(z_bulk), _rhat(z_folded)
        out["r_hat"][valid] = np.where(folded > bulk, folded, bulk)  # Python's max(bulk, folded)
    if n_draw % 2:                                          # the split dropped each chain's middle draw
        s = np.sort(xv.reshape(k, -1), axis=-1)
    series = [z_bulk, *((split <= _quantile(s, p)[:, None, None]).astype(float) for p in (0.05, 0.95))]
    if mcse:
        dev2 = (xv - xv.mean(axis=(1, 2))[:, None, None]) ** 2
        series += [split, _split_chains(dev2)]
    series = np.concatenate(series)                         # every ESS from one batch of FFTs
    ess = _ess(series).reshape(-1, k)
    reported = _ess(series[:4 * k], relative=True).reshape(-1, k) if relative else ess
    out["ess_bulk"][valid] = reported[0]
    out["ess_tail"][valid] = np.minimum(reported[1], reported[2])
    if mcse:                                                # as ArviZ's summary computes them
        out["ess_mean"][valid] = reported[3]
        out["mcse_mean"][valid] = np.sqrt(dev2.sum(axis=(1, 2)) / (n_chain * n_draw - 1) / ess[3])
        evar = dev2.mean(axis=(1, 2))
        varvar = ((dev2**2).mean(axis=(1, 2)) - evar**2) / ess[4]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["mcse_sd"][valid] = np.sqrt(varvar / evar / 4)
    return out


def component_labels(name: str, shape: tuple[int, ...], dims: Sequence[str] | None = None,
                     coords: Mapping[str, Sequence] | None = None) -> list[str]:
    """Labels of the scalar components of a variable whose draws have shape (chain, draw, *shape),
    as ArviZ's summary writes them: ``name``, ``name[3]``, ``name[age]``, ``name[0, 1]``
    (a dimension's coordinate values when ``dims`` names it and ``coords`` has it, else 0, 1, ...)."""
    if not shape:
        return [name]
    dims, coords = list(dims or []), coords or {}
    axes = [list(coords[dims[i]]) if i < len(dims) and dims[i] in coords else range(size)
            for i, size in enumerate(shape)]
    return [f"{name}[{', '.join(str(v) for v in index)}]" for index in itertools.product(*axes)]


def _stack_components(draws: Mapping[str, np.ndarray],
                      labels: Mapping[str, Sequence[str]] | None) -> tuple[list[str], np.ndarray]:
    """Component labels and one (chain, draw, component) array of all variables."""
    names, columns = [], []
    for name, value in draws.items():
        value = np.asarray(value, dtype=np.float64)
        if value.ndim < 2:
            raise ValueError(f"draws[{name!r}] must have shape (chain, draw, ...); got shape {value.shape}.")
        given = (labels or {}).get(name)
        names += list(given) if given is not None else component_labels(name, value.shape[2:])
        columns.append(value.reshape(value.shape[:2] + (-1,)))
    x = np.concatenate(columns, axis=-1)
    if len(names) != x.shape[-1]:
        raise ValueError(f"labels name {len(names)} components but the draws have {x.shape[-1]}.")
    return names, x


def quick_diagnostics(draws: Mapping[str, np.ndarray], *, mcse: bool = False,
                      labels: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Bulk and tail ESS and rank-normalised R-hat (and, when ``mcse``, the MCSE of the mean
    and sd) of every scalar component of (chain, draw, ...) arrays, one row each: ArviZ's
    numbers (see :func:`rank_diagnostics`), the ones the convergence warnings judge and
    ``PosteriorFit.summary`` prints. Rows are labelled by ``labels[name]`` where given, else
    as :func:`component_labels` (ArviZ's default coordinates)."""
    index, x = _stack_components(draws, labels)
    diag = rank_diagnostics(x, mcse=mcse)
    return pd.DataFrame({k: diag[k] for k in _COLUMNS if k in diag and k != "ess_mean"}, index=index)


def warn_if_unconverged(problems: list[str], *, stacklevel: int = 3) -> None:
    """One :class:`ConvergenceWarning` per problem, pointing at the user's call."""
    for message in problems:
        warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel)


def mcse_of_mean(draws: np.ndarray) -> float:
    """Monte Carlo standard error of the mean of (chain, draw) draws, as ``az.mcse(method="mean")``."""
    return float(rank_diagnostics(_as_chain_draw(draws, "draws")[..., None])["mcse_mean"][0])


def _as_chain_draw(draws, name: str) -> np.ndarray:
    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim == 1:
        draws = draws[None, :]
    if draws.ndim != 2:
        raise ValueError(f"{name} must have shape (chain, draw) or (draw,); got shape {draws.shape}.")
    return draws


def check_chains_moved(w, sampler: str, num_warmup: int) -> None:
    """Raise :class:`~bayesreg.exceptions.ConvergenceError` if a chain's (chain, draw, ...) draws
    never change: the sampler rejected every proposal from its start (a log density or gradient
    that is not finite there, or a step size adapted in too short a warmup), so its draws are its
    start and no sample of the posterior."""
    stuck = [c for c in range(w.shape[0]) if w.shape[1] > 1 and np.all(w[c] == w[c, :1])]
    if stuck:
        raise ConvergenceError(
            f"{sampler} chain(s) {', '.join(map(str, stuck))} of {w.shape[0]} never moved: every draw equals the "
            "first, so they are no sample of the posterior. Either the log density is not finite where they "
            "started (scale X and y, or check the priors' scales) or the warmup was too short to adapt a step "
            f"size (more than num_warmup={num_warmup}).")
