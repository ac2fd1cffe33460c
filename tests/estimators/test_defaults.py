"""Defaults that work on real data (issue 13): rstanarm's autoscale, reported in ``priors_``.

The defaults are an intercept, sigma ~ HalfNormal(sd(y)) and coefficient scales
tau_j = 2.5 sd(y) / sd(x_j); explicit numbers keep the fixed (sigma, tau) model, whose
Laplace MAP is the exact lasso.
"""

import numpy as np
import pytest
from sklearn.linear_model import Lasso, LinearRegression

from bayesreg import BayesianLinearRegression, HalfNormal
from bayesreg.datasets import load_diabetes_data, shuffled_split, simulate_regression
from bayesreg.infer.lasso import LassoSolution


def _diabetes_split():
    data = load_diabetes_data()
    test, train = shuffled_split(len(data.y), [len(data.y) // 4], seed=0)
    return data.X[train], data.y[train], data.X[test], data.y[test]


@pytest.mark.parametrize("method", ["nuts", "map"])
def test_defaults_score_like_ols_on_held_out_diabetes(method):
    """Must show: held-out R^2 with default settings within 0.05 of OLS (was -3.4 vs 0.52)."""
    X_tr, y_tr, X_te, y_te = _diabetes_split()
    ols = LinearRegression().fit(X_tr, y_tr).score(X_te, y_te)
    est = BayesianLinearRegression(method=method, progress=False).fit(X_tr, y_tr)
    assert abs(est.score(X_te, y_te) - ols) < 0.05, (est.score(X_te, y_te), ols)


def test_defaults_are_autoscaled_and_reported():
    X_tr, y_tr, _, _ = _diabetes_split()
    X_tr = np.column_stack([X_tr, np.full(len(y_tr), 3.0)])  # a constant column keeps sd(x_j) = 1
    est = BayesianLinearRegression(method="map").fit(X_tr, y_tr)
    sd_y = np.std(y_tr, ddof=1)
    assert est.fit_intercept
    assert est.priors_["sigma"] == HalfNormal(sd_y)
    expected_tau = 2.5 * sd_y / np.r_[np.std(X_tr[:, :-1], axis=0, ddof=1), 1.0]
    np.testing.assert_allclose(est.priors_["tau"], expected_tau, rtol=1e-12)
    assert est.priors_["intercept"] == "flat" and est.priors_["w"] == "Laplace(loc_j, tau_j)"
    summary = est.prior_summary()
    assert summary.startswith("intercept ~ flat; w_j ~ Laplace(loc_j, tau_j), loc = 0, tau = "
                              f"{expected_tau.min():.4g} to {expected_tau.max():.4g} over 11 features; ")
    assert summary.endswith(f"sigma ~ HalfNormal({sd_y:g})")
    assert est.coef_table().attrs["priors"] == summary
    # with scale_by_sigma sigma carries the units of y: tau_j = 2.5 / sd(x_j)
    scaled = BayesianLinearRegression(method="map", scale_by_sigma=True).fit(X_tr[:, :3], y_tr)
    np.testing.assert_allclose(scaled.priors_["tau"], 2.5 / np.std(X_tr[:, :3], axis=0, ddof=1))


def test_explicit_numbers_are_the_fixed_model_and_its_exact_lasso():
    data = simulate_regression(40, 6, n_nonzero=2, sigma=1.0, seed=3)
    est = BayesianLinearRegression(method="map", tau=0.5, sigma=1.0, fit_intercept=False).fit(data.X, data.y)
    assert isinstance(est.fit_result_, LassoSolution)
    assert est.priors_ == {"w": "Laplace(loc_j, tau)", "loc": 0.0, "tau": 0.5, "sigma": 1.0}
    assert est.prior_summary() == "w_j ~ Laplace(loc_j, tau), loc = 0, tau = 0.5; sigma = 1"
    ref = Lasso(alpha=1.0 / (0.5 * 40), fit_intercept=False, tol=1e-14, max_iter=100_000).fit(data.X, data.y)
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-8)


def test_auto_tau_with_fixed_sigma_is_an_exact_weighted_lasso():
    """tau="auto" with sigma a number: still the exact lasso, with penalty sigma^2 / tau_j on w_j."""
    data = simulate_regression(60, 5, n_nonzero=2, sigma=1.0, seed=5)
    X = data.X * np.array([1.0, 10.0, 0.1, 3.0, 1.0])
    est = BayesianLinearRegression(method="map", sigma=3.0).fit(X, data.y)
    assert isinstance(est.fit_result_, LassoSolution)
    tau = est.priors_["tau"]
    Xc, yc = X - X.mean(axis=0), data.y - data.y.mean()
    ref = Lasso(alpha=9.0 / 60, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(Xc * tau, yc)
    np.testing.assert_allclose(est.coef_, ref.coef_ * tau, atol=1e-8 * np.max(tau))
    assert np.array_equal(est.coef_ == 0.0, ref.coef_ == 0.0)


def test_per_feature_tau_exact_posterior_is_the_closed_form():
    data = simulate_regression(30, 3, n_nonzero=3, sigma=0.5, seed=7)
    tau = np.array([0.1, 1.0, 10.0])
    est = BayesianLinearRegression(prior="normal", method="exact", tau=tau, sigma=0.5,
                                   fit_intercept=False).fit(data.X, data.y)
    precision = data.X.T @ data.X / 0.25 + np.diag(1.0 / tau**2)
    np.testing.assert_allclose(est.posterior_.cov, np.linalg.inv(precision), rtol=1e-10)
    np.testing.assert_allclose(est.coef_, np.linalg.solve(precision, data.X.T @ data.y / 0.25), rtol=1e-10)


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="exact", prior="normal"), r"^method='exact' needs a fixed sigma.*sigma=1\.0"),
    (dict(method="gibbs"), r"^method='gibbs' cannot sample the default sigma='auto'.*Jeffreys\(\) or a number"),
])
def test_methods_that_need_a_fixed_sigma_say_which_argument_to_set(kwargs, message):
    data = simulate_regression(20, 2, seed=0)
    with pytest.raises(ValueError, match=message) as info:
        BayesianLinearRegression(**kwargs).fit(data.X, data.y)
    assert "\n" not in str(info.value)


