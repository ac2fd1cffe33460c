"""Saving and loading fitted regression models.

A saved model is a folder::

    NAME/meta.json              format, parameters, data shape, estimates, package versions
    NAME/posterior-<id>.nc      the ArviZ InferenceData of a NUTS fit (NetCDF, h5netcdf engine),
                                named by meta.json's "posterior_file"

Crash safety: ``meta.json`` is the commit point. A save writes the new posterior under a
fresh name, flushes it to disk, then replaces ``meta.json`` atomically (temporary file,
``fsync``, ``os.replace``, ``fsync`` of the folder) and only then deletes the previous
posterior. Whatever instant a save is killed at, ``meta.json`` is the old one (naming the
old posterior, still there) or the new one (naming the new posterior, already on disk), so
:func:`load` returns the old model or the new one. A save holds a lock on the folder; the
next save, or a load that finds the folder unlocked, deletes what a killed save left: the
posterior files meta.json does not name and temporary files. Folders written by older
versions (``posterior.nc``) load and are upgraded by the next save; the hidden
``.NAME.*.tmp``/``.NAME.*.old`` folders their interrupted saves left beside the model are
removed, and a model hidden in ``.NAME.*.old`` by a crash between their two renames is
moved back to ``NAME``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .config import versions
from .exceptions import ModelFileError
from .infer.lasso import LassoSolution
from .inference_data import read_netcdf, write_netcdf
from .io import atomic_write_text, fsync_path, locked_folder, read_json, to_jsonable
from .priors import prior_from_json, prior_to_json
from .results import ExactPosterior, RegressionMAP, RegressionPosterior, RidgeMAP

FORMAT = "bayesreg.BayesianLinearRegression"
FORMAT_VERSION = 1
# every fit result by the name meta.json's "result" gives it. Each writes its arrays with
# ``to_arrays`` under the key its ``SECTION`` names and is rebuilt by ``from_arrays``: a new result
# type is one entry here. "result" was added without a new format version: older versions ignore it
# and read the sections as before, and their files, which lack it, are read by ``_kind_of_format_1``.
RESULT_TYPES = {cls.KIND: cls for cls in (ExactPosterior, RidgeMAP, LassoSolution, RegressionMAP, RegressionPosterior)}


def _meta(est) -> dict:
    params = est.get_params()
    params["sigma"], params["tau"] = prior_to_json(params["sigma"]), prior_to_json(params["tau"])
    params["prior"] = prior_to_json(params["prior"])
    params["nu"] = prior_to_json(params.get("nu"))
    params["loc"] = np.asarray(params["loc"], dtype=float).tolist()
    # only public state: the constructor's parameters and the fitted attributes (names ending in "_")
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": params,
        "n_samples": est.n_samples_fit_,
        "n_features_in": est.n_features_in_,
        "feature_names": list(getattr(est, "feature_names_in_", [])) or None,
        "x_mean": est.x_mean_,
        "y_mean": est.y_mean_,
        "coef": est.coef_,
        "intercept": est.intercept_,
        "priors": {k: prior_to_json(v) for k, v in getattr(est, "priors_", {}).items()} or None,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result = est.fit_result_
    meta["result"] = result.KIND
    meta[result.SECTION] = result.to_arrays()
    if result.has_draws:
        meta["posterior_file"] = "posterior.nc"  # named afresh by save
    return to_jsonable(meta)


def _kind_of_format_1(meta: dict) -> str | None:
    """The result kind of a meta.json written before "result" was recorded: told by its sections.
    A Gaussian posterior was both the exact fit and the ridge MAP, told apart by the method."""
    if "posterior" in meta:
        return RidgeMAP.KIND if meta.get("params", {}).get("method") == "map" else ExactPosterior.KIND
    if "posterior_file" in meta:
        return RegressionPosterior.KIND
    return meta.get("solver", {}).get("kind")


# the files a save writes into the folder: meta.json, posteriors, meta.json's temporary files
_POSTERIOR = re.compile(r"posterior(-[0-9a-f]{12})?\.nc")
_META_TEMP = re.compile(r"\.meta\.json\.[a-z0-9_]{8}\.tmp")


def _ours(name: str) -> bool:
    return name == "meta.json" or bool(_POSTERIOR.fullmatch(name) or _META_TEMP.fullmatch(name))


def save(est, path: str | os.PathLike[str]) -> Path:
    """Write a fitted estimator to the folder ``path``, crash-safe (see module docs)."""
    check_is_fitted(est, "coef_")
    target = Path(path)
    _recover_legacy(target)
    if target.exists():
        if not target.is_dir():
            raise ValueError(f"{target} is a file, not a saved bayesreg model folder; refusing to replace it.")
        if not (target / "meta.json").is_file() and not all(_ours(p.name) for p in target.iterdir()):
            raise ValueError(f"{target} exists and is not a saved bayesreg model; refusing to replace it.")
    meta = _meta(est)
    target.mkdir(parents=True, exist_ok=True)
    with locked_folder(target, blocking=True):
        _remove_stale(target)
        if est.fit_result_.has_draws:
            name = f"posterior-{secrets.token_hex(6)}.nc"
            meta["posterior_file"] = name
            write_netcdf(est.fit_result_.idata, target / name)
            fsync_path(target / name)
        atomic_write_text(target / "meta.json", json.dumps(meta, indent=2) + "\n")  # the commit point
        _remove_stale(target)
    return target


def _current_posterior(folder: Path) -> str | None:
    """The posterior file meta.json names; raises ValueError if meta.json is unreadable."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta.get("posterior_file") if isinstance(meta, dict) else None


