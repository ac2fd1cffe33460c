"""Shared helpers for the benchmarks: alternating timing, ESS, result rows."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# Run sizes: the protocol by default; ``run.py --smoke`` shrinks them to check that every row
# works (the numbers of a smoke run measure nothing).
SMOKE = False


def size(full, smoke):
    """``full`` in a real run, ``smoke`` in a smoke run."""
    return smoke if SMOKE else full


def setup_bayesreg():
    """Import bayesreg and set JAX up as a user's program would (``bayesreg.setup()`` where it exists);
    JAX must compute in float64 for every tool alike."""
    import bayesreg

    if hasattr(bayesreg, "setup"):
        bayesreg.setup()
    import jax

    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    return bayesreg


def timed_runs(fns: dict[str, Callable[[int], object]], repeats: int) -> dict[str, list[tuple[float, object]]]:
    """Call the functions in turn ``repeats`` times (so a busy machine slows every tool alike);
    each tool's list of (wall seconds, result)."""
    runs: dict[str, list[tuple[float, object]]] = {name: [] for name in fns}
    for rep in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            result = fn(rep)
            runs[name].append((time.perf_counter() - start, result))
    return runs


def mean_and_mcse(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and its Monte Carlo standard error (ArviZ) of every component of (chain, draw, ...)."""
    from bayesreg.inference_data import arviz

    az = arviz()
    draws = np.asarray(draws, dtype=np.float64)
    mcse = az.mcse(az.convert_to_dataset({"x": draws}), method="mean")["x"].values
    return draws.mean(axis=(0, 1)), np.asarray(mcse)


def max_z(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """|mean_a - mean_b| / sqrt(mcse_a^2 + mcse_b^2) for every component."""
    return np.abs(a[0] - b[0]) / np.sqrt(a[1] ** 2 + b[1] ** 2)


def alternate(fns: dict[str, Callable[[int], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function, calling them in turn ``repeats`` times so that a
    busy machine slows every tool alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for rep in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(rep)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def min_bulk_ess(draws: dict[str, np.ndarray]) -> float:
    """Smallest bulk ESS over every scalar component of (chain, draw, ...) arrays."""
    from bayesreg.inference_data import arviz

    az = arviz()
    ds = az.convert_to_dataset({k: np.asarray(v) for k, v in draws.items()})
    return float(min(float(v.min()) for v in az.ess(ds, method="bulk").data_vars.values()))


def row(case: str, tool: str, value: float, reference: str, ref_value: float, *, unit: str,
        higher_is_better: bool, note: str = "") -> dict:
    ratio = value / ref_value if higher_is_better else ref_value / value
    return {"case": case, "bayesreg": tool, "value": value, "reference": reference, "ref_value": ref_value,
            "unit": unit, "ratio": ratio, "note": note}


def section(title: str, header: list[str], lines: list[list[str]], text: str = "") -> dict:
    """A detail table of its own in RESULTS.md, after the summary table."""
    return {"section": title, "header": header, "lines": lines, "text": text}


def failure(what: str) -> dict:
    """A check that failed (a peer that disagrees, ...): listed in RESULTS.md, and run.py exits 1."""
    return {"failure": what}


def run_fresh(script: str, *, env: dict | None = None, timeout: int = 900) -> dict:
    """Run ``script`` in a fresh Python process; it prints one JSON object last."""
    full_env = {**os.environ, **(env or {})}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=full_env,
                         timeout=timeout, cwd=HERE)
    if out.returncode != 0:
        raise RuntimeError(f"fresh-process benchmark failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
