"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
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


def nonnegative_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 0, ">= 0")


def nonnegative_float(text: str) -> float:
    return _number(text, float, lambda v: 0 <= v < float("inf"), "a finite number >= 0")


def unit_interval(text: str) -> float:
    """A number in [0, 1): a dropout rate, a momentum, a fraction that may be zero."""
    return _number(text, float, lambda v: 0.0 <= v < 1.0, "in [0, 1)")


def _path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be created: a part of the way there that exists as a file."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{parent} is a file, not a directory"
    return None


def output_file(text: str) -> Path:
    """A file to write (``--json``, ``--output``, a saved network): not a directory. Checked when the
    command line is parsed, so a bad path is reported before any work, not after it."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give a file name (e.g. {path / 'results.json'})")
    problem = _path_problem(path)
    if problem:
        raise argparse.ArgumentTypeError(f"cannot write {text}: {problem}")
    return path


def input_file(text: str) -> Path:
    """A file to read, not a directory (whether it exists, and its contents, its reader says)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not a file")
    return path


def output_dir(text: str) -> Path:
    """A directory to write into (``--out``, a saved model): created if missing, not a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a directory")
    problem = _path_problem(path)
    if problem:
        raise argparse.ArgumentTypeError(f"cannot create directory {text}: {problem}")
    return path


def _default_text(value) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default (as ArgumentDefaultsHelpFormatter, but lists are
    written as typed on the command line, and options without a default or flags that are off
    say nothing)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or default is None or default is argparse.SUPPRESS
                or (default is False and action.nargs == 0)):
            return text
        return f"{text} (default: {_default_text(default).replace('%', '%%')})"


def fraction(text: str) -> float:
    return _number(text, float, lambda v: 0.0 < v < 1.0, "in (0, 1)")


def scale_or_ols(text: str):
    """A positive number, or ``ols`` (sigma only): the OLS residual standard deviation."""
    if text == "ols":
        return text
    return positive_float(text)


def scale_auto_or_ols(text: str):
    """A positive number, ``auto`` (the estimator's data-scaled default) or ``ols``."""
    if text == "auto":
        return text
    return scale_or_ols(text)


def scale_or_auto(text: str):
    """A positive number or ``auto`` (tau: 2.5 sd(y) / sd(x_j) per feature)."""
    if text == "auto":
        return text
    return positive_float(text)


def prior_loc(text: str):
    """A prior location: one number, or an array of comma-separated numbers (one per feature)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None
    return values[0] if len(values) == 1 else np.asarray(values)


SEED_HELP = "random seed (an integer >= 0): same seed, same result"
PROGRESS_HELP = ("progress bar on stderr (if not given: only in a terminal or notebook, not in pipes, "
                 "log files or CI)")


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


def add_regression_options(p: argparse.ArgumentParser, *, sigma_auto: bool = False) -> None:
    """The data and model options of the linear-regression commands (``fit`` and ``path``).

    ``sigma_auto``: ``--sigma`` defaults to ``auto``, the estimator's default (sampled,
    HalfNormal(sd(y))); otherwise (``path``, whose MAPs need a fixed sigma) to ``ols``."""
    p.add_argument("--data", required=True, metavar="diabetes|FILE.csv",
                   help="'diabetes' (bundled with scikit-learn) or a CSV with a header row")
    p.add_argument("--target", metavar="COLUMN", help="target column of a CSV (if not given: the last column)")
    p.add_argument("--prior", choices=COEFFICIENT_PRIORS, default="laplace",
                   help="prior on w: Laplace (Bayesian lasso), Normal (ridge); horseshoe, regularized_horseshoe "
                        "and r2d2 sample their own global scale (--tau unused) and need --method nuts")
    p.add_argument("--p0", type=positive_float, metavar="P0",
                   help="regularized_horseshoe: prior guess of the number of nonzero coefficients (tau0 = "
                        "p0 / (p - p0) * sigma / sqrt(n); if not given: p / 2)")
    p.add_argument("--slab-scale", type=positive_float, default=2.0, help="regularized_horseshoe: slab scale")
    p.add_argument("--slab-df", type=positive_float, default=4.0, help="regularized_horseshoe: slab degrees of freedom")
    p.add_argument("--hs-scale", type=positive_float, default=1.0,
                   help="horseshoe: scale of the HalfCauchy prior on its global scale tau")
    p.add_argument("--mean-r2", type=fraction, default=0.5, help="r2d2: prior mean of R^2")
    p.add_argument("--r2-precision", type=positive_float, default=2.0, help="r2d2: prior precision of R^2")
    if sigma_auto:
        p.add_argument("--sigma", type=scale_auto_or_ols, default="auto", metavar="S|auto|ols",
                       help="noise sd: 'auto' samples it with prior HalfNormal(sd(y)); a number "
                            "or 'ols' (the OLS residual sd) fixes it. With --sigma-prior it is that prior's scale.")
    else:
        p.add_argument("--sigma", type=scale_or_ols, default="ols", metavar="S|ols",
                       help="noise sd, fixed; 'ols' uses the OLS residual sd. With "
                            "--sigma-prior it is that prior's scale.")
    p.add_argument("--sigma-prior", choices=("halfnormal", "halfcauchy", "invgamma", "jeffreys"),
                   help="sample sigma from this prior: scale --sigma, for invgamma sigma^2 ~ "
                        "InvGamma(--sigma-ig), jeffreys: the improper p(sigma^2) ~ 1/sigma^2")
    p.add_argument("--sigma-ig", default="0.001,0.001", metavar="A,B",
                   help="concentration and rate of the InvGamma prior on sigma^2")
    p.add_argument("--loc", type=prior_loc, default=0.0, metavar="V",
                   help="prior location: one number, or one per feature separated by commas")
    p.add_argument("--fit-intercept", action=argparse.BooleanOptionalAction, default=True,
                   help="unpenalised intercept")
    p.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP)


def add_noise_options(p: argparse.ArgumentParser) -> None:
    """``--noise`` (Normal or Student-t) and the Student-t degrees of freedom ``--df`` / ``--df-gamma``."""
    p.add_argument("--noise", choices=("normal", "student-t"), default="normal",
                   help="the likelihood: Normal noise, or Student-t noise (robust to outliers; brms's student(), "
                        "Bambi's family='t'); needs --method nuts or map")
    p.add_argument("--df", type=positive_float, metavar="NU",
                   help="Student-t degrees of freedom, fixed (if not given: sampled with prior Gamma(--df-gamma))")
    p.add_argument("--df-gamma", default="2,0.1", metavar="A,B",
                   help="shape and rate of the Gamma prior on the Student-t degrees of freedom (as brms and Bambi)")


def noise_params(args) -> dict:
    """The estimator's ``noise`` and ``nu`` from ``--noise``, ``--df`` and ``--df-gamma``."""
    from ..priors import Gamma

    if args.noise == "normal":
        if args.df is not None:
            raise ValueError("--df is the degrees of freedom of Student-t noise: add --noise student-t.")
        return {}
    if args.df is not None:
        return {"noise": "student_t", "nu": args.df}
    try:
        shape, rate = (float(v) for v in args.df_gamma.split(","))
    except ValueError:
        raise ValueError(f"--df-gamma must be two numbers A,B; got {args.df_gamma!r}.") from None
    return {"noise": "student_t", "nu": Gamma(shape, rate)}


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
    from ..datasets import fixed_sigma

    return fixed_sigma(args.sigma, data.X, data.y, fit_intercept=args.fit_intercept)


