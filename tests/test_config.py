"""bayesreg.setup(): explicit back-end set-up, nothing at import.

In-process tests pretend JAX has or has not started (``config._backend_started``); the
import-order tests run fresh interpreters, because XLA reads its flags once per process.
"""

import os
import subprocess
import sys
import time
import warnings

import pytest

from bayesreg import config
from bayesreg.exceptions import SetupWarning

THRESHOLD_FLAG = f"--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold={config.SMALL_LOOP_BYTES}"


@pytest.fixture
def fresh(monkeypatch):
    """A process where setup() has not run and JAX's back end has not started (2 cores)."""
    monkeypatch.setattr(config, "_state", {"request": None, "how": None})
    monkeypatch.setattr(config, "_backend_started", lambda: False)
    monkeypatch.setattr(config.os, "cpu_count", lambda: 2)
    return monkeypatch


def test_flags_added_when_unset(fresh):
    fresh.delenv("XLA_FLAGS", raising=False)
    config.setup(cache=False)
    flags = os.environ["XLA_FLAGS"].split()
    assert "--xla_force_host_platform_device_count=2" in flags
    assert THRESHOLD_FLAG in flags


def test_threshold_and_devices_are_parameters(fresh):
    fresh.delenv("XLA_FLAGS", raising=False)
    config.setup(cache=False, host_devices=3, small_loop_threshold=None)
    assert os.environ["XLA_FLAGS"] == "--xla_force_host_platform_device_count=3"


def test_user_choices_are_kept(fresh):
    mine = "--xla_force_host_platform_device_count=1 --xla_backend_extra_options=xla_cpu_fold_all_constants"
    fresh.setenv("XLA_FLAGS", mine)
    config.setup(cache=False)
    assert os.environ["XLA_FLAGS"] == mine


def test_one_warning_naming_the_fix_once_jax_runs(fresh):
    fresh.setattr(config, "_backend_started", lambda: True)
    fresh.setenv("XLA_FLAGS", "")
    with pytest.warns(SetupWarning, match="before any JAX computation") as record:
        config.setup(cache=False)
    assert len(record) == 1 and "xla_cpu_small_while_loop_byte_threshold" in str(record[0].message)
    assert os.environ["XLA_FLAGS"] == ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config.setup(cache=False)  # idempotent: no second warning


def test_no_warning_when_the_user_set_the_flags(fresh):
    fresh.setattr(config, "_backend_started", lambda: True)
    fresh.setenv("XLA_FLAGS", f"--xla_force_host_platform_device_count=1 {THRESHOLD_FLAG}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config.setup(cache=False)


@pytest.mark.parametrize("kwargs, match", [
    ({"host_devices": 0}, "host_devices"),
    ({"host_devices": 2.0}, "host_devices"),
    ({"small_loop_threshold": -1}, "small_loop_threshold"),
    ({"cache": 3}, "cache"),
])
def test_bad_arguments(fresh, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        config.setup(**kwargs)


def test_ensure_setup_keeps_the_users_choice(fresh):
    fresh.delenv("XLA_FLAGS", raising=False)
    config.setup(cache=False, host_devices=1)
    config.ensure_setup()
    assert os.environ["XLA_FLAGS"].split()[0] == "--xla_force_host_platform_device_count=1"
    assert config._state["how"] == "explicit"


def test_fit_records_backend_settings():
    import bayesreg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesreg.ConvergenceWarning)  # a short run: only the record matters
        fit = bayesreg.GaussianMean().sample([0.3, 1.2, 0.7], num_warmup=50, num_samples=50, num_chains=1,
                                             progress=False)
    info = bayesreg.backend_info()
    assert fit.settings["backend_x64"] == "True"
    assert fit.settings["backend_devices"] == info["devices"]
    assert fit.settings["backend_jax"] == info["jax"]
    assert str(fit.idata.attrs["backend_small_loop_threshold"]) == str(info["small_loop_threshold"])


# ---------------------------------------------------------------- fresh processes
def _python(code, *, env=None, timeout=300):
    env = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out


def test_import_changes_nothing():
    _python("import os, sys; e = dict(os.environ); import bayesreg; assert dict(os.environ) == e; "
            "assert 'jax' not in sys.modules, 'import bayesreg imported jax'; "
            "assert 'BayesianLinearRegression' in dir(bayesreg) and bayesreg.__all__")


def test_version_is_fast():
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bayesreg", "--version"], capture_output=True, text=True,
                         timeout=60)
    elapsed = time.perf_counter() - start
    assert out.returncode == 0 and out.stdout.startswith("bayesreg ")
    assert elapsed < 2.0, f"bayesreg --version took {elapsed:.2f} s"


DRAWS = """
import sys, warnings
{before}
import bayesreg
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    {setup}
for w in caught:
    print("WARNING", w.category.__name__, w.message, file=sys.stderr)
fit = bayesreg.GaussianMean().sample([0.3, 1.2, 0.7, 2.0], num_warmup=200, num_samples=200, num_chains=2,
                                     seed=5, progress=False)
print(repr(fit.draws("mu").tolist()))
"""
STARTED = "import jax.numpy as jnp; float(jnp.ones(3).sum())  # JAX's back end starts here"


@pytest.fixture(scope="module")
def set_up_first(tmp_path_factory):
    env = {"BAYESREG_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    out = _python(DRAWS.format(before="", setup="bayesreg.setup()"), env=env)
    assert "WARNING" not in out.stderr
    return env, out.stdout


def test_same_draws_when_jax_ran_first(set_up_first):
    """JAX run before setup(), with the loop threshold in the user's XLA_FLAGS: setup() cannot add the
    device count, so chains run one after another on one device, says so once, and the draws are the same."""
    env, expected = set_up_first
    ran = _python(DRAWS.format(before=STARTED, setup="bayesreg.setup()"), env={**env, "XLA_FLAGS": THRESHOLD_FLAG})
    assert ran.stdout == expected
    assert ran.stderr.count("WARNING") == 1
    assert "SetupWarning" in ran.stderr and "xla_force_host_platform_device_count" in ran.stderr
    assert "before any JAX computation" in ran.stderr


@pytest.mark.slow
@pytest.mark.parametrize("before, setup", [("import jax, numpyro", "bayesreg.setup()"), ("", "pass")],
                         ids=["jax-imported-first", "setup-never-called"])
def test_same_draws_whatever_the_import_order(set_up_first, before, setup):
    """JAX imported (not run) before bayesreg; or setup() left to the first fit."""
    env, expected = set_up_first
    out = _python(DRAWS.format(before=before, setup=setup), env=env)
    assert out.stdout == expected and "WARNING" not in out.stderr
