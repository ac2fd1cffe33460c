import json

import pytest

from bayesreg.cli import main


def test_path_command(tmp_path, capsys):
    code = main(["path", "--data", "diabetes", "--taus", "0.1:1000:5", "--num-warmup", "100",
                 "--num-samples", "100", "--no-progress", "--out", str(tmp_path), "--json",
                 str(tmp_path / "p.json")])
    assert code == 0
    assert "Regularisation path" in capsys.readouterr().out
    assert (tmp_path / "regularization_path.png").stat().st_size > 10_000
    rows = json.loads((tmp_path / "p.json").read_text())["path"]
    smallest = [r for r in rows if r["estimate"] == "map" and r["tau"] == pytest.approx(0.1)][0]
    assert all(smallest[name] == 0.0 for name in ("age", "sex", "bmi"))
    assert main(["path", "--data", "diabetes", "--taus", "5:1:3"]) == 2
    assert "--taus must be LO:HI:N" in capsys.readouterr().err
