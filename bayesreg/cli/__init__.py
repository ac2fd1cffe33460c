"""The ``bayesreg`` command line: ``main(argv=None) -> int``.

``main`` calls :func:`bayesreg.setup` after parsing, so ``--help`` and ``--version`` import
no JAX; the subcommands import what they need inside their ``run`` functions.

Each subcommand lives in the module named after it (``bayesreg path`` in ``cli/path.py``;
shared option types and output in ``_common``), with ``register(subparsers)``, which adds a parser
whose ``run`` default takes the parsed arguments and returns an exit status. Bad input
(``ValueError``/``TypeError`` from validation, unreadable files) becomes a one-line
message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from .._version import __version__
from ..exceptions import CellError, ConvergenceWarning, ModelFileError
from . import cache, calibrate, compare, fit, gaussian_mean, mlp, naive_bayes, path, simulate
from ._common import HelpFormatter

# the order of ``bayesreg --help``: the basic model first, then linear regression, the studies and the side topics
COMMANDS = (gaussian_mean, fit, path, compare, simulate, calibrate, naive_bayes, mlp, cache)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a bad argument reported in one line (argparse prints the usage block first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="bayesreg",
        description="Bayesian regression you can see: closed forms, NUTS and MAP side by side.",
    )
    parser.add_argument("--version", action="version", version=f"bayesreg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    for each in _parsers(parser):
        each.formatter_class = HelpFormatter  # every option's help shows its default
    return parser


def _parsers(parser: argparse.ArgumentParser):
    """The parser and every subcommand's parser, depth first."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from _parsers(child)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for nested in ("mlp_command", "study"):
        if getattr(args, nested, None):
            args.command = f"{args.command} {getattr(args, nested)}"
    if args.command is None:
        parser.print_help()
        return 2
    if args.command != "cache":  # the cache command needs no JAX
        from ..config import setup

        setup()
    try:
        # commands print convergence problems in their own output, so the library's
        # ConvergenceWarning would only repeat them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return int(args.run(args) or 0)
    except CellError as err:  # some cells of a study raised: name them, keep going no further
        print(f"bayesreg {args.command}: {err}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, ModelFileError, OSError, ImportError) as err:
        print(f"bayesreg {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bayesreg {args.command}: interrupted", file=sys.stderr)
        return 130
