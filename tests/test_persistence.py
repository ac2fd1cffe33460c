import json
import os
import shutil
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path

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
    dict(method="map", sigma=1.0, tau=0.5),  # the exact lasso
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
    if type(est.fit_result_).__name__ == "LassoSolution":  # the solver's record survives, n_solves included
        assert loaded.fit_result_.to_arrays() == est.fit_result_.to_arrays()
        assert loaded.fit_result_.n_solves == est.fit_result_.n_solves > 0


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
    nc = path / json.loads((path / "meta.json").read_text())["posterior_file"]
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


# ---- crash safety: a save killed at any instant leaves the old model or the new one ----

class _Killed(BaseException):
    """A crash: like SIGKILL, not an Exception that a handler could catch and repair."""


_FILE_OPS = ("open", "replace", "rename", "mkdir", "rmdir", "unlink", "remove", "fsync", "chmod")


def _crash_after(monkeypatch, k, root, *, sigkill=False):
    """Let the first k file operations under ``root`` happen, then fail every later one (a
    dead process does nothing more), or with ``sigkill`` kill this process at operation k.
    Counts os-level operations and the NetCDF write, which on its crash leaves a truncated
    file. Returns the list of operations done."""
    done = []
    root = str(root)

    def counted(name, fn, path_arg=0):
        def op(*args, **kwargs):
            target = args[path_arg] if len(args) > path_arg else None
            ours = (name == "fsync" or kwargs.get("dir_fd") is not None
                    or (isinstance(target, str | os.PathLike) and os.fspath(target).startswith(root)))
            if ours:
                if len(done) >= k:
                    if name == "write_netcdf":
                        Path(target).write_bytes(b"\x89HDF\r\n\x1a\n truncated")
                    if sigkill:
                        os.kill(os.getpid(), signal.SIGKILL)
                    raise _Killed(f"killed before {name} {target}")
                done.append((name, str(target)))
            return fn(*args, **kwargs)
        return op

    for name in _FILE_OPS:
        monkeypatch.setattr(os, name, counted(name, getattr(os, name)))
    monkeypatch.setattr(persistence, "write_netcdf", counted("write_netcdf", persistence.write_netcdf, 1))
    return done


def _fingerprint(est):
    """What tells two fitted models apart: the estimates and, for NUTS, the draws."""
    if est is None:
        return None
    sd = est.predict(DATA.X[:3], return_std=True)[1] if est.method != "map" else ()
    return tuple(np.round(est.coef_, 12)) + tuple(np.round(sd, 12))


@pytest.fixture(scope="module")
def fits():
    nuts = dict(FAST_NUTS, num_warmup=60, num_samples=60)
    return {"map": BayesianLinearRegression(method="map", tau=0.1).fit(DATA.X, DATA.y),
            "nuts": BayesianLinearRegression(seed=1, **nuts).fit(DATA.X, DATA.y),
            "nuts2": BayesianLinearRegression(seed=2, **nuts).fit(DATA.X, DATA.y)}


@pytest.fixture
def fast_netcdf(monkeypatch):
    """Each fitted posterior is encoded to NetCDF once and then written as those bytes: the
    encoder takes 0.4 s a file and is not what these tests are about (the file operations
    around it are). Reading maps the bytes back; anything else goes to the real reader."""
    encoded, decoded = {}, {}
    write, read = persistence.write_netcdf, persistence.read_netcdf

    def fast_write(idata, path):
        if id(idata) not in encoded:
            write(idata, path)
            encoded[id(idata)] = Path(path).read_bytes()
            decoded[encoded[id(idata)]] = idata
        else:
            Path(path).write_bytes(encoded[id(idata)])

    def fast_read(path):
        data = Path(path).read_bytes()
        return decoded[data] if data in decoded else read(path)

    monkeypatch.setattr(persistence, "write_netcdf", fast_write)
    monkeypatch.setattr(persistence, "read_netcdf", fast_read)


def _write_legacy(est, folder):
    """The layout of bayesreg <= this change: meta.json naming posterior.nc."""
    persistence.save(est, folder)
    meta = json.loads((folder / "meta.json").read_text())
    if "posterior_file" in meta:
        os.rename(folder / meta["posterior_file"], folder / "posterior.nc")
        meta["posterior_file"] = "posterior.nc"
    (folder / "meta.json").write_text(json.dumps(meta))


def _assert_tidy(root, path):
    """Only the model is left: no hidden siblings, no unnamed posterior, no temporary file."""
    assert sorted(p.name for p in root.iterdir()) == ["model"]
    meta = json.loads((path / "meta.json").read_text())
    assert sorted(p.name for p in path.iterdir()) == sorted({"meta.json", meta.get("posterior_file")} - {None})


