"""The simulation studies: the claims of the issue, checked with their own error bars."""


import numpy as np
import pytest

from bayesreg.studies import gaussian_mean, linear, parse_grid

NUTS = dict(num_warmup=300, num_samples=300, num_chains=2)


@pytest.fixture(scope="module")
def linear_study():
    # n = p: the MAP's sparsity costs the most; n = 10 p: the two estimates nearly agree
    return linear.run_study([5, 50], [5], [0.5], [1.0], replicates=200, seed=0, progress=False, **NUTS)


def test_posterior_mean_beats_map_at_small_n_and_the_gap_shrinks(linear_study):
    _, summary = linear_study
    small, large = summary.set_index("n").loc[5], summary.set_index("n").loc[50]
    assert small["ci_low"] > 0, small          # the 95% interval lies above zero
    assert abs(large["diff"]) < small["diff"] / 10
    assert summary["divergences"].sum() == 0


def test_posterior_expected_mse_is_calibrated(linear_study):
    """w is drawn afresh from the prior in every replicate, so when the sampler is right the
    posterior-expected test MSE of an estimate averages to its true expected test MSE,
    sigma^2 + (w - w_hat)' Sigma (w - w_hat), over replicates (a check on the draws, which a
    biased sampler fails; pe_mse_map >= pe_mse_mean would hold for any draws)."""
    per_rep, _ = linear_study
    for est in ("map", "mean"):
        for n, g in per_rep.groupby("n"):
            d = g[f"pe_mse_{est}"] - g[f"theory_mse_{est}"]
            se = d.std(ddof=1) / np.sqrt(len(d))
            assert abs(d.mean()) < 4 * se, (est, n, d.mean(), se)


def test_theory_and_simulation_agree(linear_study):
    """Test MSE on 1,000 fresh points vs sigma^2 + ||w - w_hat||^2 (X ~ N(0, I))."""
    per_rep, _ = linear_study
    for est in ("map", "mean"):
        for _, g in per_rep.groupby("n"):
            d = g[f"mse_{est}"] - (g["sigma"] ** 2 + g[f"sqerr_{est}"])
            se = d.std(ddof=1) / np.sqrt(len(d))
            assert abs(d.mean()) < 4 * se, (est, d.mean(), se)


def test_same_seed_same_cell():
    from bayesreg.infer.mcmc import MCMCSettings

    settings = MCMCSettings(num_warmup=50, num_samples=50, num_chains=1, chain_method="vectorized")
    a = linear.run_cell(6, 2, 1.0, 1.0, 3, settings=settings, seed=4)
    b = linear.run_cell(6, 2, 1.0, 1.0, 3, settings=settings, seed=4)
    c = linear.run_cell(6, 2, 1.0, 1.0, 3, settings=settings, seed=5)
    assert a.equals(b) and not a.equals(c)


def test_gaussian_mean_study():
    per_rep, summary = gaussian_mean.run_study([1, 3, 5000], replicates=3000, n_test=50, seed=0, progress=False)
    gains = gaussian_mean.paired_lpd_differences(per_rep).set_index(["n", "versus"])
    for versus in ("MLE plug-in", "MAP plug-in"):
        g = gains.loc[(1, versus)]
        assert g["lpd_gain"] > 3 * g["se"]                        # best held-out log density at small n
        assert abs(gains.loc[(5000, versus), "lpd_gain"]) < 1e-4  # and the three coincide for large n
    s = summary.set_index(["n", "predictive"])
    for n in (1, 3):
        cover = {k: abs(s.loc[(n, k), "coverage"] - 0.95) for k in gaussian_mean.PREDICTIVES}
        assert min(cover, key=cover.get) == "posterior predictive"
    large = [s.loc[(5000, k), "coverage"] for k in gaussian_mean.PREDICTIVES]
    assert max(large) - min(large) < 0.002
    assert s.loc[(5000, "posterior predictive"), "predictive_var_over_sigma2"] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(ns=[0, 5]), "n values must be > 0"),
    (dict(ps="5,x"), "p must be whole numbers separated by commas; got 'x'"),
    (dict(replicates=0), "replicates must be >= 1"),
    (dict(taus="-1"), "tau values must be > 0"),
    (dict(ps=""), "p must list at least one value"),
])
def test_bad_grid_values(kwargs, message):
    args = dict(ns=[5], ps=[2], taus=[1.0], sigmas=[1.0], replicates=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        linear.run_study(args.pop("ns"), args.pop("ps"), args.pop("taus"), args.pop("sigmas"), **args)


def test_parse_grid():
    assert parse_grid("50, 20,200", "n", kind=int) == [20, 50, 200]
    assert parse_grid(0.5, "tau") == [0.5]
    with pytest.raises(ValueError, match="must be finite"):
        parse_grid("inf", "tau")
