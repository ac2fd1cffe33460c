"""``bayesreg compare``: point estimates against the posterior on held-out data."""

from __future__ import annotations

import argparse

from ._common import (
    SEED_HELP,
    add_noise_options,
    add_nuts_options,
    add_output_options,
    finish,
    fraction,
    noise_params,
    nonnegative_int,
    print_convergence,
    scale_or_auto,
    scale_or_ols,
)


def _priors(text: str) -> list[str]:
    from ..priors import COEFFICIENT_PRIORS

    priors = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in priors if p not in COEFFICIENT_PRIORS]
    if bad or not priors or len(set(priors)) != len(priors):
        raise argparse.ArgumentTypeError(f"choose different priors from {', '.join(COEFFICIENT_PRIORS)} "
                                         f"(comma-separated); got {text!r}")
    return priors


def register(sub) -> None:
    c = sub.add_parser(
        "compare", help="test MSE of w_MAP, the posterior mean and median on held-out data",
        description="Fits the MAP and NUTS once on a training split and compares point estimates on the "
                    "held-out part: test MSE with standard errors, paired differences, posterior-expected "
                    "test MSE and exact zeros.")
    c.add_argument("--data", required=True, metavar="diabetes|FILE.csv",
                   help="'diabetes' (bundled with scikit-learn) or a CSV with a header row")
    c.add_argument("--target", metavar="COLUMN", help="target column of a CSV (if not given: the last column)")
    c.add_argument("--prior", choices=("laplace", "normal"), default="laplace",
                   help="prior on the coefficients: Laplace (Bayesian lasso) or Normal (ridge)")
    c.add_argument("--priors", type=_priors, metavar="P[,P...]",
                   help="compare these priors instead (e.g. laplace,normal,horseshoe,regularized_horseshoe,r2d2): "
                        "PSIS-LOO (elpd, SE, differences, stacking weights, Pareto k > 0.7 per observation) and the "
                        "test MSE of each posterior mean and MAP; sigma ~ HalfNormal(sd(y)) and, for laplace and "
                        "normal, tau ~ HalfCauchy(sd(y) / mean sd(x)) (--sigma and --tau are not used)")
    c.add_argument("--tau", type=scale_or_auto, default="auto", metavar="T|auto",
                   help="prior scale of w: 'auto' is 2.5 sd(y) / sd(x_j) per feature (as bayesreg fit); a number "
                        "is one fixed scale")
    c.add_argument("--sigma", type=scale_or_ols, default="ols", metavar="S|ols",
                   help="noise sd; 'ols': OLS residual sd on the training split")
    add_noise_options(c)
    c.add_argument("--test-size", type=fraction, default=0.25, help="fraction of the rows held out")
    c.add_argument("--fit-intercept", action=argparse.BooleanOptionalAction, default=True,
                   help="unpenalised intercept")
    c.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP + " (and the split)")
    add_nuts_options(c, num_chains=2)
    add_output_options(c)
    c.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    args.noise_params = noise_params(args)  # checked before any work
    if args.priors:
        return run_compare_priors(args)
    from ..datasets import load_regression_data, shuffled_split
    from ..evaluation import compare_estimators
    from ..tables import format_table

    data = load_regression_data(args.data, target=args.target)
    n_test = int(round(args.test_size * len(data.y)))
    if n_test < 2 or len(data.y) - n_test <= data.X.shape[1]:
        raise ValueError(f"--test-size {args.test_size} leaves too few training or test rows for {data.source}.")
    test, train = shuffled_split(len(data.y), [n_test], seed=args.seed)
    X_tr, y_tr, X_te, y_te = data.X[train], data.y[train], data.X[test], data.y[test]
    table, fits = compare_estimators(X_tr, y_tr, X_te, y_te, prior=args.prior, tau=args.tau, sigma=args.sigma,
                                     fit_intercept=args.fit_intercept, num_warmup=args.num_warmup,
                                     num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
                                     progress=args.progress, feature_names=data.feature_names,
                                     **args.noise_params)
    sigma = fits["map"].sigma  # "ols" resolved on the training rows
    noise = f", Student-t noise (nu {args.noise_params['nu']})" if args.noise_params else ""
    print(f"data: {data.source}; {len(train)} training and {len(test)} test rows; {args.prior} prior, "
          f"tau = {args.tau}, sigma = {sigma:.4g}{noise}\n")
    print(format_table(table, "Point estimates on held-out data (SE: standard errors; paired differences "
                              "are MSE(row) - MSE(posterior mean))"))
    convergence = fits["nuts"].fit_result_.convergence()
    print()
    print_convergence("NUTS", convergence, fits["nuts"].fit_result_.num_draws)
    figures = {}
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        rows = table.index.tolist()
        ax.barh(rows, table["test_mse"], xerr=1.96 * table["test_mse_se"], color=[f"C{i}" for i in range(len(rows))])
        ax.set_xlabel("test MSE (95% intervals)")
        ax.invert_yaxis()
        ax.set_title(f"{data.source}: {args.prior} prior, tau = {args.tau}")
        fig.tight_layout()
        figures["compare"] = fig
    return finish(args, {"data": data.source, "sigma": sigma, "tau": args.tau, "prior": args.prior,
                         "table": table.reset_index().to_dict(orient="records"), "convergence": convergence},
                  figures)


def run_compare_priors(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..datasets import load_regression_data
    from ..model_comparison import compare_priors
    from ..tables import format_table

    data = load_regression_data(args.data, target=args.target)
    result = compare_priors(data.X, data.y, args.priors, test_size=args.test_size, split_seed=args.seed,
                            fit_intercept=args.fit_intercept, num_warmup=args.num_warmup,
                            num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
                            target_accept_prob=args.target_accept, progress=args.progress, **args.noise_params)
    noise = f"; Student-t noise (nu {args.noise_params['nu']})" if args.noise_params else ""
    print(f"data: {data.source}; {len(result.train)} training and {len(result.test)} test rows; "
          f"priors {', '.join(args.priors)}{noise}\n")
    with pd.option_context("display.width", 200):
        print(format_table(result.table, "PSIS-LOO on the training rows (elpd_diff: to the best, with the SE of the "
                                         "paired difference; weight: stacking) and test MSE on the held-out rows"))
    for line in result.warnings():
        print(f"warning: {line}")
    for label, est in result.fits.items():
        for problem in est.fit_result_.convergence_problems():
            print(f"warning: {label}: {problem}")
    figures = {}
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting import plot_prior_comparison

        axes = plot_prior_comparison(result.table, title=f"{data.source}: priors compared")
        axes[0].figure.tight_layout()
        figures["compare_priors"] = axes[0].figure
    table = result.table.reset_index().to_dict(orient="records")
    pareto = {label: [{"observation": int(i), "pareto_k": float(k)} for i, k in bad["pareto_k"].items()]
              for label, bad in result.pareto_k.items()}
    return finish(args, {"data": data.source, "priors": args.priors, "table": table, "pareto_k_above_0.7": pareto},
                  figures)
