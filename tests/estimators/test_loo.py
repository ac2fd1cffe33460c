"""LOO always possible (issue 13): est.loo() and est.log_likelihood(), whatever the size."""

import numpy as np
import pytest

from bayesreg import BayesianLinearRegression, likelihood
from bayesreg.datasets import simulate_regression
from bayesreg.inference_data import arviz

pytestmark = [pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning"),  # small, fast fits
              pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")]
DATA = simulate_regression(40, 2, sigma=1.0, seed=1)
KW = dict(num_warmup=200, num_samples=200, num_chains=2, chain_method="sequential", progress=False, seed=3)


@pytest.mark.parametrize("model", [dict(), dict(tau=1.0, sigma=1.0, fit_intercept=False)])
def test_loo_equals_arviz_and_works_above_the_pointwise_limit(model, monkeypatch):
    az = arviz()
    est = BayesianLinearRegression(**model, **KW).fit(DATA.X, DATA.y)
    group = est.idata_.log_likelihood["y"].values
    np.testing.assert_allclose(est.log_likelihood(), group, rtol=1e-12, atol=0)
    np.testing.assert_allclose(est.log_likelihood(max_elements=1000), group, rtol=1e-12, atol=0)  # 2 rows a chunk
    reference = az.loo(est.idata_, pointwise=True)
    ours = est.loo(pointwise=True)
    assert ours["elpd_loo"] == reference["elpd_loo"] and ours["p_loo"] == reference["p_loo"]
    np.testing.assert_array_equal(ours.loo_i.values, reference.loo_i.values)

    # above chains x draws x rows = MAX_POINTWISE the fit keeps no pointwise group; loo() still works
    monkeypatch.setattr(likelihood, "MAX_POINTWISE", 1000)
    big = BayesianLinearRegression(**model, **KW).fit(DATA.X, DATA.y)
    assert "log_likelihood" not in big.idata_.groups()
    with pytest.raises(TypeError):
        az.loo(big.idata_)  # what users met before
    loo = big.loo(pointwise=True)
    assert loo["elpd_loo"] == pytest.approx(reference["elpd_loo"], rel=1e-12)
    np.testing.assert_allclose(loo.loo_i.values, reference.loo_i.values, rtol=1e-10)
    np.testing.assert_allclose(big.log_likelihood(), group, rtol=1e-12, atol=0)


def test_loo_at_new_data_and_clear_errors():
    est = BayesianLinearRegression(tau=1.0, sigma=1.0, **KW).fit(DATA.X, DATA.y)
    new = simulate_regression(15, 2, sigma=1.0, seed=9)
    assert est.log_likelihood(new.X, new.y).shape == (2, 200, 15)
    assert np.isfinite(est.loo(new.X, new.y)["elpd_loo"])
    with pytest.raises(ValueError, match="pass both X and y"):
        est.log_likelihood(new.X)
    with pytest.raises(ValueError, match="log_likelihood needs posterior draws"):
        BayesianLinearRegression(method="map", tau=1.0, sigma=1.0).fit(DATA.X, DATA.y).log_likelihood()
