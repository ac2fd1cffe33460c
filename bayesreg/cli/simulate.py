"""``bayesreg simulate``: simulation studies comparing estimators over replicate data sets."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..priors import COEFFICIENT_PRIORS
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
    unit_interval,
    writing,
)


def _grid(kind=float):
    """An argparse type: a comma-separated grid of positive numbers, checked by the studies' own
    parser (``studies._grid`` imports only numpy) when the command line is read."""
    def parse(text: str) -> list:
        from ..studies._grid import parse_grid

        try:
            return parse_grid(text, "grid", kind=kind)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err).removeprefix("grid ").rstrip(".")) from None

    parse.__name__ = "grid"
    return parse


def register(sub) -> None:
    s = sub.add_parser("simulate", help="simulation studies: linear, sparse or gaussian-mean",
                       description="Vectorised simulation studies comparing estimators over replicate data sets.")
    studies = s.add_subparsers(dest="study", metavar="STUDY", required=True)
    # the studies' options live here, not in bayesreg.studies, so that building the parser imports no
    # study (and no JAX) and the studies never import the command line
    p = studies.add_parser("linear", help="w_MAP vs posterior mean over a grid of n, p, tau, sigma",
                           description="Simulation study: does the posterior mean predict better than the MAP, "
                                       "and by how much?")
    p.add_argument("--n", type=_grid(int), default="20,50,200", metavar="N,N,...", help="training sizes")
    p.add_argument("--p", type=_grid(int), default="5,20", metavar="P,P,...", help="numbers of features")
    p.add_argument("--tau", type=_grid(), default="0.5,1", metavar="T,T,...", help="prior scales, comma-separated")
    p.add_argument("--sigma", type=_grid(), default="1", metavar="S,S,...", help="noise sds, comma-separated")
    p.add_argument("--replicates", type=positive_int, default=200, help="simulated data sets per cell")
    p.add_argument("--prior", choices=COEFFICIENT_PRIORS,
                   default="laplace",
                   help="prior the coefficients are drawn from, and fitted with (horseshoe: --tau is the scale of its "
                        "global scale; regularized_horseshoe and r2d2 their standard settings and one --tau; the "
                        "shrinkage priors have no MAP: its columns are NaN)")
    p.add_argument("--correlation", type=unit_interval, default=0.0, help="equal correlation of the features")
    p.add_argument("--n-test", type=positive_int, default=1000, help="held-out rows per replicate")
    _nuts_options(p, target_accept=0.8,
                  target_help="NUTS target acceptance probability (raise it, e.g. 0.95, for the horseshoe)")
    _run_options(p, _run_linear)

    p = studies.add_parser("sparse", help="shrinkage priors against the Laplace prior on sparse data (p > n)",
                           description="Simulation study (Piironen & Vehtari 2017): on sparse replicate data sets, "
                                       "how close is each prior's posterior mean to the true coefficients, and how "
                                       "much better than the Laplace prior's (paired, same data)?")
    p.add_argument("--priors", type=_prior_list, default="horseshoe,regularized_horseshoe,laplace",
                   metavar="PRIOR,PRIOR,...", help="coefficient priors to compare (laplace is the baseline)")
    p.add_argument("--n", type=positive_int, default=100, help="training rows per replicate")
    p.add_argument("--p", type=positive_int, default=200, help="features")
    p.add_argument("--n-nonzero", type=nonnegative_int, default=5, help="nonzero true coefficients")
    p.add_argument("--coef-scale", type=positive_float, default=2.0, help="sd of the nonzero coefficients")
    p.add_argument("--sigma", type=positive_float, default=1.0, help="noise sd")
    p.add_argument("--replicates", type=positive_int, default=20, help="simulated data sets")
    p.add_argument("--n-test", type=positive_int, default=1000, help="held-out rows per replicate")
    _nuts_options(p, target_accept=0.95, target_help="NUTS target acceptance probability")
    p.add_argument("--chunk", type=positive_int, default=1, metavar="R",
                   help="replicates per task: each finished task is checkpointed under --out (resume with --resume)")
    p.add_argument("--collapsed", action=argparse.BooleanOptionalAction, default=True,
                   help="fit the shrinkage priors with w integrated out (--no-collapsed: non-centred, w sampled)")
    _run_options(p, _run_sparse)

    p = studies.add_parser("gaussian-mean", help="MLE/MAP plug-in vs posterior predictive over n",
                           description="Simulation study: MLE plug-in, MAP plug-in and posterior predictive "
                                       "as n grows.")
    p.add_argument("--n", type=_grid(int), default="1,2,5,10,20,50,100,1000", metavar="N,N,...",
                   help="sample sizes, comma-separated")
    p.add_argument("--sigma", type=positive_float, default=1.0, help="noise sd (known)")
    p.add_argument("--tau", type=positive_float, default=1.0, help="prior sd of mu")
    p.add_argument("--replicates", type=positive_int, default=2000, help="simulated data sets per n")
    p.add_argument("--n-test", type=positive_int, default=100, help="held-out points per replicate")
    p.add_argument("--level", type=fraction, default=0.95, help="predictive interval level")
    _run_options(p, _run_gaussian_mean)


def _nuts_options(p, *, target_accept: float, target_help: str) -> None:
    """The NUTS settings of a study's replicate fits."""
    p.add_argument("--num-warmup", type=positive_int, default=500, metavar="N",
                   help="NUTS warmup iterations per chain")
    p.add_argument("--num-samples", type=positive_int, default=500, metavar="N", help="NUTS draws kept per chain")
    p.add_argument("--num-chains", type=positive_int, default=2, metavar="N", help="NUTS chains per replicate")
    p.add_argument("--target-accept", type=fraction, default=target_accept, metavar="P", help=target_help)


