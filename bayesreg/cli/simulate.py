"""``bayesreg simulate``: simulation studies comparing estimators over replicate data sets."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import add_cluster_options, add_output_options, finish, study_runner


def register(sub) -> None:
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
    add_cluster_options(p)
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
    add_cluster_options(p)
    add_output_options(p)
    p.set_defaults(run=run_simulate, study_run=_run_gaussian_mean)


def _run_linear(args):
    from ..studies.linear import plot_summary, run_study

    with study_runner(args, "linear") as where:
        per_rep, summary = run_study(args.n, args.p, args.tau, args.sigma, replicates=args.replicates,
                                     prior=args.prior, correlation=args.correlation, n_test=args.n_test,
                                     num_warmup=args.num_warmup, num_samples=args.num_samples,
                                     num_chains=args.num_chains, seed=args.seed, progress=args.progress, **where)
    return per_rep, summary, {"study_linear": plot_summary(summary)}


def _run_gaussian_mean(args):
    from ..studies.gaussian_mean import plot_summary, run_study

    with study_runner(args, "gaussian_mean") as where:
        per_rep, summary = run_study(args.n, sigma=args.sigma, tau=args.tau, replicates=args.replicates,
                                     n_test=args.n_test, level=args.level, seed=args.seed, progress=args.progress,
                                     **where)
    return per_rep, summary, {"study_gaussian_mean": plot_summary(summary, level=args.level)}


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
