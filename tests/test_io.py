import json
import re

import numpy as np
import pytest

from bayesreg.datasets import read_regression_csv
from bayesreg.exceptions import ModelFileError
from bayesreg.io import atomic_save, read_csv, read_json, read_numbers, write_json


def test_read_numbers_plain_and_csv(tmp_path):
    plain = tmp_path / "x.txt"
    plain.write_text("# comment\n1.5\n\n-2\n3e1\n")
    np.testing.assert_array_equal(read_numbers(plain), [1.5, -2.0, 30.0])
    csv = tmp_path / "x.csv"
    csv.write_text("x\n1\n2\n")
    np.testing.assert_array_equal(read_numbers(csv), [1.0, 2.0])


@pytest.mark.parametrize(
    "text, message",
    [
        ("1\nabc\n", "row 2, column 1: 'abc' is not a number"),
        ("1,2\n", "row 1: expected one number per line"),
        ("", "is empty"),
        ("x\n", "has a header row but no data rows"),
    ],
)
def test_read_numbers_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_numbers(path)


def test_read_numbers_missing_and_binary(tmp_path):
    with pytest.raises(ValueError, match="file not found"):
        read_numbers(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="is a directory, not a CSV file"):
        read_numbers(tmp_path)
    binary = tmp_path / "bin.dat"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match="cannot be read as UTF-8 text"):
        read_numbers(binary)


def test_write_json_handles_numpy_and_nonfinite(tmp_path):
    path = write_json(tmp_path / "sub" / "r.json", {"a": np.float64(1.5), "b": np.arange(2),
                                                    "c": float("nan")})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1], "c": None}


def test_failed_write_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "model.json"
    write_json(path, {"version": 1})

    def crashing_writer(tmp):
        tmp.write_text('{"version": 2, "trunc')
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_save(path, crashing_writer)
    assert read_json(path) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temp file left


def test_saved_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    path = write_json(tmp_path / "r.json", {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_read_json_errors(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        read_json(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelFileError, match="not readable JSON"):
        read_json(bad)


def test_temporary_files_of_a_killed_write_are_removed_by_the_next(tmp_path):
    import fcntl
    import os

    path = write_json(tmp_path / "r.json", {"a": 1})
    stale = tmp_path / ".r.json.k1ll3d_x.tmp"   # its writer died: no lock on it
    stale.write_text('{"a": 2, "tru')
    alive = tmp_path / ".r.json.wr1t1ng_.tmp"  # a writer still at work holds its lock
    alive.write_text("{")
    fd = os.open(alive, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        write_json(path, {"a": 3})
        assert sorted(p.name for p in tmp_path.iterdir()) == [".r.json.wr1t1ng_.tmp", "r.json"]
    finally:
        os.close(fd)
    assert read_json(path) == {"a": 3}
    write_json(path, {"a": 4})
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


# -- the one CSV reader (issue 13) ------------------------------------------------------------
def test_csv_with_utf8_bom_reads_its_first_column_name(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark; it is not part of the first name."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfage,bmi,y\r\n1,2,3\r\n4,5,6\r\n")
    data = read_regression_csv(path)
    assert data.feature_names == ["age", "bmi"] and data.target_name == "y"
    np.testing.assert_array_equal(data.X, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(read_regression_csv(path, target="age").y, [1, 4])


def test_csv_without_header_is_named_not_missing_its_first_row(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(ValueError, match=r"numbers.csv has no header row: its first row \(1, 2, 3\) is all numbers"):
        read_regression_csv(path)


def test_csv_directory_and_missing_file_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"^--data .* is a directory, not a CSV file\.$"):
        read_regression_csv(tmp_path)
    with pytest.raises(ValueError, match=r"^--design file not found: .*nope.csv$"):
        read_csv(tmp_path / "nope.csv", name="--design")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b,y\n1,2,3\n4,x,6\n", "row 3, column 'b': 'x' is not a number"),
        ("a,b,y\n1,2,3\n\n4,x,6\n", "row 4, column 'b': 'x' is not a number"),   # blank lines keep the count
        ("a,b,y\n1,2,3\n4,5,6,7\n", "row 3: 4 cells, but the first row has 3"),
        ("a,b,y\n1,2,3\n4,5\n", "row 3, column 'y' is empty"),
        ("a,a,y\n1,2,3\n", "names column(s) ['a'] more than once"),
        ("a,,y\n1,2,3\n", "no name for column 2"),
        ("a,b,y\n1,inf,3\n", "row 2, column 'b': 'inf' is not finite"),
        ("a,b,y\n1,1_000,3\n", "row 2, column 'b': '1_000' is not a number"),
        ("a;b;y\n1;2;3\n", "row 2, column 'a;b;y': '1;2;3' is not a number (bayesreg reads comma-separated"),
    ],
)
def test_csv_errors_name_row_and_column(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)):
        read_csv(path)


def test_csv_fast_and_cell_by_cell_paths_agree(tmp_path):
    """Blank lines, spaces after commas and quoted names read the same as a plain file; the
    index is each row's line number."""
    path = tmp_path / "d.csv"
    path.write_text('"a", b,y\n1, 2,3\n\n4,5,6\n')
    table = read_csv(path)
    assert list(table.columns) == ["a", "b", "y"] and list(table.index) == [2, 4]
    np.testing.assert_array_equal(table.to_numpy(), [[1, 2, 3], [4, 5, 6]])
    assert read_csv(path, header=None).shape == (2, 3)
    with pytest.raises(ValueError, match="row 1, column 1: 'a' is not a number"):
        read_csv(path, header=False)
