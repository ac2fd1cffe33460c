"""``bayesreg fit`` and ``bayesreg path``: Bayesian linear regression on a data set."""

from __future__ import annotations

import argparse

import numpy as np

from ._common import (
    add_nuts_options,
    add_output_options,
    finish,
    positive_float,
)


def _scale(text: str):
    """A positive number, or ``ols`` (sigma only): the OLS residual standard deviation."""
    if text == "ols":
        return text
    return positive_float(text)


def _methods(text: str) -> list[str]:
    from ..estimators.linear_regression import METHODS  # at parse time: building the parser imports no JAX

    methods = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(METHODS)} (comma-separated); got {text!r}")
    return methods


def _loc(text: str):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None
    return values[0] if len(values) == 1 else np.asarray(values)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, metavar="diabetes|FILE.csv",
                   help="'diabetes' (bundled with scikit-learn) or a CSV with a header row")
    p.add_argument("--target", metavar="COLUMN", help="target column of a CSV (default: the last)")
    p.add_argument("--prior", choices=("laplace", "normal"), default="laplace")
    p.add_argument("--sigma", type=_scale, default="ols", metavar="S|ols",
                   help="noise sd, fixed; 'ols' uses the OLS residual sd (default). With "
                        "--sigma-prior it is that prior's scale.")
    p.add_argument("--sigma-prior", choices=("halfnormal", "halfcauchy", "invgamma", "jeffreys"),
                   help="sample sigma from this prior: scale --sigma, for invgamma sigma^2 ~ "
                        "InvGamma(--sigma-ig), jeffreys: the improper p(sigma^2) ~ 1/sigma^2")
    p.add_argument("--sigma-ig", default="0.001,0.001", metavar="A,B",
                   help="concentration and rate of the InvGamma prior on sigma^2 (default 0.001,0.001)")
    p.add_argument("--loc", type=_loc, default=0.0, metavar="V",
                   help="prior location: one number, or one per feature separated by commas")
    p.add_argument("--fit-intercept", action=argparse.BooleanOptionalAction, default=True,
                   help="unpenalised intercept (default: on)")
    p.add_argument("--seed", type=int, default=0)


def register(sub) -> None:
    p = sub.add_parser(
        "fit", help="fit a Bayesian linear regression (NUTS, exact or MAP)",
        description="y = Xw + eps with a Laplace (Bayesian lasso) or Normal (ridge) prior on w. "
                    "Prints the coefficient table; with several methods their estimates side by side.")
    _add_model_options(p)
    p.add_argument("--tau", type=positive_float, default=1.0,
                   help="prior scale of w (with --tau-prior, that prior's scale)")
    p.add_argument("--tau-prior", choices=("halfcauchy", "halfnormal", "lasso-lambda"),
                   help="sample tau; lasso-lambda: 1/tau^2 = lambda^2 ~ Gamma(--lambda-gamma) (Park & Casella)")
    p.add_argument("--lambda-gamma", default="1,1.78", metavar="R,DELTA",
                   help="shape and rate of the Gamma prior on lambda^2 with --tau-prior lasso-lambda "
                        "(default 1,1.78: Park & Casella's choice for diabetes)")
    p.add_argument("--scale-by-sigma", action="store_true",
                   help="w_j | sigma ~ Laplace(loc_j, sigma * tau) (Park & Casella)")
    p.add_argument("--method", type=_methods, default=["nuts", "map"], metavar="M[,M]",
                   help="nuts, gibbs, map, exact, or several comma-separated (default nuts,map)")
    p.add_argument("--save", metavar="DIR", help="save the fitted model (NUTS if run, else the first) to DIR")
    add_nuts_options(p, num_chains=2, dense_mass=True)
    add_output_options(p)
    p.set_defaults(run=run_fit)

    q = sub.add_parser(
        "path", help="regularisation path: MAP and posterior mean against tau",
        description="MAP coefficients (exact zeros) and NUTS posterior means over a grid of tau.")
    _add_model_options(q)
    q.add_argument("--taus", default="0.01:1000:17", metavar="LO:HI:N | T,T,...",
                   help="log-spaced grid LO:HI:N or a comma-separated list (default 0.01:1000:17)")
    q.add_argument("--posterior", action=argparse.BooleanOptionalAction, default=True,
                   help="also compute posterior means by NUTS (default: on)")
    add_nuts_options(q, num_chains=2)
    q.set_defaults(num_warmup=500, num_samples=500)
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


