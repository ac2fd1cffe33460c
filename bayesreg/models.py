"""NumPyro model functions: plain, traced, no validation inside.

Site names equal the variable names used everywhere else (``mu``, ``x``), so ``Predictive``
and ArviZ's groups line up. Hyperparameters are keyword-only; with the observations set to
``None`` a model samples from its prior predictive.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.handlers import seed, trace


def gaussian_mean(x=None, *, sigma, tau, loc=0.0, n=None):
    """x_i = mu + eps_i, eps_i ~ N(0, sigma^2); prior mu ~ N(loc, tau^2).

    ``n`` is only needed when ``x`` is None (sampling new data).
    """
    n = x.shape[0] if x is not None else n
    mu = numpyro.sample("mu", dist.Normal(loc, tau))
    with numpyro.plate("data", n):
        numpyro.sample("x", dist.Normal(mu, sigma), obs=x)


def _scale_site(name, value, family):
    """A fixed scale, or one sampled from its prior (``value`` is then the prior's scale)."""
    if family is None:
        return value
    if family == "halfnormal":
        return numpyro.sample(name, dist.HalfNormal(value))
    if family == "halfcauchy":
        return numpyro.sample(name, dist.HalfCauchy(value))
    if family == "invgamma_variance":  # sigma^2 ~ InvGamma(a, b), reported as sigma
        variance = dist.InverseGamma(value[0], value[1])
        return numpyro.sample(name, dist.TransformedDistribution(variance, dist.transforms.PowerTransform(0.5)))
    if family == "jeffreys":  # p(sigma) ~ 1/sigma
        return numpyro.sample(name, Jeffreys())
    if family == "lasso_lambda":  # lambda^2 = 1 / tau^2 ~ Gamma(r, delta), reported as tau
        lambda_sq = dist.Gamma(value[0], value[1])
        return numpyro.sample(name, dist.TransformedDistribution(lambda_sq, dist.transforms.PowerTransform(-0.5)))
    raise ValueError(f"unknown scale prior {family!r}")


class Jeffreys(dist.ImproperUniform):
    """The improper density 1/x on x > 0 (flat on log x).

    Samplers work on log x, where the Jacobian x cancels the 1/x: the potential is flat in
    log x, as it should be. There is no draw from an improper prior; ``sample`` returns ones,
    only so that tracing a model (to find its sites and a starting point) has a value.
    """

    def __init__(self):
        super().__init__(constraints.positive, (), ())

    def log_prob(self, value):
        return -jnp.log(value)

    def sample(self, key, sample_shape=()):
        return jnp.ones(sample_shape)


SHRINKAGE = ("horseshoe", "regularized_horseshoe", "r2d2")


def _shrinkage_scale(n_features, *, sigma, prior, shrinkage, x_sq, scale_by_sigma):
    """The prior sd of w_j - loc_j given the shrinkage prior's scales, which it samples.

    ``shrinkage`` holds the prior's numbers (see ``params`` of the prior objects in
    :mod:`bayesreg.priors`): horseshoe [scale of tau]; regularised horseshoe [tau0 / sigma,
    slab_scale, slab_df] (Piironen & Vehtari 2017, App. C.1); R2D2 [mean R^2, precision,
    Dirichlet concentration] with ``x_sq`` the mean squares of the columns of X.
    """
    if prior == "r2d2":
        mean_r2, precision, concentration = shrinkage[0], shrinkage[1], shrinkage[2]
        r2 = numpyro.sample("r2", dist.Beta(mean_r2 * precision, (1.0 - mean_r2) * precision))
        phi = numpyro.sample("phi", dist.Dirichlet(jnp.full(n_features, concentration)))
        return sigma * jnp.sqrt(r2 / (1.0 - r2) * phi / x_sq)
    lam = numpyro.sample("lambda", dist.HalfCauchy(jnp.ones(n_features)).to_event(1))
    if prior == "horseshoe":
        tau = numpyro.sample("tau", dist.HalfCauchy(shrinkage[0]))
        return tau * lam * (sigma if scale_by_sigma else 1.0)
    # regularised horseshoe: tau0 = p0 / (p - p0) * sigma / sqrt(n)
    tau = numpyro.sample("tau", dist.HalfCauchy(shrinkage[0] * sigma))
    slab_scale, slab_df = shrinkage[1], shrinkage[2]
    c2 = numpyro.sample("c2", dist.InverseGamma(0.5 * slab_df, 0.5 * slab_df * slab_scale**2))
    return tau * jnp.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))


