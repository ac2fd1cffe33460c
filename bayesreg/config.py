"""JAX back-end set-up, done by :func:`setup`, never by ``import bayesreg``.

Call ``bayesreg.setup()`` once, first thing, before any JAX computation (the command line,
the test suite and the notebooks do). It is idempotent, like ``numpyro.enable_x64`` and
``numpyro.set_host_device_count``, whose job it does:

* **float64.** Posterior standard deviations can be 1e-3 of the coefficients and real
  design matrices have columns of scale 100+, so bayesreg computes in double precision
  (``jax_enable_x64``), as NumPyro recommends for MCMC on such problems.
* **Host devices.** JAX sees one CPU device by default, so chains could only run one
  after another. Unless ``XLA_FLAGS`` already names a device count, we ask for one
  device per core (at most 8) so that NUTS chains run in parallel. Chains draw from
  their own keys, so the draws do not depend on the device count.
* **Small loops as one kernel.** XLA on the CPU runs a ``while`` loop by dispatching each
  fused kernel of its body in turn, ~0.1 µs apiece; a NUTS trajectory on a 10-coefficient
  model is ~20 such kernels per leapfrog step, so dispatch, not arithmetic, set the pace.
  XLA compiles a loop whose body touches fewer than ``xla_cpu_small_while_loop_byte_threshold``
  bytes (default 1 KB) into a single function instead; raising it to 16 MB made a diabetes
  NUTS fit 2.5-4x faster with the same algorithm (see ``benchmarks/RESULTS.md``). Set only
  if ``XLA_FLAGS`` does not already set ``xla_backend_extra_options``. It changes the
  compiled program, so floating-point rounding, and so (over a long NUTS run) the draws:
  the same seed gives the same draws only under the same threshold.
* **Persistent compilation cache.** Compiled samplers are stored on disk, so a fresh
  process does not compile the same program again (tracing still runs). The folder is
  ``$BAYESREG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/bayesreg/jax`` (``~/.cache/...``);
  ``BAYESREG_CACHE_DIR=off`` disables it and ``bayesreg cache clear`` empties it. A cache
  hit gives the very same executable: same seed, same draws, cache or not.

The two XLA flags are read once, when JAX starts its back end (its first computation or
device query). If that already happened, :func:`setup` cannot apply them: it says so in
one :class:`~bayesreg.exceptions.SetupWarning` and carries on (float64 and the cache still
apply). The fitting entry points call :func:`ensure_setup`, so a user who never calls
:func:`setup` still computes in float64, as the estimators require.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

SMALL_LOOP_BYTES = 16 * 2**20
"""Default ``xla_cpu_small_while_loop_byte_threshold`` (16 MB)."""

_DEVICE_FLAG = "xla_force_host_platform_device_count"
_EXTRA_FLAG = "xla_backend_extra_options"
_THRESHOLD = "xla_cpu_small_while_loop_byte_threshold"

# what the last setup() call asked for, and whether it was the user's or ensure_setup()'s
_state: dict = {"request": None, "how": None}


def _backend_started() -> bool:
    """Whether JAX has started its back end, after which XLA flags are fixed."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # pragma: no cover - private API moved: assume the worst
        return True


def _default_devices() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _check(host_devices, small_loop_threshold, cache):
    if host_devices is not None and (isinstance(host_devices, bool) or not isinstance(host_devices, int)
                                     or host_devices < 1):
        raise ValueError(f"host_devices must be a positive integer or None, got {host_devices!r}.")
    if small_loop_threshold is not None and (isinstance(small_loop_threshold, bool)
                                             or not isinstance(small_loop_threshold, int)
                                             or small_loop_threshold < 0):
        raise ValueError(f"small_loop_threshold must be a non-negative integer (bytes) or None, "
                         f"got {small_loop_threshold!r}.")
    if not isinstance(cache, (bool, str, os.PathLike)):
        raise TypeError(f"cache must be True, False or a folder path, got {type(cache).__name__}.")


def _xla_flags(host_devices, small_loop_threshold) -> list[str]:
    """Add our XLA flags to ``XLA_FLAGS`` where the user chose none; return the ones that could not be."""
    wanted = {_DEVICE_FLAG: f"--{_DEVICE_FLAG}={host_devices or _default_devices()}"}
    if small_loop_threshold is not None:
        wanted[_EXTRA_FLAG] = f"--{_EXTRA_FLAG}={_THRESHOLD}={small_loop_threshold}"
    flags = os.environ.get("XLA_FLAGS", "")
    missing = [flag for name, flag in wanted.items() if name not in flags]
    if not missing:
        return []
    if _backend_started():
        return missing
    os.environ["XLA_FLAGS"] = " ".join([flags, *missing]).strip()
    return []


def cache_dir() -> Path | None:
    """The persistent compilation cache folder, or None when disabled (``BAYESREG_CACHE_DIR=off``)."""
    value = os.environ.get("BAYESREG_CACHE_DIR")
    if value is not None:
        if value.strip().lower() in ("", "0", "off", "none", "false", "no"):
            return None
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bayesreg" / "jax"


