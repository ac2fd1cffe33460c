"""Convergence problems appear wherever a fit happens (issue 13): fit, path, compare and simulate
print them and put them in --json (divergences, max R-hat, min ESS per fit), naming features.
(simulate: tests/cli/test_simulate.py, on its own run.)"""

import json

from bayesreg.cli import main
from bayesreg.datasets import load_diabetes_data

FEATURES = {f"w[{name}]" for name in load_diabetes_data().feature_names} | {"intercept"}
TINY = ["--num-warmup", "50", "--num-samples", "20", "--no-progress"]  # too short to converge, on purpose


def _check(convergence):
    assert convergence["converged"] is False and convergence["problems"]
    assert convergence["max_rhat"] > 1.01 and convergence["max_rhat_parameter"] in FEATURES
    assert convergence["min_ess"] < 200 and convergence["min_ess_parameter"] in FEATURES
    assert isinstance(convergence["divergences"], int)


def test_fit_reports_convergence(tmp_path, capsys):
    assert main(["fit", "--data", "diabetes", "--method", "nuts,map", *TINY, "--json", str(tmp_path / "f.json")]) == 0
    out = capsys.readouterr().out
    fits = json.loads((tmp_path / "f.json").read_text())["fits"]
    nuts = fits["nuts"]["convergence"]
    _check(nuts)
    assert "convergence" not in fits["map"]
    assert f"max R-hat {nuts['max_rhat']:.3f} ({nuts['max_rhat_parameter']})" in out
    assert "warning: R-hat > 1.01" in out


def test_compare_reports_convergence_with_feature_names(tmp_path, capsys):
    assert main(["compare", "--data", "diabetes", *TINY, "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    convergence = json.loads((tmp_path / "c.json").read_text())["convergence"]
    _check(convergence)
    assert "warning: R-hat > 1.01" in out and "w[9]" not in out


def test_path_reports_convergence_per_tau(tmp_path, capsys):
    assert main(["path", "--data", "diabetes", "--taus", "0.1,10", *TINY, "--json", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    convergence = json.loads((tmp_path / "p.json").read_text())["convergence"]
    assert [c["tau"] for c in convergence] == [10.0, 0.1]
    for c in convergence:
        _check(c)
    assert "NUTS at tau = 10:" in out and "w[" in out and "w[2]" not in out
