import json

from bayesreg.cli import main


def test_cli_compare(tmp_path, capsys):
    assert main(["compare", "--data", "diabetes", "--tau", "10", "--num-warmup", "200", "--num-samples", "200",
                 "--no-progress", "--json", str(tmp_path / "c.json"), "--out", str(tmp_path)]) == 0
    rows = {r["estimate"]: r for r in json.loads((tmp_path / "c.json").read_text())["table"]}
    assert rows["w_MAP"]["exact_zeros"] >= 1 and rows["posterior mean"]["exact_zeros"] == 0
    assert (tmp_path / "compare.png").exists()
    assert main(["compare", "--data", "diabetes", "--test-size", "0.999"]) == 2
    assert "too few training or test rows" in capsys.readouterr().err