def add_output_options(parser: argparse.ArgumentParser, *, plots: bool = True) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--json", metavar="PATH", type=output_file,
                       help="write the results as JSON to PATH")
    if plots:
        group.add_argument("--out", metavar="DIR", type=output_dir, help="write PNG plots into DIR")


def add_nuts_options(parser: argparse.ArgumentParser, *, num_chains: int = 4, dense_mass: bool = False) -> None:
    group = parser.add_argument_group("NUTS")
    group.add_argument("--num-warmup", type=positive_int, default=1000, metavar="N",
                       help="warmup (adaptation) iterations per chain, discarded")
    group.add_argument("--num-samples", type=positive_int, default=1000, metavar="N",
                       help="draws kept per chain")
    group.add_argument("--num-chains", type=positive_int, default=num_chains, metavar="N",
                       help="independent chains (R-hat compares them)")
    group.add_argument("--target-accept", type=fraction, default=0.8, metavar="P",
                       help="target acceptance probability of NUTS; raise it (e.g. 0.95) against divergences")
    if dense_mass:
        group.add_argument("--dense-mass", action="store_true",
                           help="adapt a dense mass matrix (the posterior covariance) instead of a diagonal")
    group.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=PROGRESS_HELP)


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """``--workers`` / ``--scheduler`` (Dask distributed) and ``--resume`` of the studies."""
    group = parser.add_argument_group("where the cells run (in this process by default)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="run the cells on a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the cells on an existing Dask cluster (e.g. tcp://host:8786, from "
                            "`dask scheduler` and `dask worker`)")
    group.add_argument("--resume", action="store_true",
                       help="skip the cells finished by an earlier run with the same --out and settings")


@contextlib.contextmanager
def study_runner(args: argparse.Namespace, name: str):
    """Keyword arguments for a study's ``run_*`` from the cluster options: ``workers``, ``client``
    (connected to ``--scheduler``, closed on exit), and the checkpoint folder ``--out/<name>_cells``."""
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out DIR, the folder of the run to resume.")
    kwargs = {"workers": args.workers, "client": None, "resume": args.resume,
              "checkpoint": None if args.out is None else Path(args.out) / f"{name}_cells"}
    if args.scheduler is None:
        if args.workers is not None:
            from ..runner import check_cluster_options

            check_cluster_options(workers=args.workers)
        yield kwargs
        return
    from ..runner import INSTALL_HINT

    try:
        from distributed import Client
    except ImportError:
        raise ImportError(f"--scheduler needs Dask distributed, which is not installed: {INSTALL_HINT}") from None
    try:
        client = Client(args.scheduler, timeout="10s")
    except (OSError, ValueError, TypeError) as err:
        raise OSError(f"--scheduler {args.scheduler}: cannot connect ({err}).") from None
    try:
        yield {**kwargs, "client": client}
    finally:
        client.close()


def provenance(args: argparse.Namespace) -> dict[str, Any]:
    """What produced a result: command line, package versions, time."""
    from ..config import versions

    return {
        "command": "bayesreg " + " ".join(sys.argv[1:]) if sys.argv else args.command,
        **versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@contextlib.contextmanager
def writing(option: str, path):
    """An OSError while writing ``path`` becomes one line naming the option and the path, not the
    temporary file the atomic write was using (``[Errno 13] Permission denied: '.r.json.x1y2.tmp'``)."""
    try:
        yield
    except OSError as err:
        raise OSError(f"cannot write {option} {path}: {err.strerror or err}") from None


def finish(args: argparse.Namespace, results: dict[str, Any], figures: dict[str, Any]) -> int:
    """Write ``--json`` and the ``--out`` figures; report where they went on stdout."""
    from ..plotting import save_figure

    if getattr(args, "out", None) is not None:
        for name, fig in figures.items():
            with writing("--out", Path(args.out) / f"{name}.png"):
                path = save_figure(fig, Path(args.out) / f"{name}.png")
            print(f"wrote {path}")
    else:
        import matplotlib.pyplot as plt

        for fig in figures.values():
            plt.close(fig)
    if args.json is not None:
        results = {**results, "provenance": provenance(args)}
        with writing("--json", args.json):
            write_json(args.json, results)
        print(f"wrote {args.json}")
    return 0



def print_convergence(label: str, convergence: dict, num_draws: int | None = None) -> None:
    """One line of a sampler's diagnostics (divergences, max R-hat, min ESS, with the parameters
    they belong to), then a warning line per problem."""
    parts = [f"{convergence['num_chains']} chains" + (f" x {num_draws} draws" if num_draws else ""),
             f"{convergence['divergences']} divergences"]
    if convergence["max_rhat"] is not None:
        parts.append(f"max R-hat {convergence['max_rhat']:.3f} ({convergence['max_rhat_parameter']})")
    if convergence["min_ess"] is not None:
        parts.append(f"min ESS {convergence['min_ess']:.0f} ({convergence['min_ess_parameter']})")
    print(f"{label}: {', '.join(parts)}")
    for problem in convergence["problems"]:
        print(f"warning: {problem}")
