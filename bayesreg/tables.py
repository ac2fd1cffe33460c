"""Plain-text tables for the terminal."""

from __future__ import annotations

import math

import pandas as pd


def _fmt(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4f}"
    return str(value)


def format_table(df: pd.DataFrame, title: str | None = None) -> str:
    """Right-aligned columns, 4 decimals (scientific for very large or small numbers)."""
    body = df.to_string(formatters={c: _fmt for c in df.columns}, na_rep="-")
    if title:
        return f"{title}\n{'-' * len(title)}\n{body}"
    return body
