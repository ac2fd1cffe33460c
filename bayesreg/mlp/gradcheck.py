"""Checking backpropagation: hand-written gradients against central finite differences
and against ``jax.grad`` of the same network written in ``jax.numpy``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import Residual


@dataclass(frozen=True)
class GradCheck:
    """Largest relative errors over all parameters: ||a - b|| / (||a|| + ||b||) per array."""

    max_rel_error_fd: float
    max_rel_error_jax: float
    details: list[dict]

    def passed(self, tol: float = 1e-6) -> bool:
        return self.max_rel_error_fd < tol and self.max_rel_error_jax < tol


def _rel(a, b) -> float:
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0


def _param_layers(network):
    """(path, layer) for every layer with parameters; path indexes ``jax_params``."""
    for i, layer in enumerate(network.layers):
        if isinstance(layer, Residual):
            for j, inner in enumerate(layer.block):
                if inner.params:
                    yield (i, j), inner
        elif layer.params:
            yield (i,), layer


def gradient_check(network, loss, X, y, *, eps: float = 1e-6, max_entries: int | None = None,
                   seed: int = 0) -> GradCheck:
    """Compare backprop gradients of every parameter with finite differences and JAX.

    Needs a float64 network (finite differences in float32 are meaningless). Dropout is
    switched off (evaluation mode). ``max_entries`` limits the finite-difference check to
    a random subset of entries per array (JAX always checks every entry).
    """
    import jax
    import jax.numpy as jnp

    if network.dtype != np.float64:
        raise ValueError("gradient_check needs a float64 network: build it with dtype=np.float64.")
    X = np.asarray(X, dtype=np.float64)
    network.eval()
    for lin in network.linear_layers():
        lin.needs_input_grad = True
    loss.forward(network.forward(X), y)
    network.backward(loss.backward())
    analytic = {path: {name: getattr(layer, "g" + name).copy() for name in layer.params}
                for path, layer in _param_layers(network)}

    def value():
        return loss.forward(network.forward(X), y)

    y_jax = jnp.asarray(y)
    grads = jax.grad(lambda p: loss.jax_value(network.jax_forward(p, jnp.asarray(X)), y_jax))(network.jax_params())
    rng = np.random.default_rng(seed)
    details = []
    for path, layer in _param_layers(network):
        node = grads[path[0]] if len(path) == 1 else grads[path[0]][path[1]]
        for name in layer.params:
            param = getattr(layer, name)
            numeric = np.zeros_like(param)
            flat = np.arange(param.size)
            if max_entries is not None and param.size > max_entries:
                flat = rng.choice(param.size, size=max_entries, replace=False)
            for k in flat:
                idx = np.unravel_index(k, param.shape)
                old = param[idx]
                param[idx] = old + eps
                up = value()
                param[idx] = old - eps
                down = value()
                param[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            mask = np.zeros(param.size, dtype=bool)
            mask[flat] = True
            mask = mask.reshape(param.shape)
            a = analytic[path][name]
            details.append({"layer": repr(layer), "param": name, "shape": param.shape,
                            "rel_error_fd": _rel(a[mask], numeric[mask]),
                            "rel_error_jax": _rel(a, np.asarray(node[name]))})
    for i, lin in enumerate(network.linear_layers()):
        lin.needs_input_grad = i > 0
    return GradCheck(max_rel_error_fd=max(d["rel_error_fd"] for d in details),
                     max_rel_error_jax=max(d["rel_error_jax"] for d in details), details=details)
