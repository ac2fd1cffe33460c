"""bayesreg.regularization_path: convergence problems are said per tau, at the user's line."""

import warnings

import numpy as np

import bayesreg
from bayesreg import ConvergenceWarning
from bayesreg.datasets import load_diabetes_data


def test_convergence_warnings_name_the_tau_and_point_at_the_caller():
    data = load_diabetes_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = bayesreg.regularization_path(data.X, data.y, [1.0, 100.0], fit_intercept=True, num_warmup=200,
                                            num_samples=20, num_chains=2, progress=False)
    said = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert said, "20 draws per chain should not pass the R-hat and ESS checks"
    assert all(str(w.message).startswith("at tau = ") for w in said)
    assert {w.filename for w in said} == {__file__}  # not a line inside the package
    # the same problems are kept in the result, per tau
    assert [c["tau"] for c in path.convergence] == [100.0, 1.0]
    assert np.all(np.isfinite(path.mean_coef))
