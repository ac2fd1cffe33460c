"""Layers with three verbs: ``forward(x)``, ``backward(g) -> dL/dx``, ``step(step_size)``.

Batches are row-major: x has shape (batch, features). ``backward`` takes g = dL/d(output)
and returns dL/d(input); layers with parameters keep their gradients (``gW``, ``gb``)
until the next ``backward``. Every layer also has ``jax_forward(params, x)``, the same
computation in ``jax.numpy``, used only to check the hand-written gradients.
"""

from __future__ import annotations

import numpy as np

INITS = ("he", "xavier", "zeros")


class Layer:
    """Base class: no parameters, ``step`` does nothing."""

    params: tuple[str, ...] = ()
    training = True

    def forward(self, x):
        raise NotImplementedError

    def backward(self, g):
        raise NotImplementedError

    def step(self, step_size: float, *, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        return None

    def jax_forward(self, params, x):
        raise NotImplementedError

    def get_params(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.params}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Affine map Z = X W + b.

    Gradients (G = dL/dZ): dL/dW = X^T G, dL/db = column sums of G, dL/dX = G W^T.
    Default initialisation W ~ N(0, 2 / input_dim) (He) and b = 0.5; ``init="xavier"``
    gives N(0, 2 / (input_dim + output_dim)), ``init="zeros"`` zeros.
    """

    params = ("W", "b")

    def __init__(self, input_dim: int, output_dim: int, *, rng: np.random.Generator,
                 init: str = "he", bias: float = 0.5, dtype=np.float64,
                 needs_input_grad: bool = True) -> None:
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {init!r}.")
        scale = {"he": np.sqrt(2.0 / input_dim), "xavier": np.sqrt(2.0 / (input_dim + output_dim)),
                 "zeros": 0.0}[init]
        self.W = (rng.standard_normal((input_dim, output_dim)) * scale).astype(dtype)
        self.b = np.full((1, output_dim), bias, dtype=dtype)
        self.gW, self.gb = np.zeros_like(self.W), np.zeros_like(self.b)
        self._vW, self._vb = None, None  # momentum buffers, created on first use
        self.needs_input_grad = needs_input_grad  # the first layer's dL/dX is never used
        self._x = None

    def forward(self, x):
        self._x = x
        return x @ self.W + self.b

    def backward(self, g):
        if self._x is None:
            raise RuntimeError("Linear.backward() called before forward()")
        self.gW = self._x.T @ g
        self.gb = g.sum(axis=0, keepdims=True)
        return g @ self.W.T if self.needs_input_grad else None

    def step(self, step_size: float, *, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        gW, gb = self.gW, self.gb
        if weight_decay:
            gW = gW + weight_decay * self.W  # L2 penalty (weight_decay / 2) ||W||^2; biases not decayed
        if momentum:
            if self._vW is None:
                self._vW, self._vb = np.zeros_like(self.W), np.zeros_like(self.b)
            self._vW *= momentum
            self._vW += gW
            self._vb *= momentum
            self._vb += gb
            gW, gb = self._vW, self._vb
        self.W -= step_size * gW
        self.b -= step_size * gb

    def jax_forward(self, params, x):
        return x @ params["W"] + params["b"]

    @property
    def input_dim(self) -> int:
        return self.W.shape[0]

    @property
    def output_dim(self) -> int:
        return self.W.shape[1]

    def __repr__(self) -> str:
        return f"Linear({self.input_dim} -> {self.output_dim})"


class Sigmoid(Layer):
    """s(z) = 1 / (1 + exp(-z)); s' = s (1 - s). Computed from exp(-|z|): no overflow."""

    def forward(self, x):
        e = np.exp(-np.abs(x))
        self._y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        return self._y

    def backward(self, g):
        return g * self._y * (1.0 - self._y)

    def jax_forward(self, params, x):
        import jax

        return jax.nn.sigmoid(x)


class Tanh(Layer):
    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, g):
        return g * (1.0 - self._y**2)

    def jax_forward(self, params, x):
        import jax.numpy as jnp

        return jnp.tanh(x)


class ReLU(Layer):
    """max(0, z); the derivative at 0 is taken as 0."""

    def forward(self, x):
        self._mask = x > 0
        return x * self._mask

    def backward(self, g):
        return g * self._mask

    def jax_forward(self, params, x):
        import jax.numpy as jnp

        return jnp.where(x > 0, x, 0.0)


class ScaledReLU(Layer):
    """c * max(0, z), e.g. c = 5: the same kinks, a steeper slope."""

    def __init__(self, scale: float = 5.0) -> None:
        self.scale = float(scale)

    def forward(self, x):
        self._mask = x > 0
        return self.scale * x * self._mask

    def backward(self, g):
        return self.scale * g * self._mask

    def jax_forward(self, params, x):
        import jax.numpy as jnp

        return jnp.where(x > 0, self.scale * x, 0.0)

    def __repr__(self) -> str:
        return f"ScaledReLU({self.scale:g})"


class Identity(Layer):
    """The linear activation: a network of Identity layers is one linear map."""

    def forward(self, x):
        return x

    def backward(self, g):
        return g

    def jax_forward(self, params, x):
        return x


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate`` and scale the
    rest by 1 / (1 - rate); at evaluation time the identity."""

    def __init__(self, rate: float, *, rng: np.random.Generator) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1); got {rate!r}.")
        self.rate, self.rng = float(rate), rng

    def forward(self, x):
        if not self.training or self.rate == 0.0:
            self._keep = None
            return x
        self._keep = (self.rng.random(x.shape) >= self.rate).astype(x.dtype) / (1.0 - self.rate)
        return x * self._keep

    def backward(self, g):
        return g if self._keep is None else g * self._keep

    def jax_forward(self, params, x):
        return x if self._keep is None else x * self._keep

    def __repr__(self) -> str:
        return f"Dropout({self.rate:g})"


class Residual(Layer):
    """x + f(x) around a block of layers whose input and output widths are equal."""

    def __init__(self, block: list[Layer]) -> None:
        self.block = block

    def forward(self, x):
        out = x
        for layer in self.block:
            out = layer.forward(out)
        return x + out

    def backward(self, g):
        gb = g
        for layer in reversed(self.block):
            gb = layer.backward(gb)
        return g + gb

    def step(self, step_size: float, *, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        for layer in self.block:
            layer.step(step_size, momentum=momentum, weight_decay=weight_decay)

    def jax_forward(self, params, x):
        out = x
        for layer, p in zip(self.block, params, strict=True):
            out = layer.jax_forward(p, out)
        return x + out

    def __repr__(self) -> str:
        return f"Residual({', '.join(map(repr, self.block))})"


ACTIVATIONS = {"sigmoid": Sigmoid, "relu": ReLU, "tanh": Tanh, "identity": Identity, "linear": Identity,
               "scaled_relu": ScaledReLU}


def make_activation(name: str) -> Layer:
    """``"sigmoid"``, ``"relu"``, ``"tanh"``, ``"identity"`` (or ``"linear"``), ``"scaled_relu"``
    (c = 5) or ``"scaled_relu:C"`` for another scale."""
    if isinstance(name, Layer):
        return name
    key, _, arg = str(name).lower().partition(":")
    if key not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}; got {name!r}.")
    if key == "scaled_relu":
        try:
            scale = float(arg) if arg else 5.0
        except ValueError:
            raise ValueError(f"activation scaled_relu:C needs a number C; got {name!r}.") from None
        return ScaledReLU(scale)
    return ACTIVATIONS[key]()
