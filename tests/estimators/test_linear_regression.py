"""BayesianLinearRegression as a scikit-learn estimator: conventions and errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from bayesreg import BayesianLinearRegression, HalfCauchy, HalfNormal, NotFittedError
from bayesreg.datasets import load_diabetes_data, simulate_regression


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("kwargs", [
    pytest.param(dict(method="map"), marks=pytest.mark.slow),  # the defaults: L-BFGS, ~40 s
    pytest.param(dict(method="map", prior="normal"), marks=pytest.mark.slow),
    dict(method="map", tau=1.0, sigma=1.0, fit_intercept=False),  # the fixed model: exact lasso
    dict(method="map", prior="normal", tau=1.0, sigma=1.0),
    dict(method="exact", prior="normal", sigma=1.0),
])
def test_passes_sklearn_check_estimator(kwargs):
    results = check_estimator(BayesianLinearRegression(**kwargs), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert not failed


def test_works_in_pipeline_gridsearch_and_cross_val():
    data = load_diabetes_data()
    pipe = make_pipeline(StandardScaler(), BayesianLinearRegression(method="map", sigma=54.0,
                                                                    fit_intercept=True))
    scores = cross_val_score(pipe, data.X, data.y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.3)
    grid = GridSearchCV(pipe, {"bayesianlinearregression__tau": [0.1, 1.0, 10.0]}, cv=3).fit(data.X, data.y)
    assert grid.best_params_["bayesianlinearregression__tau"] in (0.1, 1.0, 10.0)


def test_pandas_feature_names_are_kept():
    data = load_diabetes_data()
    X = pd.DataFrame(data.X, columns=data.feature_names)
    est = BayesianLinearRegression(method="map", sigma=54.0, tau=10.0).fit(X, data.y)
    assert list(est.feature_names_in_) == data.feature_names
    assert list(est.coef_table().index) == data.feature_names


def test_p_greater_than_n_works():
    data = simulate_regression(15, 40, n_nonzero=3, seed=2)
    for method, prior in (("map", "laplace"), ("exact", "normal"), ("map", "normal")):
        est = BayesianLinearRegression(prior=prior, method=method, tau=1.0, sigma=1.0,
                                       fit_intercept=False).fit(data.X, data.y)
        assert est.coef_.shape == (40,) and np.all(np.isfinite(est.coef_))


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.array([[1.0, np.nan]] * 3), np.ones(3), "X contains 3 non-finite value.*NaN at index \\(0, 1\\)"),
        (np.ones((3, 2)), np.array([1.0, np.inf, 0.0]), "y contains 1 non-finite value.*infinite"),
        (np.ones((3, 2)), np.ones(4), "X has 3 rows, y has 4 values"),
        (np.empty((0, 2)), np.empty(0), "X is empty"),
    ],
)
def test_bad_data_gives_clear_errors(X, y, message):
    with pytest.raises(ValueError, match=message):
        BayesianLinearRegression(method="map").fit(X, y)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(tau=0.0), "tau must be a finite number > 0"),
        (dict(sigma=-1.0), "sigma must be a finite number > 0"),
        (dict(loc=[1.0, 2.0, 3.0]), r"loc must be a scalar or have one entry per feature \(2\); got shape \(3,\)"),
        (dict(prior="spike_and_slab"), "prior must be one of"),
        (dict(method="vi"), "method must be one of"),
        (dict(method="exact"), "method='exact' needs prior='normal'"),
        (dict(method="exact", prior="normal", sigma=HalfNormal(1.0)), "method='exact' needs"),
    ],
)
def test_bad_parameters_give_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BayesianLinearRegression(**{"method": "map", **kwargs}).fit(np.ones((4, 2)), np.arange(4.0))


def test_bad_prior_objects():
    with pytest.raises(ValueError, match=r"HalfNormal.scale must be a finite number > 0"):
        HalfNormal(0.0)
    with pytest.raises(TypeError, match="HalfCauchy.scale must be a positive number"):
        HalfCauchy("big")


def test_predict_before_fit_and_wrong_width():
    est = BayesianLinearRegression(method="map")
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est.predict(np.ones((2, 2)))
    est.fit(np.random.default_rng(0).normal(size=(10, 2)), np.arange(10.0))
    with pytest.raises(ValueError, match="X has 3 features, but BayesianLinearRegression is expecting 2"):
        est.predict(np.ones((2, 3)))


def test_exact_predictive_std_formula():
    data = simulate_regression(30, 3, sigma=0.7, seed=4)
    est = BayesianLinearRegression(prior="normal", tau=2.0, sigma=0.7, method="exact",
                                   fit_intercept=True).fit(data.X, data.y)
    X_new = np.random.default_rng(5).normal(size=(4, 3))
    mean, std = est.predict(X_new, return_std=True)
    Xc = X_new - data.X.mean(axis=0)
    var = 0.49 + np.einsum("ij,jk,ik->i", Xc, est.posterior_.cov, Xc) + 0.49 / 30
    np.testing.assert_allclose(std, np.sqrt(var), rtol=1e-12)
    draws = est.sample_predictive(X_new, seed=0)
    assert draws.shape == (4000, 4)
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=5 * std.max() / np.sqrt(4000))
    lo, hi = est.predict_interval(X_new, 0.9)
    assert np.all(lo < mean) and np.all(mean < hi)
