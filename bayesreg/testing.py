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
