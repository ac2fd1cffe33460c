"""``bayesreg calibrate``: simulation-based calibration of a model x method, or of all of them."""

from __future__ import annotations

import argparse

from ._common import (
    PROGRESS_HELP,
    SEED_HELP,
    add_cluster_options,
    add_output_options,
    finish,
    fraction,
    nonnegative_int,
    positive_float,
    positive_int,
    study_runner,
)

MODELS = ("gaussian-mean", "linear")
METHODS = ("nuts", "gibbs", "exact")


def _methods(text: str) -> list[str]:
    methods = [m.strip() for m in text.split(",") if m.strip()]
    wrong = [m for m in methods if m not in METHODS]
    if not methods or wrong:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(METHODS)}; got {text!r}")
    return methods


def _scale_prior(text: str) -> str | None:
    return None if text == "none" else text


def register(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="simulation-based calibration: are the posterior ranks of the truth uniform?",
        description="Draws parameters from the prior, simulates data, fits every simulation in one batched "
                    "program, and tests the ranks of the true parameters, the log-likelihood and a new "
                    "point's predictive among thinned posterior draws for uniformity (chi-square and the "
                    "ECDF simultaneous band, Bonferroni across quantities). Exit status 1 if a case fails.")
    p.add_argument("--all", action="store_true",
                   help="every model x method (Gaussian mean; linear Normal/Laplace, scales fixed and sampled)")
    p.add_argument("--model", choices=MODELS, default="linear", help="the model to calibrate")
    p.add_argument("--method", type=_methods, default=["nuts"], metavar="nuts,gibbs,exact",
                   help="inference methods, comma-separated")
    p.add_argument("--prior", choices=("normal", "laplace", "horseshoe", "regularized_horseshoe", "r2d2"),
                   default="normal", help="prior on w (linear model); the shrinkage priors need --method nuts and "
                                          "draw the truth from the prior itself (--tau: the horseshoe's scale)")
    p.add_argument("--shrinkage", action="store_true",
                   help="the shrinkage-prior cases (horseshoe, regularized_horseshoe, r2d2; NUTS, sigma fixed, "
                        "target acceptance 0.95), alone or after --all's cases (not part of --all: they are slower)")
    p.add_argument("--sigma-prior", type=_scale_prior, choices=(None, "halfnormal", "invgamma"), default=None,
                   metavar="none|halfnormal|invgamma", help="sample sigma from this prior (scale --sigma)")
    p.add_argument("--tau-prior", type=_scale_prior, choices=(None, "halfnormal"), default=None,
                   metavar="none|halfnormal", help="sample tau from this prior (scale --tau)")
    p.add_argument("--sigma", type=positive_float, default=1.0, help="noise sd, or its prior's scale")
    p.add_argument("--tau", type=positive_float, default=1.0, help="prior scale of w (or mu), or its prior's scale")
    p.add_argument("--fit-sigma", type=positive_float, metavar="S", help="fit with this sigma (a wrong model)")
    p.add_argument("--fit-tau", type=positive_float, metavar="T", help="fit with this tau (a wrong model)")
    p.add_argument("--n", type=positive_int, default=20, help="observations per simulated data set")
    p.add_argument("--p", type=positive_int, default=3, help="features (linear model)")
    p.add_argument("--design", metavar="diabetes|FILE.csv",
                   help="use this design X (all columns but the last of the CSV) for every simulation "
                        "(if not given: simulated)")
    p.add_argument("--n-sims", type=positive_int, default=1000, help="simulated data sets per case")
    p.add_argument("--num-warmup", type=nonnegative_int, default=500, metavar="N",
                   help="NUTS warmup iterations per simulation")
    p.add_argument("--num-samples", type=positive_int, default=1000, metavar="N", help="draws per simulation")
    p.add_argument("--target-accept", type=fraction, metavar="P",
                   help="NUTS target acceptance probability (if not given: 0.8; 0.95 for the shrinkage priors)")
    p.add_argument("--num-draws", type=positive_int, default=99, metavar="L",
                   help="rank among L thinned draws")
    p.add_argument("--bins", type=positive_int, default=20, help="histogram / chi-square bins; must divide L + 1")
    p.add_argument("--alpha", type=positive_float, default=0.001,
                   help="fail a quantity whose Bonferroni-adjusted p-value is below this")
    p.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=PROGRESS_HELP)
    add_cluster_options(p)
    add_output_options(p)
    p.set_defaults(run=run)


def _cases(args):
    from ..studies.calibration import SHRINKAGE, CalibrationCase, shrinkage_cases, standard_cases

    if (args.num_draws + 1) % args.bins:
        raise ValueError(f"--bins must divide --num-draws + 1 = {args.num_draws + 1} (the number of rank values); "
                         f"got {args.bins}.")
    common = dict(n=args.n, p=args.p, sigma=args.sigma, tau=args.tau, num_warmup=args.num_warmup,
                  num_samples=args.num_samples, num_draws=args.num_draws, num_bins=args.bins)
    if args.target_accept is not None:
        common["target_accept_prob"] = args.target_accept
    if args.all or args.shrinkage:
        return (standard_cases(**common) if args.all else []) + (shrinkage_cases(**common) if args.shrinkage else [])
    if args.prior in SHRINKAGE and args.target_accept is None:
        common["target_accept_prob"] = 0.95
    return [CalibrationCase(model=args.model.replace("-", "_"), method=method, prior=args.prior,
                            sigma_prior=args.sigma_prior, tau_prior=args.tau_prior, fit_sigma=args.fit_sigma,
                            fit_tau=args.fit_tau, **common) for method in args.method]


def run(args: argparse.Namespace) -> int:
    from ..plotting import plot_calibration
    from ..studies.calibration import run_cases, summary_table
    from ..tables import format_table

    cases = _cases(args)          # validates every case before any work
    X = None
    if args.design is not None:
        from ..datasets import load_regression_data

        X = load_regression_data(args.design, option="--design").X
    with study_runner(args, "calibration") as where:
        results = run_cases(cases, n_sims=args.n_sims, seed=args.seed, X=X, alpha=args.alpha,
                            progress=args.progress, **where)
    figures = {}
    for i, (case, result) in enumerate(zip(cases, results, strict=True)):
        print(format_table(result.table.set_index("quantity"), title=f"{case.label}: "
                           f"{'passes' if result.passed else 'FAILS'}"))
        print()
        if args.out is not None:
            figures[f"sbc_{i:02d}_{case.model}_{case.method}"] = plot_calibration(result)
    summary = summary_table(results)
    print(format_table(summary.set_index("case"), title=f"Simulation-based calibration ({args.n_sims} simulations, "
                                                         f"alpha = {args.alpha:g}, Bonferroni)"))
    finish(args, {"summary": summary.to_dict(orient="records"), "cases": [r.to_dict() for r in results]}, figures)
    return 0 if all(r.passed for r in results) else 1
