"""Statistical assertions for samplers: compare draws with exact answers within Monte
Carlo error (as BlackJAX and NumPyro test their samplers)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def assert_within_mcse(draws: ArrayLike, expected: float, *, z: float = 4.0,
                       min_ess: float = 400.0, label: str = "mean") -> None:
    """Fail if |mean(draws) - expected| > z * MCSE; ``draws`` has shape (chain, draw).

    The MCSE is sd / sqrt(ESS) with ArviZ's ESS of the mean (split chains; the
    implementation in :mod:`bayesreg.diagnostics`, as ``az.mcse(method="mean")``). At
    z = 4 a correct sampler fails about once in 16,000 checks. Too small an ESS fails too:
    the MCSE itself is then unreliable.
    """
    from .diagnostics import rank_diagnostics

    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim == 1:
        draws = draws[None, :]
    diagnostics = rank_diagnostics(draws[..., None])
    ess, mcse = float(diagnostics["ess_mean"][0]), float(diagnostics["mcse_mean"][0])
    if not ess >= min_ess:
        raise AssertionError(f"ESS = {ess:.0f} < {min_ess:.0f}: too few effective draws to trust the MCSE")
    err = abs(float(draws.mean()) - expected)
    if not err <= z * mcse:
        raise AssertionError(
            f"{label}: |{draws.mean():.6g} - {expected:.6g}| = {err:.3g} > {z} x MCSE "
            f"({mcse:.3g}), ESS = {ess:.0f}"
        )


def assert_posterior_matches(draws: ArrayLike, mean: float, sd: float, *, z: float = 4.0,
                             min_ess: float = 400.0) -> None:
    """Mean and standard deviation of (chain, draw) draws agree with exact values.

    The variance is tested as the mean of (draw - mean)^2, whose own MCSE comes from its
    ESS, so both moments get an honest Monte Carlo tolerance.
    """
    assert_within_mcse(draws, mean, z=z, min_ess=min_ess, label="mean")
    sq = (np.asarray(draws, dtype=np.float64) - mean) ** 2
    assert_within_mcse(sq, sd**2, z=z, min_ess=min_ess, label="variance")


def assert_same_mean(draws_a: ArrayLike, draws_b: ArrayLike, *, z: float = 4.0, min_ess: float = 400.0,
                     label: str = "mean") -> None:
    """Two independent samplers agree: |mean_a - mean_b| <= z * sqrt(MCSE_a^2 + MCSE_b^2).

    Both ``draws`` have shape (chain, draw); each MCSE is ArviZ's (as in :func:`assert_within_mcse`),
    and each ESS must reach ``min_ess``.
    """
    from .diagnostics import rank_diagnostics

    stats = []
    for name, draws in (("a", draws_a), ("b", draws_b)):
        draws = np.asarray(draws, dtype=np.float64)
        draws = draws[None, :] if draws.ndim == 1 else draws
        d = rank_diagnostics(draws[..., None])
        ess, mcse = float(d["ess_mean"][0]), float(d["mcse_mean"][0])
        if not ess >= min_ess:
            raise AssertionError(f"{label}: ESS of {name} = {ess:.0f} < {min_ess:.0f}: too few effective draws")
        stats.append((float(draws.mean()), mcse, ess))
    (mean_a, mcse_a, ess_a), (mean_b, mcse_b, ess_b) = stats
    tol = z * float(np.hypot(mcse_a, mcse_b))
    if not abs(mean_a - mean_b) <= tol:
        raise AssertionError(f"{label}: |{mean_a:.6g} - {mean_b:.6g}| = {abs(mean_a - mean_b):.3g} > {z} x "
                             f"combined MCSE ({tol / z:.3g}); ESS {ess_a:.0f} and {ess_b:.0f}")