def _load(args):
    from ..datasets import load_regression_data

    data = load_regression_data(args.data, target=args.target)
    if isinstance(args.loc, np.ndarray) and args.loc.size != data.X.shape[1]:
        raise ValueError(f"--loc has {args.loc.size} values but the data have {data.X.shape[1]} features "
                         f"({', '.join(data.feature_names)}).")
    return data


def _sigma(args, data) -> float:
    from ..datasets import ols_residual_sd

    if args.sigma != "ols":
        return args.sigma
    return ols_residual_sd(data.X, data.y, fit_intercept=args.fit_intercept)


def run_fit(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..estimators.linear_regression import SAMPLERS, BayesianLinearRegression
    from ..priors import HalfCauchy, HalfNormal, InverseGamma, Jeffreys, LassoLambda
    from ..tables import format_table

    data = _load(args)
    if args.sigma_prior in ("halfnormal", "halfcauchy") and args.sigma == "ols":
        raise ValueError("with --sigma-prior, --sigma is the prior's scale: give it a number.")
    sigma_value = _sigma(args, data)
    priors = {"halfnormal": HalfNormal, "halfcauchy": HalfCauchy}
    if args.sigma_prior == "invgamma":
        try:
            a, b = (float(v) for v in args.sigma_ig.split(","))
        except ValueError:
            raise ValueError(f"--sigma-ig must be two numbers A,B; got {args.sigma_ig!r}.") from None
        sigma = InverseGamma(a, b)
    elif args.sigma_prior == "jeffreys":
        sigma = Jeffreys()
    else:
        sigma = priors[args.sigma_prior](sigma_value) if args.sigma_prior else sigma_value
    if args.tau_prior == "lasso-lambda":
        try:
            r, delta = (float(v) for v in args.lambda_gamma.split(","))
        except ValueError:
            raise ValueError(f"--lambda-gamma must be two numbers R,DELTA; got {args.lambda_gamma!r}.") from None
        tau = LassoLambda(r, delta)
    else:
        tau = priors[args.tau_prior](args.tau) if args.tau_prior else args.tau
    print(f"data: {data.source}; target {data.target_name}")
    print(f"model: {args.prior} prior, tau = {tau}, sigma = {sigma}, loc = {args.loc}, "
          f"intercept {'on' if args.fit_intercept else 'off'}\n")
    X = pd.DataFrame(data.X, columns=data.feature_names)
    fits, columns = {}, {}
    for method in args.method:
        est = BayesianLinearRegression(
            prior=args.prior, tau=tau, loc=args.loc, sigma=sigma, fit_intercept=args.fit_intercept,
            method=method, scale_by_sigma=args.scale_by_sigma, num_warmup=args.num_warmup,
            num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
            target_accept_prob=args.target_accept, dense_mass=args.dense_mass, progress=args.progress,
        ).fit(X, data.y)
        fits[method] = est
        table = est.coef_table()
        label = {"nuts": "posterior mean (NUTS)", "gibbs": "posterior mean (Gibbs)",
                 "exact": "posterior mean (exact)", "map": "MAP"}[method]
        print(format_table(table, f"{label}: {len(table)} coefficients, intercept {est.intercept_:.4g}"))
        print()
        columns[label] = table["coef"]
        if method in SAMPLERS:
            name = "NUTS" if method == "nuts" else "Gibbs"
            print(f"{name}: {est.fit_result_.num_chains} chains x {est.fit_result_.num_draws} draws, "
                  f"{est.fit_result_.num_divergences} divergences")
            for problem in est.fit_result_.convergence_problems():
                print(f"warning: {problem}")
            print()
    if len(columns) > 1:
        side = pd.DataFrame(columns)
        print(format_table(side, "Side by side"))
        print()
    results = {
        "data": {"source": data.source, "n_samples": int(data.X.shape[0]),
                 "n_features": int(data.X.shape[1]), "target": data.target_name},
        "model": {"prior": args.prior, "tau": str(tau), "sigma": str(sigma),
                  "sigma_value": sigma_value, "fit_intercept": args.fit_intercept},
        "fits": {m: {"coef": dict(zip(data.feature_names, est.coef_, strict=True)),
                     "intercept": est.intercept_, "r2_train": est.score(X, data.y),
                     "table": est.coef_table().reset_index().to_dict(orient="records")}
                 for m, est in fits.items()},
    }
    if args.save:
        chosen = fits.get("nuts") or fits.get("gibbs") or next(iter(fits.values()))
        path = chosen.save(args.save)
        print(f"saved {chosen.method} fit to {path}")
        results["saved"] = str(path)
    return finish(args, results, _fit_figures(args, fits, data))


def _fit_figures(args, fits, data) -> dict:
    if args.out is None:
        return {}
    import matplotlib

    matplotlib.use("Agg")
    from ..inference_data import plot
    from ..plotting import plot_coef_comparison

    figures = {}
    estimates, intervals = {}, {}
    for method, est in fits.items():
        table = est.coef_table()
        label = "MAP" if method == "map" else f"posterior mean ({method})"
        estimates[label] = table["coef"].values
        if "lower" in table:
            intervals[label] = (table["lower"].values, table["upper"].values)
    ax = plot_coef_comparison(data.feature_names, estimates, intervals=intervals)
    ax.set_title("Coefficients (lines: 95% intervals)")
    figures["coefficients"] = ax.figure
    sampled = fits.get("nuts") or fits.get("gibbs")
    if sampled is not None:
        idata = sampled.idata_
        var_names = [v for v in ("w", "sigma", "tau", "lambda") if v in idata.posterior]
        figures["trace"] = plot("trace", idata, var_names=var_names)
        figures["rank"] = plot("rank", idata, var_names=["w"])
        figures["forest"] = plot("forest", idata, var_names=["w"], combined=True, hdi_prob=0.95)
        figures["posterior_predictive"] = plot("ppc", idata, num_pp_samples=100)
    for fig in figures.values():
        fig.tight_layout()
    return figures


def run_path(args: argparse.Namespace) -> int:
    from ..regularization_path import regularization_path
    from ..tables import format_table

    taus = _parse_taus(args.taus)
    data = _load(args)
    sigma = _sigma(args, data)
    print(f"data: {data.source}; {args.prior} prior, sigma = {sigma:.4g}, {taus.size} values of tau")
    path = regularization_path(
        data.X, data.y, taus, prior=args.prior, sigma=sigma, loc=args.loc,
        fit_intercept=args.fit_intercept, posterior=args.posterior, num_warmup=args.num_warmup,
        num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
        progress=args.progress, feature_names=data.feature_names)
    frame = path.to_frame()
    nonzero = (path.map_coef != np.broadcast_to(args.loc, path.map_coef.shape)).sum(axis=1)
    import pandas as pd

    summary = pd.DataFrame({"tau": path.taus, "map_nonzero": nonzero}).set_index("tau")
    if path.mean_coef is not None:
        summary["mean_abs_posterior_mean"] = np.abs(path.mean_coef).mean(axis=1)
    print(format_table(summary, "Regularisation path"))
    figures = {}
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting import plot_regularization_path

        figures["regularization_path"] = plot_regularization_path(path)[0].figure
    results = {"sigma": sigma, "taus": path.taus, "path": frame.to_dict(orient="records")}
    return finish(args, results, figures)