def _shrinkage_coefficients(n_features, *, loc, sigma, prior, shrinkage, x_sq, scale_by_sigma):
    """w = loc + z * scale with z ~ N(0, I): the non-centred shrinkage priors.

    Scales (:func:`_shrinkage_scale`) are sampled on the log scale by NUTS, where a change of
    scale is a shift: only w needs the non-centred form.
    """
    z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([n_features]).to_event(1))
    scale = _shrinkage_scale(n_features, sigma=sigma, prior=prior, shrinkage=shrinkage, x_sq=x_sq,
                             scale_by_sigma=scale_by_sigma)
    return numpyro.deterministic("w", loc + z * scale)


def _coefficients(n_features, *, loc, tau, sigma, prior, sigma_prior, tau_prior, scale_by_sigma,
                  shrinkage=None, x_sq=None):
    """The prior part of both regression models: sigma, tau and w; returns (w, sigma)."""
    sigma = _scale_site("sigma", sigma, sigma_prior)
    if prior in SHRINKAGE:  # tau is the shrinkage prior's own (sampled) global scale
        return _shrinkage_coefficients(n_features, loc=loc, sigma=sigma, prior=prior, shrinkage=shrinkage,
                                       x_sq=x_sq, scale_by_sigma=scale_by_sigma), sigma
    tau = _scale_site("tau", tau, tau_prior)
    scale = sigma * tau if scale_by_sigma else tau
    family = dist.Laplace if prior == "laplace" else dist.Normal
    return numpyro.sample("w", family(loc, scale).expand([n_features]).to_event(1)), sigma


def linear_regression(
    X,
    y=None,
    *,
    loc,
    tau,
    sigma,
    prior="laplace",
    sigma_prior=None,
    tau_prior=None,
    scale_by_sigma=False,
    centered=False,
    shrinkage=None,
    x_sq=None,
    noise="normal",
    nu=None,
    nu_prior=None,
):
    """y = X w + eps, eps ~ N(0, sigma^2) (or Student-t, see below); w_j ~ Laplace(loc_j, tau) or Normal(loc_j, tau),
    or a shrinkage prior (``prior`` in :data:`SHRINKAGE`, numbers in ``shrinkage``; tau unused).

    ``sigma_prior``/``tau_prior`` name a prior family ("halfnormal", "halfcauchy"); then
    ``sigma``/``tau`` are that prior's scale and the parameter is sampled. With
    ``scale_by_sigma`` the prior scale of w is sigma * tau (Park & Casella's Bayesian
    lasso, whose posterior is unimodal). ``centered`` says X and y were centred to
    integrate out a flat-prior intercept: the integral contributes a factor sigma
    (sqrt(2 pi / n) is constant), which matters only when sigma is sampled.

    ``noise="student_t"``: eps ~ StudentT(nu, 0, sigma) (see :func:`_observation`). The
    intercept has no closed form under it, so with ``centered`` it is a sampled site.
    """
    n_samples, n_features = X.shape
    w, sigma = _coefficients(n_features, loc=loc, tau=tau, sigma=sigma, prior=prior, sigma_prior=sigma_prior,
                             tau_prior=tau_prior, scale_by_sigma=scale_by_sigma, shrinkage=shrinkage, x_sq=x_sq)
    if noise != "normal":
        _observation(X @ w, sigma, y, n_samples=n_samples, noise=noise, nu=nu, nu_prior=nu_prior, centered=centered)
        return
    if centered and sigma_prior is not None:
        numpyro.factor("intercept_integral", jnp.log(sigma))
    with numpyro.plate("data", n_samples):
        numpyro.sample("y", dist.Normal(X @ w, sigma), obs=y)


NOISE = ("normal", "student_t")


class Flat(dist.ImproperUniform):
    """The improper flat density on the real line (an intercept's prior).

    As for :class:`Jeffreys`, ``sample`` returns zeros only so that tracing a model has a value;
    a prior predictive draw of a flat-prior intercept is therefore 0 (data centred at their mean)."""

    def __init__(self):
        super().__init__(constraints.real, (), ())

    def sample(self, key, sample_shape=()):
        return jnp.zeros(sample_shape)


