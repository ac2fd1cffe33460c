"""``simulate linear`` with the shrinkage priors: the truth from the prior itself, no MAP."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayesreg.cli import main
from bayesreg.studies.linear import _shrinkage_truth, run_study


def test_horseshoe_truth_matches_an_independent_draw():
    """w = z lambda tau, z ~ N(0, 1), lambda ~ HalfCauchy(1), tau ~ HalfCauchy(scale): the model's
    draws against numpy's, two-sample KS on log |w| (the tails are Cauchy-squared)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 10, 1))
    w = _shrinkage_truth(X, prior="horseshoe", tau=0.5, sigma=1.0, rng=rng)[:, 0]
    ref = rng.standard_normal(4000) * np.abs(rng.standard_cauchy(4000)) * 0.5 * np.abs(rng.standard_cauchy(4000))
    assert stats.ks_2samp(np.log(np.abs(w)), np.log(np.abs(ref))).pvalue > 1e-3
    # and it is not the Laplace(0, 0.5) the study would otherwise draw (the test can fail)
    assert stats.ks_2samp(np.log(np.abs(w)), np.log(np.abs(rng.laplace(0, 0.5, 4000)))).pvalue < 1e-6


def test_priors_without_tau_take_one_tau():
    with pytest.raises(ValueError, match="tau is not used by prior='r2d2'"):
        run_study(20, 3, "0.5,1", 1.0, prior="r2d2", replicates=2)


@pytest.mark.slow  # compiles NUTS for the horseshoe, ~40 s on the shared machine
@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_simulate_linear_with_the_horseshoe(tmp_path, capsys):
    assert main(["simulate", "linear", "--prior", "horseshoe", "--n", "50", "--p", "5", "--tau", "1",
                 "--replicates", "4", "--num-warmup", "200", "--num-samples", "200", "--n-test", "100",
                 "--target-accept", "0.95", "--no-progress", "--out", str(tmp_path)]) == 0
    summary = __import__("pandas").read_csv(tmp_path / "linear_summary.csv")
    assert summary["mse_map"].isna().all() and summary["diff"].isna().all()  # no MAP for the horseshoe
    assert 0.9 < summary["mse_mean"].iloc[0] < 2.0  # sigma^2 = 1 plus estimation error, p = 5 and n = 50
    assert (tmp_path / "study_linear.png").exists()