@pytest.mark.parametrize("old, new", [(None, "nuts"), ("map", "nuts"), ("nuts", "nuts2"), ("nuts", "map"),
                                      ("legacy-nuts", "nuts2")])
def test_save_crashed_after_every_file_operation_leaves_old_or_new(tmp_path, monkeypatch, fast_netcdf, fits,
                                                                   old, new):
    old_est = fits[old.removeprefix("legacy-")] if old else None
    expected = {"old": _fingerprint(old_est), "new": _fingerprint(fits[new])}
    pristine = tmp_path / "pristine"
    if old is not None:
        (_write_legacy if old.startswith("legacy") else persistence.save)(old_est, pristine)
    for k in range(200):
        root = tmp_path / f"k{k}"
        root.mkdir()
        path = root / "model"
        if old is not None:
            shutil.copytree(pristine, path)
        with monkeypatch.context() as patch:
            done = _crash_after(patch, k, root)
            try:
                persistence.save(fits[new], path)
                finished = True
            except _Killed:
                finished = False
        try:
            seen = _fingerprint(bayesreg.load(path))
        except ModelFileError as err:
            assert old is None and "no saved model" in str(err), f"crash after {done[-1:]}: {err}"
            seen = None
        assert seen in (expected["old"], expected["new"]), f"crash after operation {k}: {done[-1:]}"
        if finished:
            assert seen == expected["new"]
            _assert_tidy(root, path)
            break
        if seen is not None:
            _assert_tidy(root, path)  # the load cleaned up what the killed save left
        persistence.save(fits[new], path)  # and the next save works and cleans up
        assert _fingerprint(bayesreg.load(path)) == expected["new"]
        _assert_tidy(root, path)
    assert finished and k >= 5, f"the save finished after {k} operations: {done}"


