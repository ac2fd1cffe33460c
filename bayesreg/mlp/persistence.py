"""Saving and loading trained networks as ``.npz``: the weights plus JSON metadata
(architecture, pixel scaling, training settings). Written atomically."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..exceptions import ModelFileError
from ..io import atomic_save
from .data import SCALINGS, Scaler
from .network import FeedForwardNetwork

FORMAT = "bayesreg.mlp.FeedForwardNetwork"


def save_network(network: FeedForwardNetwork, path, *, scaling=None, metadata: dict | None = None) -> Path:
    """Write ``network`` to ``path`` (.npz), crash-safe (temporary file, fsync, rename).

    ``scaling`` is the pixel scaling the network was trained with: a :class:`Scaler`, its
    ``to_dict()``, or a kind (``"centered"``, ``"unit"``); ``bayesreg mlp predict`` applies
    it. ``metadata`` (e.g. history, settings) is kept as is.
    """
    from .._version import __version__

    meta = {"format": FORMAT, "format_version": 1, "bayesreg": __version__,
            "architecture": network.architecture, **(metadata or {})}
    if scaling is not None:
        meta["scaling"] = _scaling_dict(scaling)
    elif "scaling" in meta:
        meta["scaling"] = _scaling_dict(meta["scaling"])
    arrays = {}
    for i, layer in enumerate(network.get_weights()):
        arrays[f"layer{i}_W"] = layer["W"]
        arrays[f"layer{i}_b"] = layer["b"]
    arrays["metadata"] = np.array(json.dumps(meta, default=float))

    def writer(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    return atomic_save(path, writer)


def _scaling_dict(scaling) -> dict:
    if isinstance(scaling, str):
        scaling = Scaler(scaling)
    if isinstance(scaling, dict):
        scaling = Scaler.from_dict(scaling)  # checks it
    if not isinstance(scaling, Scaler):
        raise TypeError(f"scaling must be a Scaler, its to_dict() or one of {SCALINGS}; got {type(scaling).__name__}.")
    if scaling.kind == "standardize" and scaling.mean is None:
        raise ValueError("scaling 'standardize' needs the per-pixel mean and sd: pass the fitted Scaler.")
    return scaling.to_dict()


def scaler_from_metadata(meta: dict, path) -> Scaler | None:
    """The :class:`Scaler` stored with a network, or None if the file stores none."""
    if meta.get("scaling") is None:
        return None
    try:
        scaler = Scaler.from_dict(meta["scaling"])
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: the stored pixel scaling is not readable ({err}).") from None
    if scaler.kind == "standardize" and scaler.mean is None:
        raise ModelFileError(f"{path}: the stored 'standardize' scaling has no per-pixel mean and sd.")
    return scaler


def load_network(path, *, expect: dict | None = None) -> tuple[FeedForwardNetwork, dict]:
    """(network, metadata) from a file written by :func:`save_network`.

    ``expect`` maps architecture keys to required values (e.g. ``{"input_dim": 784}``).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ModelFileError(f"{path} is not a readable .npz model file ({err}).") from None
    try:
        meta = json.loads(str(arrays.pop("metadata")))
    except (KeyError, json.JSONDecodeError):
        raise ModelFileError(f"{path} has no bayesreg metadata; it was not written by bayesreg.") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a saved {FORMAT}.")
    arch = meta["architecture"]
    for key, value in (expect or {}).items():
        if arch.get(key) != value:
            raise ModelFileError(f"{path} is a network with {key} = {arch.get(key)}, but {value} is needed here.")
    kwargs = {k: arch[k] for k in ("input_dim", "output_dim", "hidden_dim", "num_layers", "activation",
                                   "init", "bias", "dropout", "residual")}
    network = FeedForwardNetwork(**kwargs, dtype=np.dtype(arch["dtype"]))
    n_layers = len(network.linear_layers())
    try:
        weights = [{"W": arrays[f"layer{i}_W"], "b": arrays[f"layer{i}_b"]} for i in range(n_layers)]
        network.set_weights(weights)
    except (KeyError, ValueError) as err:
        raise ModelFileError(f"{path}: weights do not match the stored architecture ({err}).") from None
    if len(arrays) != 2 * n_layers:
        raise ModelFileError(f"{path}: {len(arrays) // 2} weight layers stored, the architecture has {n_layers}.")
    return network, meta
