"""One R-hat/ESS: bayesreg.diagnostics equals ArviZ's rank-normalised estimators, and the
convergence warnings print the numbers of the summary table."""

import logging
import re
import warnings

import numpy as np
import pytest

from bayesreg.diagnostics import mcse_of_mean, quick_diagnostics, rank_diagnostics
from bayesreg.inference_data import arviz
from bayesreg.results import PosteriorFit
from bayesreg.testing import assert_within_mcse

az = arviz()


@pytest.fixture(autouse=True)
def _arviz_numpy_path():
    """The reference is ArviZ's numpy code path. With numba installed ArviZ switches to one-pass
    variances (numbers ~1e-13 apart) and its az.mcse(method="sd") fails on numpy 2.4."""
    numba_flag = az.Numba.numba_flag
    az.Numba.disable_numba()
    yield
    az.Numba.numba_flag = numba_flag


def _ar1(rng, shape, rho):
    x = np.empty(shape)
    x[:, 0] = rng.standard_normal((shape[0],) + shape[2:])
    noise = rng.standard_normal(shape) * np.sqrt(1 - rho**2)
    for t in range(1, shape[1]):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def _cases():
    rng = np.random.default_rng(20260101)
    yield "normal", rng.standard_normal((4, 1000, 3))
    yield "ar1_0.9", _ar1(rng, (4, 500, 3), 0.9)
    # Geyer's sequence ends within the first pass's lags for one component and runs past them for two
    yield "ar1_mixed_lengths", np.concatenate([_ar1(rng, (4, 1000, 1), rho) for rho in (0.0, 0.95, 0.99)], -1)
    yield "ar1_0.99_odd_draws", _ar1(rng, (3, 301, 2), 0.99)
    yield "ar1_negative", _ar1(rng, (4, 200, 2), -0.7)
    yield "shifted_chains", rng.standard_normal((4, 200, 3)) + np.array([0.0, 0.0, 0.0, 0.5])[:, None, None]
    yield "scaled_chains", rng.standard_normal((4, 200, 2)) * np.array([1.0, 1.0, 1.0, 3.0])[:, None, None]
    yield "cauchy", rng.standard_cauchy((4, 250, 3))
    yield "constant_component", np.concatenate([np.full((4, 100, 1), 2.5), rng.standard_normal((4, 100, 1))], -1)
    yield "poisson_ties", rng.poisson(2.0, (4, 250, 3)).astype(float)
    yield "binary", rng.integers(0, 2, (2, 100, 2)).astype(float)
    yield "one_chain", rng.standard_normal((1, 500, 2))
    yield "few_draws", rng.standard_normal((3, 5, 2))
    yield "four_draws", rng.standard_normal((2, 4, 2))
    yield "three_draws", rng.standard_normal((2, 3, 2))


def _arviz_values(ary):
    """ArviZ's per-component diagnostics of a (chain, draw) array."""
    return {"r_hat": az.rhat(ary, method="rank"), "ess_bulk": az.ess(ary, method="bulk"),
            "ess_tail": az.ess(ary, method="tail"), "ess_mean": az.ess(ary, method="mean"),
            "mcse_mean": az.mcse(ary, method="mean"), "mcse_sd": az.mcse(ary, method="sd")}


@pytest.mark.parametrize("name, draws", list(_cases()), ids=[name for name, _ in _cases()])
def test_rank_diagnostics_equal_arviz(name, draws, caplog):
    caplog.set_level(logging.ERROR, logger="arviz")        # ArviZ logs its shape checks
    ours = rank_diagnostics(draws)
    for j in range(draws.shape[-1]):
        with warnings.catch_warnings():                     # ArviZ divides 0/0 for a constant component
            warnings.simplefilter("ignore", RuntimeWarning)
            theirs = _arviz_values(draws[..., j])
        for key, value in theirs.items():
            np.testing.assert_allclose(ours[key][j], float(value), rtol=1e-10, atol=0,
                                       err_msg=f"{name}: {key} of component {j}")


def test_relative_ess_equals_arviz():
    draws = _ar1(np.random.default_rng(3), (4, 300, 2), 0.8)
    ours = rank_diagnostics(draws, relative=True)
    for j in range(2):
        for method in ("bulk", "tail", "mean"):
            np.testing.assert_allclose(ours[f"ess_{method}"][j],
                                       float(az.ess(draws[..., j], method=method, relative=True)), rtol=1e-10)


