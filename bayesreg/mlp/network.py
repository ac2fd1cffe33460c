"""A feed-forward network: a list of layers, run forwards and backwards."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_seed
from .layers import Dropout, Layer, Linear, Residual, make_activation


class FeedForwardNetwork:
    """input -> hidden -> ... -> hidden -> output, with an activation between linear layers.

    ``num_layers`` counts the linear layers: 1 is a single linear map (no activation);
    otherwise input -> hidden, (num_layers - 2) hidden -> hidden, hidden -> output. The
    output is raw (logits or regression values); the loss supplies softmax or sigmoid.

    Parameters
    ----------
    input_dim, output_dim, hidden_dim, num_layers : int
    activation : str, default="sigmoid"
        "sigmoid", "relu", "tanh", "identity", "scaled_relu" or "scaled_relu:C".
    seed : int, default=0
        Fixes the initial weights (and dropout masks).
    init : {"he", "xavier", "zeros"}, default="he"; bias : float, default=0.5
    dropout : float, default=0.0
        Dropout rate after each hidden activation (training only).
    residual : bool, default=False
        Wrap each hidden -> hidden layer and its activation as x + f(x).
    dtype : default=np.float32
        float32 trains at full matrix-multiply speed; gradient checks use float64.
    """

    def __init__(self, input_dim: int, output_dim: int, hidden_dim: int = 16, num_layers: int = 2,
                 activation: str = "sigmoid", *, seed: int = 0, init: str = "he", bias: float = 0.5,
                 dropout: float = 0.0, residual: bool = False, dtype=np.float32) -> None:
        self.architecture = {
            "input_dim": check_int(input_dim, "input_dim"),
            "output_dim": check_int(output_dim, "output_dim"),
            "hidden_dim": check_int(hidden_dim, "hidden_dim"),
            "num_layers": check_int(num_layers, "num_layers"),
            "activation": str(activation),
            "init": init, "bias": float(bias), "dropout": float(dropout), "residual": bool(residual),
            "dtype": np.dtype(dtype).name,
        }
        make_activation(activation)  # validate the name early
        rng_init, rng_dropout = (np.random.default_rng(s) for s in np.random.SeedSequence(check_seed(seed)).spawn(2))
        self.dtype = np.dtype(dtype)
        widths = [input_dim] + [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            linear = Linear(n_in, n_out, rng=rng_init, init=init, bias=bias, dtype=self.dtype,
                            needs_input_grad=i > 0)
            last = i == num_layers - 1
            block: list[Layer] = [linear]
            if not last:
                block.append(make_activation(activation))
                if dropout:
                    block.append(Dropout(dropout, rng=rng_dropout))
            if residual and not last and i > 0 and n_in == n_out:
                self.layers.append(Residual(block))
            else:
                self.layers.extend(block)

    # ---------------------------------------------------------------- the three verbs
    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, g):
        for layer in reversed(self.layers):
            g = layer.backward(g)
            if g is None:  # the first linear layer skips dL/dX: nothing below needs it
                break
        return g

    def step(self, step_size: float, *, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        for layer in self.layers:
            layer.step(step_size, momentum=momentum, weight_decay=weight_decay)

    # ---------------------------------------------------------------- modes and access
    def train(self) -> FeedForwardNetwork:
        for layer in self._all_layers():
            layer.training = True
        return self

    def eval(self) -> FeedForwardNetwork:
        for layer in self._all_layers():
            layer.training = False
        return self

    def predict_output(self, X, batch_size: int = 4096):
        """Forward pass in evaluation mode, in batches (no dropout)."""
        training = [layer.training for layer in self._all_layers()]
        self.eval()
        X = np.asarray(X, dtype=self.dtype)
        with np.errstate(all="ignore"):  # a diverged network yields inf/NaN, reported by the caller
            out = np.concatenate([self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])
        for layer, mode in zip(self._all_layers(), training, strict=True):
            layer.training = mode
        return out

    def _all_layers(self):
        for layer in self.layers:
            yield layer
            if isinstance(layer, Residual):
                yield from layer.block

    def linear_layers(self) -> list[Linear]:
        return [layer for layer in self._all_layers() if isinstance(layer, Linear)]

    def get_weights(self) -> list[dict[str, np.ndarray]]:
        return [{"W": lin.W, "b": lin.b} for lin in self.linear_layers()]

    def set_weights(self, weights) -> None:
        linears = self.linear_layers()
        if len(weights) != len(linears):
            raise ValueError(f"expected weights for {len(linears)} linear layers; got {len(weights)}.")
        for i, (lin, w) in enumerate(zip(linears, weights, strict=True)):
            for name in ("W", "b"):
                new = np.asarray(w[name])
                if new.shape != getattr(lin, name).shape:
                    raise ValueError(f"layer {i} {name}: expected shape {getattr(lin, name).shape}, got {new.shape}.")
                setattr(lin, name, new.astype(self.dtype))

    def jax_params(self):
        """Parameters as a pytree matching ``jax_forward`` (float64 copies)."""
        import jax.numpy as jnp

        def one(layer):
            if isinstance(layer, Residual):
                return [one(inner) for inner in layer.block]
            return {k: jnp.asarray(v, dtype=jnp.float64) for k, v in layer.get_params().items()}

        return [one(layer) for layer in self.layers]

    def jax_forward(self, params, x):
        for layer, p in zip(self.layers, params, strict=True):
            x = layer.jax_forward(p, x)
        return x

    def num_parameters(self) -> int:
        return int(sum(lin.W.size + lin.b.size for lin in self.linear_layers()))

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"FeedForwardNetwork(\n  {inner}\n)  # {self.num_parameters():,} parameters"
