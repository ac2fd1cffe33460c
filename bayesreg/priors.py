"""Prior objects: priors for scale parameters (sigma, tau), given to an estimator instead of
a number, and the shrinkage priors on the coefficients.

``BayesianLinearRegression(sigma=HalfNormal(10.0), tau=HalfCauchy(1.0))`` samples sigma
and tau; a plain positive number keeps them fixed. ``prior=Horseshoe(scale=0.1)``,
``RegularizedHorseshoe(p0=5)`` or ``R2D2(mean_r2=0.3)`` (or their names, for the defaults)
replace the Laplace / Normal prior on w by a hierarchical shrinkage prior.
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


@dataclass(frozen=True, repr=False)
class Gamma(_ConcentrationRate):
    """nu ~ Gamma(concentration, rate): the prior on the degrees of freedom of Student-t noise.

    ``Gamma(2, 0.1)`` (mean 20, mode 10) is brms's and Bambi's default for ``nu`` (Juarez &
    Steel 2010); give it as ``BayesianLinearRegression(noise="student_t", nu=Gamma(a, b))``.
    """

    family = "gamma"


PRIOR_FAMILIES = {"halfnormal": HalfNormal, "halfcauchy": HalfCauchy, "invgamma_variance": InverseGamma,
                  "jeffreys": Jeffreys, "lasso_lambda": LassoLambda, "gamma": Gamma}
PRIOR_TYPES = (ScalePrior, InverseGamma, Jeffreys, LassoLambda, Gamma)
_ONLY_FOR = {Jeffreys: "sigma", LassoLambda: "tau", Gamma: "nu"}


def split_scale(value, name: str):
    """(family or None when fixed, number or parameter array): the static and the traced
    part of a scale argument."""
    only = _ONLY_FOR.get(type(value))
    if only is not None and name != only:
        raise TypeError(f"{name}={value!r}: {type(value).__name__} is a prior for {only}, not {name}.")
    if isinstance(value, InverseGamma | Jeffreys | LassoLambda | Gamma):
        return value.family, value.value
    if isinstance(value, ScalePrior):
        return value.family, value.scale
    return None, check_positive(value, name)


# ------------------------------------------------------------------ shrinkage priors on w
@dataclass(frozen=True)
class Horseshoe:
    """The horseshoe (Carvalho, Polson & Scott 2010): w_j = loc_j + z_j lambda_j tau.

    z_j ~ N(0, 1) (non-centred), local scales lambda_j ~ HalfCauchy(1), global scale
    tau ~ HalfCauchy(scale); with ``scale_by_sigma`` the scale of w_j is also multiplied by
    sigma. ``scale`` is the prior scale of tau, in the units of w (brms's ``scale_global``).
    """

    scale: float = 1.0
    family = "horseshoe"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_positive(self.scale, "Horseshoe.scale"))

    def params(self, n_samples: int, n_features: int):
        import numpy as np

        return np.array([self.scale])

    def to_json(self) -> dict:
        return {"family": self.family, "scale": self.scale}


@dataclass(frozen=True)
class RegularizedHorseshoe:
    """The regularised horseshoe of Piironen & Vehtari (2017), non-centred (their App. C).

    w_j = loc_j + z_j tau lambda~_j, lambda~_j^2 = c^2 lambda_j^2 / (c^2 + tau^2 lambda_j^2),
    lambda_j ~ HalfCauchy(1), tau ~ HalfCauchy(tau0) and c^2 ~ InvGamma(slab_df / 2,
    slab_df slab_scale^2 / 2): far from zero the coefficients meet a Student-t slab of scale
    ``slab_scale`` instead of the horseshoe's flat tails. tau0 = p0 / (p - p0) * sigma / sqrt(n)
    from ``p0``, the prior guess of the number of nonzero coefficients (sigma the sampled or
    fixed noise sd, n the number of observations, p of features). ``p0=None`` takes p0 = p / 2,
    i.e. tau0 = sigma / sqrt(n). ``scale_global`` instead sets tau0 = scale_global * sigma
    directly (brms's ``scale_global`` under its default ``autoscale``); give one of the two.
    """

    p0: float | None = None
    slab_scale: float = 2.0
    slab_df: float = 4.0
    scale_global: float | None = None
    family = "regularized_horseshoe"

    def __post_init__(self) -> None:
        if self.p0 is not None:
            object.__setattr__(self, "p0", check_positive(self.p0, "RegularizedHorseshoe.p0"))
        if self.scale_global is not None:
            if self.p0 is not None:
                raise ValueError("RegularizedHorseshoe takes p0 or scale_global, not both: each sets tau0.")
            object.__setattr__(self, "scale_global",
                               check_positive(self.scale_global, "RegularizedHorseshoe.scale_global"))
        object.__setattr__(self, "slab_scale", check_positive(self.slab_scale, "RegularizedHorseshoe.slab_scale"))
        object.__setattr__(self, "slab_df", check_positive(self.slab_df, "RegularizedHorseshoe.slab_df"))

    def __repr__(self) -> str:  # the tau0 setting given (p0 or scale_global), then the slab
        first = f"p0={self.p0!r}" if self.scale_global is None else f"scale_global={self.scale_global!r}"
        return f"RegularizedHorseshoe({first}, slab_scale={self.slab_scale!r}, slab_df={self.slab_df!r})"

    def params(self, n_samples: int, n_features: int):
        """[tau0 / sigma, slab_scale, slab_df]: the model multiplies the first by sigma."""
        import numpy as np

        if self.scale_global is not None:
            return np.array([self.scale_global, self.slab_scale, self.slab_df])
        p0 = n_features / 2 if self.p0 is None else self.p0
        if not p0 < n_features:
            raise ValueError(f"RegularizedHorseshoe.p0 must be less than the number of features "
                             f"({n_features}); got {p0:g}.")
        return np.array([p0 / (n_features - p0) / np.sqrt(n_samples), self.slab_scale, self.slab_df])

    def to_json(self) -> dict:
        out = {"family": self.family, "p0": self.p0, "slab_scale": self.slab_scale, "slab_df": self.slab_df}
        if self.scale_global is not None:  # only when set: files written before it existed load the same
            out["scale_global"] = self.scale_global
        return out


@dataclass(frozen=True)
class R2D2:
    """The R2D2 prior (Zhang, Naughton, Bondell & Reich 2022), with Normal components as in brms.

    R^2 ~ Beta(mean_r2 * precision, (1 - mean_r2) * precision) is the prior on the share of
    the variance of y explained by X w; W = R^2 / (1 - R^2) is split over the coefficients
    by phi ~ Dirichlet(concentration, ..., concentration), and w_j = loc_j + z_j sigma
    sqrt(phi_j W / v_j) with z_j ~ N(0, 1) and v_j the mean square of column j (of the
    centred X with an intercept), so that var(x'w) / sigma^2 = W a priori whatever the units of X.
    The defaults (0.5, 2, 0.5) are brms's: R^2 uniform on (0, 1).
    """

    mean_r2: float = 0.5
    precision: float = 2.0
    concentration: float = 0.5
    family = "r2d2"

    def __post_init__(self) -> None:
        if not 0.0 < float(self.mean_r2) < 1.0:
            raise ValueError(f"R2D2.mean_r2 must be in (0, 1); got {self.mean_r2!r}.")
        object.__setattr__(self, "mean_r2", float(self.mean_r2))
        object.__setattr__(self, "precision", check_positive(self.precision, "R2D2.precision"))
        object.__setattr__(self, "concentration", check_positive(self.concentration, "R2D2.concentration"))

    def params(self, n_samples: int, n_features: int):
        import numpy as np

        return np.array([self.mean_r2, self.precision, self.concentration])

    def to_json(self) -> dict:
        return {"family": self.family, "mean_r2": self.mean_r2, "precision": self.precision,
                "concentration": self.concentration}


SHRINKAGE_PRIORS = {"horseshoe": Horseshoe, "regularized_horseshoe": RegularizedHorseshoe, "r2d2": R2D2}
COEFFICIENT_PRIORS = ("laplace", "normal", *SHRINKAGE_PRIORS)


def shrinkage_params(family: str, scale: float, n_samples: int, n_features: int):
    """The ``shrinkage`` numbers of :mod:`bayesreg.models` for a shrinkage prior named by
    ``family`` with its defaults, the horseshoe's global scale ``scale`` (``Horseshoe(scale)``);
    None for the Laplace and Normal priors. What the simulation studies and calibration draw
    from and fit with."""
    if family not in SHRINKAGE_PRIORS:
        return None
    prior = Horseshoe(scale=scale) if family == "horseshoe" else SHRINKAGE_PRIORS[family]()
    return prior.params(n_samples, n_features)


def split_coef_prior(value):
    """(family name, prior object or None) of an estimator's ``prior`` argument: a name from
    :data:`COEFFICIENT_PRIORS` (shrinkage priors with their defaults) or a shrinkage prior object."""
    if isinstance(value, Horseshoe | RegularizedHorseshoe | R2D2):
        return value.family, value
    if not isinstance(value, str) or value not in COEFFICIENT_PRIORS:
        raise ValueError(f"prior must be one of {COEFFICIENT_PRIORS} or a Horseshoe, RegularizedHorseshoe or "
                         f"R2D2 object; got {value!r}.")
    cls = SHRINKAGE_PRIORS.get(value)
    return value, (cls() if cls is not None else None)


def prior_from_json(obj):
    """Inverse of :func:`prior_to_json`."""
    if isinstance(obj, dict) and obj.get("family") in SHRINKAGE_PRIORS:
        return SHRINKAGE_PRIORS[obj["family"]](**{k: v for k, v in obj.items() if k != "family"})
    if isinstance(obj, dict):
        family = obj.get("family")
        if family not in PRIOR_FAMILIES:
            raise ValueError(f"unknown prior family {family!r}; expected one of {tuple(PRIOR_FAMILIES)}.")
        if family in ("invgamma_variance", "lasso_lambda", "gamma"):
            return PRIOR_FAMILIES[family](obj["concentration"], obj["rate"])
        if family == "jeffreys":
            return Jeffreys()
        return PRIOR_FAMILIES[family](obj["scale"])
    return obj


def prior_to_json(value):
    if isinstance(value, Horseshoe | RegularizedHorseshoe | R2D2):
        return value.to_json()
    if isinstance(value, InverseGamma | LassoLambda | Gamma):
        return {"family": value.family, "concentration": value.concentration, "rate": value.rate}
    if isinstance(value, Jeffreys):
        return {"family": value.family}
    if isinstance(value, ScalePrior):
        return {"family": value.family, "scale": value.scale}
    return value
