"""NUTS on a NumPyro model: NumPyro's own functional kernel on bayesreg's compile-once driver.

The sampler is NumPyro's: ``numpyro.infer.hmc.hmc(potential_fn_gen=..., algo="NUTS")``, whose
``init_kernel`` / ``sample_kernel`` carry multinomial NUTS and Stan's windowed adaptation of
the step size and of a diagonal or dense mass matrix, exactly as ``numpyro.infer.NUTS``
runs it. :class:`NUTSKernel` adapts it to the driver in :mod:`bayesreg.infer.mcmc`, which
compiles the run once per (model, structure, shapes, settings) with the data and
hyperparameters as traced arguments of the potential (``potential_fn_gen(**data)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
from numpyro.distributions.transforms import biject_to
from numpyro.infer.hmc import hmc
from numpyro.infer.util import constrain_fn, potential_energy

from ..models import latent_sites
from .mcmc import MCMCDraws, MCMCSettings, run_chains, run_chains_batched


def _latent_shapes(model, kwargs) -> dict[str, tuple]:
    """Unconstrained shapes of the latent sites (shapes are static)."""
    return {name: tuple(biject_to(site["fn"].support).inv(site["value"]).shape)
            for name, site in latent_sites(model, kwargs).items()}


class NUTSKernel:
    """One chain of NumPyro's NUTS on a NumPyro model, for :class:`_ChainProgram`.

    A kernel has four pure methods: ``init(rng_key, data) -> state``, ``step(state, data)
    -> state`` (one iteration; warmup adaptation is the kernel's business),
    ``record(state) -> (z, stats)`` (what a sampling iteration keeps) and
    ``finish(z, stats, state, data) -> (samples, stats)`` (constrained draws).
    ``cache_key`` names the compiled programs it makes.

    ``draw_key``: the name of a keyword argument of the model through which ``finish`` passes
    one PRNG key per draw, for a model that draws sites integrated out of its density (see
    :func:`bayesreg.models.linear_regression_collapsed`). The keys are split from the chain's
    final NUTS key, so they derive from the run's key: same key, same draws.
    """

    def __init__(self, model, static: Mapping[str, Any], settings: MCMCSettings, draw_key: str | None = None):
        self.model, self.static, self.settings, self.draw_key = model, dict(static), settings, draw_key
        self.cache_key = ("nuts", model, tuple(sorted(self.static.items())), settings, draw_key)
        # One (init_kernel, sample_kernel) pair per kernel: NumPyro's sample_kernel reads
        # the warmup length and tree depth that init_kernel recorded, so init() must be
        # traced before step(), as it is in _Runner.run.
        self.init_kernel, self.sample_kernel = hmc(potential_fn_gen=self._potential_fn, algo="NUTS")

    def _potential_fn(self, **data):
        kwargs = {**self.static, **data}
        return lambda z: potential_energy(self.model, (), kwargs, z)

    def init(self, rng_key, data):
        s = self.settings
        shapes = _latent_shapes(self.model, {**self.static, **data})
        key_init, key_kernel = jax.random.split(rng_key)
        init_keys = jax.random.split(key_init, max(len(shapes), 1))
        # Stan's and NumPyro's default: uniform(-2, 2) on the unconstrained scale.
        z_init = {name: jax.random.uniform(k, shape, minval=-2.0, maxval=2.0)
                  for k, (name, shape) in zip(init_keys, sorted(shapes.items()), strict=False)}
        return self.init_kernel(z_init, num_warmup=s.num_warmup, dense_mass=s.dense_mass,
                                target_accept_prob=s.target_accept_prob, max_tree_depth=s.max_tree_depth,
                                model_kwargs=data, rng_key=key_kernel)

    def step(self, state, data):
        return self.sample_kernel(state, model_kwargs=data)

    def record(self, state):
        return state.z, {"diverging": state.diverging, "n_steps": state.num_steps.astype(jnp.int32),
                         "acceptance_rate": state.accept_prob, "energy": state.energy,
                         "lp": -state.potential_energy}

    def finish(self, z, stats, state, data):
        kwargs = {**self.static, **data}
        if self.draw_key is None:
            samples = jax.vmap(lambda z: constrain_fn(self.model, (), kwargs, z, return_deterministic=True))(z)
        else:
            num_draws = jax.tree.leaves(z)[0].shape[0]
            keys = jax.random.split(jax.random.fold_in(state.rng_key, 1), num_draws)
            # lax.map, not vmap: one draw at a time. A vmapped draw (batched LAPACK Cholesky) under pmap
            # over two host devices hung about one run in two (jax 0.10.2, CPU); one at a time never did.
            samples = jax.lax.map(lambda zk: constrain_fn(self.model, (), {**kwargs, self.draw_key: zk[1]}, zk[0],
                                                          return_deterministic=True), (z, keys))
        n_steps = stats["n_steps"]
        # a trajectory of depth d has at most 2^d - 1 leapfrog steps
        stats = {**stats, "tree_depth": jnp.floor(jnp.log2(jnp.maximum(n_steps, 1))).astype(jnp.int32) + 1,
                 "step_size": jnp.full(n_steps.shape, state.adapt_state.step_size)}
        return samples, stats


def run_nuts(model, rng_key, data: Mapping[str, Any], *, static: Mapping[str, Any] | None = None,
             settings: MCMCSettings, progress: bool | None = None, desc: str = "NUTS",
             draw_key: str | None = None) -> MCMCDraws:
    """Run NUTS on ``model`` for ``data`` (validated arrays and scalars).

    ``static`` holds hashable keyword arguments that change the model's structure
    (a prior's family, a flag); everything in ``data`` becomes a traced argument.
    ``draw_key`` names the model's argument for a per-draw key (see :class:`NUTSKernel`).
    """
    return run_chains(NUTSKernel(model, static or {}, settings, draw_key), rng_key, data, settings=settings,
                      progress=progress, desc=desc)


def run_nuts_batched(model, rng_key, data: Mapping[str, Any], *, static: Mapping[str, Any] | None = None,
                     settings: MCMCSettings, draw_key: str | None = None) -> MCMCDraws:
    """NUTS on many data sets at once (see :func:`run_chains_batched`)."""
    return run_chains_batched(NUTSKernel(model, static or {}, settings, draw_key), rng_key, data, settings=settings)
