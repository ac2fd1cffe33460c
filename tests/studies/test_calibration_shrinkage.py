"""Simulation-based calibration of the shrinkage priors: the truth is drawn from each prior by the
model itself; the cases are opt-in (``calibrate --shrinkage``), the 1,000-simulation runs slow."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from bayesreg.cli import main
from bayesreg.studies.calibration import CalibrationCase, run_case, shrinkage_cases, simulate, standard_cases


def test_shrinkage_cases_are_opt_in():
    assert not {c.prior for c in standard_cases()} & {"horseshoe", "regularized_horseshoe", "r2d2"}
    assert [c.prior for c in shrinkage_cases()] == ["horseshoe", "regularized_horseshoe", "r2d2"]
    assert all(c.method == "nuts" and c.target_accept_prob == 0.95 for c in shrinkage_cases())


@pytest.mark.parametrize("kwargs", [dict(method="gibbs"), dict(method="exact"), dict(tau_prior="halfnormal"),
                                    dict(fit_tau=0.5), dict(noncentered=True)])
def test_shrinkage_case_refuses_what_does_not_apply(kwargs):
    with pytest.raises(ValueError, match="horseshoe|method 'gibbs' needs|method 'exact' needs"):
        CalibrationCase(prior="horseshoe", **kwargs)


def test_simulated_truth_comes_from_the_horseshoe():
    """w = z lambda tau with tau ~ HalfCauchy(case.tau): the median of |tau| is the scale."""
    sim = simulate(CalibrationCase(prior="horseshoe", tau=2.0), 4000, rng_key=jax.random.key(0))
    np.testing.assert_allclose(sim["w"], sim["z"] * sim["lambda"] * sim["tau"][:, None], rtol=1e-12)
    assert abs(np.median(sim["tau"]) - 2.0) < 0.15  # HalfCauchy(2) median 2; sd of the median ~0.05
    r2 = simulate(CalibrationCase(prior="r2d2"), 4000, rng_key=jax.random.key(1))["r2"]
    assert abs(np.mean(r2) - 0.5) < 0.02  # R2D2's default: R^2 ~ Beta(1, 1)


@pytest.mark.slow  # a compilation of its own: ~75 s on the shared machine
@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_r2d2_smoke_ranks_r2(capsys):
    assert main(["calibrate", "--prior", "r2d2", "--n-sims", "8", "--num-warmup", "50", "--num-samples", "100",
                 "--num-draws", "19", "--bins", "4", "--no-progress"]) in (0, 1)
    text = capsys.readouterr().out
    assert "linear r2d2, sigma fixed" in text and "\nr2 " in text


@pytest.mark.slow
@pytest.mark.parametrize("case", shrinkage_cases(), ids=lambda c: c.label)
def test_shrinkage_priors_are_calibrated(case):
    """Fitted collapsed, as the estimator fits them. Non-centred, the horseshoe failed here (tau and the
    log-likelihood, adjusted p 1.2e-4: one-chain NUTS stuck on large-tau truths, 13,097 divergences)."""
    result = run_case(case, n_sims=1000, seed=0)
    assert result.passed, f"{case.label}\n{result.table}\n{result.summary()}"
