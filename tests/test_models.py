"""The collapsed shrinkage model (w integrated out, drawn exactly given the scales): its marginal
likelihood against the Gaussian density of y, its w draws against the closed-form posterior, and
the estimator's draws against quadrature."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from numpyro.handlers import condition, trace
from scipy import stats

from bayesreg import BayesianLinearRegression, models
from bayesreg.likelihood import sufficient_statistics
from bayesreg.priors import Horseshoe, RegularizedHorseshoe
from bayesreg.testing import assert_posterior_matches, assert_within_mcse


def _problem(n=12, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ np.array([1.5, 0.0, -0.5, 0.0][:p]) + 0.7 * rng.normal(size=n)
    return X, y


def _collapsed_trace(X, y, *, lam, tau, sigma=0.7, loc=None, w_key=None, **static):
    n, p = X.shape
    kwargs = dict(loc=np.zeros(p) if loc is None else loc, tau=1.0, sigma=sigma, prior="horseshoe",
                  shrinkage=Horseshoe(1.0).params(n, p), w_key=w_key, **sufficient_statistics(X, y), **static)
    return trace(condition(models.linear_regression_collapsed, {"lambda": lam, "tau": tau})).get_trace(**kwargs)


@pytest.mark.parametrize("loc", [0.0, 0.4])
def test_collapsed_likelihood_is_the_gaussian_density_of_y(loc):
    # y - X loc ~ N(0, X D X' + sigma^2 I) once w ~ N(loc, D) is integrated out; the model drops
    # the constant -(n / 2) log(2 pi)
    X, y = _problem()
    lam, tau, sigma = np.array([2.0, 0.1, 0.5, 3.0]), 0.8, 0.7
    d = tau * lam
    loc = np.full(4, loc)
    direct = stats.multivariate_normal(X @ loc, X @ np.diag(d**2) @ X.T + sigma**2 * np.eye(12)).logpdf(y)
    tr = _collapsed_trace(X, y, lam=lam, tau=tau, sigma=sigma, loc=loc)
    assert float(tr["likelihood"]["fn"].log_factor) == pytest.approx(direct + 6 * np.log(2 * np.pi), rel=1e-10)


def test_collapsed_likelihood_with_a_sampled_sigma_and_intercept_keeps_the_intercept_factor():
    # the flat intercept's integral contributes a factor sigma when sigma is sampled (as in linear_regression)
    X, y = _problem()
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    n, p = Xc.shape
    lam, tau, sigma = np.array([2.0, 0.1, 0.5, 3.0]), 0.8, 0.7
    kwargs = dict(loc=np.zeros(p), tau=1.0, sigma=1.0, prior="horseshoe", sigma_prior="halfnormal", centered=True,
                  shrinkage=Horseshoe(1.0).params(n, p), **sufficient_statistics(Xc, yc))
    tr = trace(condition(models.linear_regression_collapsed, {"lambda": lam, "tau": tau, "sigma": sigma})
               ).get_trace(**kwargs)
    direct = stats.multivariate_normal(np.zeros(n), Xc @ np.diag((tau * lam) ** 2) @ Xc.T
                                       + sigma**2 * np.eye(n)).logpdf(yc)
    assert float(tr["likelihood"]["fn"].log_factor) == pytest.approx(direct + n / 2 * np.log(2 * np.pi)
                                                                     + np.log(sigma), rel=1e-10)


def test_collapsed_w_draws_match_the_gaussian_posterior_given_the_scales():
    """With lambda, tau and sigma fixed the posterior of w is Gaussian: precision D^-1 + X'X / sigma^2,
    mean cov (D^-1 loc + X'y / sigma^2). 4,000 independent draws of the model's w (one key each) agree
    in mean and sd within MCSE, as do a contrast (the covariance) and z = (w - loc) / d."""
    X, y = _problem()
    lam, tau, sigma = np.array([2.0, 0.1, 0.5, 3.0]), 0.8, 0.7
    loc = np.array([0.0, 0.3, 0.0, -0.2])
    d = tau * lam
    cov = np.linalg.inv(np.diag(1 / d**2) + X.T @ X / sigma**2)
    mean = cov @ (loc / d**2 + X.T @ y / sigma**2)
    keys = jax.random.split(jax.random.key(7), 4000)
    draw = jax.jit(jax.vmap(lambda k: {name: _collapsed_trace(X, y, lam=lam, tau=tau, sigma=sigma, loc=loc,
                                                              w_key=k)[name]["value"] for name in ("w", "z")}))
    out = {k: np.asarray(v) for k, v in draw(keys).items()}
    for j in range(4):
        assert_posterior_matches(out["w"][None, :, j], mean[j], np.sqrt(cov[j, j]))
    a = np.array([1.0, -1.0, 2.0, 0.5])
    assert_posterior_matches((out["w"] @ a)[None], a @ mean, np.sqrt(a @ cov @ a))
    np.testing.assert_allclose(out["w"], loc + d * out["z"], rtol=1e-12)
    again = {k: np.asarray(v) for k, v in draw(keys).items()}
    np.testing.assert_array_equal(again["w"], out["w"])  # same key, same draws


def test_horseshoe_fit_matches_quadrature_over_its_scales():
    """One coefficient, sigma fixed: the horseshoe's posterior is a 2-d integral over (log tau, log lambda)
    of the Gaussian w | tau lambda, y. The estimator's (collapsed) draws of w match its mean and second
    moment within MCSE; the same seed gives the same draws."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20, 1))
    y = 0.3 * x[:, 0] + rng.normal(size=20)
    G, c = float(x[:, 0] @ x[:, 0]), float(x[:, 0] @ y)
    a = np.linspace(-30, 30, 1201)
    la, lb = np.meshgrid(a, a, indexing="ij")   # log tau, log lambda
    s2 = np.exp(2 * (la + lb))
    # half-Cauchy(1) densities on the log scale, t / (1 + t^2) each, times p(y | s)
    log_post = (la - np.log1p(np.exp(2 * la))) + (lb - np.log1p(np.exp(2 * lb)))
    log_post += -0.5 * np.log1p(s2 * G) + 0.5 * s2 * c**2 / (1 + s2 * G)
    weight = np.exp(log_post - log_post.max())
    weight /= weight.sum()
    cond_mean, cond_var = s2 * c / (1 + s2 * G), s2 / (1 + s2 * G)
    mean, second = np.sum(weight * cond_mean), np.sum(weight * (cond_var + cond_mean**2))

    est = BayesianLinearRegression(prior="horseshoe", sigma=1.0, fit_intercept=False, num_warmup=500,
                                   num_samples=2000, num_chains=2, chain_method="sequential",
                                   target_accept_prob=0.95, progress=False, seed=4).fit(x, y)
    w = est.fit_result_.draws("w")[..., 0]
    assert_within_mcse(w, mean, label="E[w]")
    assert_within_mcse(w**2, second, label="E[w^2]")
    assert est.fit_result_.num_divergences == 0
    post = est.fit_result_.posterior
    assert {"w", "z", "lambda", "tau"} <= set(post)
    assert "collapsed" in est.idata_.attrs["inference"]
    again = BayesianLinearRegression(**est.get_params()).fit(x, y)
    np.testing.assert_array_equal(again.fit_result_.draws("w"), est.fit_result_.draws("w"))


@pytest.mark.parametrize("prior", ["horseshoe", "regularized_horseshoe", "r2d2"])
def test_collapsed_and_noncentred_models_have_the_same_posterior_density_of_scales(prior):
    """Integrating z out of the non-centred model gives the collapsed model's log density. The joint is
    Gaussian in z, so the integral is exact by Laplace's method: the joint at the conditional mode plus
    (p/2) log(2 pi) - (1/2) log|H|, H the Hessian in z."""
    from numpyro.infer.util import log_density

    from bayesreg.priors import R2D2

    X, y = _problem(p=3)
    n, p = X.shape
    obj = {"horseshoe": Horseshoe(0.7), "regularized_horseshoe": RegularizedHorseshoe(p0=1), "r2d2": R2D2(0.4)}[prior]
    x_sq = np.mean(X**2, axis=0)
    common = dict(loc=np.array([0.1, 0.0, -0.2]), tau=1.0, sigma=1.5, prior=prior, sigma_prior="halfnormal",
                  shrinkage=obj.params(n, p), x_sq=x_sq, centered=True, **sufficient_statistics(X, y))
    scales = {"lambda": np.array([0.5, 2.0, 1.2]), "tau": 0.3, "c2": 2.5, "sigma": 0.9, "r2": 0.35,
              "phi": np.array([0.2, 0.5, 0.3])}
    sites = {"horseshoe": ("lambda", "tau"), "regularized_horseshoe": ("lambda", "tau", "c2"),
             "r2d2": ("r2", "phi")}[prior]
    scales = {k: v for k, v in scales.items() if k in (*sites, "sigma")}
    collapsed, _ = log_density(models.linear_regression_collapsed, (), common, scales)
    tau, lam, sigma = scales.get("tau"), scales.get("lambda"), scales["sigma"]
    if prior == "horseshoe":
        d = tau * lam
    elif prior == "regularized_horseshoe":
        c2 = scales["c2"]
        d = tau * np.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    else:
        r2 = scales["r2"]
        d = sigma * np.sqrt(r2 / (1 - r2) * scales["phi"] / x_sq)
    G, cvec, loc = X.T @ X, X.T @ y, common["loc"]
    # p(y | z) with w = loc + d z, z ~ N(0, I): Gaussian in z with Hessian H = I + d G d / sigma^2
    H = np.eye(p) + d[:, None] * G * d[None, :] / sigma**2
    z_hat = np.linalg.solve(H, d * (cvec - G @ loc) / sigma**2)
    joint, _ = log_density(models.linear_regression_gram, (), common, {**scales, "z": z_hat})
    integral = float(joint) + p / 2 * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(H)[1]
    assert float(collapsed) == pytest.approx(integral, rel=1e-10)


def test_thin_factor_gives_the_same_collapsed_likelihood_when_p_exceeds_n():
    # p > n: Woodbury on the n x n matrix instead of the p x p Cholesky, the same value
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(6, 10)), rng.normal(size=6)
    R, qy = models.thin_factor(X, y)
    assert R.shape == (6, 10) and models.thin_factor(X.T, y) is None
    np.testing.assert_allclose(R.T @ R, X.T @ X, atol=1e-12)
    assert qy @ qy == pytest.approx(y @ y, rel=1e-12)
    lam, tau, sigma, loc = rng.uniform(0.1, 3.0, 10), 0.6, 0.8, rng.normal(size=10)
    kwargs = dict(loc=loc, tau=1.0, sigma=sigma, prior="horseshoe", shrinkage=Horseshoe(1.0).params(6, 10),
                  **sufficient_statistics(X, y))
    conditioned = condition(models.linear_regression_collapsed, {"lambda": lam, "tau": tau})
    full = trace(conditioned).get_trace(**kwargs)["likelihood"]["fn"].log_factor
    thin = trace(conditioned).get_trace(**kwargs, R=R, qy=qy)["likelihood"]["fn"].log_factor
    direct = stats.multivariate_normal(X @ loc, X @ np.diag((tau * lam) ** 2) @ X.T + sigma**2 * np.eye(6)).logpdf(y)
    assert float(thin) == pytest.approx(float(full), rel=1e-10)
    assert float(thin) == pytest.approx(direct + 3 * np.log(2 * np.pi), rel=1e-10)


