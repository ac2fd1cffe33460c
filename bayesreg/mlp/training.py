"""Minibatch stochastic gradient descent with a per-epoch history.

Training never crashes on a bad configuration: numpy's floating-point warnings are
silenced inside the loop. Training stops as diverged when the loss becomes NaN or infinite,
or when an epoch ends with the training loss more than ``DIVERGENCE_FACTOR`` times the
untrained network's (a step size far too large can keep the loss finite but huge, at chance
accuracy). The history up to then is kept, with a message and a smaller step size to try.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import _progress
from .._validation import check_int, check_seed

DIVERGENCE_FACTOR = 10.0  # training loss above this multiple of the untrained loss: diverged


def suggest_step_size(step_size: float) -> float:
    """A step size to try after ``step_size`` diverged: a tenth of it, and at most 0.01 (the
    default, which trains the default networks), so that 1e6 does not suggest 1e5."""
    return min(step_size / 10.0, 0.01)


@dataclass
class History:
    """Per-epoch training and validation loss (and accuracy for classification)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    diverged: bool = False
    message: str = ""
    initial_loss: float = float("nan")
    suggested_step_size: float | None = None
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    def to_frame(self):
        import pandas as pd

        data = {"epoch": self.epoch, "train_loss": self.train_loss}
        for name in ("val_loss", "train_acc", "val_acc"):
            values = getattr(self, name)
            if values:
                data[name] = values
        return pd.DataFrame(data).set_index("epoch")

    @property
    def best_val_acc(self) -> float:
        finite = [a for a in self.val_acc if np.isfinite(a)]
        return max(finite) if finite else float("nan")

    @property
    def final_val_acc(self) -> float:
        return self.val_acc[-1] if self.val_acc else float("nan")

    def as_dict(self) -> dict:
        return {"epoch": self.epoch, "train_loss": self.train_loss, "val_loss": self.val_loss,
                "train_acc": self.train_acc, "val_acc": self.val_acc, "diverged": self.diverged,
                "message": self.message, "initial_loss": self.initial_loss,
                "suggested_step_size": self.suggested_step_size, "seconds": self.seconds, "settings": self.settings}


def evaluate(network, loss, X, y, batch_size: int = 4096) -> tuple[float, float]:
    """(loss, accuracy) on a data set in evaluation mode; accuracy is NaN for regression."""
    with np.errstate(all="ignore"):
        out = network.predict_output(X, batch_size=batch_size)
        value = loss.forward(out, y)
    acc = float(np.mean(loss.predict(out) == np.asarray(y))) if loss.classification else float("nan")
    return float(value), acc


def train(network, loss, X, y, *, X_val=None, y_val=None, step_size: float = 0.01, batch_size: int = 200,
          max_epochs: int = 100, seed: int = 0, momentum: float = 0.0, weight_decay: float = 0.0,
          progress: bool | None = None, desc: str = "training") -> History:
    """Train ``network`` in place by minibatch SGD; returns the :class:`History`.

    ``seed`` fixes the order of the minibatches (the network's own seed fixes its
    initialisation), so the same seeds give the same curves.
    """
    if not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a finite number > 0; got {step_size!r}.")
    batch_size = check_int(batch_size, "batch_size")
    max_epochs = check_int(max_epochs, "max_epochs")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0; got {weight_decay!r}.")
    X = np.ascontiguousarray(X, dtype=network.dtype)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
    has_val = X_val is not None and y_val is not None
    if has_val:
        X_val = np.ascontiguousarray(X_val, dtype=network.dtype)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    history = History(settings={"step_size": step_size, "batch_size": batch_size, "max_epochs": max_epochs,
                                "seed": seed, "momentum": momentum, "weight_decay": weight_decay})
    start = time.perf_counter()
    n = len(X)
    history.initial_loss = evaluate(network, loss, X, y)[0]
    limit = DIVERGENCE_FACTOR * history.initial_loss if history.initial_loss > 0 else np.inf
    with _progress.bar(max_epochs, desc, enabled=_progress.resolve(progress), unit="epoch") as bar, \
            np.errstate(all="ignore"):
        for epoch in range(1, max_epochs + 1):
            network.train()
            order = rng.permutation(n)
            finite = True
            for i in range(0, n, batch_size):
                idx = order[i:i + batch_size]
                out = network.forward(X[idx])
                value = loss.forward(out, y[idx])
                if not np.isfinite(value):
                    finite = False
                    break
                network.backward(loss.backward())
                network.step(step_size, momentum=momentum, weight_decay=weight_decay)
            train_loss, train_acc = evaluate(network, loss, X, y)
            finite = finite and np.isfinite(train_loss)
            history.epoch.append(epoch)
            history.train_loss.append(train_loss)
            history.train_acc.append(train_acc)
            if has_val:
                val_loss, val_acc = evaluate(network, loss, X_val, y_val)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
            bar.update(1)
            if has_val and loss.classification:
                bar.set_postfix(loss=f"{train_loss:.4g}", val_acc=f"{history.val_acc[-1]:.3f}")
            if not finite or train_loss > limit:
                suggested = suggest_step_size(step_size)
                what = ("the loss became NaN or infinite" if not finite else
                        f"the training loss rose from {history.initial_loss:.3g} to {train_loss:.3g}, more than "
                        f"{DIVERGENCE_FACTOR:g} times its start")
                history.diverged, history.suggested_step_size = True, suggested
                history.message = (f"training diverged at epoch {epoch}: {what}, with step size {step_size:g}; "
                                   f"try a smaller step size (e.g. {suggested:g}).")
                break
    history.seconds = time.perf_counter() - start
    return history
