"""bayesreg.runner: studies in-process, on a real LocalCluster of 2 worker processes, with
checkpoints, resume, faults and worker deaths (no mocks of Dask)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesreg.cli import main
from bayesreg.exceptions import CellError
from bayesreg.runner import Cell, cell_seed, finished_cells, run_cells
from bayesreg.studies import gaussian_mean, linear

ROOT = Path(__file__).parents[2]
LINEAR_GRID = ("30", "2", "0.25,0.5,1,2", "0.5,1")   # 8 cells of one shape: one compilation per process
LINEAR_KW = dict(replicates=10, num_warmup=300, num_samples=300, num_chains=1, n_test=50, seed=3)


def _bytes(frame: pd.DataFrame) -> str:
    """A table as text with every float rounded to 12 significant digits."""
    return frame.to_csv(index=False, float_format="%.11e")


def _assert_same_tables(a, b):
    for x, y in zip(a, b, strict=True):
        assert _bytes(x) == _bytes(y)


@pytest.fixture(scope="module")
def cluster():
    """A real LocalCluster of 2 worker processes (one thread each), shared by this module's tests."""
    distributed = pytest.importorskip("distributed")
    from bayesreg.runner import start_local_cluster

    client, local = start_local_cluster(2)
    yield client
    client.close()
    local.close()
    del distributed


@pytest.fixture(scope="module")
def linear_in_process(tmp_path_factory):
    return linear.run_study(*LINEAR_GRID, **LINEAR_KW)


def _fails_on_two(x: int) -> pd.DataFrame:
    if x == 2:
        raise ValueError("x = 2 is not allowed")
    return pd.DataFrame({"x": [x], "y": [x * 0.1]})


# ---------------------------------------------------------------- in-process
def test_in_process_run_imports_no_dask():
    code = ("import sys, bayesreg; bayesreg.setup(); from bayesreg.studies import gaussian_mean; "
            "gaussian_mean.run_study('1,2', replicates=5); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"


def test_cell_seed_depends_on_seed_and_key_only_and_is_stable_across_processes():
    state = cell_seed(7, "n=20,p=5").generate_state(4).tolist()
    assert state == cell_seed(7, "n=20,p=5").generate_state(4).tolist()
    assert state != cell_seed(7, "n=20,p=6").generate_state(4).tolist()
    assert state != cell_seed(8, "n=20,p=5").generate_state(4).tolist()
    code = "from bayesreg.runner import cell_seed; print(cell_seed(7, 'n=20,p=5').generate_state(4).tolist())"
    for hashseed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hashseed})
        assert out.stdout.strip() == str(state)


def test_a_failing_cell_is_named_and_the_others_are_kept(tmp_path):
    cells = [Cell(f"x={x}", _fails_on_two, {"x": x}) for x in range(4)]
    with pytest.raises(CellError, match=r"1 of 4 cells failed .*\n  x=2: ValueError: x = 2 is not allowed") as info:
        run_cells(cells, checkpoint=tmp_path)
    assert list(info.value.results) == ["x=0", "x=1", "x=3"]
    assert finished_cells(tmp_path) == {"x=0", "x=1", "x=3"}


def test_interrupted_study_resumes_computing_only_the_missing_cells(tmp_path, monkeypatch, capsys):
    full = gaussian_mean.run_study("1,2,5,10", replicates=20)
    real_cell = gaussian_mean.run_cell

    def interrupted_at_five(n, **kwargs):   # Ctrl-C arriving while the third cell runs
        if n == 5:
            raise KeyboardInterrupt
        return real_cell(n, **kwargs)

    monkeypatch.setattr(gaussian_mean, "run_cell", interrupted_at_five)
    with pytest.raises(KeyboardInterrupt):
        gaussian_mean.run_study("1,2,5,10", replicates=20, checkpoint=tmp_path)
    assert finished_cells(tmp_path) == {"n=1", "n=2"}
    assert not [p for p in (tmp_path / "cells").iterdir() if p.name.startswith(".")]

    computed = []

    def counting(n, **kwargs):
        computed.append(n)
        return real_cell(n, **kwargs)

    monkeypatch.setattr(gaussian_mean, "run_cell", counting)
    resumed = gaussian_mean.run_study("1,2,5,10", replicates=20, checkpoint=tmp_path, resume=True)
    assert computed == [5, 10]
    assert "2 of 4 cells finished, computing 2" in capsys.readouterr().err
    _assert_same_tables(full, resumed)


