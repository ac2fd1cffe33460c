"""``bayesreg mlp``: train, experiment with and predict from the numpy MLP."""

from __future__ import annotations

import argparse

import numpy as np

from ._common import (
    PROGRESS_HELP,
    add_cluster_options,
    add_output_options,
    finish,
    fraction,
    input_file,
    nonnegative_float,
    nonnegative_int,
    output_file,
    positive_float,
    positive_int,
    study_runner,
    unit_interval,
    writing,
)


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="mnist5k", metavar="mnist5k|digits|FILE.csv",
                   help="5,000 MNIST digits, scikit-learn's 8x8 digits, or a CSV with a label "
                        "column and 784 pixel columns")
    p.add_argument("--val-size", type=fraction, default=0.2, help="validation fraction")
    p.add_argument("--test-size", type=unit_interval, default=0.0, help="test fraction (0: no test set)")
    p.add_argument("--scaling", choices=("centered", "unit", "standardize"), default="centered",
                   help="pixels: x/256 - 0.5 (centered), x/255 (unit), or per-pixel standardisation")


def _activation(text: str) -> str:
    """An activation name as ``make_activation`` takes it, checked when the command line is read."""
    from ..mlp.layers import make_activation

    try:
        make_activation(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("activation ").rstrip(".")) from None
    return text


def _add_network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layers", type=positive_int, default=2, help="linear layers")
    p.add_argument("--width", type=positive_int, default=16, help="hidden units")
    p.add_argument("--activation", type=_activation, default="sigmoid",
                   help="sigmoid, relu, tanh, identity, scaled_relu[:C]")
    p.add_argument("--step-size", type=positive_float, default=0.01, help="SGD learning rate")
    p.add_argument("--batch-size", type=positive_int, default=200, help="examples per SGD step")
    p.add_argument("--epochs", type=positive_int, default=200, help="passes over the training set")
    p.add_argument("--momentum", type=unit_interval, default=0.0, help="SGD momentum (0: plain SGD)")
    p.add_argument("--weight-decay", type=nonnegative_float, default=0.0, help="L2 penalty on the weights")
    p.add_argument("--dropout", type=unit_interval, default=0.0, help="dropout rate of the hidden units")
    p.add_argument("--residual", action="store_true", help="residual connections between hidden layers")
    p.add_argument("--seed", type=nonnegative_int, default=102, help="fixes initialisation, split and batch order")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=PROGRESS_HELP)


def register(sub) -> None:
    mlp = sub.add_parser("mlp", help="a backprop MLP in numpy: train, experiment, predict",
                         description="A multilayer perceptron written from scratch in numpy.")
    cmds = mlp.add_subparsers(dest="mlp_command", metavar="SUBCOMMAND", required=True)

    t = cmds.add_parser("train", help="train a network and plot its learning curves")
    _add_data_options(t)
    _add_network_options(t)
    t.add_argument("--save", metavar="PATH.npz", type=output_file, help="save the trained network")
    add_output_options(t)
    t.set_defaults(run=run_train)

    e = cmds.add_parser("experiment", help="sweep the step size, depth/activation or seed")
    e.add_argument("kind", choices=("step-size", "depth", "seeds", "regression"),
                   help="sweep the step size, depth and activation, or the seed; or fit sin(x) by activation")
    e.add_argument("--values", metavar="V,V,...", help="override the swept values (step sizes or seeds)")
    _add_data_options(e)
    _add_network_options(e)
    e.set_defaults(epochs=100)
    add_cluster_options(e)
    add_output_options(e)
    e.set_defaults(run=run_experiment)

    # no abbreviations here: --out (plots, which predict does not draw) must not silently mean --output
    q = cmds.add_parser("predict", help="predict digits for a CSV with a saved network", allow_abbrev=False)
    q.add_argument("--model", required=True, metavar="PATH.npz", type=input_file,
                   help="a network saved by 'bayesreg mlp train --save' or bayesreg.mlp.save_network")
    q.add_argument("--data", required=True, metavar="FILE.csv", help="784 pixel columns, optional id column")
    q.add_argument("--output", required=True, metavar="FILE.csv", type=output_file,
                   help="writes a CSV with header id,digit")
    q.add_argument("--scaling", choices=("centered", "unit"),
                   help="pixel scaling for a network saved without one (if not given: the one stored in "
                        "the model, else centered, the training scaling)")
    add_output_options(q, plots=False)  # predict draws no figure: no --out
    q.set_defaults(run=run_predict)


def _config(args) -> dict:
    return {"hidden_dim": args.width, "num_layers": args.layers, "activation": args.activation,
            "step_size": args.step_size, "batch_size": args.batch_size, "max_epochs": args.epochs,
            "seed": args.seed, "momentum": args.momentum, "weight_decay": args.weight_decay,
            "dropout": args.dropout, "residual": args.residual}


def _split(args):
    from ..mlp.data import load_split

    return load_split(args.data, n_val=args.val_size, n_test=args.test_size, seed=args.seed, scaling=args.scaling)


