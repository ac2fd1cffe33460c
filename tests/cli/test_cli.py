import json

import pytest

from bayesreg.cli import build_parser, main


def _subparsers(parser):
    action = next((a for a in parser._actions if a.dest in ("command", "mlp_command", "study")), None)
    return {} if action is None else dict(action.choices)


def _subcommands():
    """Every leaf command, e.g. "gaussian-mean" or "mlp train"."""
    leaves = []
    for name, sub in _subparsers(build_parser()).items():
        nested = _subparsers(sub)
        leaves += [f"{name} {child}" for child in nested] if nested else [name]
    return leaves


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in _subcommands():
        assert name.split()[0] in out


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command.split(), "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    if command != "cache":  # every command that computes results takes --json
        assert "--json" in out


def test_gaussian_mean_end_to_end(tmp_path, capsys):
    out_json = tmp_path / "r.json"
    code = main(["gaussian-mean", "--simulate", "15", "--mu-true", "1", "--sigma", "2",
                 "--tau", "1", "--num-warmup", "200", "--num-samples", "400",
                 "--num-chains", "2", "--out", str(tmp_path / "plots"), "--json", str(out_json)])
    assert code == 0
    out = capsys.readouterr().out
    assert "posterior (NUTS)" in out and "MAP (L-BFGS on NumPyro)" in out
    results = json.loads(out_json.read_text())
    names = [row["estimate"] for row in results["estimates"]]
    assert names == ["MLE (sample mean)", "MAP (closed form)", "posterior (closed form)",
                     "MAP (L-BFGS on NumPyro)", "posterior (NUTS)"]
    closed = results["estimates"][2]
    assert abs(results["estimates"][3]["mean"] - results["estimates"][1]["mean"]) < 1e-8
    assert closed["lower"] < closed["mean"] < closed["upper"]
    assert [r["predictive"] for r in results["predictives"]][2] == "posterior predictive"
    assert results["provenance"]["bayesreg"]
    nuts = results["nuts"]                   # convergence in --json, as fit, path, compare (issue 13)
    assert nuts["chains"] == 2 and nuts["divergences"] >= 0 and nuts["max_rhat_parameter"] == "mu"
    assert nuts["min_ess"] > 0 and nuts["converged"] == (not nuts["problems"])
    for name in ("gaussian_mean.png", "gaussian_mean_trace.png"):
        assert (tmp_path / "plots" / name).stat().st_size > 10_000


def test_gaussian_mean_from_file(tmp_path, capsys):
    data = tmp_path / "x.csv"
    data.write_text("x\n" + "\n".join(str(v) for v in [0.5, 1.2, -0.3, 2.2, 0.9, 1.1, 0.4, 1.8]))
    assert main(["gaussian-mean", "--data", str(data), "--method", "closed-form"]) == 0
    out = capsys.readouterr().out
    assert "6 points fitted, 2 held out" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--simulate", "10", "--tau", "0"], "argument --tau: must be a finite number > 0"),
        (["--simulate", "10", "--sigma", "-2"], "argument --sigma: must be a finite number > 0"),
        (["--simulate", "0"], "argument --simulate: must be >= 1"),
        (["--simulate", "abc"], "argument --simulate: expected a whole number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["gaussian-mean", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "--data file not found"),
        ("1\n2\nabc\n", "row 3, column 1: 'abc' is not a number"),
        ("", "is empty"),
        ("1\nnan\n2\n", "'nan' is not finite"),
    ],
)
def test_bad_data_files_exit_2_without_traceback(tmp_path, content, message, capsys):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_text(content)
    code = main(["gaussian-mean", "--data", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


# -- every option has help text and shows its default (issue 13) -------------------------------
def _all_options():
    """(command, action) for every option and positional of every parser."""
    import argparse

    from bayesreg.cli import _parsers

    skip = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)
    return [(parser, action) for parser in _parsers(build_parser()) for action in parser._actions
            if not isinstance(action, skip)]


def _label(item):
    parser, action = item
    return f"{parser.prog}:{action.option_strings[-1] if action.option_strings else action.dest}"


@pytest.mark.parametrize("item", _all_options(), ids=_label)
def test_every_option_has_help_and_shows_its_default(item):
    parser, action = item
    assert action.help and action.help.strip(), f"{_label(item)} has no help text"
    text = parser._get_formatter()._expand_help(action)
    if action.default is not None and not (action.default is False and action.nargs == 0):
        shown = ",".join(map(str, action.default)) if isinstance(action.default, list) else str(action.default)
        assert f"(default: {shown})" in text, f"{_label(item)}: {text!r} does not show its default"
    assert text.count("default") <= 1, f"{_label(item)} states its default twice: {text!r}"


def test_help_output_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "linear", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--replicates REPLICATES simulated data sets per cell (default: 200)" in out
