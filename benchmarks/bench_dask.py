"""Studies on Dask distributed: when does a LocalCluster of 2 worker processes pay?

* cells per second of ``bayesreg simulate linear``'s cells (``studies.linear.run_study``: 16 cells,
  n = 50, p = 5, 20 replicates each, 1 chain x (300 + 300) NUTS + the exact lasso), in-process
  against ``client=`` a LocalCluster(2); each warm (programs compiled in every process), and the
  cold costs apart: starting the cluster and ``bayesreg.setup()`` on its workers, the first run's
  compilations;
* the scheduler's overhead per task: ``run_cells`` of 200 cells that do nothing, on the cluster;
* the cell size below which distributing does not pay: ``run_cells`` of 16 cells that each
  compute for a fixed time (numpy, single thread), in-process against the cluster.

On a shared 2-core machine the cluster's two workers compete with the client and every other
process, so the speed-ups are a floor. Run alone: ``python benchmarks/bench_dask.py``, or as the
``dask`` case of ``benchmarks/run.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from common import row, section, size

GRID = dict(ns="50", ps="5", taus="0.25,0.5,1,2", sigmas="0.5,1,2,4")        # 16 cells
STUDY = dict(replicates=20, num_warmup=300, num_samples=300, num_chains=1, n_test=200, seed=0)


def busy_cell(seconds: float, index: int) -> pd.DataFrame:
    """A cell that computes (single-threaded numpy) for about ``seconds``."""
    rng = np.random.default_rng(index)
    a = rng.standard_normal((64, 64))
    total, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        total += float((a @ a).sum())
    return pd.DataFrame({"index": [index], "total": [total]})


def noop_cell(index: int) -> pd.DataFrame:
    return pd.DataFrame({"index": [index]})


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(repeats: int = 1) -> list[dict]:
    import bayesreg
    from bayesreg.runner import Cell, prepare_client, run_cells, start_local_cluster
    from bayesreg.studies import linear

    bayesreg.setup()
    grid = GRID if size(True, False) else dict(ns="50", ps="3", taus="0.5,1,2,4", sigmas="0.5,1,2,4")
    study = STUDY if size(True, False) else {**STUDY, "replicates": 4, "num_warmup": 50, "num_samples": 50}
    args = (grid["ns"], grid["ps"], grid["taus"], grid["sigmas"])
    cells = 16

    cold_here, _ = _timed(lambda: linear.run_study(*args, **study))
    warm_here = min(_timed(lambda: linear.run_study(*args, **study))[0] for _ in range(max(1, repeats)))

    start_s, (client, cluster) = _timed(lambda: start_local_cluster(2))
    try:
        setup_s, _ = _timed(lambda: prepare_client(client))
        cold_there, _ = _timed(lambda: linear.run_study(*args, **study, client=client))
        warm_there = min(_timed(lambda: linear.run_study(*args, **study, client=client))[0]
                         for _ in range(max(1, repeats)))

        n_noop = size(200, 40)
        noop = [Cell(f"noop {i:04d}", noop_cell, {"index": i}) for i in range(n_noop)]
        noop_here = _timed(lambda: run_cells(noop))[0]
        noop_there = _timed(lambda: run_cells(noop, client=client))[0]
        overhead_ms = 1000 * noop_there / n_noop

        lines, break_even = [], None
        for seconds in size((0.001, 0.01, 0.03, 0.1, 0.3, 1.0), (0.001, 0.1)):
            busy = [Cell(f"busy {i:02d}", busy_cell, {"seconds": seconds, "index": i}) for i in range(cells)]
            here = _timed(lambda busy=busy: run_cells(busy))[0]
            there = _timed(lambda busy=busy: run_cells(busy, client=client))[0]
            speedup = here / there
            if speedup > 1 and break_even is None:
                break_even = seconds
            lines.append([f"{1000 * seconds:g} ms", f"{cells / here:.1f}", f"{cells / there:.1f}", f"{speedup:.2f}x"])
    finally:
        client.close()
        cluster.close()

    note = (f"{cells} cells of n=50, p=5, {study['replicates']} replicates, 1 chain x "
            f"({study['num_warmup']}+{study['num_samples']}); warm (compiled), best of {max(1, repeats)}")
    rows = [
        row("Dask: linear study cells/s, LocalCluster(2) vs in-process", "LocalCluster(2)", cells / warm_there,
            "in-process", cells / warm_here, unit="cells/s", higher_is_better=True, note=note),
        row("Dask: linear study, cold (first run, compiling)", "LocalCluster(2)", cold_there, "in-process",
            cold_here, unit="s", higher_is_better=False,
            note=f"cluster start {start_s:.1f} s + bayesreg.setup() on the workers {setup_s:.1f} s not included"),
        row("Dask: scheduler overhead per task", "LocalCluster(2)", overhead_ms, "in-process",
            1000 * noop_here / n_noop, unit="ms/task", higher_is_better=False,
            note=f"{n_noop} cells that do nothing (submit, schedule, run, gather, rebuild the table)"),
    ]
    text = (f"16 cells that each compute for a fixed time, in-process vs LocalCluster(2) (warm workers). "
            f"Distributing pays from about {1000 * break_even:g} ms of compute per cell on this machine"
            if break_even is not None else "Distributing did not pay at any measured cell size on this machine")
    text += (f"; the scheduler's overhead is {overhead_ms:.1f} ms per task, and starting the cluster costs "
             f"{start_s:.1f} s + {setup_s:.1f} s (workers importing JAX and running bayesreg.setup()), "
             f"plus each worker's first compilation of a study's programs.")
    return rows + [section("Dask: cell size against speed-up (16 cells)",
                           ["compute per cell", "in-process cells/s", "LocalCluster(2) cells/s", "speed-up"],
                           lines, text)]


if __name__ == "__main__":
    import common

    common.setup_bayesreg()
    for r in run():
        print(r)