def test_collapsed_likelihood_keeps_its_digits_when_p_exceeds_n_and_sigma_is_small():
    """p > n lets X D X' fit y almost exactly; as sigma falls the n x n form must stay exact. The old
    Woodbury form, (r'r - u'B^-1 u) / sigma^2, subtracted near-equal numbers: here its error was 0.05 at sigma = 1e-2
    and 689 at 1e-3 (NUTS then adapted its step size to 1e-14 and froze on the sparse study)."""
    rng = np.random.default_rng(8)
    n, p = 30, 80
    X = rng.normal(size=(n, p))
    lam, tau = np.exp(rng.normal(size=p)), 0.3
    y = X @ (tau * lam * rng.normal(size=p))
    R, qy = models.thin_factor(X, y)
    for sigma in (1.0, 1e-2, 1e-3):
        kwargs = dict(loc=np.zeros(p), tau=1.0, sigma=sigma, prior="horseshoe", shrinkage=Horseshoe(1.0).params(n, p),
                      **sufficient_statistics(X, y))
        conditioned = condition(models.linear_regression_collapsed, {"lambda": lam, "tau": tau})
        thin = trace(conditioned).get_trace(**kwargs, R=R, qy=qy)["likelihood"]["fn"].log_factor
        cov = X @ np.diag((tau * lam) ** 2) @ X.T + sigma**2 * np.eye(n)
        direct = stats.multivariate_normal(np.zeros(n), cov).logpdf(y) + n / 2 * np.log(2 * np.pi)
        assert float(thin) == pytest.approx(direct, rel=1e-9, abs=1e-6), sigma


