import numpy as np
import pytest

from bayesreg._validation import (
    check_1d,
    check_2d,
    check_int,
    check_level,
    check_option,
    check_positive,
    check_X_y,
)


def test_check_1d_accepts_lists_and_column_vectors():
    np.testing.assert_array_equal(check_1d([1, 2, 3]), [1.0, 2.0, 3.0])
    assert check_1d(np.ones((4, 1))).shape == (4,)
    assert check_1d(2.5).shape == (1,)


@pytest.mark.parametrize(
    "value, message",
    [
        ([], "x is empty"),
        ([1.0, np.nan], "x contains 1 non-finite value.*NaN at index 1"),
        ([np.inf, 1.0], "infinite at index 0"),
        (np.ones((2, 3)), r"x must be 1-D .* got shape \(2, 3\)"),
    ],
)
def test_check_1d_errors_name_the_argument(value, message):
    with pytest.raises(ValueError, match=message):
        check_1d(value, "x")


def test_check_1d_rejects_strings_and_objects():
    with pytest.raises(TypeError, match="x must be numeric"):
        check_1d("1,2,3", "x")
    with pytest.raises(TypeError, match="x must be numeric"):
        check_1d([1.0, "a"], "x")


def test_check_2d_and_X_y():
    with pytest.raises(ValueError, match=r"Reshape your data"):
        check_2d([1.0, 2.0], "X")
    with pytest.raises(ValueError, match="X is empty"):
        check_2d(np.empty((0, 3)), "X")
    with pytest.raises(ValueError, match="X contains .*NaN at index \\(1, 0\\)"):
        check_2d([[1.0], [np.nan]], "X")
    with pytest.raises(ValueError, match="X has 3 rows, y has 2"):
        check_X_y(np.ones((3, 2)), [1.0, 2.0])


@pytest.mark.parametrize("bad", [0, -1.0, np.inf, np.nan])
def test_check_positive_rejects(bad):
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        check_positive(bad, "tau")


def test_check_positive_types():
    assert check_positive(np.float32(2.0), "sigma") == 2.0
    for bad in ("1", None, True, [1.0]):
        with pytest.raises(TypeError, match="sigma must be a positive number"):
            check_positive(bad, "sigma")


def test_small_checks():
    assert check_int(3, "n") == 3
    with pytest.raises(ValueError, match="n must be >= 1"):
        check_int(0, "n")
    with pytest.raises(TypeError, match="n must be an integer"):
        check_int(2.5, "n")
    with pytest.raises(ValueError, match="level must be in"):
        check_level(1.0)
    with pytest.raises(ValueError, match=r"method must be one of \('a', 'b'\); got 'c'"):
        check_option("c", "method", ("a", "b"))
