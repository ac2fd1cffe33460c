"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..io import write_json


def _number(text: str, kind, ok, requirement: str):
    """Parse ``text`` as ``kind`` and check it; argparse turns the error into a usage line."""
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    return _number(text, float, lambda v: 0 < v < float("inf"), "a finite number > 0")


def finite_float(text: str) -> float:
    return _number(text, float, lambda v: abs(v) < float("inf"), "a finite number")


def positive_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 1, ">= 1")


def fraction(text: str) -> float:
    return _number(text, float, lambda v: 0.0 < v < 1.0, "in (0, 1)")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--json", metavar="PATH", type=Path,
                       help="write the results as JSON to PATH")
    group.add_argument("--out", metavar="DIR", type=Path, help="write PNG plots into DIR")


def add_nuts_options(parser: argparse.ArgumentParser, *, num_chains: int = 4, dense_mass: bool = False) -> None:
    group = parser.add_argument_group("NUTS")
    group.add_argument("--num-warmup", type=positive_int, default=1000, metavar="N")
    group.add_argument("--num-samples", type=positive_int, default=1000, metavar="N")
    group.add_argument("--num-chains", type=positive_int, default=num_chains, metavar="N")
    group.add_argument("--target-accept", type=fraction, default=0.8, metavar="P",
                       help="target acceptance probability (default 0.8)")
    if dense_mass:
        group.add_argument("--dense-mass", action="store_true",
                           help="adapt a dense mass matrix (the posterior covariance) instead of a diagonal")
    group.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar on stderr (default: when stderr is a terminal)")


def provenance(args: argparse.Namespace) -> dict[str, Any]:
    """What produced a result: command line, package versions, time."""
    from ..config import versions

    return {
        "command": "bayesreg " + " ".join(sys.argv[1:]) if sys.argv else args.command,
        **versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def finish(args: argparse.Namespace, results: dict[str, Any], figures: dict[str, Any]) -> int:
    """Write ``--json`` and the ``--out`` figures; report where they went on stdout."""
    from ..plotting import save_figure

    if args.out is not None:
        for name, fig in figures.items():
            path = save_figure(fig, Path(args.out) / f"{name}.png")
            print(f"wrote {path}")
    else:
        import matplotlib.pyplot as plt

        for fig in figures.values():
            plt.close(fig)
    if args.json is not None:
        results = {**results, "provenance": provenance(args)}
        write_json(args.json, results)
        print(f"wrote {args.json}")
    return 0