def test_gram_form_thins_only_a_collapsed_p_over_n_problem():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(6, 10)), rng.normal(size=6)
    model, draw_key, extra = models.gram_form(X, y, collapsed=True)
    assert model is models.linear_regression_collapsed and draw_key == "w_key" and set(extra) == {"R", "qy"}
    assert models.gram_form(X.T, rng.normal(size=10), collapsed=True)[2] == {}  # n >= p: nothing to thin
    assert models.gram_form(X, y, collapsed=False) == (models.linear_regression_gram, None, {})
    Xs, ys = rng.normal(size=(3, 6, 10)), rng.normal(size=(3, 6))  # replicates stacked: each thinned
    R = models.gram_form(Xs, ys, collapsed=True)[2]["R"]
    np.testing.assert_allclose(np.einsum("rnp,rnq->rpq", R, R), np.einsum("rnp,rnq->rpq", Xs, Xs), atol=1e-12)


def test_column_mean_squares_guards_a_zero_column_in_numpy_and_jax():
    X = np.random.default_rng(7).normal(size=(8, 3))
    X[:, 2] = 0.0
    x_sq = models.column_mean_squares(X)
    assert isinstance(x_sq, np.ndarray) and x_sq[2] == 1.0
    np.testing.assert_array_equal(x_sq[:2], np.mean(X**2, axis=0)[:2])  # numpy's numbers, bit for bit
    np.testing.assert_allclose(jax.jit(models.column_mean_squares)(X), x_sq, rtol=1e-12)
