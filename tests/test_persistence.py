import json
import sys

import numpy as np
import pytest

import bayesreg
from bayesreg import BayesianLinearRegression, HalfNormal, ModelFileError, persistence
from bayesreg.datasets import simulate_regression

# the NUTS fits here are deliberately tiny: these tests are about files, not convergence
pytestmark = pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")
DATA = simulate_regression(30, 3, seed=0)
FAST_NUTS = dict(method="nuts", num_warmup=150, num_samples=150, num_chains=2, progress=False)


@pytest.mark.parametrize("kwargs", [
    dict(method="map"),
    dict(method="map", prior="normal", loc=[0.5, 0.0, -0.5]),
    dict(method="exact", prior="normal", sigma=1.0, fit_intercept=True),
    dict(method="map", sigma=HalfNormal(2.0)),
    dict(sigma=HalfNormal(2.0), fit_intercept=True, **FAST_NUTS),
])
def test_save_load_round_trip(tmp_path, kwargs):
    est = BayesianLinearRegression(**kwargs).fit(DATA.X, DATA.y)
    path = est.save(tmp_path / "model")
    loaded = bayesreg.load(path)
    assert loaded.get_params().keys() == est.get_params().keys()
    assert repr(loaded.sigma) == repr(est.sigma)
    np.testing.assert_array_equal(loaded.coef_, est.coef_)
    assert loaded.intercept_ == est.intercept_
    np.testing.assert_array_equal(loaded.predict(DATA.X), est.predict(DATA.X))
    if est.method != "map":
        np.testing.assert_allclose(loaded.predict(DATA.X, return_std=True)[1],
                                   est.predict(DATA.X, return_std=True)[1], rtol=1e-12)
    if est.method == "nuts":
        assert loaded.fit_result_.summary().equals(est.fit_result_.summary())
        assert set(loaded.idata_.groups()) == set(est.idata_.groups())
    meta = json.loads((path / "meta.json").read_text())
    assert meta["versions"]["bayesreg"] == bayesreg.__version__
    assert meta["n_samples"] == 30 and meta["n_features_in"] == 3


def test_overwrite_replaces_and_interrupted_save_keeps_previous(tmp_path, monkeypatch):
    path = tmp_path / "model"
    first = BayesianLinearRegression(method="map", tau=1.0).fit(DATA.X, DATA.y)
    first.save(path)
    second = BayesianLinearRegression(method="map", tau=0.01).fit(DATA.X, DATA.y)
    second.save(path)  # a complete overwrite works
    np.testing.assert_array_equal(bayesreg.load(path).coef_, second.coef_)

    import bayesreg.persistence as persistence

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("interrupted while writing")

    monkeypatch.setattr(persistence.json, "dumps", crash)
    with pytest.raises(KeyboardInterrupt):
        first.save(path)
    np.testing.assert_array_equal(bayesreg.load(path).coef_, second.coef_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no staging folder left


def test_save_refuses_to_replace_a_foreign_folder(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    est = BayesianLinearRegression(method="map").fit(DATA.X, DATA.y)
    with pytest.raises(ValueError, match="not a saved bayesreg model"):
        est.save(tmp_path / "photos")
    assert (tmp_path / "photos" / "cat.jpg").exists()


def test_load_errors(tmp_path):
    with pytest.raises(ModelFileError, match="no saved model"):
        bayesreg.load(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ModelFileError, match="is a file"):
        bayesreg.load(tmp_path / "file.txt")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "meta.json").write_text('{"format": "something else"}')
    with pytest.raises(ModelFileError, match="is not a saved bayesreg.BayesianLinearRegression"):
        bayesreg.load(foreign)
    (foreign / "meta.json").write_text('{"format": "bayesreg.Bayes')
    with pytest.raises(ModelFileError, match="not readable JSON"):
        bayesreg.load(foreign)


def test_truncated_posterior_file_is_a_clear_error(tmp_path):
    est = BayesianLinearRegression(**FAST_NUTS).fit(DATA.X, DATA.y)
    path = est.save(tmp_path / "m")
    nc = path / "posterior.nc"
    nc.write_bytes(nc.read_bytes()[:500])
    with pytest.raises(ModelFileError, match="not a readable NetCDF posterior"):
        bayesreg.load(path)
    nc.unlink()
    with pytest.raises(ModelFileError, match="posterior file missing"):
        bayesreg.load(path)


class _PublicOnly(BayesianLinearRegression):
    """Refuses bayesreg.persistence any read or write of an attribute whose name starts with "_"."""

    @staticmethod
    def _check(name):
        caller = sys._getframe(2).f_globals.get("__name__")
        if caller == "bayesreg.persistence" and name.startswith("_") and not name.startswith("__"):
            raise AssertionError(f"persistence touched the private attribute {name}")

    def __getattribute__(self, name):
        _PublicOnly._check(name)
        return super().__getattribute__(name)

    def __setattr__(self, name, value):
        _PublicOnly._check(name)
        super().__setattr__(name, value)


@pytest.mark.parametrize("kwargs", [dict(method="exact", prior="normal", sigma=1.0, fit_intercept=True),
                                    dict(method="map", fit_intercept=True)])
def test_save_and_load_use_only_public_attributes(tmp_path, kwargs):
    # persistence sees the estimator as a scikit-learn user does: get_params() and the fitted "_" attributes
    est = _PublicOnly(**kwargs).fit(DATA.X, DATA.y)
    path = persistence.save(est, tmp_path / "model")
    loaded = persistence.load(path, _PublicOnly)
    for name in ("n_samples_fit_", "x_mean_", "y_mean_", "coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(est, name), err_msg=name)
    assert loaded.n_samples_fit_ == 30 and loaded.x_mean_.shape == (3,)
    np.testing.assert_array_equal(loaded.predict(DATA.X, return_std=True)[1], est.predict(DATA.X, return_std=True)[1])
