
import jax
import numpy as np
import pytest

from bayesreg import models
from bayesreg.datasets import simulate_regression
from bayesreg.evaluation import (
    Estimate,
    compare_estimators,
    paired_mse_difference,
    posterior_expected_test_mse,
    test_mse,
)
from bayesreg.infer.mcmc import MCMCSettings
from bayesreg.infer.nuts import run_nuts, run_nuts_batched

test_mse.__test__ = False  # a library function named test_*, not a test


def test_test_mse_and_paired_difference():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([1.0, 2.0, 4.0])
    est = test_mse([1.0, 2.0], X, y)
    assert est.mean == pytest.approx(1.0 / 3.0)
    assert est.se == pytest.approx(np.std([0, 0, 1.0], ddof=1) / np.sqrt(3))
    assert test_mse([1.0, 2.0], X, y, intercept=1.0).mean == pytest.approx((1 + 1 + 0) / 3)
    d = paired_mse_difference(X @ [1.0, 2.0], X @ [1.0, 2.0] + 0.5, y)
    assert isinstance(d, Estimate) and d.mean == pytest.approx(np.mean([0 - 0.25, 0 - 0.25, 1 - 0.25]))
    with pytest.raises(ValueError, match="w_hat has 3 entries but X has 2 features"):
        test_mse([1.0, 2.0, 3.0], X, y)


def test_posterior_expected_mse_decomposition_and_minimiser():
    rng = np.random.default_rng(0)
    draws = rng.normal([1.0, -2.0, 0.5], [0.3, 0.1, 0.5], size=(4, 500, 3))
    mean = draws.reshape(-1, 3).mean(axis=0)
    cov = np.cov(draws.reshape(-1, 3).T, ddof=0)
    w_hat = np.array([0.8, -1.5, 0.0])
    pe = posterior_expected_test_mse(draws, w_hat, sigma=2.0)
    assert pe.mean == pytest.approx(4.0 + np.trace(cov) + np.sum((mean - w_hat) ** 2), rel=1e-12)
    # against the exact expectation under the distribution the draws came from, within the MCSE
    exact = 4.0 + np.sum(np.array([0.3, 0.1, 0.5]) ** 2) + np.sum((np.array([1.0, -2.0, 0.5]) - w_hat) ** 2)
    assert abs(pe.mean - exact) <= 4 * pe.se
    M = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 3.0]])
    pe_m = posterior_expected_test_mse(draws, w_hat, sigma=2.0, second_moment=M)
    assert pe_m.mean == pytest.approx(4.0 + np.trace(M @ cov) + (mean - w_hat) @ M @ (mean - w_hat), rel=1e-10)


def test_compare_estimators_on_simulated_data():
    data = simulate_regression(60, 4, n_nonzero=2, sigma=1.0, seed=1)
    table, fits = compare_estimators(data.X[:40], data.y[:40], data.X[40:], data.y[40:], tau=0.5, sigma=1.0,
                                     num_warmup=500, num_samples=1000, progress=False)
    assert list(table.index[:3]) == ["w_MAP", "posterior mean", "posterior median"]
    X_test, y_test = data.X[40:], data.y[40:]
    nuts, map_fit = fits["nuts"], fits["map"]
    # every row from its own estimate, recomputed here from the fits
    for name, pred in (("w_MAP", map_fit.predict(X_test)), ("posterior mean", nuts.predict(X_test)),
                       ("posterior median", X_test @ np.median(nuts.fit_result_.draws("w").reshape(-1, 4), axis=0)
                        + np.median(nuts.fit_result_.draws("intercept")))):
        assert table.loc[name, "test_mse"] == pytest.approx(np.mean((y_test - pred) ** 2), rel=1e-12)
        d = (y_test - pred) ** 2 - (y_test - nuts.predict(X_test)) ** 2
        assert table.loc[name, "minus_posterior_mean"] == pytest.approx(d.mean(), rel=1e-12, abs=1e-15)
    assert table.loc["w_MAP", "exact_zeros"] == int(np.sum(fits["map"].coef_ == 0))


def test_batched_nuts_equals_one_at_a_time_for_the_same_keys():
    rng = np.random.default_rng(1)
    R = 3  # 3 replicates x 3 chains: 9 pairs, which do not split evenly over 2 devices
    X = rng.normal(size=(R, 20, 3))
    y = X @ np.array([1.0, 0.0, -1.0]) + rng.normal(size=(R, 20))
    batch = dict(X=X, y=y, loc=np.zeros((R, 3)), sigma=np.ones(R), tau=np.ones(R))
    static = dict(prior="laplace", sigma_prior=None, tau_prior=None, scale_by_sigma=False, centered=False)
    settings = MCMCSettings(num_warmup=30, num_samples=30, num_chains=3, chain_method="sequential")
    key = jax.random.key(3)
    together = run_nuts_batched(models.linear_regression, key, batch, static=static, settings=settings)
    assert together.samples["w"].shape == (R, 3, 30, 3)
    assert together.stats["n_steps"].shape == (R, 3, 30)
    for r, k in enumerate(jax.random.split(key, R)):
        alone = run_nuts(models.linear_regression, k, {name: v[r] for name, v in batch.items()}, static=static,
                         settings=settings)
        # the same program on the same key and data: the same draws, bit for bit
        np.testing.assert_array_equal(together.samples["w"][r], alone.samples["w"])
        np.testing.assert_array_equal(together.stats["n_steps"][r], alone.stats["n_steps"])
    assert len({together.samples["w"][r, c, -1, 0] for r in range(R) for c in range(3)}) == R * 3


def test_compare_defaults_work_on_real_data(tmp_path):
    """tau='auto' and sigma='ols' by default, in compare_estimators and bayesreg compare: on
    diabetes the exact lasso MAP and the posterior mean predict held-out rows about as well as
    OLS. bayesreg compare's old default tau = 1 (with sigma = OLS sd 54) set all ten MAP
    coefficients to zero: test MSE 5,709 against OLS's 2,898."""
    import json

    from bayesreg.cli import main
    from bayesreg.datasets import load_diabetes_data, shuffled_split

    data = load_diabetes_data()
    test, train = shuffled_split(len(data.y), [110], seed=0)   # bayesreg compare's split: --test-size 0.25
    Xi = np.column_stack([np.ones(len(train)), data.X[train]])
    coef = np.linalg.lstsq(Xi, data.y[train], rcond=None)[0]
    ols = np.mean((data.y[test] - np.column_stack([np.ones(len(test)), data.X[test]]) @ coef) ** 2)
    table, fits = compare_estimators(data.X[train], data.y[train], data.X[test], data.y[test], progress=False)
    assert fits["map"].fit_result_.kkt_violation < 1e-8                 # still the exact (weighted) lasso
    assert main(["compare", "--data", "diabetes", "--seed", "0", "--no-progress",
                 "--json", str(tmp_path / "c.json")]) == 0
    cli = {row["estimate"]: row["test_mse"] for row in json.loads((tmp_path / "c.json").read_text())["table"]}
    for row in ("w_MAP", "posterior mean"):
        assert table.loc[row, "test_mse"] < 1.05 * ols, (row, table.loc[row, "test_mse"], ols)
        assert cli[row] < 1.05 * ols, (row, cli[row], ols)
