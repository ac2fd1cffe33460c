"""``bayesreg compare``: point estimates against the posterior on held-out data."""

from __future__ import annotations

import argparse

from ._common import (
    SEED_HELP,
    add_nuts_options,
    add_output_options,
    finish,
    fraction,
    nonnegative_int,
    positive_float,
    print_convergence,
    scale_or_ols,
)


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
    c.add_argument("--tau", type=positive_float, default=1.0, help="prior scale of w")
    c.add_argument("--sigma", type=scale_or_ols, default="ols", metavar="S|ols",
                   help="noise sd; 'ols': OLS residual sd on the training split")
    c.add_argument("--test-size", type=fraction, default=0.25, help="fraction of the rows held out")
    c.add_argument("--fit-intercept", action=argparse.BooleanOptionalAction, default=True,
                   help="unpenalised intercept")
    c.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP + " (and the split)")
    add_nuts_options(c, num_chains=2)
    add_output_options(c)
    c.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from ..datasets import load_regression_data, ols_residual_sd, shuffled_split
    from ..evaluation import compare_estimators
    from ..tables import format_table

    data = load_regression_data(args.data, target=args.target)
    n_test = int(round(args.test_size * len(data.y)))
    if n_test < 2 or len(data.y) - n_test <= data.X.shape[1]:
        raise ValueError(f"--test-size {args.test_size} leaves too few training or test rows for {data.source}.")
    test, train = shuffled_split(len(data.y), [n_test], seed=args.seed)
    X_tr, y_tr, X_te, y_te = data.X[train], data.y[train], data.X[test], data.y[test]
    if args.sigma == "ols":
        sigma = ols_residual_sd(X_tr, y_tr, fit_intercept=args.fit_intercept)
    else:
        sigma = args.sigma
    table, fits = compare_estimators(X_tr, y_tr, X_te, y_te, prior=args.prior, tau=args.tau, sigma=sigma,
                                     fit_intercept=args.fit_intercept, num_warmup=args.num_warmup,
                                     num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
                                     progress=args.progress, feature_names=data.feature_names)
    print(f"data: {data.source}; {len(train)} training and {len(test)} test rows; {args.prior} prior, "
          f"tau = {args.tau:g}, sigma = {sigma:.4g}\n")
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
        ax.set_title(f"{data.source}: {args.prior} prior, tau = {args.tau:g}")
        fig.tight_layout()
        figures["compare"] = fig
    return finish(args, {"data": data.source, "sigma": sigma, "tau": args.tau, "prior": args.prior,
                         "table": table.reset_index().to_dict(orient="records"), "convergence": convergence},
                  figures)
