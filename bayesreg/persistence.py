"""Saving and loading fitted regression models.

A saved model is a folder::

    NAME/meta.json       format, parameters, data shape, estimates, package versions
    NAME/posterior.nc    the ArviZ InferenceData of a NUTS fit (NetCDF, h5netcdf engine)

The folder is written complete under a temporary name beside the target and then
swapped in with renames, so an interrupted save never leaves a half-written model and
never damages an existing one: until the final rename the previous folder is untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .config import versions
from .conjugate import MultivariateNormal
from .exceptions import ModelFileError
from .infer.lasso import LassoSolution
from .inference_data import read_netcdf, write_netcdf
from .io import default_mode, read_json, to_jsonable
from .priors import prior_from_json, prior_to_json
from .results import MAPEstimate, PosteriorFit

FORMAT = "bayesreg.BayesianLinearRegression"
FORMAT_VERSION = 1


def _meta(est) -> dict:
    params = est.get_params()
    params["sigma"], params["tau"] = prior_to_json(params["sigma"]), prior_to_json(params["tau"])
    params["prior"] = prior_to_json(params["prior"])
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
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result = est.fit_result_
    if isinstance(result, MultivariateNormal):
        meta["posterior"] = {"mean": result.mean, "cov": result.cov}
    elif isinstance(result, LassoSolution):
        meta["solver"] = {"kind": "lasso", "n_sweeps": result.n_sweeps,
                          "kkt_violation": result.kkt_violation, "polished": result.polished}
    elif isinstance(result, MAPEstimate):
        meta["solver"] = {"kind": "lbfgs", "params": dict(result.params),
                          "objective": result.objective, "converged": result.converged,
                          "num_iterations": result.num_iterations, "grad_norm": result.grad_norm,
                          "message": result.message, "method": result.method}
    elif isinstance(result, PosteriorFit):
        meta["posterior_file"] = "posterior.nc"
        meta["settings"] = dict(result.settings)
    return to_jsonable(meta)


def save(est, path: str | os.PathLike[str]) -> Path:
    """Write a fitted estimator to the folder ``path`` atomically (see module docs)."""
    check_is_fitted(est, "coef_")
    target = Path(path)
    if target.exists() and not (target / "meta.json").is_file():
        raise ValueError(f"{target} exists and is not a saved bayesreg model; refusing to replace it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        meta = _meta(est)
        if isinstance(est.fit_result_, PosteriorFit):
            write_netcdf(est.fit_result_.idata, staging / "posterior.nc")
        (staging / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        os.chmod(staging, default_mode(directory=True))
        _swap_in(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    retired.rmdir()
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(retired, target)  # put the previous model back
        raise
    shutil.rmtree(retired, ignore_errors=True)


def load(path: str | os.PathLike[str], estimator_class):
    """Load a model saved by ``BayesianLinearRegression.save``; clear errors for a missing,
    truncated or foreign folder. ``bayesreg.load(path)`` is this with the estimator class.

    The class is passed in, not imported: the estimator's ``.save`` calls this module, so
    importing the estimator here would close an import circle.
    """
    folder = Path(path)
    if not folder.exists():
        raise ModelFileError(f"no saved model at {folder}")
    if not folder.is_dir():
        raise ModelFileError(f"{folder} is a file, not a saved bayesreg model folder")
    meta = read_json(folder / "meta.json", what="model metadata")
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
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{folder / 'meta.json'} is incomplete or corrupt ({err}).") from None
    if "posterior" in meta:
        post = meta["posterior"]
        est.posterior_ = est.fit_result_ = MultivariateNormal(
            mean=np.asarray(post["mean"], dtype=float), cov=np.asarray(post["cov"], dtype=float))
    elif "posterior_file" in meta:
        est.fit_result_ = PosteriorFit(idata=_read_idata(folder / meta["posterior_file"]),
                                       settings=meta.get("settings", {}))
    elif meta.get("solver", {}).get("kind") == "lasso":
        s = meta["solver"]
        est.fit_result_ = LassoSolution(coef=est.coef_, n_sweeps=s["n_sweeps"],
                                        kkt_violation=s["kkt_violation"], polished=s["polished"])
    elif meta.get("solver", {}).get("kind") == "lbfgs":
        s = meta["solver"]
        est.fit_result_ = MAPEstimate(
            params={k: np.asarray(v) for k, v in s["params"].items()}, objective=s["objective"],
            converged=s["converged"], num_iterations=s["num_iterations"], grad_norm=s["grad_norm"],
            message=s["message"], method=s["method"])
    else:
        raise ModelFileError(f"{folder / 'meta.json'} names no fit result.")
    return est


def _read_idata(path: Path):
    if not path.is_file():
        raise ModelFileError(f"posterior file missing: {path}")
    try:
        return read_netcdf(path)
    except Exception as err:  # h5py/xarray raise many kinds for a damaged file
        raise ModelFileError(f"{path} is not a readable NetCDF posterior ({type(err).__name__}: {err}).") from None