def _observation(mean, sigma, y, *, n_samples, noise, nu, nu_prior, centered):
    """The observed site of a regression with heavy-tailed noise: y_i ~ StudentT(nu, mean_i +
    alpha, sigma), brms's ``student()`` and Bambi's ``family="t"``.

    ``nu`` is fixed, or with ``nu_prior="gamma"`` the (concentration, rate) of its Gamma prior
    (brms's default Gamma(2, 0.1)). Student-t has no sufficient statistics and does not
    integrate a flat-prior intercept out, so with ``centered`` (X and y centred) the
    intercept at the centre, ``intercept_centered`` = b + xbar'w - ybar, is sampled with a flat
    prior; centring keeps it nearly uncorrelated with w, which NUTS likes.
    """
    if nu_prior == "gamma":
        nu = numpyro.sample("nu", dist.Gamma(nu[0], nu[1]))
    if centered:
        mean = mean + numpyro.sample("intercept_centered", Flat())
    with numpyro.plate("data", n_samples):
        numpyro.sample("y", dist.StudentT(nu, mean, sigma), obs=y)


def linear_regression_gram(
    G,
    c,
    yy,
    n,
    *,
    loc,
    tau,
    sigma,
    prior="laplace",
    sigma_prior=None,
    tau_prior=None,
    scale_by_sigma=False,
    centered=False,
    shrinkage=None,
    x_sq=None,
):
    """The same posterior as :func:`linear_regression`, from sufficient statistics.

    The Normal likelihood depends on the data only through G = X'X, c = X'y, yy = y'y and
    n: log p(y | w, sigma) = -n log(sigma) - (yy - 2 w'c + w'G w) / (2 sigma^2) + const.
    Each gradient then costs O(p^2) instead of O(n p), which is what NUTS pays for at every
    leapfrog step. There is no observed site: pointwise log-likelihoods and replicated data
    are computed from the draws afterwards.
    """
    w, sigma = _coefficients(c.shape[0], loc=loc, tau=tau, sigma=sigma, prior=prior, sigma_prior=sigma_prior,
                             tau_prior=tau_prior, scale_by_sigma=scale_by_sigma, shrinkage=shrinkage, x_sq=x_sq)
    rss = yy - 2.0 * w @ c + w @ G @ w
    n_eff = n - 1 if (centered and sigma_prior is not None) else n
    numpyro.factor("likelihood", -n_eff * jnp.log(sigma) - rss / (2.0 * sigma**2))


def linear_regression_collapsed(
    G,
    c,
    yy,
    n,
    *,
    loc,
    tau,
    sigma,
    prior,
    sigma_prior=None,
    tau_prior=None,
    scale_by_sigma=False,
    centered=False,
    shrinkage=None,
    x_sq=None,
    R=None,
    qy=None,
    w_key=None,
):
    """:func:`linear_regression_gram` for a shrinkage prior with w integrated out (collapsed).

    Given its scales, a shrinkage prior is Gaussian: w ~ N(loc, D), D = diag(d^2) with d
    from :func:`_shrinkage_scale`. With r = y - X loc, r ~ N(0, X D X' + sigma^2 I); by the
    determinant lemma and Woodbury's identity, with B = d G d + sigma^2 I (eigenvalues
    >= sigma^2) and u = d X'r = d (c - G loc),

        log p(y | d, sigma) = -(n/2) log(2 pi sigma^2) + (p/2) log sigma^2 - (1/2) log|B|
                              - (r'r - u'B^-1 u) / (2 sigma^2),

    r'r = yy - 2 loc'c + loc'G loc. One p x p Cholesky per gradient. For p > n, ``R`` and ``qy``
    from :func:`thin_factor` (X = Q R with Q square, R of shape (n, p), qy = Q'y) give the
    same in the n x n space of the data, O(n^2 p) per gradient: with K = sigma^2 I + A A',
    A = R diag(d), |B| = sigma^(2(p - n)) |K| and the quadratic form is r~'K^-1 r~ with
    r~ = Q'r = qy - R loc, a sum of squares. (Not (r'r - u'B^-1 u) / sigma^2: p > n lets X D X'
    fit y almost exactly, and as sigma falls that difference of near-equal numbers lost every
    digit; NUTS then adapted its step size to ~1e-14 and froze.) ``centered`` with a
    sampled sigma multiplies by sigma (the flat intercept's integral), as in
    :func:`linear_regression_gram`; constants are dropped. NUTS samples only the scales (no
    funnel between w and its scales); ``tau`` and ``tau_prior`` are unused (the prior's own).

    With a ``w_key``, w is drawn from its exact conditional w | d, sigma, y ~
    N(loc + d B^-1 u, sigma^2 d B^-1 d) (Rao-Blackwellisation) and reported, with
    z = (w - loc) / d as in the non-centred model, as deterministic sites.
    """
    p = c.shape[0]
    sigma = _scale_site("sigma", sigma, sigma_prior)
    d = _shrinkage_scale(p, sigma=sigma, prior=prior, shrinkage=shrinkage, x_sq=x_sq, scale_by_sigma=scale_by_sigma)
    s2 = sigma**2
    Gl = G @ loc
    u = d * (c - Gl)
    n_eff = n - 1 if (centered and sigma_prior is not None) else n
    if R is None:
        chol = jnp.linalg.cholesky(d[:, None] * G * d[None, :] + s2 * jnp.eye(p))
        v = jax.scipy.linalg.solve_triangular(chol, u, lower=True)
        half_logdet = jnp.sum(jnp.log(jnp.diagonal(chol)))
        rr = yy - 2.0 * loc @ c + loc @ Gl
        scaled_quad = (rr - v @ v) / s2  # r'(s2 I + X D X')^-1 r; n > p: rr - v'v >= the OLS residual
    else:  # X = Q R, Q square (n x n), R (n x p): K = s2 I + A A' with A = R d, r~ = Q'r
        m = R.shape[0]
        A = R * d
        chol_k = jnp.linalg.cholesky(A @ A.T + s2 * jnp.eye(m))
        t = jax.scipy.linalg.solve_triangular(chol_k, qy - R @ loc, lower=True)
        half_logdet = 0.5 * (p - m) * jnp.log(s2) + jnp.sum(jnp.log(jnp.diagonal(chol_k)))
        scaled_quad = t @ t
    numpyro.factor("likelihood", -0.5 * (n_eff - p) * jnp.log(s2) - half_logdet - 0.5 * scaled_quad)
    if w_key is not None:  # once per draw, not per gradient: the p x p form (already at hand when R is None)
        if R is not None:
            chol = jnp.linalg.cholesky(d[:, None] * G * d[None, :] + s2 * jnp.eye(p))
            v = jax.scipy.linalg.solve_triangular(chol, u, lower=True)
        eps = jax.random.normal(w_key, (p,))
        z = jax.scipy.linalg.solve_triangular(chol.T, v + sigma * eps, lower=False)  # B^-1 u + sigma L^-T eps
        numpyro.deterministic("z", z)
        numpyro.deterministic("w", loc + d * z)