def test_resume_refuses_a_folder_of_other_settings(tmp_path):
    gaussian_mean.run_study("1,2", replicates=5, checkpoint=tmp_path)
    with pytest.raises(ValueError, match=r"other settings \(replicates\)"):
        gaussian_mean.run_study("1,2", replicates=6, checkpoint=tmp_path, resume=True)


def test_bad_cluster_arguments_are_one_line_errors(tmp_path, capsys, monkeypatch):
    with pytest.raises(ValueError, match="workers must be a whole number >= 1; got 0"):
        gaussian_mean.run_study("1,2", replicates=5, workers=0)
    with pytest.raises(ValueError, match="resume needs a checkpoint folder"):
        gaussian_mean.run_study("1,2", replicates=5, resume=True)
    assert main(["simulate", "gaussian-mean", "--n", "1,2", "--replicates", "5", "--resume"]) == 2
    assert "--resume needs --out DIR" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)   # as if the extra were not installed
    assert main(["simulate", "gaussian-mean", "--n", "1,2", "--replicates", "5", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'bayesreg[distributed]'" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ImportError, match=r"bayesreg\[distributed\]"):
        gaussian_mean.run_study("1,2", replicates=5, workers=2)


# ---------------------------------------------------------------- on a LocalCluster of 2 processes
@pytest.mark.slow
def test_linear_study_on_the_cluster_gives_the_same_tables_as_in_process(cluster, linear_in_process):
    """NUTS and the lasso compiled in other processes: the same draws (about 40 s: compilations)."""
    _assert_same_tables(linear_in_process, linear.run_study(*LINEAR_GRID, **LINEAR_KW, client=cluster))


def test_cluster_gives_the_same_tables_as_in_process(cluster, tmp_path):
    _assert_same_tables(gaussian_mean.run_study("1,3,30", replicates=40, seed=5),
                        gaussian_mean.run_study("1,3,30", replicates=40, seed=5, client=cluster))
    from bayesreg.studies.calibration import CalibrationCase, run_cases

    cases = [CalibrationCase(model="gaussian_mean", method="exact", num_draws=19, num_bins=4),
             CalibrationCase(prior="normal", method="exact", num_draws=19, num_bins=4)]
    here = run_cases(cases, n_sims=30, seed=2)
    there = run_cases(cases, n_sims=30, seed=2, client=cluster, checkpoint=tmp_path)
    for a, b in zip(here, there, strict=True):
        assert _bytes(a.table) == _bytes(b.table) and a.case == b.case
        assert all(np.array_equal(a.ranks[q], b.ranks[q]) for q in a.ranks)


def test_cli_scheduler_option_gives_the_same_json_and_resumes(cluster, tmp_path, capsys):
    import json

    args = ["simulate", "gaussian-mean", "--n", "1,4,16", "--replicates", "30", "--seed", "4"]
    assert main([*args, "--json", str(tmp_path / "here.json")]) == 0
    address = cluster.scheduler.address
    assert main([*args, "--scheduler", address, "--out", str(tmp_path / "out"), "--json",
                 str(tmp_path / "there.json")]) == 0
    assert len(finished_cells(tmp_path / "out" / "gaussian_mean_cells")) == 3
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "out"), "--resume", "--json", str(tmp_path / "resumed.json")]) == 0
    assert "3 of 3 cells finished, computing 0" in capsys.readouterr().err
    here, there, resumed = (json.loads((tmp_path / f"{name}.json").read_text())["summary"]
                            for name in ("here", "there", "resumed"))
    assert here == there == resumed


def test_mlp_experiment_on_the_cluster_matches_in_process(cluster):
    from bayesreg.mlp.data import load_split
    from bayesreg.mlp.experiments import run_experiment

    split = load_split("digits", n_val=0.2, seed=1)
    base = dict(max_epochs=3, hidden_dim=8)
    here = run_experiment("seeds", split, base=base, values=[1, 2, 3])
    there = run_experiment("seeds", split, base=base, values=[1, 2, 3], client=cluster)
    for a, b in zip(here, there, strict=True):
        assert a.label == b.label
        _assert_same_tables([a.history.to_frame()], [b.history.to_frame()])


def test_a_failing_cell_on_the_cluster_is_named_and_the_others_are_kept(cluster):
    cells = [Cell(f"x={x}", _fails_on_two, {"x": x}) for x in range(4)]
    with pytest.raises(CellError, match="x=2: ValueError: x = 2 is not allowed") as info:
        run_cells(cells, client=cluster)
    assert sorted(info.value.results) == ["x=0", "x=1", "x=3"]


