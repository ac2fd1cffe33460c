import json

import pytest

from bayesreg.cli import main


def test_cli_simulate(tmp_path, capsys):
    assert main(["simulate", "linear", "--n", "5", "--p", "5", "--tau", "0.5", "--replicates", "200",
                 "--num-warmup", "300", "--num-samples", "300", "--out", str(tmp_path), "--json",
                 str(tmp_path / "s.json")]) == 0
    assert (tmp_path / "study_linear.png").exists() and (tmp_path / "linear_summary.csv").exists()
    results = json.loads((tmp_path / "s.json").read_text())
    assert results["summary"][0]["replicates"] == 200
    # convergence per cell, printed and in --json (issue 13)
    (cell,) = results["convergence"]
    assert cell["replicates"] == 200 and 0 <= cell["unconverged_replicates"] <= 200
    assert 1.0 < cell["max_rhat"] < 1.1 and 0 <= cell["max_rhat_replicate"] < 200 and cell["min_ess"] > 0
    out = capsys.readouterr().out
    assert "cells without convergence problems" in out
    assert (f"warning: n=5, p=5, tau=0.5, sigma=1: {cell['unconverged_replicates']} of 200" in out) == (
        cell["unconverged_replicates"] > 0)
    assert main(["simulate", "gaussian-mean", "--n", "1,10", "--replicates", "100", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "study_gaussian_mean.png").exists()
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "linear", "--n", "0"])
    assert exc.value.code == 2 and "argument --n: values must be > 0; got 0" in capsys.readouterr().err
