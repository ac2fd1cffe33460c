import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.naive_bayes import BernoulliNB

from bayesreg import BernoulliNaiveBayes, NotFittedError
from bayesreg.cli import main
from bayesreg.datasets import load_mnist5k
from bayesreg.estimators.naive_bayes import binarize, duplicate_feature, duplicated_feature_confidence


def _random_problem(seed, n=40, p=6):
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    theta = rng.uniform(0.05, 0.95, size=(2, p))
    X = (rng.uniform(size=(n, p)) < theta[y]).astype(int)
    return X, y


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), alpha=st.floats(0.01, 5.0),
       x=arrays(np.int64, 6, elements=st.integers(0, 1)))
def test_linear_form_equals_log_posterior_odds(seed, alpha, x):
    X, y = _random_problem(seed)
    model = BernoulliNaiveBayes(alpha=alpha).fit(X, y)
    b, w = model.linear_coefficients()
    log_post = model.predict_log_proba(x[None, :])[0]
    np.testing.assert_allclose(b + x @ w, log_post[1] - log_post[0], rtol=0, atol=1e-10)
    assert model.decision_function(x[None, :])[0] == pytest.approx(b + x @ w, abs=1e-12)
    # the sign of b + w'x is the argmax of the two posteriors
    if abs(b + x @ w) > 1e-12:
        assert (b + x @ w > 0) == (model.predict(x[None, :])[0] == 1)


def test_linear_coefficients_match_the_closed_form():
    X, y = _random_problem(1)
    model = BernoulliNaiveBayes(alpha=1.0).fit(X, y)
    n1, n0 = (y == 1).sum(), (y == 0).sum()
    t1 = (X[y == 1].sum(0) + 1) / (n1 + 2)
    t0 = (X[y == 0].sum(0) + 1) / (n0 + 2)
    b = np.log(n1 / n0) + np.sum(np.log((1 - t1) / (1 - t0)))
    w = np.log(t1 * (1 - t0) / (t0 * (1 - t1)))
    b_model, w_model = model.linear_coefficients()
    assert b_model == pytest.approx(b, rel=1e-12)
    np.testing.assert_allclose(w_model, w, rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_agrees_with_sklearn_on_mnist_digits(alpha):
    X, y = load_mnist5k()
    Xb = binarize(X)
    for classes in ((3, 8), (0, 1, 2)):
        keep = np.isin(y, classes)
        ours = BernoulliNaiveBayes(alpha=alpha).fit(Xb[keep], y[keep])
        ref = BernoulliNB(alpha=alpha, force_alpha=True).fit(Xb[keep], y[keep])
        np.testing.assert_array_equal(ours.predict(Xb[keep]), ref.predict(Xb[keep]))
        np.testing.assert_allclose(ours.predict_proba(Xb[keep]), ref.predict_proba(Xb[keep]), atol=1e-12)
        np.testing.assert_allclose(ours.predict_log_proba(Xb[keep]), ref.predict_log_proba(Xb[keep]),
                                   rtol=1e-10, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), x1=st.integers(0, 1))
def test_duplicated_feature_confidence_rises_when_single_copy_favours_class_1(seed, x1):
    """One feature, uniform class prior: if P(y=1 | x1) > 1/2, copies only add to it."""
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, 28)]
    X = (rng.uniform(size=(30, 1)) < rng.uniform(0.1, 0.9, size=2)[y][:, None]).astype(int)
    table = duplicated_feature_confidence(X, y, [x1], feature=0, copies=[1, 2, 3, 5, 8])
    p, odds = table["p_class1"].to_numpy(), table["log_odds"].to_numpy()
    if odds[0] > 1e-9:  # favours class 1 beyond rounding (evidence exactly 0 stays at 1/2)
        assert np.all(np.diff(p) > 0)
    elif odds[0] < -1e-9:
        assert np.all(np.diff(p) < 0)
    # log odds are exactly linear in the number of copies
    k = table.index.to_numpy()
    np.testing.assert_allclose(odds, odds[0] + (k - 1) * (odds[1] - odds[0]), atol=1e-10)


def test_duplicate_feature_shape():
    X = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(duplicate_feature(X, 1, 3), [[0, 1, 2, 1, 1], [3, 4, 5, 4, 4]])


@pytest.mark.parametrize("X, y, message", [
    ([[0, 2], [1, 0]], [0, 1], r"X must be binary \(0 or 1\); found 2.0 at row 0, column 1"),
    ([[0, 0.5], [1, 0]], [0, 1], "X must be binary"),
    ([[0, 1], [1, 0]], [1, 1], "single class"),
    ([[0, 1], [1, 0]], [0, 1, 1], "X has 2 rows, y has shape"),
    ([[0, np.nan]], [0], "NaN"),
])
def test_bad_input(X, y, message):
    with pytest.raises(ValueError, match=message):
        BernoulliNaiveBayes().fit(X, y)


def test_not_fitted_and_bad_alpha():
    with pytest.raises(NotFittedError):
        BernoulliNaiveBayes().predict([[0, 1]])
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        BernoulliNaiveBayes(alpha=0).fit([[0], [1]], [0, 1])
    model = BernoulliNaiveBayes().fit([[0, 1], [1, 0], [1, 1]], [0, 1, 2])
    with pytest.raises(ValueError, match="needs exactly two classes"):
        model.linear_coefficients()


def test_cli_naive_bayes(tmp_path, capsys):
    import json

    code = main(["naive-bayes", "--data", "digits", "--classes", "3,8", "--copies", "1,2,4",
                 "--out", str(tmp_path), "--json", str(tmp_path / "nb.json")])
    assert code == 0
    results = json.loads((tmp_path / "nb.json").read_text())
    assert results["summary"]["agreement with sklearn BernoulliNB"] == 1.0
    assert results["summary"]["max |b + w'x - log odds|"] < 1e-10
    p = [row["p_class1"] for row in results["duplicated"]]
    assert p[0] > 0.5 and p == sorted(p)
    assert (tmp_path / "naive_bayes_duplicated.png").exists()
    assert main(["naive-bayes", "--classes", "3,3"]) == 2
    assert "two different digits" in capsys.readouterr().err