def run_train(args: argparse.Namespace) -> int:
    from ..mlp.experiments import train_config
    from ..mlp.losses import SoftmaxCrossEntropy
    from ..mlp.persistence import save_network
    from ..mlp.training import evaluate
    from ..tables import format_table

    split = _split(args)
    network, history = train_config(split, _config(args), progress=args.progress)
    if history.diverged:  # a network at chance accuracy is no result: say so before any output
        raise ValueError(history.message.replace("step size", "--step-size"))
    print(f"data: {split.source}; {len(split.y_train)} train, {len(split.y_val)} validation"
          + (f", {len(split.y_test)} test" if split.y_test is not None else ""))
    print(network)
    frame = history.to_frame()
    shown = frame.iloc[np.unique(np.linspace(0, len(frame) - 1, min(len(frame), 10)).astype(int))]
    print(format_table(shown, f"Learning curve ({len(frame)} epochs, {history.seconds:.1f} s)"))
    results = {"config": _config(args), "history": history.as_dict(), "final_val_acc": history.final_val_acc,
               "best_val_acc": history.best_val_acc}
    if split.y_test is not None:
        test_loss, test_acc = evaluate(network, SoftmaxCrossEntropy(), split.X_test, split.y_test)
        print(f"test accuracy: {test_acc:.4f}")
        results["test_acc"] = test_acc
    print(f"final validation accuracy: {history.final_val_acc:.4f} (best {history.best_val_acc:.4f})")
    if args.save:
        path = save_network(network, args.save, scaling=split.scaling,
                            metadata={"config": _config(args), "data": split.source,
                                      "final_val_acc": history.final_val_acc})
        print(f"saved network to {path}")
    figures = {}
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting import plot_learning_curves

        ax = plot_learning_curves(history, title=f"{args.layers} layers, width {args.width}, {args.activation}, "
                                                 f"step {args.step_size:g}")
        figures["learning_curves"] = ax.figure
    return finish(args, results, figures)


def run_experiment(args: argparse.Namespace) -> int:
    from ..mlp.experiments import regression_experiment, summarize
    from ..mlp.experiments import run_experiment as run
    from ..tables import format_table

    figures = {}
    if args.kind == "regression" and (args.workers or args.scheduler or args.resume):
        raise ValueError("--workers, --scheduler and --resume apply to the step-size, depth and seeds experiments.")
    if args.kind == "regression":
        table, fits = regression_experiment(seed=args.seed, max_epochs=args.epochs if args.epochs != 100 else 300)
        print(format_table(table, "Fitting sin(x) on [-pi, pi] with MSE: test MSE by activation"))
        if args.out is not None:
            figures["regression"] = _regression_figure(fits)
        return finish(args, {"kind": "regression", "table": table.reset_index().to_dict(orient="records")},
                      figures)
    values = None
    if args.values:
        try:
            values = [float(v) if args.kind != "seeds" else int(v) for v in args.values.split(",")]
        except ValueError:
            raise ValueError(f"--values must be numbers separated by commas; got {args.values!r}.") from None
    split = _split(args)
    with study_runner(args, f"experiment_{args.kind}") as where:
        runs = run(args.kind, split, base=_config(args), values=values, progress=args.progress, **where)
    table = summarize(runs)
    print(format_table(table, f"Experiment {args.kind}: {len(runs)} runs, {args.epochs} epochs each"))
    for r in runs:
        if r.history.diverged:
            print(f"{r.label}: {r.history.message}")
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting import plot_experiment

        figures[f"experiment_{args.kind}"] = plot_experiment(runs)
    results = {"kind": args.kind, "summary": table.reset_index().to_dict(orient="records"),
               "runs": [{"label": r.label, "config": r.config, "history": r.history.as_dict()} for r in runs]}
    return finish(args, results, figures)


def _regression_figure(fits):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    first = next(iter(fits.values()))
    ax.plot(first[0], np.sin(first[0]), color="k", lw=3, alpha=0.3, label="sin(x)")
    for name, (x, pred, _) in fits.items():
        ax.plot(x, pred, label=name)
    ax.set_xlabel("x")
    ax.legend()
    ax.set_title("MLP fits of sin(x) by activation")
    return fig


def run_predict(args: argparse.Namespace) -> int:
    import sys

    from ..io import atomic_write_text
    from ..mlp.data import Scaler, read_digits_csv
    from ..mlp.persistence import load_network, scaler_from_metadata

    network, meta = load_network(args.model)
    if network.architecture["input_dim"] != 784 or network.architecture["output_dim"] != 10:
        raise ValueError(f"{args.model} is a {network.architecture['input_dim']}-input, "
                         f"{network.architecture['output_dim']}-output network; predicting 28x28 digits "
                         "needs 784 inputs and 10 outputs.")
    scaler = scaler_from_metadata(meta, args.model)
    if scaler is not None and args.scaling is not None and args.scaling != scaler.kind:
        raise ValueError(f"--scaling {args.scaling} contradicts the scaling stored in {args.model} "
                         f"({scaler.kind}); leave --scaling out.")
    ids, _, pixels = read_digits_csv(args.data, labelled=False)
    if scaler is None:
        scaler = Scaler(args.scaling or "centered")
        if args.scaling is None:
            print(f"note: {args.model} stores no pixel scaling; using 'centered' (x/256 - 0.5), the training "
                  "default (pass --scaling unit for x/255).", file=sys.stderr)
    digits = np.argmax(network.predict_output(scaler.transform(pixels, network.dtype)), axis=1)
    ids = np.arange(len(digits)) if ids is None else ids
    with writing("--output", args.output):
        atomic_write_text(args.output, "id,digit\n" + "".join(f"{i},{d}\n" for i, d in zip(ids, digits, strict=True)))
    counts = np.bincount(digits, minlength=10)
    print(f"predicted {len(digits)} digits -> {args.output}; counts by digit: {counts.tolist()}")
    return finish(args, {"model": str(args.model), "data": str(args.data), "output": str(args.output),
                         "scaling": scaler.kind, "n": len(digits), "counts": counts.tolist()}, {})
