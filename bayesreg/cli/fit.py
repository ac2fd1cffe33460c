"""``bayesreg fit``: Bayesian linear regression on a data set, by one or several methods."""

from __future__ import annotations

import argparse

import numpy as np

from ._common import (
    add_noise_options,
    add_nuts_options,
    add_output_options,
    add_regression_options,
    coefficient_prior,
    finish,
    load_data,
    noise_params,
    noise_sd,
    output_dir,
    print_convergence,
    scale_or_auto,
)


def _methods(text: str) -> list[str]:
    from ..estimators.linear_regression import METHODS  # at parse time: building the parser imports no JAX

    methods = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(METHODS)} (comma-separated); got {text!r}")
    return methods


def register(sub) -> None:
    p = sub.add_parser(
        "fit", help="fit a Bayesian linear regression (NUTS, exact or MAP)",
        description="y = Xw + eps with a Laplace (Bayesian lasso) or Normal (ridge) prior on w. "
                    "Prints the coefficient table; with several methods their estimates side by side.")
    add_regression_options(p, sigma_auto=True)
    p.add_argument("--tau", type=scale_or_auto, default="auto", metavar="T|auto",
                   help="prior scale of w: 'auto' is 2.5 sd(y) / sd(x_j) per feature, as rstanarm's autoscale; "
                        "a number is one fixed scale. With --tau-prior it is that prior's scale.")
    p.add_argument("--tau-prior", choices=("halfcauchy", "halfnormal", "lasso-lambda"),
                   help="sample tau; lasso-lambda: 1/tau^2 = lambda^2 ~ Gamma(--lambda-gamma) (Park & Casella)")
    p.add_argument("--lambda-gamma", default="1,1.78", metavar="R,DELTA",
                   help="shape and rate of the Gamma prior on lambda^2 with --tau-prior lasso-lambda "
                        "(1,1.78: Park & Casella's choice for diabetes)")
    add_noise_options(p)
    p.add_argument("--scale-by-sigma", action="store_true",
                   help="w_j | sigma ~ Laplace(loc_j, sigma * tau) (Park & Casella)")
    p.add_argument("--method", type=_methods, default=None, metavar="M[,M]",
                   help="nuts, gibbs, map, exact, or several comma-separated (if not given: nuts,map; nuts for "
                        "the shrinkage priors)")
    p.add_argument("--save", metavar="DIR", type=output_dir,
                   help="save the fitted model (NUTS if run, else the first) to DIR")
    add_nuts_options(p, num_chains=2, dense_mass=True)
    add_output_options(p)
    p.set_defaults(run=run_fit)


def _number_pair(text: str, option: str, form: str) -> tuple[float, float]:
    """Two comma-separated numbers (a Gamma-family prior's concentration and rate)."""
    try:
        first, second = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"{option} must be two numbers {form}; got {text!r}.") from None
    return first, second


