"""Reading data files (one CSV reader, pandas) and writing results atomically.

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
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .exceptions import ModelFileError

if TYPE_CHECKING:
    import pandas as pd


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


def _is_number(text: str) -> bool:
    """Whether a CSV cell is a number as pandas parses them (Python's float also takes '1_000')."""
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text


def _read_numeric(path: Path, header: bool | None, options: dict) -> pd.DataFrame | None:
    """The common case in one numeric parse: a well-formed file of finite numbers (with a header
    row when ``header`` is True, or one detected when None). ``None`` when anything is unusual;
    the cell-by-cell reader then finds and names the problem."""
    import pandas as pd

    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **options)
        if first.empty:
            return None
        numeric_first = all(_is_number(str(c).strip()) for c in first.iloc[0])
        has_header = not numeric_first
        if header is not None and header != has_header:
            return None
        table = pd.read_csv(path, header=0 if has_header else None, dtype=np.float64, **options)
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    names = [str(c).strip() for c in first.iloc[0]]
    if has_header and (len(set(names)) != len(names) or [str(c).strip() for c in table.columns] != names):
        return None                                     # an empty or repeated name (pandas renames them)
    table.index = table.index + (2 if has_header else 1)
    if table.empty or not np.isfinite(table.to_numpy()).all():  # blank lines, empty cells, 'nan' or 'inf'
        return None
    if has_header:
        table.columns = [str(c).strip() for c in table.columns]
    return table


def read_csv(path: str | os.PathLike[str], *, name: str = "--data", header: bool | None = True,
             comment: str | None = None) -> pd.DataFrame:
    """The package's one CSV reader (pandas): every command's CSV input goes through it.

    Returns a float64 DataFrame whose columns are the header's names (or 0, 1, ... without a
    header) and whose index is each row's line number in the file (1-based: with a header,
    the first data row is row 2), so errors name the row a spreadsheet shows. ``header``:
    ``True`` requires a header row (a first row of numbers is an error, not a data row lost
    as column names), ``False`` reads none, ``None`` detects one (a first row that is not all
    numbers). A UTF-8 byte-order mark (Excel's "CSV UTF-8") is ignored; blank lines, and lines
    starting with ``comment``, are skipped. Every error is one line naming ``name`` or the file.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ValueError(f"{name} file not found: {path}")
    if path.is_dir():
        raise ValueError(f"{name} {path} is a directory, not a CSV file.")
    options = dict(encoding="utf-8-sig", skip_blank_lines=False, comment=comment, skipinitialspace=True)
    fast = _read_numeric(path, header, options)
    if fast is not None:
        return fast
    try:
        # every cell as text, so that a bad cell is named by row and column (a numeric parse
        # turns it into NaN); blank lines are kept as empty rows and dropped below, so the
        # index stays the file's line number
        raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, **options)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{name} file {path} is empty.") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name} file {path} cannot be read as UTF-8 text (is it a CSV file?).") from None
    except pd.errors.ParserError as err:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if found:
            expected, line, saw = found.groups()
            raise ValueError(f"{path}, row {line}: {saw} cells, but the first row has {expected}.") from None
        raise ValueError(f"{name} file {path} is not a readable CSV ({str(err).strip()}).") from None
    except OSError as err:
        raise ValueError(f"{name} file {path} cannot be read ({err.strerror or err}).") from None
    raw = raw.apply(lambda column: column.str.strip())
    raw.index = raw.index + 1
    raw = raw[(raw != "").any(axis=1)]
    if raw.empty:
        raise ValueError(f"{name} file {path} has no rows.")
    first = raw.iloc[0].tolist()
    has_header = header if header is not None else not all(_is_number(c) for c in first)
    if has_header:
        if all(_is_number(c) for c in first):
            raise ValueError(f"{name} file {path} has no header row: its first row ({', '.join(first[:4])}"
                             f"{', ...' if len(first) > 4 else ''}) is all numbers. Add a first row of column "
                             "names.")
        names = [c.strip('"') for c in first]
        empty = [j + 1 for j, c in enumerate(names) if not c]
        if empty:
            raise ValueError(f"{path}: the header row has no name for column {empty[0]}.")
        repeated = sorted({c for c in names if names.count(c) > 1})
        if repeated:
            raise ValueError(f"{path}: the header row names column(s) {repeated} more than once.")
        raw = raw.iloc[1:]
        raw.columns = names
    if raw.empty:
        raise ValueError(f"{name} file {path} has a header row but no data rows.")
    values = raw.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        i, j = np.argwhere(bad)[0]
        cell, row, column = raw.iat[i, j], raw.index[i], raw.columns[j]
        where = f"{path}, row {row}, column {column!r}" if has_header else f"{path}, row {row}, column {j + 1}"
        if cell == "":
            raise ValueError(f"{where} is empty.")
        problem = "is not finite" if _is_number(cell) else "is not a number"
        hint = ""
        if values.shape[1] == 1 and any(sep in cell for sep in ";\t"):
            hint = " (bayesreg reads comma-separated files; this one looks separated by semicolons or tabs)"
        raise ValueError(f"{where}: {cell!r} {problem}{hint}.")
    return values


def read_numbers(path: str | os.PathLike[str], *, name: str = "data") -> NDArray[np.float64]:
    """Read one number per line, or a one-column CSV with an optional header row.

    Blank lines and lines starting with ``#`` are skipped. Errors name the file and row.
    """
    table = read_csv(path, name=name, header=None, comment="#")
    if table.shape[1] != 1:
        raise ValueError(f"{name} file {path}, row {table.index[0]}: expected one number per line (one column); "
                         f"found {table.shape[1]} columns.")
    return table.iloc[:, 0].to_numpy()


def atomic_save(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and rename the result over ``path`` only if it succeeds."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)
