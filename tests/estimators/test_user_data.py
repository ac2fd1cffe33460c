"""The user's data treated as scikit-learn, Bambi and rstanarm users expect (issue 13):
feature names, seeds, overflow and degenerate data."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from bayesreg import BayesianLinearRegression
from bayesreg.datasets import simulate_regression

FIXED_MAP = dict(method="map", tau=1.0, sigma=1.0)  # the exact lasso: fast


def _frame():
    data = simulate_regression(30, 3, n_nonzero=3, seed=0)
    return pd.DataFrame(data.X, columns=["a", "b", "c"]), data.y


@pytest.mark.parametrize("change, message", [
    (lambda X: X[["c", "a", "b"]], "Feature names must be in the same order as they were in fit"),
    (lambda X: X.rename(columns={"b": "B"}), "Feature names unseen at fit time:\n- B"),
    (lambda X: X[["a", "b"]], "Feature names seen at fit time, yet now missing:\n- c"),
])
def test_predict_on_other_columns_raises(change, message):
    X, y = _frame()
    est = BayesianLinearRegression(**FIXED_MAP).fit(X, y)
    for method in (est.predict, est.predict_interval, est.score):
        with pytest.raises(ValueError, match=re.escape(message)):
            method(change(X), *([y] if method == est.score else []))


def test_numpy_after_a_dataframe_fit_warns_as_sklearn_and_predicts_the_same():
    X, y = _frame()
    est = BayesianLinearRegression(**FIXED_MAP).fit(X, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names, but BayesianLinearRegression "
                                         "was fitted with feature names"):
        from_array = est.predict(X.to_numpy())
    np.testing.assert_array_equal(from_array, est.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.predict(X)  # the same columns: no warning


def test_refit_on_an_array_forgets_the_names():
    X, y = _frame()
    est = BayesianLinearRegression(**FIXED_MAP).fit(X, y).fit(X.to_numpy(), y)
    assert not hasattr(est, "feature_names_in_")
    assert list(est.coef_table().index) == ["x0", "x1", "x2"]


# ------------------------------------------------------------------ seed
def _seed_entry_points():
    import bayesreg
    from bayesreg.evaluation import compare_estimators
    from bayesreg.mlp import FeedForwardNetwork, SoftmaxCrossEntropy, train
    from bayesreg.studies import gaussian_mean, linear

    data = simulate_regression(20, 2, seed=0)
    X, y = data.X, data.y
    fitted = BayesianLinearRegression(**FIXED_MAP).fit(X, y)
    exact = BayesianLinearRegression(method="exact", prior="normal", sigma=1.0).fit(X, y)
    model = bayesreg.GaussianMean(sigma=1.0, tau=1.0)
    net = FeedForwardNetwork(2, 2, hidden_dim=3, num_layers=1)
    return {
        "estimator": lambda s: BayesianLinearRegression(seed=s, progress=False).fit(X, y),
        "sample_predictive": lambda s: exact.sample_predictive(X, seed=s),
        "sample_predictive of a map fit": lambda s: fitted.set_params(seed=s).sample_predictive(X),
        "GaussianMean.sample": lambda s: model.sample(y, seed=s),
        "calibrate": lambda s: bayesreg.calibrate("gaussian_mean", "nuts", n_sims=10, seed=s),
        "linear study": lambda s: linear.run_study([5], [2], [1.0], [1.0], replicates=2, seed=s),
        "gaussian-mean study": lambda s: gaussian_mean.run_study([2], replicates=2, seed=s),
        "compare_estimators": lambda s: compare_estimators(X, y, X, y, seed=s),
        "regularization_path": lambda s: bayesreg.regularization_path(X, y, [1.0], seed=s),
        "growth_table": lambda s: bayesreg.growth_table(model, [1, 2], mu_true=1.0, seed=s),
        "sign_cases": lambda s: bayesreg.sign_cases(model, seed=s),
        "simulate_regression": lambda s: simulate_regression(5, 2, seed=s),
        "FeedForwardNetwork": lambda s: FeedForwardNetwork(2, 2, hidden_dim=3, num_layers=1, seed=s),
        "mlp train": lambda s: train(net, SoftmaxCrossEntropy(), X, (y > 0).astype(int), max_epochs=1, seed=s),
    }


@pytest.mark.parametrize("seed, error, got", [
    ("abc", TypeError, "got str 'abc'"),
    (1.5, TypeError, "got float 1.5"),
    (True, TypeError, "got bool True"),
    (np.random.RandomState(0), TypeError, "got a legacy np.random.RandomState"),
    (-1, ValueError, "got -1"),
])
def test_bad_seed_is_one_line_naming_seed_at_every_entry_point(seed, error, got):
    for name, call in _seed_entry_points().items():
        with pytest.raises(error, match=r"^seed must be an int >= 0") as info:
            call(seed)
        message = str(info.value)
        assert got in message and "\n" not in message, (name, message)


def test_seed_none_is_fresh_and_a_generator_is_reproducible():
    data = simulate_regression(20, 2, seed=0)
    est = BayesianLinearRegression(method="exact", prior="normal", sigma=1.0).fit(data.X, data.y)
    a, b = (est.sample_predictive(data.X[:2]) for _ in range(2))  # the estimator's seed, 0
    np.testing.assert_array_equal(a, b)
    est.set_params(seed=None)  # fresh entropy each time
    a, b = (est.sample_predictive(data.X[:2]) for _ in range(2))
    assert not np.array_equal(a, b)
    c, d = (est.sample_predictive(data.X[:2], seed=np.random.default_rng(5)) for _ in range(2))
    np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(est.sample_predictive(data.X[:2], seed=3), est.sample_predictive(data.X[:2], seed=3))


# ------------------------------------------------------------------ overflow and degenerate data
def _with(value, column=1, target=False):
    data = simulate_regression(30, 3, seed=0)
    X, y = pd.DataFrame(data.X, columns=["age", "income", "bmi"]), data.y.copy()
    if target:
        y[4] = value
    else:
        X.iloc[4, column] = value
    return X, y


@pytest.mark.parametrize("kwargs", [dict(method="map", tau=1.0, sigma=1.0), dict(method="map"),
                                    dict(method="nuts", progress=False),
                                    dict(method="exact", prior="normal", sigma=1.0)])
@pytest.mark.parametrize("value, target, message", [
    (1e300, False, r"^X column 'income' is too large for float64 \(largest \|value\| 1e\+300\): its sum of squares "
                   r"overflows; scale it"),
    (-1e300, True, r"^y is too large for float64 \(largest \|value\| 1e\+300\)"),
])
def test_overflowing_data_is_refused_before_fitting(kwargs, value, target, message):
    """Was: NaN coefficients and no error (MAP), draws stuck at their start with warnings (NUTS)."""
    X, y = _with(value, target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing from numpy, NumPyro or ArviZ on the way
        with pytest.raises(ValueError, match=message):
            BayesianLinearRegression(**kwargs).fit(X, y)


def test_a_column_too_small_for_float64_is_refused():
    X, y = _with(0.0, column=0)
    X["age"] = 1e-170 * np.arange(30.0)
    with pytest.raises(ValueError, match=r"^X column 'age' is too small for float64.*underflows to 0; scale it"):
        BayesianLinearRegression(**FIXED_MAP).fit(X, y)


def test_chains_that_never_move_raise_and_nan_estimates_are_never_returned(monkeypatch):
    """The samplers' and estimates' own guards, with the data check above switched off."""
    import bayesreg.estimators.linear_regression as module
    from bayesreg import ConvergenceError

    monkeypatch.setattr(module, "check_scales", lambda *args, **kwargs: None)
    X, y = _with(1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConvergenceError, match=r"^NUTS chain\(s\) 0, 1 of 2 never moved"):
            BayesianLinearRegression(tau=1.0, sigma=1.0, num_warmup=50, num_samples=50, progress=False).fit(X, y)
        with pytest.raises(ConvergenceError, match="the map fit gave non-finite estimates"):
            BayesianLinearRegression(**FIXED_MAP).fit(X, y)


def test_cli_overflow_is_one_line_with_no_warnings(tmp_path, capsys):
    from bayesreg.cli import main

    X, y = _with(1e300)
    csv = tmp_path / "big.csv"
    X.assign(y=y).to_csv(csv, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["fit", "--data", str(csv), "--method", "nuts,map", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "X column 'income' is too large for float64" in captured.err
    assert captured.out == ""


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_same_data_same_draws_whatever_the_memory_layout():
    """A DataFrame's values are Fortran-ordered: X'X then summed in another order changed NUTS draws
    (by up to 4e-3 in a coefficient on diabetes). Arrays are made C-ordered at validation."""
    from bayesreg.datasets import load_diabetes_data

    data = load_diabetes_data()
    X = data.X / data.X.std(axis=0)
    est = BayesianLinearRegression(prior="horseshoe", sigma=0.7, num_warmup=150, num_samples=100,
                                   num_chains=2, seed=3, progress=False)
    layouts = [X, np.asfortranarray(X), pd.DataFrame(X, columns=data.feature_names)]
    coefs = [est.fit(layout, data.y).coef_ for layout in layouts]
    for coef in coefs[1:]:
        np.testing.assert_array_equal(coef, coefs[0])
