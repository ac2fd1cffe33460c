"""Parsing and validating grids of study settings ("20,50,200")."""

from __future__ import annotations

import numpy as np


def parse_grid(value, name: str, *, kind: type = float, minimum: float | None = None,
               strictly_positive: bool = True) -> list:
    """A list of numbers from "1,2,3", a number or a sequence; errors name the option."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif np.ndim(value) == 0:
        parts = [value]
    else:
        parts = list(value)
    if not parts:
        raise ValueError(f"{name} must list at least one value.")
    out = []
    for part in parts:
        try:
            number = kind(part) if kind is float else int(str(part))
        except (TypeError, ValueError):
            what = "whole numbers" if kind is int else "numbers"
            raise ValueError(f"{name} must be {what} separated by commas; got {part!r}.") from None
        if kind is float and not np.isfinite(number):
            raise ValueError(f"{name} values must be finite; got {part!r}.")
        if strictly_positive and number <= 0:
            raise ValueError(f"{name} values must be > 0; got {number!r}.")
        if minimum is not None and number < minimum:
            raise ValueError(f"{name} values must be >= {minimum}; got {number!r}.")
        out.append(number)
    return sorted(set(out))
