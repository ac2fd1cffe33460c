"""Priors for scale parameters (sigma, tau), given to an estimator instead of a number.

``BayesianLinearRegression(sigma=HalfNormal(10.0), tau=HalfCauchy(1.0))`` samples sigma
and tau; a plain positive number keeps them fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validation import check_positive


@dataclass(frozen=True)
class ScalePrior:
    """A prior on a positive scale parameter, with its own scale."""

    scale: float = 1.0
    family = "scale"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, f"{type(self).__name__}.scale"))

    def to_numpyro(self, scale):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scale:g})"


@dataclass(frozen=True, repr=False)
class HalfNormal(ScalePrior):
    """|N(0, scale^2)|: the default prior for sigma."""

    family = "halfnormal"

    def to_numpyro(self, scale):
        import numpyro.distributions as dist

        return dist.HalfNormal(scale)


@dataclass(frozen=True, repr=False)
class HalfCauchy(ScalePrior):
    """|Cauchy(0, scale)|: heavy-tailed, the usual hyperprior for tau (Gelman 2006)."""

    family = "halfcauchy"

    def to_numpyro(self, scale):
        import numpyro.distributions as dist

        return dist.HalfCauchy(scale)


PRIOR_FAMILIES = {"halfnormal": HalfNormal, "halfcauchy": HalfCauchy}


def split_scale(value, name: str) -> tuple[str | None, float]:
    """(family or None when fixed, number): the static and the traced part of a scale."""
    if isinstance(value, ScalePrior):
        return value.family, value.scale
    return None, check_positive(value, name)


def prior_from_json(obj):
    """Inverse of :func:`prior_to_json`."""
    if isinstance(obj, dict):
        family = obj.get("family")
        if family not in PRIOR_FAMILIES:
            raise ValueError(f"unknown prior family {family!r}; expected one of {tuple(PRIOR_FAMILIES)}.")
        return PRIOR_FAMILIES[family](obj["scale"])
    return obj


def prior_to_json(value):
    if isinstance(value, ScalePrior):
        return {"family": value.family, "scale": value.scale}
    return value
