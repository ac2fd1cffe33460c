"""compare_priors: PSIS-LOO per prior as ArviZ computes it, every Pareto k > 0.7 named, test MSEs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bayesreg import compare_priors
from bayesreg.cli import main
from bayesreg.inference_data import arviz

FAST = dict(num_warmup=300, num_samples=300, num_chains=2, chain_method="sequential", seed=0)


def _bad_k(idata):
    return np.flatnonzero(np.asarray(arviz().loo(idata, pointwise=True).pareto_k) > 0.7)


@pytest.mark.filterwarnings("ignore::UserWarning")  # ArviZ's own Pareto k warning, in the reference call
def test_compare_priors_on_diabetes_matches_arviz_loo():
    from bayesreg.datasets import load_diabetes_data

    d = load_diabetes_data()
    result = compare_priors(d.X, d.y, priors=["normal", "laplace"], **FAST)
    table = result.table
    assert list(table.index) == sorted(table.index, key=lambda p: table.loc[p, "rank"])
    for prior in ("normal", "laplace"):
        reference = arviz().loo(result.fits[prior].idata_)
        assert table.loc[prior, "elpd_loo"] == pytest.approx(reference.elpd_loo, rel=1e-12)
        assert table.loc[prior, "elpd_se"] == pytest.approx(reference.se, rel=1e-12)
        bad = _bad_k(result.fits[prior].idata_)
        assert list(result.pareto_k[prior].index) == list(result.train[bad])  # every k > 0.7, by row of X
        assert table.loc[prior, "n_pareto_k_above_0.7"] == len(bad)
    assert table["weight"].sum() == pytest.approx(1.0)
    assert table["elpd_diff"].iloc[0] == 0.0
    # the MAP exists for both, at the posterior medians of sigma and tau; test MSEs are finite with SEs
    assert np.all(np.isfinite(table[["test_mse", "test_mse_se", "map_test_mse", "map_test_mse_se"]].to_numpy()))
    assert len(result.test) == round(0.25 * len(d.y))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_gross_outliers_are_named_with_their_pareto_k():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ np.array([1.0, -1.0]) + 0.3 * rng.normal(size=60)
    y[[3, 17]] += 4.0  # two outliers of ~13 noise sds
    result = compare_priors(X, y, priors=["normal", "horseshoe"], test_size=0.2, sigma=0.3, **FAST)
    for prior, est in result.fits.items():
        bad = result.train[_bad_k(est.idata_)]
        assert len(bad) >= 1
        assert list(result.pareto_k[prior].index) == list(bad)
        assert set(bad) <= {3, 17}
    lines = result.warnings()
    assert len(lines) == 2 and all("Pareto k > 0.7" in line for line in lines)
    assert np.isnan(result.table.loc["horseshoe", "map_test_mse"])  # no MAP for a shrinkage prior


def test_compare_priors_checks_its_arguments_before_fitting():
    X, y = np.ones((10, 2)), np.arange(10.0)
    with pytest.raises(ValueError, match="prior must be one of"):
        compare_priors(X, y, priors=["normal", "lasso"])
    with pytest.raises(ValueError, match="priors must differ"):
        compare_priors(X, y, priors=["normal", "normal"])
    with pytest.raises(ValueError, match="test_size"):
        compare_priors(X, y, test_size=1.5)


def test_cli_compare_priors_refuses_bad_input(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--data", "diabetes", "--priors", "normal,lasso"])
    assert exit_info.value.code == 2 and "--priors" in capsys.readouterr().err
    assert main(["fit", "--data", "diabetes", "--prior", "horseshoe", "--method", "map"]) == 2
    assert "method='map' is not available for prior='horseshoe'" in capsys.readouterr().err
    assert main(["path", "--data", "diabetes", "--prior", "r2d2"]) == 2
    out, err = capsys.readouterr()
    assert "R2D2 has no scale to vary" in err and out == ""   # the error comes before any output


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_cli_compare_priors(tmp_path, capsys):
    assert main(["compare", "--data", "diabetes", "--priors", "normal,r2d2", "--num-warmup", "200",
                 "--num-samples", "200", "--no-progress", "--json", str(tmp_path / "c.json"),
                 "--out", str(tmp_path)]) == 0
    out = json.loads((tmp_path / "c.json").read_text())
    assert {row["prior"] for row in out["table"]} == {"normal", "r2d2"}
    assert set(out["pareto_k_above_0.7"]) == {"normal", "r2d2"}
    assert (tmp_path / "compare_priors.png").exists()
    assert "PSIS-LOO" in capsys.readouterr().out
