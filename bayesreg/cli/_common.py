"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..io import write_json
from ..priors import COEFFICIENT_PRIORS


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


def scale_or_ols(text: str):
    """A positive number, or ``ols`` (sigma only): the OLS residual standard deviation."""
    if text == "ols":
        return text
    return positive_float(text)


def prior_loc(text: str):
    """A prior location: one number, or an array of comma-separated numbers (one per feature)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None
    return values[0] if len(values) == 1 else np.asarray(values)


def coefficient_prior(args: argparse.Namespace):
    """The estimator's ``prior`` from ``--prior`` and the shrinkage priors' options."""
    from ..priors import R2D2, Horseshoe, RegularizedHorseshoe

    if args.prior == "horseshoe":
        return Horseshoe(scale=args.hs_scale)
    if args.prior == "regularized_horseshoe":
        return RegularizedHorseshoe(p0=args.p0, slab_scale=args.slab_scale, slab_df=args.slab_df)
    if args.prior == "r2d2":
        return R2D2(mean_r2=args.mean_r2, precision=args.r2_precision)
    return args.prior


def add_regression_options(p: argparse.ArgumentParser) -> None:
    """The data and model options of the linear-regression commands (``fit`` and ``path``)."""
    p.add_argument("--data", required=True, metavar="diabetes|FILE.csv",
                   help="'diabetes' (bundled with scikit-learn) or a CSV with a header row")
    p.add_argument("--target", metavar="COLUMN", help="target column of a CSV (default: the last)")
    p.add_argument("--prior", choices=COEFFICIENT_PRIORS, default="laplace",
                   help="prior on w; horseshoe, regularized_horseshoe and r2d2 sample their own global scale "
                        "(--tau unused) and need --method nuts")
    p.add_argument("--p0", type=positive_float, metavar="P0",
                   help="regularized_horseshoe: prior guess of the number of nonzero coefficients (tau0 = "
                        "p0 / (p - p0) * sigma / sqrt(n); default p / 2)")
    p.add_argument("--slab-scale", type=positive_float, default=2.0, help="regularized_horseshoe: slab scale")
    p.add_argument("--slab-df", type=positive_float, default=4.0, help="regularized_horseshoe: slab degrees of freedom")
    p.add_argument("--hs-scale", type=positive_float, default=1.0,
                   help="horseshoe: scale of the HalfCauchy prior on its global scale tau")
    p.add_argument("--mean-r2", type=fraction, default=0.5, help="r2d2: prior mean of R^2")
    p.add_argument("--r2-precision", type=positive_float, default=2.0, help="r2d2: prior precision of R^2")
    p.add_argument("--sigma", type=scale_or_ols, default="ols", metavar="S|ols",
                   help="noise sd, fixed; 'ols' uses the OLS residual sd (default). With "
                        "--sigma-prior it is that prior's scale.")
    p.add_argument("--sigma-prior", choices=("halfnormal", "halfcauchy", "invgamma", "jeffreys"),
                   help="sample sigma from this prior: scale --sigma, for invgamma sigma^2 ~ "
                        "InvGamma(--sigma-ig), jeffreys: the improper p(sigma^2) ~ 1/sigma^2")
    p.add_argument("--sigma-ig", default="0.001,0.001", metavar="A,B",
                   help="concentration and rate of the InvGamma prior on sigma^2 (default 0.001,0.001)")
    p.add_argument("--loc", type=prior_loc, default=0.0, metavar="V",
                   help="prior location: one number, or one per feature separated by commas")
    p.add_argument("--fit-intercept", action=argparse.BooleanOptionalAction, default=True,
                   help="unpenalised intercept (default: on)")
    p.add_argument("--seed", type=int, default=0)


def load_data(args):
    """The ``--data`` set, checked against ``--loc``: one clear error before any fitting."""
    from ..datasets import load_regression_data

    data = load_regression_data(args.data, target=args.target)
    if isinstance(args.loc, np.ndarray) and args.loc.size != data.X.shape[1]:
        raise ValueError(f"--loc has {args.loc.size} values but the data have {data.X.shape[1]} features "
                         f"({', '.join(data.feature_names)}).")
    return data


def noise_sd(args, data) -> float:
    """``--sigma`` as a number; ``ols`` is the OLS residual sd of ``data``."""
    from ..datasets import ols_residual_sd

    if args.sigma != "ols":
        return args.sigma
    return ols_residual_sd(data.X, data.y, fit_intercept=args.fit_intercept)


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


