"""Reading data files and writing results atomically.

Every file bayesreg writes goes to a temporary file in the destination folder first, is
flushed to disk (``fsync``) and is then renamed over the target (``os.replace`` is atomic
on POSIX and Windows), and the folder is flushed too. So a crash or a kill at any instant
leaves either the previous file or the new one, never a half-written file. The writer holds
an advisory lock (``flock``) on its temporary file while it writes; a later write of the
same target removes the temporary files whose writer died (their lock is free).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .exceptions import ModelFileError


def default_mode(*, directory: bool = False) -> int:
    """The permissions a plain ``open``/``mkdir`` would give under the current umask
    (``mkstemp`` and ``mkdtemp`` create private 0600/0700 files, wrong for saved results)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


try:  # POSIX advisory locks; without them (Windows) no temporary file is ever judged stale
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

# tempfile.mkstemp/mkdtemp names: the prefix, 8 characters from this set, the suffix
_TEMP_TOKEN = "[a-z0-9_]{8}"


def try_lock(fd: int, *, blocking: bool = False) -> bool:
    """Take an exclusive advisory lock on the open file (or folder) ``fd``; False if another
    process holds it (or locks are unsupported). The lock ends when ``fd`` is closed or the
    process dies, even by SIGKILL, which is what tells a live writer from a dead one."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


@contextlib.contextmanager
def locked_folder(folder: str | os.PathLike[str], *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder`` itself (no lock file is left behind); yields
    whether it was acquired (``blocking=False`` does not wait for another holder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # no such folder, or a platform that cannot open folders (Windows)
        yield False
        return
    try:
        yield try_lock(fd, blocking=blocking)
    finally:
        os.close(fd)


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush a file's (or a folder's) contents and metadata to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a folder on Windows cannot be opened; its renames are durable anyway
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str | os.PathLike[str], name: str) -> list[Path]:
    """Delete the temporary files ``.NAME.XXXXXXXX.tmp`` in ``folder`` whose writer is gone
    (an interrupted :func:`atomic_path`); those still locked by a live writer stay."""
    pattern = re.compile(rf"\.{re.escape(name)}\.{_TEMP_TOKEN}\.tmp")
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if try_lock(fd):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success flush it to disk and rename it to ``path``.

    If the body raises, the temporary file is removed and ``path`` is untouched. If the
    process dies, the next write of ``path`` removes the temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp_path = Path(tmp)
    try:
        try_lock(fd)  # held until the rename: tells other writers this file is alive
        yield tmp_path
        os.chmod(tmp_path, default_mode())
        fsync_path(tmp_path)
        os.replace(tmp_path, target)
        fsync_path(target.parent)
    finally:
        os.close(fd)
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def _finite_or_none(obj: Any) -> Any:
    """JSON has no NaN or infinity: write them as null rather than invalid JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_none(v) for v in obj]
    return obj


def to_jsonable(obj: Any) -> Any:
    """Plain Python containers of floats, ints, strings and None, ready for ``json``."""
    return _finite_or_none(json.loads(json.dumps(obj, default=_json_default)))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically; numpy values become plain numbers."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def read_json(path: str | os.PathLike[str], *, what: str = "file") -> Any:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{what} not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{what} {path} is not readable JSON ({err}).") from None


def read_numbers(path: str | os.PathLike[str], *, name: str = "data") -> NDArray[np.float64]:
    """Read one number per line, or a one-column CSV with an optional header row.

    Blank lines and lines starting with ``#`` are skipped. Errors name the file and line.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{name} file not found: {path}")
    if not path.is_file():
        raise ValueError(f"{name} path is not a file: {path}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{name} file {path} cannot be read as text ({err}).") from None
    values: list[float] = []
    header_seen = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 1:
            raise ValueError(
                f"{name} file {path}, line {lineno}: expected one number per line (one column); "
                f"found {len(cells)} columns: {line!r}."
            )
        cell = cells[0].strip('"')
        try:
            values.append(float(cell))
        except ValueError:
            if not values and not header_seen:  # a header row such as "x"
                header_seen = True
                continue
            raise ValueError(
                f"{name} file {path}, line {lineno}: {cell!r} is not a number."
            ) from None
    if not values:
        raise ValueError(f"{name} file {path} contains no numbers.")
    return np.asarray(values, dtype=np.float64)


def atomic_save(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and rename the result over ``path`` only if it succeeds."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)
