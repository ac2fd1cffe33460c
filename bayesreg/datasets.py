"""Data sets: seeded simulators and bundled data (nothing is downloaded)."""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_positive


def simulate_gaussian_mean(n: int, *, mu: float, sigma: float, seed: int) -> np.ndarray:
    """n iid draws from N(mu, sigma^2), reproducible from ``seed``."""
    n = check_int(n, "n", minimum=1)
    sigma = check_positive(sigma, "sigma")
    if not np.isfinite(mu):
        raise ValueError(f"mu must be finite; got {mu!r}.")
    return mu + sigma * np.random.default_rng(seed).standard_normal(n)