def test_gibbs_with_auto_tau_and_a_conjugate_sigma_works():
    from bayesreg import Jeffreys

    data = simulate_regression(50, 3, n_nonzero=3, sigma=1.0, seed=1)
    est = BayesianLinearRegression(method="gibbs", sigma=Jeffreys(), num_warmup=200, num_samples=300,
                                   chain_method="sequential", progress=False).fit(data.X, data.y)
    ols = LinearRegression().fit(data.X, data.y)
    np.testing.assert_allclose(est.coef_, ols.coef_, atol=0.15)


@pytest.mark.parametrize("value, error", [("ols", TypeError), ([1.0, 2.0], ValueError), ([1.0, -1.0, 1.0], ValueError)])
def test_bad_tau_is_named(value, error):
    data = simulate_regression(20, 3, seed=0)
    with pytest.raises(error, match="tau"):
        BayesianLinearRegression(method="map", tau=value, sigma=1.0).fit(data.X, data.y)


def test_resolved_priors_are_saved_and_loaded(tmp_path):
    import bayesreg

    data = simulate_regression(30, 3, seed=0)
    est = BayesianLinearRegression(method="map").fit(data.X, data.y)
    loaded = bayesreg.load(est.save(tmp_path / "m"))
    assert loaded.prior_summary() == est.prior_summary()
    assert loaded.priors_["sigma"] == est.priors_["sigma"]
    np.testing.assert_array_equal(loaded.priors_["tau"], est.priors_["tau"])
    np.testing.assert_array_equal(loaded.predict(data.X), est.predict(data.X))


def test_prior_summary_of_many_features_gives_the_range():
    data = simulate_regression(30, 12, seed=0)
    est = BayesianLinearRegression(method="map", sigma=1.0).fit(data.X * np.arange(1.0, 13.0), data.y)
    tau = est.priors_["tau"]
    assert f"tau = {tau.min():.4g} to {tau.max():.4g} over 12 features; sigma = 1" in est.prior_summary()
