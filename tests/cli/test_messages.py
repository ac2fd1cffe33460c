"""CLI messages (issue 13): one line naming the argument, before any output (all arguments are
validated first), no temporary file names, no internal names, directories named as such."""

import pytest

from bayesreg.cli import main


def _run(argv, capsys):
    """(exit status, stdout, stderr) whether the error came from argparse or from a command."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(argv, capsys, *expected):
    code, out, err = _run(argv, capsys)
    assert code == 2, err
    assert out == "", f"output before the error: {out!r}"
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert ".tmp" not in err
    for text in expected:
        assert text in err, err
    return err


def test_json_path_that_is_a_directory_is_refused_before_fitting(tmp_path, capsys):
    """Before: the fit ran, then '[Errno 21] Is a directory: '.../.r.4na4v334.tmp' -> ...'."""
    folder = tmp_path / "results"
    folder.mkdir()
    _one_line_error(["fit", "--data", "diabetes", "--method", "map", "--json", str(folder)], capsys,
                    "argument --json", "is a directory")


def test_out_path_that_is_a_file_is_refused(tmp_path, capsys):
    plain = tmp_path / "plots"
    plain.write_text("not a folder")
    _one_line_error(["compare", "--data", "diabetes", "--out", str(plain)], capsys,
                    "argument --out", "is a file, not a directory")
    _one_line_error(["fit", "--data", "diabetes", "--save", str(plain)], capsys,
                    "argument --save", "is a file, not a directory")
    _one_line_error(["fit", "--data", "diabetes", "--json", str(plain / "r.json")], capsys,
                    "argument --json", "is a file, not a directory")


def test_data_directory_is_called_a_directory(tmp_path, capsys):
    _one_line_error(["fit", "--data", str(tmp_path)], capsys, "--data", "is a directory, not a CSV file")
    _one_line_error(["gaussian-mean", "--data", str(tmp_path)], capsys, "--data", "is a directory")


def test_invalid_method_combination_is_reported_before_any_output(capsys):
    """Before: the MAP table was printed, then the error about method='exact'."""
    _one_line_error(["fit", "--data", "diabetes", "--method", "map,exact"], capsys, "method='exact' needs")


@pytest.mark.parametrize("argv, expected", [
    # before: an uncaught argparse.ArgumentTypeError traceback, after loading the data
    (["compare", "--data", "diabetes", "--sigma", "abc"], "argument --sigma: expected a number"),
    # before: 'n_test must be >= 1' (the library's name), 'momentum must be in [0, 1)'
    (["simulate", "linear", "--n-test", "0"], "argument --n-test: must be >= 1"),
    (["simulate", "linear", "--replicates", "-3"], "argument --replicates: must be >= 1"),
    (["mlp", "train", "--momentum", "2"], "argument --momentum: must be in [0, 1)"),
    (["mlp", "train", "--weight-decay", "-1"], "argument --weight-decay: must be a finite number >= 0"),
    (["mlp", "train", "--test-size", "1.5"], "argument --test-size: must be in [0, 1)"),
    (["fit", "--data", "diabetes", "--seed", "-1"], "argument --seed: must be >= 0"),
    (["calibrate", "--num-warmup", "-1"], "argument --num-warmup: must be >= 0"),
    (["fit"], "the following arguments are required: --data"),
    # before: 'activation must be one of ...' / a float() traceback for scaled_relu:x
    (["mlp", "train", "--activation", "foo"], "argument --activation: must be one of"),
    (["mlp", "train", "--activation", "scaled_relu:x"], "argument --activation: scaled_relu:C needs a number C"),
    # before: 'num_bins must divide num_draws + 1' (the library's names)
    (["calibrate", "--bins", "7"], "--bins must divide --num-draws + 1 = 100"),
    # before: --target was silently ignored for the bundled data set
    (["compare", "--data", "diabetes", "--target", "nope"], "--target 'nope' does not apply to --data diabetes"),
])
def test_bad_arguments_are_one_line_naming_the_option(argv, expected, capsys):
    _one_line_error(argv, capsys, expected)


def test_mlp_predict_has_no_out_option(tmp_path, capsys):
    """predict draws no figure: --out used to be accepted and write nothing."""
    code, _, err = _run(["mlp", "predict", "--model", "m.npz", "--data", "d.csv", "--output",
                         str(tmp_path / "p.csv"), "--out", str(tmp_path)], capsys)
    assert code == 2 and "unrecognized arguments: --out" in err


@pytest.mark.parametrize("value, expected", [
    ("abc", "argument --duplicate-feature: expected a pixel index or 'auto'"),
    ("64", "--duplicate-feature must be a pixel index 0-63 for digits"),
])
def test_naive_bayes_feature_is_checked_before_output(value, expected, capsys):
    """Before: the first table was printed, then the error (or an IndexError for 64)."""
    _one_line_error(["naive-bayes", "--data", "digits", "--duplicate-feature", value], capsys, expected)


def test_mlp_model_directory_is_called_a_directory(tmp_path, capsys):
    """Before: 'model file not found' for a folder that exists."""
    _one_line_error(["mlp", "predict", "--model", str(tmp_path), "--data", "d.csv", "--output",
                     str(tmp_path / "p.csv")], capsys, "argument --model", "is a directory, not a file")


def test_write_failure_names_the_option_not_the_temporary_file(tmp_path, capsys, monkeypatch):
    """An atomic write fails on its temporary file; the message names --json and the target."""
    import bayesreg.cli._common as common

    def refuse(path, obj):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".r.json.x1y2.tmp"))

    monkeypatch.setattr(common, "write_json", refuse)
    code, _, err = _run(["gaussian-mean", "--simulate", "10", "--method", "closed-form", "--json",
                         str(tmp_path / "r.json")], capsys)
    assert code == 2 and ".tmp" not in err
    assert f"cannot write --json {tmp_path / 'r.json'}: Permission denied" in err


def _commands_with(option):
    from bayesreg.cli import _parsers, build_parser

    return sorted(parser.prog.removeprefix("bayesreg ") for parser in _parsers(build_parser())
                  if any(option in action.option_strings for action in parser._actions))


@pytest.mark.parametrize("command", _commands_with("--json"))
def test_every_json_option_refuses_a_directory_when_parsed(command, tmp_path, capsys):
    """Every command: a directory as --json fails at once, not after the work."""
    _one_line_error([*command.split(), "--json", str(tmp_path)], capsys, "argument --json", "is a directory")


@pytest.mark.parametrize("command", _commands_with("--out"))
def test_every_out_option_refuses_a_file_when_parsed(command, tmp_path, capsys):
    plain = tmp_path / "file.txt"
    plain.write_text("")
    _one_line_error([*command.split(), "--out", str(plain)], capsys, "argument --out", "is a file, not a directory")
