"""JAX backend set-up, done once when :mod:`bayesreg` is imported.

* **float64.** Posterior standard deviations can be 1e-3 of the coefficients and real
  design matrices have columns of scale 100+, so bayesreg computes in double precision
  (``jax_enable_x64``), as NumPyro recommends for MCMC on such problems.
* **Persistent compilation cache.** Compiled samplers are stored on disk, so a fresh
  process does not compile the same program again (tracing still runs). The folder is
  ``$BAYESREG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/bayesreg/jax`` (``~/.cache/...``);
  ``BAYESREG_CACHE_DIR=off`` disables it and ``bayesreg cache clear`` empties it. A cache
  hit gives the very same executable: same seed, same draws, cache or not.
* **Host devices.** JAX sees one CPU device by default, so chains could only run one
  after another. Unless the user already chose (``XLA_FLAGS`` names a device count) and
  before JAX starts its backend, we ask for one device per core so that NUTS chains run
  in parallel with ``pmap``, as ``numpyro.set_host_device_count`` would.
* **Small loops as one kernel.** XLA on the CPU runs a ``while`` loop by dispatching each
  fused kernel of its body in turn, ~0.1 µs apiece; a NUTS trajectory on a 10-coefficient
  model is ~20 such kernels per leapfrog step, so dispatch, not arithmetic, set the pace.
  XLA compiles a loop whose body touches fewer than ``xla_cpu_small_while_loop_byte_threshold``
  bytes (default 1 KB) into a single function instead. Raising it to 16 MB, which covers
  the samplers' trajectory loops up to ~1,000 coefficients, made a diabetes NUTS fit 2.5-4x
  faster with the same algorithm (see ``benchmarks/RESULTS.md``). This is set, like the
  device count, only before JAX starts its backend and only if ``XLA_FLAGS`` does not
  already set ``xla_backend_extra_options``; it changes speed, not results beyond
  floating-point rounding.
"""

from __future__ import annotations

import os

SMALL_LOOP_BYTES = 16 * 2**20


def _set_xla_flags() -> None:
    """Host device count and the small-loop threshold, unless the user chose them."""
    try:  # a JAX backend that is already running cannot change its flags
        from jax._src import xla_bridge

        if xla_bridge.backends_are_initialized():
            return
    except (ImportError, AttributeError):  # pragma: no cover - private API moved
        return
    flags = os.environ.get("XLA_FLAGS", "")
    extra = []
    if "xla_force_host_platform_device_count" not in flags:
        extra.append(f"--xla_force_host_platform_device_count={max(1, min(os.cpu_count() or 1, 8))}")
    if "xla_backend_extra_options" not in flags:
        extra.append(f"--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold={SMALL_LOOP_BYTES}")
    if extra:
        os.environ["XLA_FLAGS"] = " ".join([flags, *extra]).strip()


def _import_numpyro_quietly() -> None:
    """NumPyro imports ``tqdm.auto``, which warns in a Jupyter kernel without ipywidgets
    ("IProgress not found"). bayesreg never uses NumPyro's progress bars (its own write
    plain text to stderr), so the notice is noise for our users."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import numpyro  # noqa: F401


def cache_dir():
    """The persistent compilation cache folder, or None when disabled."""
    from pathlib import Path

    value = os.environ.get("BAYESREG_CACHE_DIR")
    if value is not None:
        if value.strip().lower() in ("", "0", "off", "none", "false", "no"):
            return None
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bayesreg" / "jax"


def _enable_compilation_cache(jax) -> None:
    if jax.config.jax_compilation_cache_dir:  # the user chose one already
        return
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    if not os.access(folder, os.W_OK):
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def configure() -> None:
    _set_xla_flags()
    import jax

    jax.config.update("jax_enable_x64", True)
    _enable_compilation_cache(jax)
    _import_numpyro_quietly()