def _run_options(p, study_run) -> None:
    """Seed, progress, where the cells run, where the results go, and the study's function."""
    p.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=PROGRESS_HELP)
    add_cluster_options(p)
    add_output_options(p)
    p.set_defaults(run=run_simulate, study_run=study_run)


def _run_linear(args):
    from ..studies.linear import plot_summary, run_study

    with study_runner(args, "linear") as where:
        per_rep, summary = run_study(args.n, args.p, args.tau, args.sigma, replicates=args.replicates,
                                     prior=args.prior, correlation=args.correlation, n_test=args.n_test,
                                     num_warmup=args.num_warmup, num_samples=args.num_samples,
                                     num_chains=args.num_chains, seed=args.seed, progress=args.progress,
                                     target_accept_prob=args.target_accept, **where)
    return per_rep, summary, {"study_linear": plot_summary(summary)}


def _prior_list(text: str) -> tuple[str, ...]:
    """An argparse type: comma-separated coefficient prior names, checked when the line is read."""
    names = tuple(t.strip().replace("-", "_") for t in text.split(",") if t.strip())
    bad = [t for t in names if t not in COEFFICIENT_PRIORS]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"expected names among {', '.join(COEFFICIENT_PRIORS)}; got {text!r}")
    return names


def _run_sparse(args):
    from ..studies.sparse import plot_summary, run_study

    with study_runner(args, "sparse") as where:
        per_rep, summary = run_study(args.priors, n=args.n, p=args.p, n_nonzero=args.n_nonzero,
                                     replicates=args.replicates, coef_scale=args.coef_scale, sigma=args.sigma,
                                     n_test=args.n_test, num_warmup=args.num_warmup, num_samples=args.num_samples,
                                     num_chains=args.num_chains, target_accept_prob=args.target_accept,
                                     seed=args.seed, collapsed=args.collapsed, chunk=args.chunk,
                                     progress=args.progress, **where)
    return per_rep, summary, {"study_sparse": plot_summary(summary)}


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
    convergence = _convergence(args, per_rep, summary)
    if args.study == "gaussian-mean":
        from ..studies.gaussian_mean import paired_lpd_differences

        print()
        print(format_table(paired_lpd_differences(per_rep).set_index("n"),
                           "Posterior predictive minus plug-in: held-out log density (paired)"))
    if args.out is not None:
        out = Path(args.out)
        for name, frame in (("replicates", per_rep), ("summary", summary)):
            with writing("--out", out / f"{args.study}_{name}.csv"):
                atomic_save(out / f"{args.study}_{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False))
            print(f"wrote {out / f'{args.study}_{name}.csv'}")
    return finish(args, {"study": args.study, "settings": {k: v for k, v in vars(args).items()
                                                           if k not in ("run", "study_run", "json", "out")},
                         "summary": summary.to_dict(orient="records"),
                         **({"convergence": convergence} if convergence is not None else {})}, figures)


def _convergence(args, per_rep, summary) -> list[dict] | None:
    """Per cell of the linear study (closed forms in gaussian-mean: nothing to judge): NUTS's
    divergences, max R-hat (and its replicate) and min ESS over the replicates, and how many
    replicates have a problem; printed for the cells that have one, returned for ``--json``."""
    if args.study == "sparse":
        return _sparse_convergence(per_rep, summary)
    if args.study != "linear":
        return None
    from ..diagnostics import ESS_PER_CHAIN_MIN, RHAT_MAX

    cells = []
    for row, (_, g) in zip(summary.to_dict(orient="records"),
                           per_rep.groupby(["n", "p", "tau", "sigma"], sort=True), strict=True):
        worst = g.loc[g["max_rhat"].idxmax()] if g["max_rhat"].notna().any() else None
        cells.append({"n": int(row["n"]), "p": int(row["p"]), "tau": float(row["tau"]), "sigma": float(row["sigma"]),
                      "replicates": int(row["replicates"]), "unconverged_replicates": int(row["unconverged"]),
                      "divergences": int(row["divergences"]),
                      "max_rhat": None if worst is None else float(worst["max_rhat"]),
                      "max_rhat_replicate": None if worst is None else int(worst["replicate"]),
                      "min_ess": float(row["min_ess"])})
    flagged = [c for c in cells if c["unconverged_replicates"]]
    print(f"\nNUTS: {len(cells) - len(flagged)} of {len(cells)} cells without convergence problems "
          f"(divergences, R-hat > {RHAT_MAX}, or ESS < {ESS_PER_CHAIN_MIN} per chain, in any replicate)")
    for c in flagged:
        rhat = "" if c["max_rhat"] is None else f", max R-hat {c['max_rhat']:.3f} (replicate {c['max_rhat_replicate']})"
        print(f"warning: n={c['n']}, p={c['p']}, tau={c['tau']:g}, sigma={c['sigma']:g}: "
              f"{c['unconverged_replicates']} of {c['replicates']} replicates with problems; "
              f"{c['divergences']} divergences{rhat}, min ESS {c['min_ess']:.0f}")
    return cells


def _sparse_convergence(per_rep, summary) -> list[dict]:
    """Per prior of the sparse study: divergences and R-hat > 1.1 (chains that clearly disagree: the
    largest of p R-hats passes 1.01 by chance), with the replicates they occur in; a warning line
    per prior that has either."""
    from ..studies.sparse import RHAT_DISAGREE as rhat_limit

    rows = []
    for row in summary.to_dict(orient="records"):
        g = per_rep[per_rep["prior"] == row["prior"]]
        rows.append({"prior": row["prior"], "replicates": int(row["replicates"]),
                     "divergences": int(row["divergences"]),
                     "divergent_replicates": g.loc[g["divergences"] > 0, "replicate"].astype(int).tolist(),
                     "max_rhat": float(row["max_rhat"]),
                     "rhat_replicates": g.loc[g["max_rhat"] > rhat_limit, "replicate"].astype(int).tolist()})
    print()
    for r in rows:
        if r["divergences"] or r["rhat_replicates"]:
            print(f"warning: {r['prior']}: {r['divergences']} divergences in replicates {r['divergent_replicates']}; "
                  f"R-hat > {rhat_limit} in replicates {r['rhat_replicates']} (max {r['max_rhat']:.3f})")
        else:
            print(f"{r['prior']}: no divergences, R-hat <= {rhat_limit} in all {r['replicates']} replicates")
    return rows
