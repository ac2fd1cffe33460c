"""Run a study's independent cells in-process or on Dask distributed, with checkpoints.

A study (a simulation grid, a calibration over cases, an MLP experiment grid) is a list of
:class:`Cell`: a stable string ``key`` and a picklable module-level function with its keyword
arguments. One cell is one task: one setting with all its replicates batched. :func:`run_cells`
runs them three ways, with the same results:

* in-process, the default: a plain loop; Dask is not imported;
* ``workers=N``: a ``distributed.LocalCluster`` of N worker *processes* (one thread each) on this
  machine, started and closed by the call;
* ``client=``: an existing ``distributed.Client`` (``dask scheduler`` / ``dask worker``,
  dask-jobqueue on Slurm/PBS, Kubernetes); it is left open.

**Determinism.** A cell's randomness must depend on the study seed and the cell only (the studies
derive it from their cell's settings; :func:`cell_seed` does it from a key), so the results do not
depend on the number of workers or on the order cells finish in; results come back in the order of
``cells``. Each worker runs :func:`bayesreg.setup` with the arguments this process was set up with
(a worker plugin, so a worker that Dask restarts gets it too), hence the same XLA flags, float64
and the persistent compilation cache: a program compiles once per worker at most, once per cluster
when the cache folder is shared.

**Faults.** Dask runs again elsewhere the tasks of a worker that died (killed, out of memory), up to
``distributed.scheduler.allowed-failures`` times (default 3) before it gives the cell up as
``KilledWorker``. A cell that raises does not stop the others: at the end :class:`CellError` names
every failed cell and why, and carries the finished cells' results.

**Checkpoints.** With ``checkpoint=DIR`` each finished cell is written as it completes, atomically:
its tables as Parquet and other values as JSON in a temporary folder renamed to
``DIR/cells/<slug>`` (a rename is atomic), so an interrupted run (Ctrl-C, a crash) leaves only whole
cells. ``resume=True`` loads the finished cells and computes only the missing ones; ``DIR/study.json``
records the study's settings, and resuming a folder written with other settings is refused. Without
``resume`` the folder's old cells are removed first.

A cell's result must be a ``pandas.DataFrame`` or a dict of DataFrames and JSON values.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _progress
from .exceptions import CellError
from .io import default_mode, fsync_path, to_jsonable, write_json

EXTRA = "distributed"
INSTALL_HINT = f"pip install 'bayesreg[{EXTRA}]'"
CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class Cell:
    """One task: ``fn(**kwargs)`` under a stable, unique ``key``. ``fn`` must be picklable (a
    module-level function) and pure: its result depends on its arguments only."""

    key: str
    fn: Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def cell_seed(seed: int, key: str) -> np.random.SeedSequence:
    """Randomness of one cell from (study seed, cell key), stable across processes and machines
    (a SHA-256 of the key, not Python's salted ``hash``)."""
    digest = hashlib.sha256(str(key).encode("utf-8")).digest()
    return np.random.SeedSequence([int(seed), *np.frombuffer(digest[:16], dtype="<u4").tolist()])


def check_cluster_options(workers=None, client=None) -> int | None:
    """Validate ``workers`` / ``client`` before any work; the error names the argument."""
    if workers is not None and client is not None:
        raise ValueError("give workers= (a new local cluster) or client= (an existing one), not both.")
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
            raise ValueError(f"workers must be a whole number >= 1; got {workers!r}.")
        _require_distributed("workers=")
        return int(workers)
    if client is not None:
        _require_distributed("client=")
        from distributed import Client

        if not isinstance(client, Client):
            raise TypeError(f"client must be a distributed.Client; got {type(client).__name__}.")
    return None


def _require_distributed(what: str) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(f"{what} needs Dask distributed, which is not installed: {INSTALL_HINT}") from None


# ---------------------------------------------------------------- checkpoints
def _slug(key: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._=-]+", "_", key).strip("_")[:80]
    return f"{readable}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def finished_cells(folder: str | os.PathLike) -> set[str]:
    """The keys of the cells finished in a checkpoint folder (reads only)."""
    keys = set()
    for meta in (Path(folder) / "cells").glob("*/cell.json"):
        try:
            keys.add(json.loads(meta.read_text(encoding="utf-8"))["key"])
        except (OSError, json.JSONDecodeError, KeyError):
            continue
    return keys


class Checkpoint:
    """A study's folder of finished cells (see the module notes)."""

    def __init__(self, folder: str | os.PathLike, study: Mapping[str, Any] | None = None, *, resume: bool = False):
        self.folder = Path(folder)
        self.cells = self.folder / "cells"
        manifest = self.folder / "study.json"
        study = to_jsonable(dict(study or {}))
        if resume and manifest.is_file():
            try:
                previous = json.loads(manifest.read_text(encoding="utf-8")).get("study")
            except (OSError, json.JSONDecodeError) as err:
                raise ValueError(f"cannot resume from {self.folder}: {manifest.name} is unreadable ({err}).") \
                    from None
            if previous != study:
                changed = sorted(k for k in set(previous or {}) | set(study)
                                 if (previous or {}).get(k) != study.get(k))
                raise ValueError(f"cannot resume from {self.folder}: it holds a study with other settings "
                                 f"({', '.join(changed)}); use another folder or drop --resume.")
        self.cells.mkdir(parents=True, exist_ok=True)
        for path in self.cells.iterdir():   # half-written cells of an interrupted run
            if path.name.startswith("."):
                shutil.rmtree(path, ignore_errors=True)
            elif not resume and (path / "cell.json").is_file():
                shutil.rmtree(path)
        write_json(manifest, {"format": CHECKPOINT_FORMAT, "study": study})

    def finished(self) -> set[str]:
        return finished_cells(self.folder)

    def path(self, key: str) -> Path:
        return self.cells / _slug(key)

    def save(self, key: str, result: Any) -> Path:
        import pandas as pd

        if isinstance(result, pd.DataFrame):
            parts, kind = {"table": result}, "frame"
        elif isinstance(result, Mapping) and all(isinstance(k, str) for k in result):
            parts, kind = dict(result), "dict"
        else:
            raise TypeError(f"cell {key!r} returned {type(result).__name__}; a cell must return a DataFrame or a "
                            f"dict of DataFrames and JSON values to be checkpointed.")
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.cells))
        try:
            tables, values = [], {}
            for name, value in parts.items():
                if isinstance(value, pd.DataFrame):
                    value.to_parquet(tmp / f"{len(tables)}.parquet")
                    fsync_path(tmp / f"{len(tables)}.parquet")
                    tables.append(name)
                else:
                    values[name] = value
            write_json(tmp / "values.json", values)
            write_json(tmp / "cell.json", {"key": key, "kind": kind, "tables": tables})   # last: marks it whole
            os.chmod(tmp, default_mode(directory=True))
            fsync_path(tmp)
            target = self.path(key)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
            fsync_path(self.cells)   # the rename itself reaches the disk before the cell counts as done
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return target

    def load(self, key: str) -> Any:
        import pandas as pd

        folder = self.path(key)
        meta = json.loads((folder / "cell.json").read_text(encoding="utf-8"))
        parts = {name: pd.read_parquet(folder / f"{i}.parquet") for i, name in enumerate(meta["tables"])}
        if meta["kind"] == "frame":
            return parts["table"]
        values = json.loads((folder / "values.json").read_text(encoding="utf-8"))
        return {**values, **parts}


