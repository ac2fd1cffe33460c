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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scale:g})"


@dataclass(frozen=True, repr=False)
class HalfNormal(ScalePrior):
    """|N(0, scale^2)|: the default prior for sigma."""

    family = "halfnormal"



@dataclass(frozen=True, repr=False)
class HalfCauchy(ScalePrior):
    """|Cauchy(0, scale)|: heavy-tailed, the usual hyperprior for tau (Gelman 2006)."""

    family = "halfcauchy"



@dataclass(frozen=True)
class _ConcentrationRate:
    """A prior stated by a Gamma-family (concentration, rate) pair, both positive."""

    concentration: float = 1.0
    rate: float = 1.0

    def __post_init__(self) -> None:
        name = type(self).__name__
        object.__setattr__(self, "concentration", check_positive(self.concentration, f"{name}.concentration"))
        object.__setattr__(self, "rate", check_positive(self.rate, f"{name}.rate"))

    @property
    def value(self):
        import numpy as np

        return np.array([self.concentration, self.rate])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.concentration:g}, {self.rate:g})"


@dataclass(frozen=True, repr=False)
class InverseGamma(_ConcentrationRate):
    """A prior on the noise *variance*: sigma^2 ~ InvGamma(concentration, rate).

    Conjugate for the Normal likelihood, so the Gibbs sampler (Park & Casella 2008) draws
    sigma^2 exactly; ``InverseGamma(0.001, 0.001)`` is a common vague choice. Give it as
    ``sigma=InverseGamma(a, b)``; posterior draws are reported for sigma itself.
    """

    family = "invgamma_variance"


@dataclass(frozen=True)
class Jeffreys:
    """The improper Jeffreys prior for the noise: p(sigma^2) proportional to 1/sigma^2,
    equivalently p(sigma) proportional to 1/sigma (flat on log sigma).

    Park & Casella's (2008) choice for the Bayesian lasso, and the limit of
    ``InverseGamma(a, b)`` as a, b -> 0. Give it as ``sigma=Jeffreys()``. Improper, so the
    estimator refuses it where the posterior could be improper: fewer than 2 observations
    (after one is spent on a fitted intercept), or, without ``scale_by_sigma``, data that X
    fits exactly. Accepted by NUTS, Gibbs and MAP; draws are reported for sigma.
    """

    family = "jeffreys"

    @property
    def value(self) -> float:
        return 0.0  # no hyperparameter; a placeholder for the models' traced argument

    def __repr__(self) -> str:
        return "Jeffreys()"


@dataclass(frozen=True, repr=False)
class LassoLambda(_ConcentrationRate):
    """Park & Casella's hyperprior on the lasso parameter: lambda^2 ~ Gamma(concentration, rate).

    The Bayesian lasso puts w_j | sigma ~ Laplace(loc_j, sigma / lambda); this package's scale
    is tau = 1 / lambda, so give it as ``tau=LassoLambda(r, delta)`` (their r and delta, e.g.
    ``LassoLambda(1.0, 1.78)`` on the diabetes data), usually with ``scale_by_sigma=True``.
    Conjugate for the Gibbs sampler (lambda^2 given the mixing variances is Gamma). Posterior
    draws are reported for tau and for lambda = 1 / tau.
    """

    family = "lasso_lambda"


PRIOR_FAMILIES = {"halfnormal": HalfNormal, "halfcauchy": HalfCauchy, "invgamma_variance": InverseGamma,
                  "jeffreys": Jeffreys, "lasso_lambda": LassoLambda}
PRIOR_TYPES = (ScalePrior, InverseGamma, Jeffreys, LassoLambda)
_ONLY_FOR = {Jeffreys: "sigma", LassoLambda: "tau"}


def split_scale(value, name: str):
    """(family or None when fixed, number or parameter array): the static and the traced
    part of a scale argument."""
    only = _ONLY_FOR.get(type(value))
    if only is not None and name != only:
        raise TypeError(f"{name}={value!r}: {type(value).__name__} is a prior for {only}, not {name}.")
    if isinstance(value, InverseGamma | Jeffreys | LassoLambda):
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
        if family in ("invgamma_variance", "lasso_lambda"):
            return PRIOR_FAMILIES[family](obj["concentration"], obj["rate"])
        if family == "jeffreys":
            return Jeffreys()
        return PRIOR_FAMILIES[family](obj["scale"])
    return obj


def prior_to_json(value):
    if isinstance(value, InverseGamma | LassoLambda):
        return {"family": value.family, "concentration": value.concentration, "rate": value.rate}
    if isinstance(value, Jeffreys):
        return {"family": value.family}
    if isinstance(value, ScalePrior):
        return {"family": value.family, "scale": value.scale}
    return value