def _remove_stale(folder: Path) -> None:
    """Delete what no current model uses: posteriors meta.json does not name and temporary
    meta.json files. Call with the folder locked (no save is running)."""
    try:
        current = _current_posterior(folder) if (folder / "meta.json").exists() else None
    except (OSError, ValueError):
        return  # a damaged meta.json: leave everything for the user to inspect
    for name in os.listdir(folder):
        if name != current and (_POSTERIOR.fullmatch(name) or _META_TEMP.fullmatch(name)):
            os.unlink(folder / name)
    fsync_path(folder)


def _legacy_leftovers(target: Path) -> list[Path]:
    """The hidden sibling folders that interrupted saves of older versions left."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.(tmp|old)")
    try:
        return sorted(p for p in target.parent.iterdir() if pattern.fullmatch(p.name) and p.is_dir())
    except OSError:
        return []


def _recover_legacy(target: Path) -> None:
    """Undo what older versions' interrupted saves left: the previous model moved aside to
    ``.NAME.*.old`` goes back to ``NAME`` if ``NAME`` is missing; the rest is deleted."""
    leftovers = _legacy_leftovers(target)
    if not target.exists():
        hidden = [p for p in leftovers if p.name.endswith(".old") and (p / "meta.json").is_file()]
        if hidden:
            os.replace(hidden[0], target)
            leftovers.remove(hidden[0])
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)


def _tidy(folder: Path) -> None:
    """A load's clean-up: best effort, never waits for a running save and never fails."""
    try:
        _recover_legacy(folder)
        if folder.is_dir():
            with locked_folder(folder, blocking=False) as locked:
                if locked:
                    _remove_stale(folder)
    except OSError:  # e.g. a read-only folder: load anyway
        pass


def load(path: str | os.PathLike[str], estimator_class):
    """Load a model saved by ``BayesianLinearRegression.save``; clear errors for a missing,
    truncated or foreign folder. ``bayesreg.load(path)`` is this with the estimator class.

    The class is passed in, not imported: the estimator's ``.save`` calls this module, so
    importing the estimator here would close an import circle.
    """
    folder = Path(path)
    _tidy(folder)
    if not folder.exists():
        raise ModelFileError(f"no saved model at {folder}")
    if not folder.is_dir():
        raise ModelFileError(f"{folder} is a file, not a saved bayesreg model folder")
    if not (folder / "meta.json").exists():
        raise ModelFileError(f"no saved model at {folder} (the folder has no meta.json)")
    for _ in range(5):
        meta = read_json(folder / "meta.json", what="model metadata")
        name = meta.get("posterior_file") if isinstance(meta, dict) else None
        if name is None or (folder / str(name)).is_file():
            break
        # a save running in another process may have replaced meta.json and deleted the
        # posterior this one named: read meta.json again
    return _from_meta(meta, folder, estimator_class)


def _from_meta(meta, folder: Path, estimator_class):
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{folder / 'meta.json'} is not a saved {FORMAT} (format field missing or different).")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{folder} was saved by a newer bayesreg (format {meta['format_version']}); upgrade to load it."
        )
    try:
        params = dict(meta["params"])
        params["sigma"], params["tau"] = prior_from_json(params["sigma"]), prior_from_json(params["tau"])
        params["prior"] = prior_from_json(params["prior"])
        params["nu"] = prior_from_json(params.get("nu"))  # absent from files before Student-t noise: None
        loc = np.asarray(params["loc"], dtype=float)
        params["loc"] = float(loc) if loc.ndim == 0 else loc
        est = estimator_class(**params)
        est.n_features_in_ = int(meta["n_features_in"])
        if meta.get("feature_names"):
            est.feature_names_in_ = np.asarray(meta["feature_names"], dtype=object)
        est.n_samples_fit_ = int(meta["n_samples"])
        est.x_mean_ = np.asarray(meta["x_mean"], dtype=float)
        est.y_mean_ = float(meta["y_mean"])
        est.coef_ = np.asarray(meta["coef"], dtype=float)
        est.intercept_ = float(meta["intercept"])
        if meta.get("priors"):  # the priors the fit used, resolved ("auto" made numbers)
            est.priors_ = {k: (np.asarray(v, dtype=float) if isinstance(v, list) else prior_from_json(v))
                           for k, v in meta["priors"].items()}
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{folder / 'meta.json'} is incomplete or corrupt ({err}).") from None
    kind = meta.get("result") or _kind_of_format_1(meta)
    if kind not in RESULT_TYPES:
        raise ModelFileError(f"{folder / 'meta.json'} names no fit result.")
    result_type = RESULT_TYPES[kind]
    idata = None
    if result_type.has_draws:
        name = str(meta.get("posterior_file"))
        if Path(name).name != name or name in ("", ".", ".."):
            raise ModelFileError(f"{folder / 'meta.json'} names a posterior file outside the folder: {name!r}.")
        idata = _read_idata(folder / name)
    try:
        est.fit_result_ = result_type.from_arrays(meta.get(result_type.SECTION, {}), coef=est.coef_, idata=idata)
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{folder / 'meta.json'} is incomplete or corrupt ({err}).") from None
    return est


def _read_idata(path: Path):
    if not path.is_file():
        raise ModelFileError(f"posterior file missing: {path}")
    try:
        return read_netcdf(path)
    except Exception as err:  # h5py/xarray raise many kinds for a damaged file
        raise ModelFileError(f"{path} is not a readable NetCDF posterior ({type(err).__name__}: {err}).") from None
