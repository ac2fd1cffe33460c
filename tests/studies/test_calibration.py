"""Simulation-based calibration: the uniformity statistics, the engine, the CLI and, in the
slow suite, every model x method at 1,000 simulations and three broken fits that must fail."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from bayesreg.cli import main
from bayesreg.studies import calibration as cal
from bayesreg.studies.calibration import CalibrationCase, calibrate, run_case, standard_cases

NULL = 20_000       # null simulations of the ECDF test in the fast tests (the default is 100,000)


# ---------------------------------------------------------------- statistics
def test_tests_accept_uniform_ranks_at_their_nominal_rate():
    # under uniformity both p-values are (close to) uniform: ~5% of samples below 0.05
    rng = np.random.default_rng(0)
    p = np.array([(cal.chi_square_test(r, 99, 20)[1], cal.ecdf_test(r, 99, simulations=NULL))
                  for r in rng.integers(0, 100, size=(300, 200))])
    rate = (p < 0.05).mean(axis=0)
    sd = np.sqrt(0.05 * 0.95 / 300)
    assert np.all(np.abs(rate - 0.05) < 4 * sd), rate


@pytest.mark.parametrize("shape", ["biased", "too_narrow", "too_wide"])
def test_tests_reject_non_uniform_ranks(shape):
    # what wrong inference does to ranks among L = 99 draws: shifted posterior (skewed ranks),
    # too narrow (ranks at both ends), too wide (ranks in the middle)
    u = np.random.default_rng(1).uniform(size=1000)
    warped = {"biased": u**1.3, "too_narrow": 0.5 + 0.5 * np.sign(u - 0.5) * np.abs(2 * u - 1) ** 0.7,
              "too_wide": 0.5 + 0.5 * np.sign(u - 0.5) * np.abs(2 * u - 1) ** 1.4}[shape]
    ranks = np.minimum((warped * 100).astype(int), 99)
    assert cal.chi_square_test(ranks, 99, 20)[1] < 1e-4
    assert cal.ecdf_test(ranks, 99, simulations=NULL) < 1e-3


def test_ecdf_band_is_simultaneous():
    # ~95% of uniform samples keep their whole ECDF difference inside the 95% band
    rng = np.random.default_rng(2)
    z, lower, upper = cal.ecdf_band(200, 99, 0.05, simulations=NULL)
    inside = []
    for ranks in rng.integers(0, 100, size=(400, 200)):
        diff = cal.ecdf_counts(ranks, 99) / 200 - z
        inside.append(np.all((diff >= lower) & (diff <= upper)))
    assert 0.95 - 4 * np.sqrt(0.05 * 0.95 / 400) < np.mean(inside) <= 1.0
    assert np.all(lower < 0) and np.all(upper > 0)


# ---------------------------------------------------------------- engine
def test_exact_posterior_passes_and_a_halved_prior_scale_fails():
    # iid draws from the closed form: ranks are uniform; fitting with tau / 2 is not
    good = calibrate("linear", "exact", n_sims=1000, seed=0)
    assert good.passed, good.table
    assert set(good.ranks) == {"w[0]", "w[1]", "w[2]", "loglik", "y_new"}
    assert all(r.min() >= 0 and r.max() <= 99 for r in good.ranks.values())
    bad = calibrate("linear", "exact", n_sims=1000, seed=0, fit_tau=0.5)
    assert not bad.passed, bad.table


def test_nuts_smoke_reports_ess_thinning_and_diagnostics():
    result = calibrate("gaussian_mean", "nuts", n_sims=40, num_warmup=100, num_samples=300, seed=3)
    assert set(result.ranks) == {"mu", "loglik", "y_new"}
    assert result.ess.shape == result.thin.shape == result.rhat.shape == (40,)
    assert np.all(result.thin >= 1) and np.all(result.thin <= 300 // 99)
    assert np.all(np.isfinite(result.rhat)) and result.divergences.sum() == 0
    assert result.seconds_per_simulation > 0
    json.dumps(result.to_dict(), default=float)
    # same seed, same ranks
    again = calibrate("gaussian_mean", "nuts", n_sims=40, num_warmup=100, num_samples=300, seed=3)
    assert all(np.array_equal(result.ranks[k], again.ranks[k]) for k in result.ranks)


def test_gibbs_smoke_ranks_sigma():
    result = calibrate("linear", "gibbs", prior="laplace", sigma_prior="invgamma", n_sims=8, num_warmup=50,
                       num_samples=200, seed=0)
    assert set(result.ranks) == {"w[0]", "w[1]", "w[2]", "sigma", "loglik", "y_new"}


def test_given_design_sets_n_and_p():
    X = np.random.default_rng(0).standard_normal((15, 2))
    result = calibrate("linear", "exact", X=X, n_sims=50)
    assert (result.case.n, result.case.p) == (15, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_bins=7), "num_bins must divide"),
    (dict(model="gaussian_mean", method="gibbs"), "gibbs"),
    (dict(method="exact", prior="laplace"), "exact"),
    (dict(method="gibbs", prior="laplace", sigma_prior="halfnormal"), "gibbs"),
    (dict(method="hmc"), "method must be one of"),
    (dict(sigma=-1.0), "sigma"),
    (dict(num_samples=50), "num_samples must be >= num_draws"),
])
def test_bad_case_is_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CalibrationCase(**kwargs)


def test_bad_n_sims_is_a_clear_error():
    with pytest.raises(ValueError, match="n_sims"):
        calibrate("gaussian_mean", "exact", n_sims=1)


def test_plot_calibration_draws_two_rows_per_quantity():
    from bayesreg.plotting import plot_calibration

    fig = plot_calibration(calibrate("gaussian_mean", "exact", n_sims=100))
    assert len(fig.axes) == 2 * 3


# ---------------------------------------------------------------- command line
def test_cli_writes_table_json_and_png(tmp_path, capsys):
    out = tmp_path / "sbc"
    rc = main(["calibrate", "--model", "gaussian-mean", "--method", "exact", "--n-sims", "100",
               "--out", str(out), "--json", str(tmp_path / "sbc.json")])
    assert rc == 0
    text = capsys.readouterr().out
    assert "gaussian_mean / exact: passes" in text and "sec_per_sim" in text
    assert (out / "sbc_00_gaussian_mean_exact.png").stat().st_size > 1000
    record = json.loads((tmp_path / "sbc.json").read_text())
    assert record["summary"][0]["passed"] is True
    assert len(record["cases"][0]["ranks"]["mu"]) == 100


def test_cli_exit_status_is_one_when_a_case_fails(capsys):
    rc = main(["calibrate", "--method", "exact", "--fit-tau", "0.5", "--n-sims", "1000"])
    assert rc == 1
    assert "FAILS" in capsys.readouterr().out


def test_cli_bad_combination_is_one_line(capsys):
    assert main(["calibrate", "--model", "gaussian-mean", "--method", "gibbs"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gibbs" in err


# ---------------------------------------------------------------- slow: every sampler, and broken fits
@pytest.mark.slow
@pytest.mark.parametrize("case", standard_cases(), ids=lambda c: c.label)
def test_every_model_and_method_is_calibrated(case):
    result = run_case(case, n_sims=1000, seed=0)
    assert result.passed, f"{case.label}\n{result.table}\n{result.summary()}"


BROKEN = {
    # fitted with a prior scale half the simulating one; n = 5 so that the prior matters (with
    # n = 20, p = 3 the data swamp it and 1,000 simulations pass: SBC tests the posterior, and
    # a wrong prior that barely changes the posterior is below its resolution)
    "prior scale half": CalibrationCase(prior="laplace", n=5, fit_tau=0.5),
    # fitted with a likelihood whose sigma is 20% too large
    "sigma off by 20%": CalibrationCase(prior="normal", fit_sigma=1.2),
    # 5 warmup steps: NUTS starts at sigma in (0.14, 7.4) (uniform(-2, 2) on log sigma) with an
    # unadapted step size; with 500 warmup steps the same case passes (it is in standard_cases)
    "too few warmup steps": CalibrationCase(prior="normal", sigma_prior="halfnormal", num_warmup=5),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BROKEN))
def test_wrong_inference_fails(name):
    case = BROKEN[name]
    right = replace(case, fit_sigma=None, fit_tau=None, num_warmup=500)
    assert run_case(right, n_sims=1000, seed=0).passed
    result = run_case(case, n_sims=1000, seed=0)
    assert not result.passed, f"{case.label}\n{result.table}"


def test_cli_design_from_csv(tmp_path, capsys):
    rows = np.random.default_rng(0).standard_normal((12, 3))
    path = tmp_path / "design.csv"
    path.write_text("a,b,y\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n")
    assert main(["calibrate", "--method", "exact", "--design", str(path), "--n-sims", "50"]) == 0
    assert "w[1]" in capsys.readouterr().out