def thin_factor(X, y):
    """(R, qy) with X = Q R, Q square and R of shape (..., n, p), qy = Q'y, when p > n (stacked X
    and y allowed); None when it saves nothing (n >= p): the arguments ``R`` and ``qy`` of
    :func:`linear_regression_collapsed`. R'R = X'X and |qy|^2 = y'y."""
    import numpy as np

    X, y = np.asarray(X), np.asarray(y)
    if X.shape[-2] >= X.shape[-1]:
        return None
    Q, R = np.linalg.qr(X)
    return R, np.einsum("...nm,...n->...m", Q, y)


def gram_form(X, y, *, collapsed: bool):
    """How NUTS samples the Normal-likelihood regression from sufficient statistics: (model, the
    name of its per-draw key argument or None, the data it needs besides
    :func:`~bayesreg.likelihood.sufficient_statistics`). ``collapsed`` (a shrinkage prior):
    :func:`linear_regression_collapsed`, with :func:`thin_factor`'s ``R`` and ``qy`` when p > n;
    else :func:`linear_regression_gram`. X and y may be stacked over replicates. One rule for the
    estimator, the studies and calibration, so they all sample the posterior the same way."""
    if not collapsed:
        return linear_regression_gram, None, {}
    thin = thin_factor(X, y)
    return linear_regression_collapsed, "w_key", ({} if thin is None else {"R": thin[0], "qy": thin[1]})


def column_mean_squares(X):
    """R2D2's column scales ``x_sq``: the mean square of each column of X (the last two axes are
    (n, p), so replicates may be stacked); 1 for an all-zero column, whose coefficient the data do
    not inform anyway. numpy arrays give numpy's numbers, JAX arrays (also under ``jit``) JAX's."""
    import numpy as np

    xp = np if isinstance(X, np.ndarray) else jnp
    x_sq = xp.mean(xp.square(X), axis=-2)
    return xp.where(x_sq > 0, x_sq, 1.0)


def latent_sites(model, kwargs) -> dict:
    """The latent (unobserved) sample sites of one trace of ``model(**kwargs)``, by name.

    Seeded with a fixed key: what callers read is static (shapes, supports, distributions),
    which is how the samplers and the optimiser learn a model's parameters."""
    tr = trace(seed(model, jax.random.key(0))).get_trace(**kwargs)
    return {name: site for name, site in tr.items() if site["type"] == "sample" and not site["is_observed"]}
