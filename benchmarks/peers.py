"""The peer samplers at their best, on bayesreg's own sufficient-statistics model.

Every peer samples the posterior of :func:`bayesreg.models.linear_regression_gram` (X'X, X'y,
y'y, n; Laplace(0, tau) prior on w, sigma fixed), with NumPyro computing the potential energy
from that model, so all tools see the same density. Each peer's *whole* run (warmup and
sampling) is one compiled program whose data are traced arguments, built once and reused for
new data of the same shapes, the way an expert would write it:

* ``numpyro-functional``: ``numpyro.infer.hmc.hmc(potential_fn_gen=..., algo="NUTS")``,
  ``init_kernel`` then ``sample_kernel`` in ``lax.scan``;
* ``blackjax``: ``blackjax.window_adaptation(blackjax.nuts, ...)`` then ``blackjax.nuts`` in ``lax.scan``.

Chains run over the host devices: ``pmap`` over ``jax.local_device_count()`` devices and
``lax.map`` over each device's share. For many data sets, :meth:`Peer.replicates` maps the
one-chain program over them with ``vmap`` or with ``pmap`` + ``lax.map``.

Both samplers start each chain from Uniform(-2, 2) per coefficient (NumPyro's default
``init_to_uniform``), use a diagonal mass matrix, target acceptance 0.8 and tree depth 10.
They return draws (chain, draw, p) and the leapfrog steps of warmup and sampling.
"""

from __future__ import annotations

import functools

import numpy as np

TOOLS = ("numpyro-functional", "blackjax")


def gram_data(X, y, sigma, tau) -> dict:
    """The sufficient statistics and hyperparameters, as the traced data of a run."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return {"G": X.T @ X, "c": X.T @ y, "yy": float(y @ y), "n": float(len(y)), "sigma": float(sigma),
            "tau": float(tau)}


def gram_data_batched(X, y, sigma, tau) -> dict:
    """:func:`gram_data` for (R, n, p) designs and (R, n) responses."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    R, n, _ = X.shape
    return {"G": np.einsum("rni,rnj->rij", X, X), "c": np.einsum("rni,rn->ri", X, y),
            "yy": np.einsum("rn,rn->r", y, y), "n": np.full(R, float(n)), "sigma": np.full(R, float(sigma)),
            "tau": np.full(R, float(tau))}


def potential_fn_gen(G, c, yy, n, sigma, tau):
    """U(w) = -log p(w | data) of bayesreg's sufficient-statistics model, from NumPyro."""
    from numpyro.infer.util import potential_energy

    from bayesreg import models

    kwargs = dict(loc=0.0, tau=tau, sigma=sigma, prior="laplace")
    return lambda params: potential_energy(models.linear_regression_gram, (G, c, yy, n), kwargs, params)


def _init(key, p):
    import jax

    return jax.random.uniform(key, (p,), minval=-2.0, maxval=2.0)


def numpyro_chain(key, data, *, num_warmup: int, num_samples: int):
    """One NUTS chain with NumPyro's functional kernel: (draws (D, p), warmup steps, sampling steps)."""
    import jax
    from numpyro.infer.hmc import hmc

    init_kernel, sample_kernel = hmc(potential_fn_gen=potential_fn_gen, algo="NUTS")
    k_init, k_run = jax.random.split(key)
    state = init_kernel({"w": _init(k_init, data["c"].shape[-1])}, num_warmup, target_accept_prob=0.8,
                        max_tree_depth=10, model_kwargs=data, rng_key=k_run)

    def warm(state, _):
        state = sample_kernel(state, model_kwargs=data)
        return state, state.num_steps

    def draw(state, _):
        state = sample_kernel(state, model_kwargs=data)
        return state, (state.z["w"], state.num_steps)

    state, warm_steps = jax.lax.scan(warm, state, None, length=num_warmup)
    _, (w, steps) = jax.lax.scan(draw, state, None, length=num_samples)
    return w, warm_steps.sum(), steps