def _kill_a_busy_worker_and_run(cluster, study):
    """Run ``study()`` while a thread SIGKILLs a worker process as soon as it runs a cell; returns
    the study's result. Checks that the nanny started a new worker in its place."""
    pids = cluster.run(os.getpid)                # worker address -> pid
    killed = {}

    def kill():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            busy = [addr for addr, keys in cluster.processing().items() if keys and addr in pids]
            if busy:
                killed["pid"] = pids[busy[0]]
                os.kill(pids[busy[0]], signal.SIGKILL)
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=kill, daemon=True)
    watcher.start()
    result = study()
    watcher.join(timeout=5)
    assert "pid" in killed, "no worker was seen running a cell"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = cluster.run(os.getpid)
        if len(now) == 2 and killed["pid"] not in now.values():
            break
        time.sleep(0.5)
    assert killed["pid"] not in cluster.run(os.getpid).values()
    return result


def test_a_worker_killed_mid_experiment_loses_no_result(cluster, tmp_path):
    from bayesreg.mlp.data import load_split
    from bayesreg.mlp.experiments import run_experiment

    split = load_split("digits", n_val=0.2, seed=1)
    kw = dict(base=dict(max_epochs=40, hidden_dim=16), values=list(range(6)))
    here = run_experiment("seeds", split, **kw)
    there = _kill_a_busy_worker_and_run(
        cluster, lambda: run_experiment("seeds", split, **kw, client=cluster, checkpoint=tmp_path))
    assert len(finished_cells(tmp_path)) == 6
    for a, b in zip(here, there, strict=True):
        _assert_same_tables([a.history.to_frame()], [b.history.to_frame()])


@pytest.mark.slow
def test_a_worker_killed_mid_study_loses_no_result(cluster, linear_in_process, tmp_path):
    tables = _kill_a_busy_worker_and_run(
        cluster, lambda: linear.run_study(*LINEAR_GRID, **LINEAR_KW, client=cluster, checkpoint=tmp_path))
    assert len(finished_cells(tmp_path)) == 8
    _assert_same_tables(linear_in_process, tables)


@pytest.mark.slow
def test_ctrl_c_of_a_cluster_run_then_resume_computes_only_the_missing_cells(tmp_path):
    """The command line end to end: SIGINT (Ctrl-C) to `bayesreg simulate linear --workers 2` once a
    cell is written, then `--resume` in this process computes only the missing cells."""
    args = ["simulate", "linear", "--n", "20,30,40,50,60,70", "--p", "2", "--tau", "0.5,1", "--sigma", "1",
            "--replicates", "10", "--num-warmup", "300", "--num-samples", "300", "--num-chains", "1",
            "--n-test", "50", "--seed", "3", "--out", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "bayesreg", *args, "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    cells = tmp_path / "linear_cells" / "cells"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(cells.glob("*/cell.json")) and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    finished = finished_cells(tmp_path / "linear_cells")
    assert 1 <= len(finished) < 12
    assert not [p for p in cells.iterdir() if p.name.startswith(".")]
    result = subprocess.run([sys.executable, "-m", "bayesreg", *args, "--resume", "--json",
                             str(tmp_path / "r.json")], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert f"{len(finished)} of 12 cells finished, computing {12 - len(finished)}" in result.stderr
    full = linear.run_study("20,30,40,50,60,70", "2", "0.5,1", "1", **LINEAR_KW)
    resumed = pd.read_csv(tmp_path / "linear_replicates.csv")
    assert _bytes(full[0]) == _bytes(resumed)


def test_a_checkpointed_cell_is_on_disk_before_save_returns(tmp_path, monkeypatch):
    """Every file of a cell, its folder and the rename into cells/ are flushed (fsync) before
    the cell counts as finished, so a power cut cannot leave a 'finished' cell with empty files."""
    from bayesreg.runner import Checkpoint

    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    checkpoint = Checkpoint(tmp_path / "study", {"seed": 0})
    synced.clear()
    target = checkpoint.save("cell a", {"table": pd.DataFrame({"x": [1.0, 2.0]}), "value": 3})
    names = {Path(p).name for p in synced}
    assert "0.parquet" in names   # the JSON files are written by io.write_json, flushed before their rename
    assert any("values.json" in n for n in names) and any("cell.json" in n for n in names)
    assert str(checkpoint.cells.resolve()) in synced, "the rename into cells/ was not flushed"
    assert checkpoint.load("cell a")["value"] == 3 and target.is_dir()
