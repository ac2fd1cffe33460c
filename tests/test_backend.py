"""The XLA flags bayesreg sets before JAX starts: one CPU device per core and the
small-loop threshold, each only when the user has not chosen it."""

import pytest
from jax._src import xla_bridge

from bayesreg import _backend


@pytest.fixture
def fresh_backend(monkeypatch):
    monkeypatch.setattr(xla_bridge, "backends_are_initialized", lambda: False)
    monkeypatch.setattr(_backend.os, "cpu_count", lambda: 2)
    return monkeypatch


def test_flags_added_when_unset(fresh_backend):
    fresh_backend.delenv("XLA_FLAGS", raising=False)
    _backend._set_xla_flags()
    flags = _backend.os.environ["XLA_FLAGS"].split()
    assert "--xla_force_host_platform_device_count=2" in flags
    assert f"--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold={16 * 2**20}" in flags


def test_user_choices_are_kept(fresh_backend):
    mine = "--xla_force_host_platform_device_count=1 --xla_backend_extra_options=xla_cpu_fold_all_constants"
    fresh_backend.setenv("XLA_FLAGS", mine)
    _backend._set_xla_flags()
    assert _backend.os.environ["XLA_FLAGS"] == mine


def test_nothing_changes_once_jax_runs(monkeypatch):
    monkeypatch.setattr(xla_bridge, "backends_are_initialized", lambda: True)
    monkeypatch.setenv("XLA_FLAGS", "")
    _backend._set_xla_flags()
    assert _backend.os.environ["XLA_FLAGS"] == ""