def test_leftovers_of_older_versions_are_recovered_and_removed(tmp_path, fits):
    # bayesreg before this change: a crash between its two renames hid the model in .NAME.*.old
    # (load said "no saved model"), and every interrupted save left a .NAME.*.tmp folder
    path = tmp_path / "model"
    persistence.save(fits["map"], tmp_path / ".model.abcd1234.old")
    persistence.save(fits["nuts"], tmp_path / ".model.x_9zz0qq.tmp")
    (tmp_path / ".model.half_wri.tmp").mkdir()
    (tmp_path / ".other.abcd1234.tmp").mkdir()  # another model's: not ours to touch
    np.testing.assert_array_equal(bayesreg.load(path).coef_, fits["map"].coef_)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.abcd1234.tmp", "model"]
    (tmp_path / ".model.zzzzzzzz.tmp").mkdir()
    persistence.save(fits["nuts"], path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.abcd1234.tmp", "model"]
    np.testing.assert_array_equal(bayesreg.load(path).coef_, fits["nuts"].coef_)


def test_an_interrupted_first_save_reads_as_no_model_and_is_not_foreign(tmp_path, fits):
    path = tmp_path / "model"
    path.mkdir()
    (path / "posterior-0123456789ab.nc").write_bytes(b"\x89HDF half")  # killed before meta.json
    with pytest.raises(ModelFileError, match="no saved model"):
        bayesreg.load(path)
    assert list(path.iterdir()) == []  # the load removed it
    (path / "posterior-0123456789ab.nc").write_bytes(b"\x89HDF half")
    persistence.save(fits["map"], path)
    assert sorted(p.name for p in path.iterdir()) == ["meta.json"]


# ---- the same with real processes killed by SIGKILL ----

def _fork(child):
    """Run ``child()`` in a forked subprocess (it inherits the fitted models); returns its pid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # JAX warns at any fork; the child runs no JAX
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            child()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _wait(pid, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the saving subprocess hung")


needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="forks a saving subprocess (POSIX; macOS forks are unsafe)")


@needs_fork
def test_save_killed_by_sigkill_at_every_file_operation(tmp_path, monkeypatch, fast_netcdf, fits):
    old, new = fits["nuts"], fits["nuts2"]
    expected = {_fingerprint(old), _fingerprint(new)}
    pristine = tmp_path / "pristine"
    persistence.save(old, pristine)
    for k in range(200):
        root = tmp_path / f"k{k}"
        root.mkdir()
        path = root / "model"
        shutil.copytree(pristine, path)

        def child(k=k, root=root, path=path):
            with monkeypatch.context() as patch:
                _crash_after(patch, k, root, sigkill=True)
                persistence.save(new, path)

        status = _wait(_fork(child))
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert killed or os.waitstatus_to_exitcode(status) == 0, f"the saving subprocess failed: {status}"
        seen = _fingerprint(bayesreg.load(path))
        assert seen in expected, f"killed at operation {k}"
        _assert_tidy(root, path)
        if not killed:
            assert seen == _fingerprint(new)
            break
        persistence.save(new, path)
        _assert_tidy(root, path)
    assert not killed and k >= 5


@needs_fork
def test_save_loop_killed_by_sigkill_at_random_instants(tmp_path, fits):
    # real NetCDF writes (0.4 s each), three models in turn, killed after a random delay
    models = [fits["nuts"], fits["map"], fits["nuts2"]]
    expected = {_fingerprint(m) for m in models}
    path = tmp_path / "model"
    persistence.save(models[0], path)
    rng = np.random.default_rng(13)

    def child():
        while True:
            for est in models:
                persistence.save(est, path)

    for delay in rng.uniform(0.0, 1.0, size=8):
        pid = _fork(child)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        status = _wait(pid)
        assert os.WIFSIGNALED(status), "the saving subprocess ended by itself"
        assert _fingerprint(bayesreg.load(path)) in expected, f"killed after {delay:.3f} s"
        _assert_tidy(tmp_path, path)


_SAVE_LOOP = """
import sys
import bayesreg
from bayesreg import persistence
models = [bayesreg.load(p) for p in sys.argv[2:]]
print("ready", flush=True)
while True:
    for est in models:
        persistence.save(est, sys.argv[1])
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_fresh_saving_process_killed_at_random_instants(tmp_path, fits):
    import subprocess

    sources = []
    for name in ("nuts", "map", "nuts2"):
        sources.append(str(persistence.save(fits[name], tmp_path / f"src_{name}")))
    expected = {_fingerprint(fits[name]) for name in ("nuts", "map", "nuts2")}
    work = tmp_path / "work"
    work.mkdir()
    path = work / "model"
    persistence.save(fits["map"], path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(bayesreg.__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH", "")])}
    for delay in np.random.default_rng(7).uniform(0.0, 1.5, size=6):
        proc = subprocess.Popen([sys.executable, "-c", _SAVE_LOOP, str(path), *sources], env=env,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=60) == -signal.SIGKILL
        finally:
            proc.kill()
            proc.stdout.close()
        assert _fingerprint(bayesreg.load(path)) in expected, f"killed after {delay:.3f} s"
        _assert_tidy(work, path)


# ---- models saved by older versions ----

SAVED_V1 = Path(__file__).parent / "data" / "saved_v1"


@pytest.mark.parametrize("name", ["lasso", "ridge_map", "exact", "lbfgs", "nuts"])
def test_models_saved_before_result_kinds_load_and_predict_as_they_did(tmp_path, name):
    import pandas as pd

    folder = shutil.copytree(SAVED_V1 / name, tmp_path / name)  # load tidies the folder: not in the repository
    expected = json.loads((folder / "expected.json").read_text())
    assert "result" not in json.loads((folder / "meta.json").read_text())  # the layout before result kinds
    X = np.asarray(expected["X"])
    loaded = bayesreg.load(folder)
    np.testing.assert_array_equal(loaded.coef_, expected["coef"])
    assert loaded.intercept_ == expected["intercept"]
    mean, std = loaded.predict(X, return_std=True)
    np.testing.assert_allclose(mean, expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(std, expected["std"], rtol=1e-12)  # a ridge MAP stays a plug-in prediction
    np.testing.assert_allclose(loaded.predict_interval(X), (expected["lower"], expected["upper"]), rtol=1e-12)
    table = pd.DataFrame(expected["coef_table"]).set_index("feature")
    pd.testing.assert_frame_equal(loaded.coef_table(), table, check_exact=False, rtol=1e-12,
                                  check_dtype=False)
    if "sample_predictive" in expected:
        np.testing.assert_allclose(loaded.sample_predictive(X, seed=3)[:10], expected["sample_predictive"],
                                   rtol=1e-12)
    else:
        with pytest.raises(ValueError, match="^sample_predictive needs a posterior"):
            loaded.sample_predictive(X)
    # saved again, it records its kind, and loads the same
    again = bayesreg.load(loaded.save(tmp_path / "again"))
    assert json.loads((tmp_path / "again" / "meta.json").read_text())["result"] == loaded.fit_result_.KIND
    assert type(again.fit_result_) is type(loaded.fit_result_)
    np.testing.assert_array_equal(again.predict(X, return_std=True)[1], std)
