import json

import numpy as np
import pytest

import bayesreg
from bayesreg.cli import main


def test_fit_map_and_nuts_side_by_side(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["fit", "--data", "diabetes", "--tau", "10", "--sigma", "ols", "--method", "nuts,map",
                 "--num-warmup", "200", "--num-samples", "200", "--no-progress", "--dense-mass",
                 "--save", str(tmp_path / "models" / "diabetes"), "--json", str(tmp_path / "r.json"),
                 "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Side by side" in text and "posterior mean (NUTS)" in text
    results = json.loads((tmp_path / "r.json").read_text())
    assert set(results["fits"]) == {"nuts", "map"}
    assert results["fits"]["map"]["coef"]["age"] == 0.0  # an exact zero at tau = 10
    for name in ("coefficients", "trace", "rank", "forest", "posterior_predictive"):
        assert (out / f"{name}.png").stat().st_size > 5_000, name
    loaded = bayesreg.load(tmp_path / "models" / "diabetes")
    assert loaded.method == "nuts" and loaded.dense_mass is True
    np.testing.assert_allclose(list(results["fits"]["nuts"]["coef"].values()), loaded.coef_)


def test_fit_defaults_are_the_estimators_and_report_their_priors(tmp_path, capsys):
    """Issue 13: the CLI's defaults are the API's (intercept, sigma ~ HalfNormal(sd(y)), tau_j =
    2.5 sd(y) / sd(x_j)), printed and in --json."""
    from bayesreg import BayesianLinearRegression
    from bayesreg.datasets import load_diabetes_data

    assert main(["fit", "--data", "diabetes", "--method", "map", "--json", str(tmp_path / "r.json")]) == 0
    text = capsys.readouterr().out
    data = load_diabetes_data()
    est = BayesianLinearRegression(method="map").fit(data.X, data.y)
    fit = json.loads((tmp_path / "r.json").read_text())["fits"]["map"]
    sd_y = float(np.std(data.y, ddof=1))
    assert fit["priors"]["sigma"] == {"prior": f"HalfNormal({sd_y:g})", "family": "halfnormal", "scale": sd_y}
    assert fit["priors"]["intercept"] == "flat" and fit["priors"]["w"] == "Laplace(loc_j, tau_j)"
    assert fit["priors"]["tau"]["bmi"] == pytest.approx(2.5 * sd_y / np.std(data.X[:, 2], ddof=1))
    assert f"priors: {fit['prior_summary']}" in text and "tau = (age " in fit["prior_summary"]
    np.testing.assert_allclose(list(fit["coef"].values()), est.coef_, rtol=1e-6)
    # the samplers that need a fixed sigma say which option to set, before any output
    for args, message in ((["--method", "gibbs"], "--method gibbs cannot sample the default --sigma auto"),
                          (["--prior", "normal", "--method", "exact"], "--method exact needs a fixed sigma")):
        assert main(["fit", "--data", "diabetes", *args]) == 2
        captured = capsys.readouterr()
        assert message in captured.err and captured.out == ""


def test_fit_csv_with_target_and_exact(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = 1.0 + X @ [2.0, -1.0] + 0.1 * rng.normal(size=40)
    csv = tmp_path / "d.csv"
    csv.write_text("yield,a,b\n" + "\n".join(f"{yi},{a},{b}" for yi, (a, b) in zip(y, X, strict=True)))
    assert main(["fit", "--data", str(csv), "--target", "yield", "--prior", "normal",
                 "--method", "exact", "--tau", "10", "--sigma", "0.1", "--json", str(tmp_path / "r.json")]) == 0
    coef = json.loads((tmp_path / "r.json").read_text())["fits"]["exact"]["coef"]
    assert coef["a"] == pytest.approx(2.0, abs=0.1) and coef["b"] == pytest.approx(-1.0, abs=0.1)


@pytest.mark.parametrize(
    "content, extra, message",
    [
        ("a,b,y\n1,2,3\n4,x,6\n", [], "row 3, column 'b': 'x' is not a number"),
        ("a,b,y\n1,2,3\n4,5\n", [], "row 3, column 'y' is empty"),
        ("a,b,y\n1,2,3\n", ["--target", "z"], "no target column 'z'"),
        ("a,b,y\n", [], "has a header row but no data rows"),
        ("1,2,3\n4,5,6\n", [], "has no header row: its first row (1, 2, 3) is all numbers"),
        ("a,b,y\n1,2,3\n4,5,6\n", ["--loc", "1,2,3"], "--loc has 3 values but the data have 2 features"),
        ("a,b,y\n1,2,nan\n", [], "row 2, column 'y': 'nan' is not finite"),
    ],
)
def test_bad_csv_is_one_clear_line(tmp_path, capsys, content, extra, message):
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    code = main(["fit", "--data", str(csv), "--method", "map", "--sigma", "1", *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_fit_argument_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--data", "diabetes", "--method", "vi"])
    assert exc.value.code == 2 and "choose from nuts, gibbs, map, exact" in capsys.readouterr().err
    assert main(["fit", "--data", "nope.csv"]) == 2
    assert "--data file not found: nope.csv" in capsys.readouterr().err
    assert main(["fit", "--data", "diabetes", "--method", "exact"]) == 2
    assert "method='exact' needs prior='normal'" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # a deliberately tiny run
def test_fit_park_casella_priors(tmp_path, capsys):
    assert main(["fit", "--data", "diabetes", "--sigma-prior", "jeffreys", "--tau-prior", "lasso-lambda",
                 "--lambda-gamma", "1,1.78", "--scale-by-sigma", "--method", "gibbs", "--num-warmup", "100",
                 "--num-samples", "100", "--no-progress", "--json", str(tmp_path / "r.json")]) == 0
    model = json.loads((tmp_path / "r.json").read_text())["model"]
    assert (model["sigma"], model["tau"]) == ("Jeffreys()", "LassoLambda(1, 1.78)")
    assert main(["fit", "--data", "diabetes", "--tau-prior", "lasso-lambda", "--lambda-gamma", "1",
                 "--method", "map"]) == 2
    assert "--lambda-gamma must be two numbers R,DELTA" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")  # 200 draws: only the plumbing is checked
def test_fit_regularized_horseshoe_saves_its_prior(tmp_path, capsys):
    code = main(["fit", "--data", "diabetes", "--prior", "regularized_horseshoe", "--p0", "3", "--slab-scale", "500",
                 "--sigma-prior", "halfnormal", "--sigma", "100", "--num-warmup", "200", "--num-samples", "200",
                 "--num-chains", "1", "--no-progress", "--save", str(tmp_path / "rhs"),
                 "--json", str(tmp_path / "r.json")])
    assert code == 0
    assert "RegularizedHorseshoe(p0=3.0, slab_scale=500.0, slab_df=4.0) prior" in capsys.readouterr().out
    assert set(json.loads((tmp_path / "r.json").read_text())["fits"]) == {"nuts"}  # no MAP for it
    loaded = bayesreg.load(tmp_path / "rhs")
    assert loaded.prior == bayesreg.RegularizedHorseshoe(p0=3, slab_scale=500.0)
    assert {"tau", "c2", "lambda", "z"} <= set(loaded.fit_result_.posterior)