# ---------------------------------------------------------------- running
def _call(fn, kwargs):
    return fn(**kwargs)


def _setup_plugin(arguments: dict):
    """A worker plugin that runs :func:`bayesreg.setup` on every worker, now and when restarted."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class BayesregSetup(WorkerPlugin):
        name = "bayesreg-setup"

        def __init__(self, arguments):
            self.arguments = arguments

        def setup(self, worker):
            from bayesreg.config import setup

            setup(**self.arguments)

    return BayesregSetup(arguments)


def start_local_cluster(workers: int):
    """A ``LocalCluster`` of ``workers`` processes with one thread each, and its client."""
    from distributed import Client, LocalCluster

    # The workers share this machine's cores: each gets cores // workers JAX host devices rather than
    # the client's one per core, so that their replicates do not compete for the same cores. The
    # draws do not depend on the device count (each replicate's program is the same).
    flags = re.sub(r"--xla_force_host_platform_device_count=\d+", "", os.environ.get("XLA_FLAGS", "")).strip()
    devices = max(1, (os.cpu_count() or 1) // workers)
    env = {"XLA_FLAGS": f"{flags} --xla_force_host_platform_device_count={devices}".strip()}
    # silence_logs: the nanny's "still alive after 4 s, killing" when JAX workers close is noise
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR, env=env)
    return Client(cluster), cluster


def prepare_client(client) -> None:
    """Make every worker of ``client`` (and any that joins later) run ``bayesreg.setup()``
    as this process did; print the dashboard address on stderr."""
    import importlib.util

    from .config import ensure_setup, setup_arguments

    ensure_setup()
    arguments = setup_arguments()
    if getattr(client, "_bayesreg_setup", None) == arguments:    # done for this client already
        return
    client.register_plugin(_setup_plugin(arguments), name="bayesreg-setup")
    client._bayesreg_setup = arguments
    link = client.dashboard_link
    note = "" if importlib.util.find_spec("bokeh") else " (install bokeh to view it)"
    workers = len(client.scheduler_info().get("workers", {}))
    print(f"Dask cluster: {workers} workers, dashboard {link}{note}", file=sys.stderr, flush=True)


def run_cells(cells: Sequence[Cell], *, workers: int | None = None, client=None,
              checkpoint: str | os.PathLike | None = None, study: Mapping[str, Any] | None = None,
              resume: bool = False, shared: Mapping[str, Any] | None = None, progress: bool | None = None,
              desc: str = "cells", on_result: Callable[[str, Any], None] | None = None) -> dict[str, Any]:
    """Run every cell; returns {key: result} in the order of ``cells``.

    Parameters
    ----------
    cells : sequence of Cell
        Keys must be unique.
    workers : int, optional
        Run on a new ``LocalCluster`` of this many worker processes (closed at the end).
    client : distributed.Client, optional
        Run on this existing cluster.
    checkpoint : path, optional
        Folder where each finished cell is written as it completes.
    study : mapping, optional
        The study's settings, recorded in the checkpoint folder; ``resume`` checks them.
    resume : bool
        Load the finished cells of ``checkpoint`` and compute only the others.
    shared : mapping, optional
        Large arguments common to every cell (data), added to each cell's kwargs; on a cluster
        they are sent to every worker once.
    progress : bool or None
        A bar over cells on stderr; None: when a person watches (see ``bayesreg._progress``).
    on_result : callable, optional
        Called as ``on_result(key, result)`` in this process as each cell finishes.

    Raises
    ------
    CellError
        After every cell has run, if some raised (or lost their workers too often).
    """
    cells = list(cells)
    keys = [c.key for c in cells]
    if len(set(keys)) != len(keys):
        raise ValueError("cells must have unique keys; got duplicates.")
    workers = check_cluster_options(workers, client)
    if resume and checkpoint is None:
        raise ValueError("resume needs a checkpoint folder (--out DIR of the run to resume).")
    store = Checkpoint(checkpoint, study, resume=resume) if checkpoint is not None else None
    results: dict[str, Any] = {}
    if store is not None and resume:
        done = store.finished()
        for key in keys:
            if key in done:
                results[key] = store.load(key)
    todo = [c for c in cells if c.key not in results]
    if resume and store is not None:
        print(f"resuming from {store.folder}: {len(results)} of {len(cells)} cells finished, computing "
              f"{len(todo)}", file=sys.stderr, flush=True)
    failures: dict[str, BaseException] = {}

    def finished(key, result):
        if store is not None:
            store.save(key, result)
        results[key] = result
        if on_result is not None:
            on_result(key, result)

    with _progress.bar(len(cells), desc, enabled=_progress.resolve(progress), unit="cell") as bar:
        bar.update(len(results))
        if todo and workers is None and client is None:
            for cell in todo:
                try:
                    result = cell.fn(**{**(shared or {}), **cell.kwargs})
                except Exception as err:  # noqa: BLE001 - reported with the cell's key at the end
                    failures[cell.key] = err
                else:
                    finished(cell.key, result)
                bar.update(1)
        elif todo:
            _run_distributed(todo, workers, client, shared or {}, finished, failures, bar)
    if failures:
        raise CellError(failures, {k: results[k] for k in keys if k in results}, len(cells))
    return {key: results[key] for key in keys}


def _run_distributed(todo: Iterable[Cell], workers, client, shared, finished, failures, bar) -> None:
    from distributed import as_completed

    owned = None
    if client is None:
        client, owned = start_local_cluster(workers)
    futures = {}
    run_id = uuid.uuid4().hex[:8]
    try:
        prepare_client(client)
        shared_futures = {name: client.scatter(value, broadcast=True) for name, value in shared.items()}
        for cell in todo:
            future = client.submit(_call, cell.fn, {**shared_futures, **cell.kwargs},
                                   key=f"bayesreg-cell-{_slug(cell.key)}-{run_id}", pure=False)
            futures[future] = cell.key
        # results come with the completions (fetched in the background, not one round trip per cell)
        for future, result in as_completed(list(futures), with_results=True, raise_errors=False, loop=client.loop):
            key = futures[future]
            if future.status == "finished":
                finished(key, result)
            else:   # "error": (type, exception, traceback); cancelled: the exception itself
                failures[key] = result[1] if isinstance(result, tuple) else result
            future.release()
            bar.update(1)
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
        if owned is not None:
            client.close()
            owned.close()
