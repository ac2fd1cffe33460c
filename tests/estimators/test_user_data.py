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
