"""bayesreg.regularization_path: convergence problems are said per tau, at the user's line."""

import warnings

import numpy as np
import pytest

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


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")   # short chains: the wiring is tested here
def test_horseshoe_path_is_the_posterior_mean_under_each_global_scale(tmp_path, capsys):
    """prior='horseshoe': tau is Horseshoe(scale=tau); each point equals that estimator's own fit, one
    compiled sampler serves every tau, and there is no MAP. (On diabetes, n = 442, the posterior
    hardly moves between scales 1e-3 and 1: the HalfCauchy's tail lets the data set tau.)"""
    from bayesreg.cli import main
    from bayesreg.infer.mcmc import trace_count

    data = load_diabetes_data()
    X, y = data.X / data.X.std(axis=0), (data.y - data.y.mean()) / data.y.std()
    settings = dict(num_warmup=300, num_samples=300, num_chains=2, seed=3)
    bayesreg.BayesianLinearRegression(prior=bayesreg.Horseshoe(scale=1.0), sigma=0.7, fit_intercept=False,
                                      progress=False, **settings).fit(X, y)   # compiled here
    before = trace_count()
    path = bayesreg.regularization_path(X, y, [1e-3, 1.0], prior="horseshoe", sigma=0.7, progress=False,
                                        **settings)
    assert trace_count() == before, "a new global scale recompiled the sampler"
    assert path.map_coef is None and path.prior == "horseshoe"
    direct = bayesreg.BayesianLinearRegression(prior=bayesreg.Horseshoe(scale=1e-3), sigma=0.7,
                                               fit_intercept=False, progress=False, **settings).fit(X, y)
    np.testing.assert_array_equal(path.mean_coef[1], direct.coef_)           # taus run from large to small
    assert not np.array_equal(path.mean_coef[0], path.mean_coef[1])
    assert set(path.to_frame()["estimate"]) == {"posterior_mean"}
    # the command line draws it, with no MAP column
    assert main(["path", "--data", "diabetes", "--prior", "horseshoe", "--taus", "0.01,1", "--num-warmup", "200",
                 "--num-samples", "200", "--num-chains", "2", "--out", str(tmp_path), "--no-progress"]) in (0, 1)
    out = capsys.readouterr().out
    assert "map_nonzero" not in out and "mean_abs_posterior_mean" in out
    assert (tmp_path / "regularization_path.png").is_file()
    assert main(["path", "--data", "diabetes", "--prior", "horseshoe", "--no-posterior"]) == 2
    assert "no MAP" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")   # short chains: the wiring is tested here
def test_regularized_horseshoe_path_varies_tau0():
    """prior='regularized_horseshoe': tau is tau0, the scale of the global scale's prior
    (RegularizedHorseshoe(scale_global=tau / sigma), sigma fixed); each point is that estimator's own fit,
    one compiled sampler serves every tau, there is no MAP; p0 and scale_global together are refused."""
    from bayesreg.infer.mcmc import trace_count

    data = load_diabetes_data()
    X, y = data.X / data.X.std(axis=0), (data.y - data.y.mean()) / data.y.std()
    settings = dict(num_warmup=200, num_samples=200, num_chains=2, seed=4)
    rhs = bayesreg.RegularizedHorseshoe
    bayesreg.BayesianLinearRegression(prior=rhs(scale_global=1.0), sigma=0.7, fit_intercept=False, progress=False,
                                      **settings).fit(X, y)   # compiled here
    before = trace_count()
    path = bayesreg.regularization_path(X, y, [1e-4, 0.7], prior="regularized_horseshoe", sigma=0.7,
                                        progress=False, **settings)
    assert trace_count() == before, "a new tau0 recompiled the sampler"
    assert path.map_coef is None and path.prior == "regularized_horseshoe"
    direct = bayesreg.BayesianLinearRegression(prior=rhs(scale_global=1e-4 / 0.7), sigma=0.7, fit_intercept=False,
                                               progress=False, **settings).fit(X, y)
    np.testing.assert_array_equal(path.mean_coef[1], direct.coef_)
    assert not np.array_equal(path.mean_coef[0], path.mean_coef[1])  # (n = 442: the data mostly set tau)
    with pytest.raises(ValueError, match="p0 or scale_global, not both"):
        rhs(p0=3, scale_global=0.1)
    assert bayesreg.priors.prior_from_json(rhs(scale_global=0.2).to_json()) == rhs(scale_global=0.2)
    with pytest.raises(ValueError, match="no MAP"):
        bayesreg.regularization_path(X, y, [1.0], prior="regularized_horseshoe", posterior=False)
