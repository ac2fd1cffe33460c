"""``bayesreg compare`` and ``bayesreg simulate``: point estimates against the posterior."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import add_nuts_options, add_output_options, finish, fraction, positive_float


def register(sub) -> None:
    c = sub.add_parser(
        "compare", help="test MSE of w_MAP, the posterior mean and median on held-out data",
        description="Fits the MAP and NUTS once on a training split and compares point estimates on the "
                    "held-out part: test MSE with standard errors, paired differences, posterior-expected "
                    "test MSE and exact zeros.")
    c.add_argument("--data", required=True, metavar="diabetes|FILE.csv")
    c.add_argument("--target", metavar="COLUMN")
    c.add_argument("--prior", choices=("laplace", "normal"), default="laplace")
    c.add_argument("--tau", type=positive_float, default=1.0)
    c.add_argument("--sigma", default="ols", metavar="S|ols",
                   help="noise sd; 'ols': OLS residual sd on the training split")
    c.add_argument("--test-size", type=fraction, default=0.25)
    c.add_argument("--fit-intercept", action=argparse.BooleanOptionalAction, default=True)
    c.add_argument("--seed", type=int, default=0)
    add_nuts_options(c, num_chains=2)
    add_output_options(c)
    c.set_defaults(run=run_compare)

    s = sub.add_parser("simulate", help="simulation studies: linear or gaussian-mean",
                       description="Vectorised simulation studies comparing estimators over replicate data sets.")
    studies = s.add_subparsers(dest="study", metavar="STUDY", required=True)
    # the studies' options live here, not in bayesreg.studies, so that building the parser imports no
    # study (and no JAX) and the studies never import the command line
    p = studies.add_parser("linear", help="w_MAP vs posterior mean over a grid of n, p, tau, sigma",
                           description="Simulation study: does the posterior mean predict better than the MAP, "
                                       "and by how much?")
    p.add_argument("--n", default="20,50,200", help="training sizes, comma-separated")
    p.add_argument("--p", default="5,20", help="numbers of features")
    p.add_argument("--tau", default="0.5,1", help="prior scales")
    p.add_argument("--sigma", default="1", help="noise scales")
    p.add_argument("--replicates", type=int, default=200)
    p.add_argument("--prior", choices=("laplace", "normal"), default="laplace")
    p.add_argument("--correlation", type=float, default=0.0, help="equal correlation of the features")
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--num-warmup", type=int, default=500)
    p.add_argument("--num-samples", type=int, default=500)
    p.add_argument("--num-chains", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    add_output_options(p)
    p.set_defaults(run=run_simulate, study_run=_run_linear)

    p = studies.add_parser("gaussian-mean", help="MLE/MAP plug-in vs posterior predictive over n",
                           description="Simulation study: MLE plug-in, MAP plug-in and posterior predictive "
                                       "as n grows.")
    p.add_argument("--n", default="1,2,5,10,20,50,100,1000", help="sample sizes, comma-separated")
    p.add_argument("--sigma", type=float, default=1.0)
    p.add_argument("--tau", type=float, default=1.0)
    p.add_argument("--replicates", type=int, default=2000)
    p.add_argument("--n-test", type=int, default=100)
    p.add_argument("--level", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    add_output_options(p)
    p.set_defaults(run=run_simulate, study_run=_run_gaussian_mean)


def _run_linear(args):
    from ..studies.linear import plot_summary, run_study

    per_rep, summary = run_study(args.n, args.p, args.tau, args.sigma, replicates=args.replicates,
                                 prior=args.prior, correlation=args.correlation, n_test=args.n_test,
                                 num_warmup=args.num_warmup, num_samples=args.num_samples,
                                 num_chains=args.num_chains, seed=args.seed, progress=args.progress)
    return per_rep, summary, {"study_linear": plot_summary(summary)}


def _run_gaussian_mean(args):
    from ..studies.gaussian_mean import plot_summary, run_study

    per_rep, summary = run_study(args.n, sigma=args.sigma, tau=args.tau, replicates=args.replicates,
                                 n_test=args.n_test, level=args.level, seed=args.seed, progress=args.progress)
    return per_rep, summary, {"study_gaussian_mean": plot_summary(summary, level=args.level)}


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
        sigma = positive_float(args.sigma)
    table, fits = compare_estimators(X_tr, y_tr, X_te, y_te, prior=args.prior, tau=args.tau, sigma=sigma,
                                     fit_intercept=args.fit_intercept, num_warmup=args.num_warmup,
                                     num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
                                     progress=args.progress)
    print(f"data: {data.source}; {len(train)} training and {len(test)} test rows; {args.prior} prior, "
          f"tau = {args.tau:g}, sigma = {sigma:.4g}\n")
    print(format_table(table, "Point estimates on held-out data (SE: standard errors; paired differences "
                              "are MSE(row) - MSE(posterior mean))"))
    for problem in fits["nuts"].fit_result_.convergence_problems():
        print(f"warning: {problem}")
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
                         "table": table.reset_index().to_dict(orient="records")}, figures)


def run_simulate(args: argparse.Namespace) -> int:
    import matplotlib

    from ..io import atomic_save
    from ..tables import format_table

    matplotlib.use("Agg")
    per_rep, summary, figures = args.study_run(args)
    shown = summary.drop(columns=[c for c in summary.columns if c.endswith("_theory") and args.study == "linear"])
    print(format_table(shown.set_index(shown.columns[0]), f"Simulation study: {args.study}"))
    if args.study == "gaussian-mean":
        from ..studies.gaussian_mean import paired_lpd_differences

        print()
        print(format_table(paired_lpd_differences(per_rep).set_index("n"),
                           "Posterior predictive minus plug-in: held-out log density (paired)"))
    if args.out is not None:
        out = Path(args.out)
        for name, frame in (("replicates", per_rep), ("summary", summary)):
            atomic_save(out / f"{args.study}_{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False))
            print(f"wrote {out / f'{args.study}_{name}.csv'}")
    return finish(args, {"study": args.study, "settings": {k: v for k, v in vars(args).items()
                                                           if k not in ("run", "study_run", "json", "out")},
                         "summary": summary.to_dict(orient="records")}, figures)
