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
    from bayesreg._arviz import arviz

    az = arviz()
    ds = az.convert_to_dataset({k: np.asarray(v) for k, v in draws.items()})
    return float(min(float(v.min()) for v in az.ess(ds, method="bulk").data_vars.values()))


def row(case: str, tool: str, value: float, reference: str, ref_value: float, *, unit: str,
        higher_is_better: bool, note: str = "") -> dict:
    ratio = value / ref_value if higher_is_better else ref_value / value
    return {"case": case, "bayesreg": tool, "value": value, "reference": reference, "ref_value": ref_value,
            "unit": unit, "ratio": ratio, "note": note}


def run_fresh(script: str, *, env: dict | None = None, timeout: int = 900) -> dict:
    """Run ``script`` in a fresh Python process; it prints one JSON object last."""
    full_env = {**os.environ, **(env or {})}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=full_env,
                         timeout=timeout, cwd=HERE)
    if out.returncode != 0:
        raise RuntimeError(f"fresh-process benchmark failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
