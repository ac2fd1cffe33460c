import json

import numpy as np
import pytest

from bayesreg.exceptions import ModelFileError
from bayesreg.io import atomic_save, read_json, read_numbers, write_json


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
        ("1\nabc\n", "line 2: 'abc' is not a number"),
        ("1,2\n", "line 1: expected one number per line"),
        ("", "contains no numbers"),
        ("x\n", "contains no numbers"),
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
    with pytest.raises(ValueError, match="not a file"):
        read_numbers(tmp_path)
    binary = tmp_path / "bin.dat"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match="cannot be read as text"):
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