def _enable_compilation_cache(jax, cache) -> None:
    if cache is False or jax.config.jax_compilation_cache_dir:  # off, or chosen already
        return
    folder = cache_dir() if cache is True else Path(cache).expanduser()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    if not os.access(folder, os.W_OK):
        return
    # JAX opens the cache at its first compilation that finds a folder set, so this works
    # even after JAX has run
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def _import_numpyro_quietly() -> None:
    """NumPyro imports ``tqdm.auto``, which warns in a Jupyter kernel without ipywidgets
    ("IProgress not found"). bayesreg never uses NumPyro's progress bars (its own write
    plain text to stderr), so the notice is noise for our users."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import numpyro  # noqa: F401


def setup(*, x64: bool = True, host_devices: int | None = None,
          small_loop_threshold: int | None = SMALL_LOOP_BYTES, cache: bool | str | os.PathLike = True) -> None:
    """Set JAX up for bayesreg: float64, host devices, XLA's small-loop threshold, compilation cache.

    Call it once, before any JAX computation; calling it again with the same arguments does
    nothing. XLA flags already named in ``XLA_FLAGS`` are left as the user set them.

    Parameters
    ----------
    x64 : bool
        Compute in float64 (``jax_enable_x64``). The estimators assume it.
    host_devices : int or None
        CPU devices for parallel chains; None: one per core, at most 8.
    small_loop_threshold : int or None
        ``xla_cpu_small_while_loop_byte_threshold`` in bytes; None leaves XLA's default (1 KB).
    cache : bool or path
        True: the persistent compilation cache in :func:`cache_dir`; False: none; a path: that folder.

    Warns
    -----
    SetupWarning
        Once, naming the XLA flags it could not apply because JAX had already started.
    """
    _check(host_devices, small_loop_threshold, cache)
    request = (bool(x64), host_devices, small_loop_threshold, cache)
    if _state["request"] == request:
        _state["how"] = _state["how"] or "explicit"
        return
    skipped = _xla_flags(host_devices, small_loop_threshold)
    import jax

    jax.config.update("jax_enable_x64", bool(x64))
    _enable_compilation_cache(jax, cache)
    _import_numpyro_quietly()
    _state.update(request=request, how=_state.get("calling", "explicit"))
    if skipped:
        from .exceptions import SetupWarning

        warnings.warn(
            f"bayesreg.setup() could not apply {' '.join(skipped)}: JAX had already started, so XLA keeps "
            f"its current flags (fits run, but draws can differ by rounding from a process set up first). "
            f"Fix: call bayesreg.setup() before any JAX computation, or put the flags in XLA_FLAGS.",
            SetupWarning, stacklevel=3 if _state.get("calling") else 2)


def setup_arguments() -> dict:
    """The keyword arguments of the :func:`setup` in force (its defaults if none ran yet), so
    that another process (a Dask worker) can be set up the same way."""
    request = _state["request"]
    if request is None:
        return {}
    x64, host_devices, small_loop_threshold, cache = request
    return {"x64": x64, "host_devices": host_devices, "small_loop_threshold": small_loop_threshold,
            "cache": str(cache) if isinstance(cache, os.PathLike) else cache}


def ensure_setup() -> None:
    """:func:`setup` with its defaults unless it has been called; the fitting entry points call this."""
    if _state["request"] is None:
        _state["calling"] = "implicit"
        try:
            setup()
        finally:
            del _state["calling"]


def versions() -> dict:
    """The versions a result depends on: bayesreg, JAX, NumPyro (for provenance)."""
    import jax
    import numpyro

    from ._version import __version__

    return {"bayesreg": __version__, "jax": jax.__version__, "numpyro": numpyro.__version__}


def backend_info() -> dict:
    """The back-end settings in force: what a fit's draws depend on besides the seed and the data.

    Keys: ``jax``, ``numpyro`` (versions), ``x64``, ``platform``, ``devices`` (local device count),
    ``small_loop_threshold`` (bytes from ``XLA_FLAGS``; None: XLA's default), ``xla_flags``,
    ``compilation_cache`` (folder or None) and ``setup`` ("explicit", "implicit" at the first fit, or None).
    Starts JAX's back end if it has not started.
    """
    import jax
    import numpyro

    flags = os.environ.get("XLA_FLAGS", "")
    threshold = None
    for token in flags.split():
        if f"{_THRESHOLD}=" in token:
            threshold = int(token.rsplit("=", 1)[1])
    return {"jax": jax.__version__, "numpyro": numpyro.__version__, "x64": bool(jax.config.jax_enable_x64),
            "platform": jax.default_backend(), "devices": jax.local_device_count(),
            "small_loop_threshold": threshold, "xla_flags": flags,
            "compilation_cache": jax.config.jax_compilation_cache_dir or None, "setup": _state["how"]}


def provenance() -> dict:
    """:func:`backend_info` as flat ``backend_*`` attributes that NetCDF can store (str and int)."""
    return {f"backend_{key}": (value if isinstance(value, int) and not isinstance(value, bool) else str(value))
            for key, value in backend_info().items()}