def blackjax_chain(key, data, *, num_warmup: int, num_samples: int):
    """One NUTS chain with BlackJAX's window adaptation and kernel: (draws, warmup steps, sampling steps)."""
    import blackjax
    import jax
    from blackjax.adaptation.base import get_filter_adapt_info_fn

    potential = potential_fn_gen(**data)
    logdensity = lambda w: -potential({"w": w})
    k_init, k_warm, k_run = jax.random.split(key, 3)
    warmup = blackjax.window_adaptation(blackjax.nuts, logdensity, target_acceptance_rate=0.8,
                                        adaptation_info_fn=get_filter_adapt_info_fn(
                                            info_keys={"num_integration_steps"}))
    (state, parameters), info = warmup.run(k_warm, _init(k_init, data["c"].shape[-1]), num_steps=num_warmup)
    kernel = blackjax.nuts(logdensity, **parameters)

    def draw(state, key):
        state, step_info = kernel.step(key, state)
        return state, (state.position, step_info.num_integration_steps)

    _, (w, steps) = jax.lax.scan(draw, state, jax.random.split(k_run, num_samples))
    return w, info.info.num_integration_steps.sum(), steps


CHAIN = {"numpyro-functional": numpyro_chain, "blackjax": blackjax_chain}


class Peer:
    """One tool's compiled program for fixed settings; call :meth:`fit` or :meth:`replicates` again
    and again: the first call of each shape compiles, the next ones reuse the executable."""

    def __init__(self, tool: str, *, num_warmup: int, num_samples: int):
        self.tool = tool
        self.chain = functools.partial(CHAIN[tool], num_warmup=num_warmup, num_samples=num_samples)
        self._programs = {}

    def _program(self, kind: str, devices: int):
        import jax

        if (kind, devices) not in self._programs:
            if kind == "vmap":  # every data set (or chain) a lane of one batched program
                prog = jax.jit(jax.vmap(self.chain))
            else:  # kind "map": devices x lax.map; the data shared ("chains") or one set per item ("replicates")
                data_axis = None if kind == "chains" else 0
                prog = jax.pmap(lambda keys, data: jax.lax.map(lambda kd: self.chain(*kd), (keys, data))
                                if data_axis == 0 else jax.lax.map(lambda k: self.chain(k, data), keys),
                                in_axes=(0, data_axis))
            self._programs[(kind, devices)] = prog
        return self._programs[(kind, devices)]

    def fit(self, data: dict, num_chains: int, seed: int) -> dict:
        """``num_chains`` chains on one data set: pmap over the devices, lax.map within."""
        import jax

        devices = max(d for d in range(1, jax.local_device_count() + 1) if num_chains % d == 0)
        keys = jax.random.split(jax.random.key(seed), num_chains).reshape(devices, -1)
        w, warm, steps = self._program("chains", devices)(keys, data)
        w = np.asarray(w).reshape((num_chains,) + w.shape[2:])
        return {"w": w, "warmup_steps": int(np.asarray(warm).sum()), "steps": np.asarray(steps).reshape(num_chains, -1)}

    def replicates(self, data: dict, seed: int, how: str) -> dict:
        """One chain per data set (leading axis R of every array), ``how`` = "vmap" or "pmap+lax.map"."""
        import jax

        R = len(data["n"])
        keys = jax.random.split(jax.random.key(seed), R)
        if how == "vmap":
            w, warm, steps = self._program("vmap", 1)(keys, data)
        else:
            devices = max(d for d in range(1, jax.local_device_count() + 1) if R % d == 0)
            shaped = {k: np.asarray(v).reshape((devices, R // devices) + np.shape(v)[1:]) for k, v in data.items()}
            w, warm, steps = self._program("replicates", devices)(keys.reshape(devices, -1), shaped)
        w = np.asarray(w).reshape((R, 1) + w.shape[-2:])  # (R, chain, draw, p)
        return {"w": w, "warmup_steps": int(np.asarray(warm).sum()), "steps": np.asarray(steps).reshape(R, -1)}
