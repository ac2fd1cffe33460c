"""Experiments that sweep one setting and compare learning curves.

* ``step-size``: the same network trained with very different step sizes (tiny ones crawl,
  huge ones diverge);
* ``depth``: 2 against 5 layers, Sigmoid against ReLU, at step sizes 0.01 and 0.1
  (deep sigmoid networks learn slowly: their gradients shrink layer by layer);
* ``seeds``: one configuration under five seeds: how much is luck?
* :func:`regression_experiment`: a 1-D function fitted with MSE and different activations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..runner import Cell, run_cells
from .losses import SoftmaxCrossEntropy, SquaredError
from .network import FeedForwardNetwork
from .training import History, evaluate, train

KINDS = ("step-size", "depth", "seeds")
DEFAULTS = dict(hidden_dim=16, num_layers=2, activation="sigmoid", step_size=0.01, batch_size=200,
                max_epochs=200, seed=102)


@dataclass
class Run:
    label: str
    config: dict
    history: History = field(repr=False)


def train_config(split, config: dict, *, progress: bool | None = False) -> tuple[FeedForwardNetwork, History]:
    """Build and train one network on a :class:`~bayesreg.mlp.data.Split`."""
    cfg = {**DEFAULTS, **config}
    net_seed, batch_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(cfg["seed"]).spawn(2))
    network = FeedForwardNetwork(split.X_train.shape[1], int(split.y_train.max()) + 1, cfg["hidden_dim"],
                                 cfg["num_layers"], cfg["activation"], seed=net_seed,
                                 dropout=cfg.get("dropout", 0.0), residual=cfg.get("residual", False))
    history = train(network, SoftmaxCrossEntropy(), split.X_train, split.y_train, X_val=split.X_val,
                    y_val=split.y_val, step_size=cfg["step_size"], batch_size=cfg["batch_size"],
                    max_epochs=cfg["max_epochs"], seed=batch_seed, momentum=cfg.get("momentum", 0.0),
                    weight_decay=cfg.get("weight_decay", 0.0), progress=progress)
    history.settings.update({k: cfg[k] for k in ("hidden_dim", "num_layers", "activation")})
    return network, history


def configurations(kind: str, base: dict | None = None, *, values=None) -> list[tuple[str, dict]]:
    """(label, config) pairs for an experiment; ``values`` overrides the swept values."""
    base = {**DEFAULTS, **(base or {})}
    if kind == "step-size":
        return [(f"step {s:g}", {**base, "step_size": s}) for s in (values or (1e-4, 1e-2, 5.0, 10.0))]
    if kind == "depth":
        steps = values or (0.01, 0.1)
        return [(f"{layers} layers, {act}, step {s:g}", {**base, "num_layers": layers, "activation": act,
                                                         "step_size": s})
                for layers in (2, 5) for act in ("sigmoid", "relu") for s in steps]
    if kind == "seeds":
        return [(f"seed {s}", {**base, "seed": s}) for s in (values or range(5))]
    raise ValueError(f"experiment must be one of {KINDS}; got {kind!r}.")


def train_cell(split, config: dict) -> dict:
    """One run of an experiment as tables (a cell of :func:`bayesreg.runner.run_cells`): the
    learning curves, and the rest of its :class:`History` as JSON values."""
    _, history = train_config(split, config, progress=False)
    curves = pd.DataFrame({k: getattr(history, k) for k in ("epoch", "train_loss", "val_loss", "train_acc", "val_acc")
                           if getattr(history, k)})
    return {"curves": curves, "diverged": bool(history.diverged), "message": history.message,
            "seconds": float(history.seconds), "settings": history.settings}


def _history(parts: dict) -> History:
    curves = parts["curves"]
    return History(**{k: curves[k].tolist() for k in curves.columns}, diverged=parts["diverged"],
                   message=parts["message"], seconds=parts["seconds"], settings=dict(parts["settings"]))


def run_experiment(kind: str, split, *, base: dict | None = None, values=None, progress: bool | None = None,
                   workers: int | None = None, client=None, checkpoint=None, resume: bool = False) -> list[Run]:
    """Train every configuration of experiment ``kind``; each run is one cell of
    :func:`bayesreg.runner.run_cells` (in-process by default, on a new ``LocalCluster`` of ``workers``
    processes or on ``client``, which get ``split`` once; ``checkpoint`` and ``resume`` as there).
    Every run is seeded by its configuration, so the curves do not depend on where it ran."""
    configs = configurations(kind, base, values=values)
    cells = [Cell(label, train_cell, {"config": cfg}) for label, cfg in configs]
    study = {"study": f"mlp experiment {kind}", "configs": dict(configs), "data": split.source,
             "scaling": split.scaling, "sizes": [len(split.y_train), len(split.y_val)]}
    results = run_cells(cells, workers=workers, client=client, checkpoint=checkpoint, study=study, resume=resume,
                        shared={"split": split}, progress=progress, desc=f"experiment {kind}")
    return [Run(label, cfg, _history(results[label])) for label, cfg in configs]


def summarize(runs: list[Run]) -> pd.DataFrame:
    """Final and best validation accuracy, divergence and time of each run; for several
    seeds of one configuration also their mean and standard deviation."""
    rows = [{"run": r.label, "final_val_acc": r.history.final_val_acc, "best_val_acc": r.history.best_val_acc,
             "diverged": r.history.diverged, "epochs": len(r.history.epoch), "seconds": r.history.seconds}
            for r in runs]
    table = pd.DataFrame(rows).set_index("run")
    if runs and all(r.label.startswith("seed ") for r in runs) and len(runs) > 1:
        acc = table["final_val_acc"]
        table.loc["mean"] = [acc.mean(), table["best_val_acc"].mean(), bool(table["diverged"].any()),
                             table["epochs"].mean(), table["seconds"].mean()]
        table.loc["sd"] = [acc.std(ddof=1), table["best_val_acc"].std(ddof=1), False, np.nan, np.nan]
    return table


def regression_experiment(activations=("relu", "tanh", "identity"), *, n_train: int = 400, n_test: int = 400,
                          hidden_dim: int = 32, num_layers: int = 3, step_size: float = 0.02,
                          max_epochs: int = 300, noise: float = 0.1, init: str = "xavier", seed: int = 0):
    """Fit y = sin(x) + noise on [-pi, pi] with MSE; returns (table of test MSE, fits).

    ``fits`` maps each activation to (x grid, predictions, history) for plotting.
    """
    rng = np.random.default_rng(seed)
    x_train = rng.uniform(-np.pi, np.pi, size=(n_train, 1))
    y_train = np.sin(x_train) + noise * rng.standard_normal((n_train, 1))
    x_test = rng.uniform(-np.pi, np.pi, size=(n_test, 1))
    y_test = np.sin(x_test)
    grid = np.linspace(-np.pi, np.pi, 200)[:, None]
    rows, fits = [], {}
    for act in activations:
        net = FeedForwardNetwork(1, 1, hidden_dim, num_layers, act, seed=seed, init=init, bias=0.0,
                                 dtype=np.float64)
        loss = SquaredError("mean")
        history = train(net, loss, x_train, y_train, X_val=x_test, y_val=y_test, step_size=step_size,
                        batch_size=32, max_epochs=max_epochs, seed=seed, progress=False)
        test_mse, _ = evaluate(net, loss, x_test, y_test)
        rows.append({"activation": act, "test_mse": test_mse, "diverged": history.diverged})
        fits[act] = (grid.ravel(), net.predict_output(grid).ravel(), history)
    return pd.DataFrame(rows).set_index("activation"), fits
