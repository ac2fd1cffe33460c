"""``bayesreg gaussian-mean``: closed form, NUTS and MAP for the mean of Normal data."""

from __future__ import annotations

import argparse

import numpy as np

from ._common import (
    SEED_HELP,
    add_nuts_options,
    add_output_options,
    finish,
    finite_float,
    fraction,
    nonnegative_int,
    positive_float,
    positive_int,
    print_convergence,
)

METHODS = ("closed-form", "nuts", "map", "all")


def register(sub) -> None:
    p = sub.add_parser(
        "gaussian-mean",
        help="posterior, MLE, MAP and predictives for the mean of Normal data",
        description=(
            "Model x = mu + eps, eps ~ N(0, sigma^2), prior mu ~ N(loc, tau^2). Prints the "
            "estimates of mu and compares the MLE plug-in, MAP plug-in and posterior "
            "predictive distributions on held-out points."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="FILE", help="one number per line, or a one-column CSV")
    src.add_argument("--simulate", metavar="N", type=positive_int,
                     help="simulate N points from N(mu-true, sigma^2)")
    p.add_argument("--mu-true", type=finite_float, default=1.0, help="true mu for --simulate")
    p.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP)
    p.add_argument("--sigma", type=positive_float, default=1.0, help="noise sd (known)")
    p.add_argument("--tau", type=positive_float, default=1.0, help="prior sd of mu")
    p.add_argument("--loc", type=finite_float, default=0.0, help="prior mean of mu")
    p.add_argument("--method", choices=METHODS, default="all", help="which estimates of mu to compute")
    p.add_argument("--n-test", type=positive_int, default=1000,
                   help="held-out points simulated with --simulate")
    p.add_argument("--test-size", type=fraction, default=0.25,
                   help="fraction of --data held out for the predictive comparison")
    p.add_argument("--level", type=fraction, default=0.95, help="interval level")
    add_nuts_options(p)
    add_output_options(p)
    p.set_defaults(run=run)


def _split(x: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n_test = int(round(test_size * x.size))
    if x.size < 3 or n_test < 1 or n_test >= x.size:
        raise ValueError(
            f"--data has {x.size} value(s): too few to hold out a fraction {test_size} "
            "for the predictive comparison; need at least 3."
        )
    from ..datasets import shuffled_split

    test, train = shuffled_split(x.size, [n_test], seed=seed)
    return x[train], x[test]


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..datasets import simulate_gaussian_mean
    from ..estimators.gaussian_mean import GaussianMean
    from ..io import read_numbers
    from ..predictive import compare_predictives
    from ..tables import format_table

    model = GaussianMean(sigma=args.sigma, tau=args.tau, loc=args.loc)
    if args.data is not None:
        x_train, x_test = _split(read_numbers(args.data, name="--data"), args.test_size, args.seed)
        source = f"{args.data}: {x_train.size} points fitted, {x_test.size} held out"
    else:
        x_train = simulate_gaussian_mean(args.simulate, mu=args.mu_true, sigma=args.sigma,
                                         seed=args.seed)
        x_test = simulate_gaussian_mean(args.n_test, mu=args.mu_true, sigma=args.sigma,
                                        seed=args.seed + 1)
        source = (f"simulated: {x_train.size} points from N({args.mu_true:g}, {args.sigma:g}^2), "
                  f"{x_test.size} held out")
    print(f"{model}\ndata: {source}\n")

    level = args.level
    methods = METHODS[:-1] if args.method == "all" else (args.method,)
    rows = [{"estimate": "MLE (sample mean)", "mean": model.mle(x_train)}]
    post = model.posterior(x_train)
    if "closed-form" in methods:
        rows.append({"estimate": "MAP (closed form)", "mean": model.map(x_train)})
        lo, hi = post.interval(level)
        rows.append({"estimate": "posterior (closed form)", "mean": post.mean, "sd": post.std,
                     "lower": lo, "upper": hi})
    results: dict = {"model": {"sigma": model.sigma, "tau": model.tau, "loc": model.loc},
                     "data": {"source": source, "n_train": x_train.size, "n_test": x_test.size}}
    fit = None
    if "map" in methods:
        est = model.find_map(x_train)
        rows.append({"estimate": "MAP (L-BFGS on NumPyro)", "mean": float(est["mu"])})
        results["map_optimiser"] = {"converged": est.converged, "iterations": est.num_iterations,
                                    "grad_norm": est.grad_norm, "message": est.message}
    if "nuts" in methods:
        fit = model.sample(x_train, num_warmup=args.num_warmup, num_samples=args.num_samples,
                           num_chains=args.num_chains, seed=args.seed,
                           target_accept_prob=args.target_accept, progress=args.progress)
        mu = fit.draws("mu").ravel()
        tail = (1 - level) / 2
        summary = fit.summary()
        rows.append({"estimate": "posterior (NUTS)", "mean": mu.mean(), "sd": mu.std(ddof=1),
                     "lower": np.quantile(mu, tail), "upper": np.quantile(mu, 1 - tail),
                     "mcse": summary.loc["mu", "mcse_mean"], "ess_bulk": summary.loc["mu", "ess_bulk"],
                     "r_hat": summary.loc["mu", "r_hat"]})
        results["nuts"] = {"chains": fit.num_chains, "draws": fit.num_draws, **fit.convergence()}
    estimates = pd.DataFrame(rows).set_index("estimate")
    print(format_table(estimates, f"Estimates of mu ({level:.0%} intervals)"))
    if fit is not None:
        print_convergence("NUTS", results["nuts"], fit.num_draws)
    comparison = compare_predictives(model, x_train, x_test, level=level)
    print()
    print(format_table(comparison, f"Predictive distributions on {x_test.size} held-out points"))
    results["estimates"] = estimates.reset_index().to_dict(orient="records")
    results["predictives"] = comparison.reset_index().to_dict(orient="records")
    return finish(args, results, _figures(args, model, x_train, x_test, fit))


def _figures(args, model, x_train, x_test, fit) -> dict:
    if args.out is None:
        return {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_posterior_mu, plot_predictives

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    plot_posterior_mu(model, x_train, fit=fit, ax=ax1)
    plot_predictives(model, x_train, x_test=x_test, ax=ax2)
    fig.tight_layout()
    figures = {"gaussian_mean": fig}
    if fit is not None:
        from ..inference_data import plot

        figures["gaussian_mean_trace"] = plot("trace", fit.idata, var_names=["mu"], compact=False)
    return figures
