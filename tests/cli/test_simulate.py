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


def test_cli_simulate_sparse_checkpoints_and_resumes(tmp_path, capsys):
    """bayesreg simulate sparse: the table, CSVs and figure; each replicate a checkpointed task, so a resumed
    run recomputes only the missing one and prints the same table; a bad prior name exits 2 before any work."""
    import shutil

    import pandas as pd

    args = ["simulate", "sparse", "--n", "15", "--p", "20", "--n-nonzero", "2", "--replicates", "2",
            "--num-warmup", "60", "--num-samples", "40", "--priors", "horseshoe,laplace", "--n-test", "5",
            "--out", str(tmp_path)]
    assert main(args) == 0
    first = pd.read_csv(tmp_path / "sparse_replicates.csv")
    assert (tmp_path / "study_sparse.png").exists() and len(first) == 4
    out = capsys.readouterr().out
    assert "Simulation study: sparse" in out and "replicates_rhat_over_1.1" in out
    assert out.count("warning: ") + out.count("R-hat <= 1.1 in all 2 replicates") == 2  # a line per prior
    shutil.rmtree(next((tmp_path / "sparse_cells" / "cells").glob("*laplace*")))
    assert main([*args, "--resume"]) == 0
    assert "3 of 4 cells finished, computing 1" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "sparse_replicates.csv"), first)
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "sparse", "--priors", "horseshoe,spike"])
    assert exc.value.code == 2 and "argument --priors: expected names among" in capsys.readouterr().err