def test_nan_component_is_nan_and_others_unaffected():
    draws = np.random.default_rng(4).standard_normal((4, 100, 2))
    clean = rank_diagnostics(draws)
    draws[1, 7, 0] = np.nan
    dirty = rank_diagnostics(draws)
    assert all(np.isnan(dirty[key][0]) for key in dirty)
    for key in dirty:
        np.testing.assert_allclose(dirty[key][1], clean[key][1], rtol=1e-12)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="shape \\(chain, draw, component\\)"):
        rank_diagnostics(np.zeros((4, 100)))
    with pytest.raises(ValueError, match="draws\\['w'\\] must have shape"):
        quick_diagnostics({"w": np.zeros(10)})


def test_quick_diagnostics_labels_and_columns():
    rng = np.random.default_rng(5)
    table = quick_diagnostics({"w": rng.standard_normal((2, 50, 3)), "sigma": rng.standard_normal((2, 50))})
    assert list(table.index) == ["w[0]", "w[1]", "w[2]", "sigma"]
    assert list(table.columns) == ["ess_bulk", "ess_tail", "r_hat"]
    assert list(quick_diagnostics({"s": rng.standard_normal((2, 50))}, mcse=True).columns) == [
        "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"]


def test_mcse_helpers_equal_arviz():
    draws = _ar1(np.random.default_rng(6), (4, 400), 0.6)
    assert mcse_of_mean(draws) == pytest.approx(float(az.mcse(draws, method="mean")), rel=1e-10)
    ess = float(az.ess(draws, method="mean"))
    mcse = float(az.mcse(draws, method="mean"))
    # the tolerance assert_within_mcse uses is ArviZ's: just inside passes, just outside fails
    assert_within_mcse(draws, draws.mean() + 3.99 * mcse, min_ess=min(ess, 400))
    with pytest.raises(AssertionError, match=f"ESS = {ess:.0f}"):
        assert_within_mcse(draws, draws.mean() + 4.01 * mcse, min_ess=min(ess, 400))


def _fit_with(posterior):
    return PosteriorFit(posterior=posterior, sample_stats={"diverging": np.zeros((4, 1000), dtype=bool)},
                        build=lambda: az.from_dict(posterior=posterior))


def test_warnings_print_the_numbers_of_the_summary_table():
    """Four chains with equal means, one with three times the spread: NumPyro's split R-hat
    (the warnings' old estimator) is about 1.00 and no R-hat warning was given, while the
    rank-normalised R-hat in the table (its folded part) is 1.14; the old tail ESS (not split,
    x >= q95%) said 17 where the table says 37. The warnings must print the table's numbers."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((4, 1000, 3))
    w[3, :, 1] *= 3.0
    posterior = {"w": w, "sigma": np.abs(rng.standard_normal((4, 1000))) + 1.0}
    fit = _fit_with(posterior)

    table = fit.summary()
    problems = fit.convergence_problems()
    (rhat_message,) = [p for p in problems if p.startswith("R-hat")]
    assert re.search(r"worst (\S+): ([0-9.]+)\)", rhat_message).groups() == (
        table["r_hat"].idxmax(), f"{table['r_hat'].max():.3f}")
    (tail_message,) = [p for p in problems if p.startswith("ess_tail")]
    assert re.search(r"lowest (\S+): ([0-9.]+)\)", tail_message).groups() == (
        table["ess_tail"].idxmin(), f"{table['ess_tail'].min():.0f}")
    # every diagnostic column of the table is ArviZ's own number (even draws: az.summary = az.rhat)
    arviz_table = az.summary(fit.idata, round_to="none")
    for key in ("r_hat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd"):
        np.testing.assert_allclose(table[key].values, arviz_table[key].values, rtol=1e-10, err_msg=key)


def test_summary_rows_and_warning_labels_follow_coordinates():
    rng = np.random.default_rng(12)
    w = rng.standard_normal((4, 1000, 3))
    w[3, :, 1] *= 3.0                                       # R-hat 1.1 for w[bmi]
    posterior = {"w": w, "sigma": rng.standard_normal((4, 1000)), "M": rng.standard_normal((4, 1000, 2, 2))}
    dims, coords = {"w": ["feature"]}, {"feature": ["age", "bmi", "bp"]}
    fit = PosteriorFit(posterior=posterior, dims=dims, coords=coords,
                       build=lambda: az.from_dict(posterior=posterior, dims=dims, coords=coords))
    assert "worst w[bmi]:" in fit.convergence_problems()[0]
    table = fit.summary(var_names=["sigma", "w"])
    assert list(table.index) == ["sigma", "w[age]", "w[bmi]", "w[bp]"]
    expected = [float(az.rhat(posterior["sigma"]))] + [float(az.rhat(w[..., j])) for j in range(3)]
    np.testing.assert_allclose(table["r_hat"].values, expected, rtol=1e-10)
    assert list(fit.summary().index) == list(quick_diagnostics(posterior, labels=fit._labels).index) == [
        "w[age]", "w[bmi]", "w[bp]", "sigma", "M[0, 0]", "M[0, 1]", "M[1, 0]", "M[1, 1]"]
    # a fit read back from an InferenceData takes its labels from there
    assert fit._labels == PosteriorFit(fit.idata)._labels


def test_components_split_over_threads_give_the_same_numbers():
    """Many components are split over threads; each component's numbers must not change."""
    from bayesreg.diagnostics import rank_diagnostics

    x = np.random.default_rng(7).standard_normal((3, 200, 70)).cumsum(axis=1)
    whole = rank_diagnostics(x)
    for j in (0, 33, 69):
        alone = rank_diagnostics(x[..., j:j + 1])
        for key, value in whole.items():
            np.testing.assert_array_equal(value[j:j + 1], alone[key], err_msg=key)


