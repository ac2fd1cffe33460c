"""Losses with ``forward(output, target) -> float`` and ``backward() -> dL/d(output)``.

All are stable for large inputs: softmax through log-sum-exp, the binary cross-entropy
from the logit (the sigmoid is applied inside), so no overflow and no log(0).
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum")


def _check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}.")
    return reduction


class SoftmaxCrossEntropy:
    """Cross-entropy of softmax(logits) against integer labels 0..K-1.

    L = -log softmax(z)_y per example, averaged over the batch (``reduction="mean"``,
    default) or summed. dL/dz = softmax(z) - onehot(y), divided by the batch size for
    the mean.
    """

    classification = True

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = _check_reduction(reduction)

    def forward(self, logits, labels) -> float:
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - log_norm
        self._p = np.exp(log_p)
        self._labels = np.asarray(labels, dtype=np.int64)
        nll = -log_p[np.arange(len(self._labels)), self._labels]
        return float(nll.mean() if self.reduction == "mean" else nll.sum())

    def backward(self):
        g = self._p.copy()
        g[np.arange(len(self._labels)), self._labels] -= 1.0
        return g / len(self._labels) if self.reduction == "mean" else g

    def jax_value(self, logits, labels):
        import jax

        log_p = jax.nn.log_softmax(logits, axis=1)
        nll = -log_p[np.arange(len(labels)), labels]
        return nll.mean() if self.reduction == "mean" else nll.sum()

    @staticmethod
    def predict(output):
        return np.argmax(output, axis=1)

    def __repr__(self) -> str:
        return f"SoftmaxCrossEntropy(reduction={self.reduction!r})"


class BinaryCrossEntropy:
    """Binary cross-entropy of a sigmoid output, computed from the logit z (shape (batch, 1)).

    L = -[y log s(z) + (1 - y) log(1 - s(z))] = softplus(z) - y z, and dL/dz = s(z) - y:
    the familiar "y_hat - y" of a sigmoid output unit.
    """

    classification = True

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = _check_reduction(reduction)

    def forward(self, logits, labels) -> float:
        z = logits.reshape(-1)
        y = np.asarray(labels, dtype=z.dtype).reshape(-1)
        self._shape, self._y = logits.shape, y
        e = np.exp(-np.abs(z))  # the stable sigmoid: never exp of a large positive number
        self._s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        per = np.logaddexp(0.0, z) - y * z
        return float(per.mean() if self.reduction == "mean" else per.sum())

    def backward(self):
        g = (self._s - self._y).reshape(self._shape)
        return g / len(self._y) if self.reduction == "mean" else g

    def jax_value(self, logits, labels):
        import jax.numpy as jnp

        z = logits.reshape(-1)
        per = jnp.logaddexp(0.0, z) - labels * z
        return per.mean() if self.reduction == "mean" else per.sum()

    @staticmethod
    def predict(output):
        return (output.reshape(-1) > 0).astype(np.int64)

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(reduction={self.reduction!r})"


class SquaredError:
    """Squared error for regression, in one of three named conventions:

    * ``"half_sum"``: L = 1/2 sum (output - y)^2, dL/doutput = output - y;
    * ``"sum"``: L = sum (output - y)^2, dL/doutput = 2 (output - y);
    * ``"mean"``: L = mean (output - y)^2 over all entries (the usual "MSE").
    """

    classification = False
    CONVENTIONS = ("half_sum", "sum", "mean")

    def __init__(self, convention: str = "mean") -> None:
        if convention not in self.CONVENTIONS:
            raise ValueError(f"convention must be one of {self.CONVENTIONS}; got {convention!r}.")
        self.convention = convention

    def forward(self, output, target) -> float:
        self._diff = output - np.asarray(target, dtype=output.dtype).reshape(output.shape)
        sq = float(np.sum(self._diff**2))
        return {"half_sum": 0.5 * sq, "sum": sq, "mean": sq / self._diff.size}[self.convention]

    def backward(self):
        return {"half_sum": self._diff, "sum": 2.0 * self._diff,
                "mean": 2.0 * self._diff / self._diff.size}[self.convention]

    def jax_value(self, output, target):
        sq = ((output - target.reshape(output.shape)) ** 2).sum()
        return {"half_sum": 0.5 * sq, "sum": sq, "mean": sq / output.size}[self.convention]

    @staticmethod
    def predict(output):
        return output

    def __repr__(self) -> str:
        return f"SquaredError(convention={self.convention!r})"
