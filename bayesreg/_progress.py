"""Progress bars: tqdm to stderr, on only where a person watches (a terminal or a notebook)."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading

_FALSE = ("0", "false", "no", "off")


def interactive() -> bool:
    """Whether a person is likely watching this process's stderr.

    ``BAYESREG_PROGRESS=1`` or ``0`` decides outright. Otherwise off in CI (``CI`` set, as
    GitHub Actions, GitLab and most services do), in worker processes (joblib/loky and
    multiprocessing workers of ``GridSearchCV(n_jobs=...)``, Dask's process workers: their
    stderr is often the parent's terminal, and their bars would overwrite each other), and in
    threads other than the main one (joblib's threading backend); on in a Jupyter kernel; else
    on when stderr is a terminal (not a pipe or a log file).
    """
    forced = os.environ.get("BAYESREG_PROGRESS", "").strip().lower()
    if forced:
        return forced not in _FALSE
    if os.environ.get("CI", "").strip().lower() not in ("", *_FALSE):
        return False
    if multiprocessing.parent_process() is not None or threading.current_thread() is not threading.main_thread():
        return False
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def resolve(progress: bool | None) -> bool:
    """``None`` means automatic (:func:`interactive`); ``True``/``False`` decide."""
    if progress is not None:
        return bool(progress)
    return interactive()


def bar(total: int, desc: str, *, enabled: bool, unit: str = "it"):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, leave=False)