def run_fit(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..estimators.linear_regression import BayesianLinearRegression
    from ..priors import SHRINKAGE_PRIORS, HalfCauchy, HalfNormal, InverseGamma, Jeffreys, LassoLambda
    from ..tables import format_table

    prior = coefficient_prior(args)
    noise = noise_params(args)
    if noise and args.method is not None and {"exact", "gibbs"} & set(args.method):
        raise ValueError("--noise student-t has no exact or Gibbs form: use --method nuts and/or map.")
    if args.method is None:
        args.method = ["nuts"] if args.prior in SHRINKAGE_PRIORS else ["nuts", "map"]
    data = load_data(args)
    from .._validation import check_scales

    check_scales(data.X, data.y, data.feature_names)  # overflowing data: one line before any output
    if args.sigma_prior in ("halfnormal", "halfcauchy") and args.sigma in ("ols", "auto"):
        raise ValueError("with --sigma-prior, --sigma is the prior's scale: give it a number.")
    if args.tau_prior in ("halfnormal", "halfcauchy") and args.tau == "auto":
        raise ValueError("with --tau-prior, --tau is the prior's scale: give it a number.")
    sigma_value = "auto" if args.sigma == "auto" else noise_sd(args, data)
    priors = {"halfnormal": HalfNormal, "halfcauchy": HalfCauchy}
    if args.sigma_prior == "invgamma":
        sigma = InverseGamma(*_number_pair(args.sigma_ig, "--sigma-ig", "A,B"))
    elif args.sigma_prior == "jeffreys":
        sigma = Jeffreys()
    elif args.sigma_prior is None and sigma_value == "auto" and "gibbs" in args.method:
        raise ValueError("--method gibbs cannot sample the default --sigma auto: give --sigma a number, "
                         "--sigma ols, or --sigma-prior invgamma|jeffreys.")
    elif args.sigma_prior is None and sigma_value == "auto" and "exact" in args.method and args.prior == "normal":
        raise ValueError("--method exact needs a fixed sigma: give --sigma a number or --sigma ols.")
    else:
        sigma = priors[args.sigma_prior](sigma_value) if args.sigma_prior else sigma_value
    if args.tau_prior == "lasso-lambda":
        tau = LassoLambda(*_number_pair(args.lambda_gamma, "--lambda-gamma", "R,DELTA"))
    else:
        tau = priors[args.tau_prior](args.tau) if args.tau_prior else args.tau
    estimators = {method: BayesianLinearRegression(
        prior=prior, tau=tau, loc=args.loc, sigma=sigma, fit_intercept=args.fit_intercept,
        method=method, scale_by_sigma=args.scale_by_sigma, num_warmup=args.num_warmup,
        num_samples=args.num_samples, num_chains=args.num_chains, seed=args.seed,
        target_accept_prob=args.target_accept, dense_mass=args.dense_mass, progress=args.progress, **noise,
    ) for method in args.method}
    for est in estimators.values():
        # every method's settings are checked before anything is printed or fitted: an invalid
        # combination (e.g. exact with a Laplace prior) is one line, not an error after other fits' output
        est.validate()
    print(f"data: {data.source}; target {data.target_name}")
    print(f"model: {prior} prior, tau = {tau}, sigma = {sigma}, loc = {args.loc}, "
          f"intercept {'on' if args.fit_intercept else 'off'}"
          + (f", Student-t noise with nu {'= ' if isinstance(noise['nu'], float) else '~ '}{noise['nu']}" if noise
             else "") + "\n")
    X = pd.DataFrame(data.X, columns=data.feature_names)
    fits, columns = {}, {}
    for method, est in estimators.items():
        est.fit(X, data.y)
        fits[method] = est
        table = est.coef_table()
        label = {"nuts": "posterior mean (NUTS)", "gibbs": "posterior mean (Gibbs)",
                 "exact": "posterior mean (exact)", "map": "MAP"}[method]
        print(format_table(table, f"{label}: {len(table)} coefficients, intercept {est.intercept_:.4g}"))
        print(f"priors: {est.prior_summary()}")
        print()
        columns[label] = table["coef"]
        if est.fit_result_.has_draws:
            name = "NUTS" if method == "nuts" else "Gibbs"
            print_convergence(name, est.fit_result_.convergence(), est.fit_result_.num_draws)
            print()
    if len(columns) > 1:
        side = pd.DataFrame(columns)
        print(format_table(side, "Side by side"))
        print()
    results = {
        "data": {"source": data.source, "n_samples": int(data.X.shape[0]),
                 "n_features": int(data.X.shape[1]), "target": data.target_name},
        "model": {"prior": args.prior, "prior_args": str(prior), "tau": str(tau), "sigma": str(sigma),
                  "sigma_value": sigma_value, "fit_intercept": args.fit_intercept,
                  "noise": noise.get("noise", "normal"), "nu": str(noise["nu"]) if noise else None},
        "fits": {m: {"coef": dict(zip(data.feature_names, est.coef_, strict=True)),
                     "intercept": est.intercept_, "r2_train": est.score(X, data.y),
                     "priors": _priors_json(est), "prior_summary": est.prior_summary(),
                     "table": est.coef_table().reset_index().to_dict(orient="records"),
                     **({"convergence": est.fit_result_.convergence()} if est.fit_result_.has_draws else {})}
                 for m, est in fits.items()},
    }
    if args.save:
        chosen = fits.get("nuts") or fits.get("gibbs") or next(iter(fits.values()))
        path = chosen.save(args.save)
        print(f"saved {chosen.method} fit to {path}")
        results["saved"] = str(path)
    return finish(args, results, _fit_figures(args, fits, data))


def _priors_json(est) -> dict:
    """``est.priors_`` as JSON: priors as their family and parameters, per-feature tau by name."""
    from ..priors import PRIOR_TYPES, prior_to_json

    out = {}
    for name, value in est.priors_.items():
        if isinstance(value, PRIOR_TYPES):
            value = {"prior": repr(value), **prior_to_json(value)}
        elif isinstance(value, np.ndarray) and value.shape == (est.n_features_in_,):
            value = dict(zip(map(str, est.feature_names_in_), value.tolist(), strict=True))
        out[name] = value
    return out


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
        var_names = [v for v in ("w", "sigma", "tau", "lambda", "nu") if v in idata.posterior]
        figures["trace"] = plot("trace", idata, var_names=var_names)
        figures["rank"] = plot("rank", idata, var_names=["w"])
        figures["forest"] = plot("forest", idata, var_names=["w"], combined=True, hdi_prob=0.95)
        figures["posterior_predictive"] = plot("ppc", idata, num_pp_samples=100)
    for fig in figures.values():
        fig.tight_layout()
    return figures
