"""Progress bars: tqdm to stderr, on for interactive use, off in tests and pipes."""

from __future__ import annotations

import sys


def resolve(progress: bool | None) -> bool:
    """``None`` means automatic: on in a terminal or a Jupyter kernel, off otherwise."""
    if progress is not None:
        return bool(progress)
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def bar(total: int, desc: str, *, enabled: bool, unit: str = "it"):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, leave=False)
