"""Progress bars on by default only where a person watches (issue 13)."""

import inspect
import sys
import threading

import pytest

from bayesreg import _progress
from bayesreg.estimators.gaussian_mean import GaussianMean
from bayesreg.estimators.linear_regression import BayesianLinearRegression


class _Terminal:
    def isatty(self):
        return True

    def write(self, text):
        return len(text)

    def flush(self):
        pass


@pytest.fixture
def terminal(monkeypatch):
    """stderr is a terminal, and nothing in the environment decides. (Call it in the test body:
    pytest's output capture replaces sys.stderr again between a fixture and the test.)"""
    def make():
        monkeypatch.setattr(sys, "stderr", _Terminal())
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("BAYESREG_PROGRESS", raising=False)
        monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    return make


def test_estimators_default_to_automatic_progress():
    assert BayesianLinearRegression().progress is None
    for fn in (GaussianMean.sample,):
        assert inspect.signature(fn).parameters["progress"].default is None


def test_on_in_a_terminal_off_in_a_pipe(terminal, monkeypatch):
    terminal()
    assert _progress.resolve(None) is True
    monkeypatch.setattr(sys, "stderr", open(__file__))  # a file: a pipe or a log
    try:
        assert _progress.resolve(None) is False
    finally:
        sys.stderr.close()


def test_off_in_ci(terminal, monkeypatch):
    terminal()
    monkeypatch.setenv("CI", "true")
    assert _progress.resolve(None) is False
    assert _progress.resolve(True) is True          # an explicit choice wins
    monkeypatch.setenv("CI", "false")
    assert _progress.resolve(None) is True


def test_off_in_worker_threads_and_processes(terminal, monkeypatch):
    """GridSearchCV(n_jobs=...) fits in joblib's worker processes (loky) or threads, whose
    stderr is often the parent's terminal."""
    terminal()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_progress.resolve(None)))
    worker.start()
    worker.join()
    assert seen == [False]
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert _progress.resolve(None) is False


def test_environment_variable_decides(terminal, monkeypatch):
    terminal()
    monkeypatch.setenv("BAYESREG_PROGRESS", "0")
    assert _progress.resolve(None) is False
    monkeypatch.setenv("BAYESREG_PROGRESS", "1")
    monkeypatch.setenv("CI", "1")
    assert _progress.resolve(None) is True
