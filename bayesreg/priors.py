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


@dataclass(frozen=True)
class InverseGamma:
    """A prior on the noise *variance*: sigma^2 ~ InvGamma(concentration, rate).

    Conjugate for the Normal likelihood, so the Gibbs sampler (Park & Casella 2008) draws
    sigma^2 exactly; ``InverseGamma(0.001, 0.001)`` is a common vague choice. Give it as
    ``sigma=InverseGamma(a, b)``; posterior draws are reported for sigma itself.
    """

    concentration: float = 1.0
    rate: float = 1.0
    family = "invgamma_variance"

    def __post_init__(self) -> None:
        object.__setattr__(self, "concentration", check_positive(self.concentration, "InverseGamma.concentration"))
        object.__setattr__(self, "rate", check_positive(self.rate, "InverseGamma.rate"))

    @property
    def value(self):
        import numpy as np

        return np.array([self.concentration, self.rate])

    def __repr__(self) -> str:
        return f"InverseGamma({self.concentration:g}, {self.rate:g})"


PRIOR_FAMILIES = {"halfnormal": HalfNormal, "halfcauchy": HalfCauchy, "invgamma_variance": InverseGamma}
PRIOR_TYPES = (ScalePrior, InverseGamma)


def split_scale(value, name: str):
    """(family or None when fixed, number or parameter array): the static and the traced
    part of a scale argument."""
    if isinstance(value, InverseGamma):
        return value.family, value.value
    if isinstance(value, ScalePrior):
        return value.family, value.scale
    return None, check_positive(value, name)


def prior_from_json(obj):
    """Inverse of :func:`prior_to_json`."""
    if isinstance(obj, dict):
        family = obj.get("family")
        if family not in PRIOR_FAMILIES:
            raise ValueError(f"unknown prior family {family!r}; expected one of {tuple(PRIOR_FAMILIES)}.")
        if family == "invgamma_variance":
            return InverseGamma(obj["concentration"], obj["rate"])
        return PRIOR_FAMILIES[family](obj["scale"])
    return obj


def prior_to_json(value):
    if isinstance(value, InverseGamma):
        return {"family": value.family, "concentration": value.concentration, "rate": value.rate}
    if isinstance(value, ScalePrior):
        return {"family": value.family, "scale": value.scale}
    return value
