"""``--noise student-t`` in ``bayesreg fit`` and ``bayesreg compare`` (plain and ``--priors``)."""

import json

import numpy as np
import pytest

import bayesreg
from bayesreg.cli import main

SHORT = ["--num-warmup", "150", "--num-samples", "150", "--no-progress"]


@pytest.fixture(scope="module")
def outlier_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y = 3.0 + X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.standard_normal(80)
    y[:6] += 25.0 * np.sign(X[:6, 0])
    path = tmp_path_factory.mktemp("data") / "outliers.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,y", comments="")
    return str(path)


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_fit_with_student_t_noise(tmp_path, capsys, outlier_csv):
    code = main(["fit", "--data", outlier_csv, "--noise", "student-t", "--df", "4", "--method", "nuts,map", *SHORT,
                 "--json", str(tmp_path / "r.json"), "--save", str(tmp_path / "model")])
    assert code == 0
    text = capsys.readouterr().out
    assert "Student-t noise with nu = 4.0" in text and "Student-t noise, nu = 4" in text
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["model"]["noise"] == "student_t" and results["model"]["nu"] == "4.0"
    for method in ("nuts", "map"):
        coef = list(results["fits"][method]["coef"].values())
        assert np.max(np.abs(np.array(coef) - [1.0, -2.0, 0.5])) < 0.4, method
        assert results["fits"][method]["priors"]["nu"] == 4.0
    loaded = bayesreg.load(tmp_path / "model")
    assert loaded.noise == "student_t" and loaded.nu == 4.0 and loaded.method == "nuts"


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_fit_samples_nu_with_the_gamma_prior(capsys, outlier_csv):
    assert main(["fit", "--data", outlier_csv, "--noise", "student-t", "--df-gamma", "2,0.1", "--method", "nuts",
                 "--num-chains", "1", *SHORT]) == 0
    text = capsys.readouterr().out
    assert "nu ~ Gamma(2, 0.1)" in text


@pytest.mark.parametrize(("argv", "message"), [
    (["--df", "4"], "--df is the degrees of freedom of Student-t noise: add --noise student-t"),
    (["--noise", "student-t", "--method", "exact"], "--noise student-t has no exact or Gibbs form"),
    (["--noise", "student-t", "--method", "gibbs"], "--noise student-t has no exact or Gibbs form"),
    (["--noise", "student-t", "--df-gamma", "2"], "--df-gamma must be two numbers"),
])
def test_bad_noise_options_exit_2_before_any_output(argv, message, capsys, outlier_csv):
    assert main(["fit", "--data", outlier_csv, *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.mark.parametrize(("argv", "message"), [
    (["--noise", "t"], "invalid choice: 't'"),
    (["--noise", "student-t", "--df", "0"], "must be a finite number > 0"),
])
def test_bad_noise_values_are_usage_errors(argv, message, capsys, outlier_csv):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--data", outlier_csv, *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_compare_with_student_t_noise(tmp_path, capsys, outlier_csv):
    assert main(["compare", "--data", outlier_csv, "--noise", "student-t", "--df", "3", *SHORT,
                 "--json", str(tmp_path / "c.json")]) == 0
    assert "Student-t noise (nu 3.0)" in capsys.readouterr().out
    rows = {r["estimate"]: r for r in json.loads((tmp_path / "c.json").read_text())["table"]}
    assert np.isfinite(rows["w_MAP"]["test_mse"]) and np.isfinite(rows["posterior mean"]["posterior_expected_mse"])
    assert main(["compare", "--data", outlier_csv, "--df", "3"]) == 2


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
def test_compare_priors_with_student_t_noise(tmp_path, capsys, outlier_csv):
    assert main(["compare", "--data", outlier_csv, "--priors", "normal,horseshoe", "--noise", "student-t",
                 *SHORT, "--json", str(tmp_path / "p.json")]) == 0
    assert "Student-t noise (nu Gamma(2, 0.1))" in capsys.readouterr().out
    table = {r["prior"]: r for r in json.loads((tmp_path / "p.json").read_text())["table"]}
    assert set(table) == {"normal", "horseshoe"}
    assert np.isfinite(table["normal"]["map_test_mse"]) and np.isfinite(table["horseshoe"]["elpd_loo"])