def test_many_components_do_not_deadlock_the_thread_pool():
    """With 128 or more components each pool worker once split its share again onto the same
    pool and waited on it: all workers waiting, none left to run (a study's stacked replicates
    and any fit with p >= 128 hung). Run in a daemon thread so a regression fails, not hangs."""
    import threading

    from bayesreg.diagnostics import rank_diagnostics

    x = np.random.default_rng(8).standard_normal((2, 100, 600))
    out = {}
    worker = threading.Thread(target=lambda: out.update(rank_diagnostics(x, mcse=False)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "rank_diagnostics on 600 components did not finish in 120 s"
    alone = rank_diagnostics(x[..., 599:600], mcse=False)
    np.testing.assert_array_equal(out["r_hat"][599:], alone["r_hat"])


def test_convergence_summary_names_the_worst_parameters():
    """max R-hat and min ESS (bulk or tail) with the labels they belong to, from the one
    implementation's table; undefined statistics are None, not NaN."""
    import pandas as pd

    from bayesreg.diagnostics import convergence_summary

    table = pd.DataFrame({"ess_bulk": [900.0, 150.0, 800.0], "ess_tail": [700.0, 400.0, 90.0],
                          "r_hat": [1.001, 1.05, 1.002]}, index=["w[age]", "w[bmi]", "sigma"])
    summary = convergence_summary(table, num_divergences=3, num_chains=2)
    assert summary["max_rhat"] == 1.05 and summary["max_rhat_parameter"] == "w[bmi]"
    assert summary["min_ess"] == 90.0 and summary["min_ess_parameter"] == "sigma"
    assert summary["divergences"] == 3 and not summary["converged"] and len(summary["problems"]) == 4
    one_chain = convergence_summary(table.assign(r_hat=np.nan), num_divergences=0, num_chains=1)
    assert one_chain["max_rhat"] is None and one_chain["max_rhat_parameter"] is None


def test_posterior_fit_convergence_is_the_diagnostics_table():
    rng = np.random.default_rng(0)
    posterior = {"w": rng.standard_normal((2, 50, 3)), "sigma": 1 + 0.1 * rng.standard_normal((2, 50))}
    fit = PosteriorFit(posterior=posterior, sample_stats={"diverging": np.zeros((2, 50), bool)},
                       build=lambda: None, dims={"w": ["feature"]}, coords={"feature": ["a", "b", "c"]})
    table = quick_diagnostics(posterior, labels={"w": ["w[a]", "w[b]", "w[c]"], "sigma": ["sigma"]})
    summary = fit.convergence()
    assert summary["max_rhat"] == table["r_hat"].max() and summary["max_rhat_parameter"] == table["r_hat"].idxmax()
    assert summary["min_ess"] == np.fmin(table["ess_bulk"], table["ess_tail"]).min()
    assert summary["problems"] == fit.convergence_problems()
