"""``bayesreg path``: the regularisation path, MAP and posterior mean against tau."""

from __future__ import annotations

import argparse

import numpy as np

from ._common import (
    add_nuts_options,
    add_output_options,
    add_regression_options,
    finish,
    load_data,
    noise_sd,
    print_convergence,
)


def register(sub) -> None:
    q = sub.add_parser(
        "path", help="regularisation path: MAP and posterior mean against tau",
        description="MAP coefficients (exact zeros) and NUTS posterior means over a grid of tau.")
    add_regression_options(q)
    q.add_argument("--taus", default="0.01:1000:17", metavar="LO:HI:N | T,T,...",
                   help="log-spaced grid LO:HI:N or a comma-separated list")
    q.add_argument("--posterior", action=argparse.BooleanOptionalAction, default=True,
                   help="also compute posterior means by NUTS")
    add_nuts_options(q, num_chains=4)
    q.set_defaults(num_warmup=500, num_samples=1000)
    add_output_options(q)
    q.set_defaults(run=run_path)


def _parse_taus(text: str) -> np.ndarray:
    try:
        if ":" in text:
            lo, hi, num = text.split(":")
            lo, hi, num = float(lo), float(hi), int(num)
            if not (0 < lo < hi) or num < 2:
                raise ValueError
            return np.logspace(np.log10(lo), np.log10(hi), num)
        taus = np.asarray([float(t) for t in text.split(",")])
    except ValueError:
        raise ValueError(f"--taus must be LO:HI:N with 0 < LO < HI and N >= 2, or positive numbers "
                         f"separated by commas; got {text!r}.") from None
    if taus.size == 0 or not np.all(np.isfinite(taus) & (taus > 0)):
        raise ValueError(f"--taus must all be positive numbers; got {text!r}.")
    return taus


def run_path(args: argparse.Namespace) -> int:
    from ..regularization_paths import check_path_prior, regularization_path
    from ..tables import format_table

    taus = _parse_taus(args.taus)
    check_path_prior(args.prior, args.posterior)   # before any output
    data = load_data(args)
    sigma = noise_sd(args, data)
    print(f"data: {data.source}; {args.prior} prior, sigma = {sigma:.4g}, {taus.size} values of tau")
    path = regularization_path(
        data.X, data.y, taus, prior=args.prior, sigma=sigma, loc=args.loc,
        fit_intercept=args.fit_intercept, posterior=args.posterior, num_warmup=args.num_warmup,
        num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
        progress=args.progress, feature_names=data.feature_names)
    frame = path.to_frame()
    import pandas as pd

    summary = pd.DataFrame({"tau": path.taus}).set_index("tau")
    if path.map_coef is not None:  # the horseshoe has no MAP
        summary["map_nonzero"] = (path.map_coef != np.broadcast_to(args.loc, path.map_coef.shape)).sum(axis=1)
    if path.mean_coef is not None:
        summary["mean_abs_posterior_mean"] = np.abs(path.mean_coef).mean(axis=1)
        summary["divergences"] = [c["divergences"] for c in path.convergence]
        summary["max_rhat"] = [c["max_rhat"] for c in path.convergence]
        summary["min_ess"] = [c["min_ess"] for c in path.convergence]
    print(format_table(summary, "Regularisation path"))
    if path.convergence:
        bad = [c for c in path.convergence if not c["converged"]]
        print(f"\nNUTS: {len(path.convergence) - len(bad)} of {len(path.convergence)} fits without convergence "
              "problems")
        for convergence in bad:
            print_convergence(f"NUTS at tau = {convergence['tau']:.4g}", convergence)
    figures = {}
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting import plot_regularization_path

        figures["regularization_path"] = plot_regularization_path(path)[0].figure
    results = {"sigma": sigma, "taus": path.taus, "path": frame.to_dict(orient="records"),
               "convergence": path.convergence}
    return finish(args, results, figures)
