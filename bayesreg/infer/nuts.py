"""NUTS on a NumPyro model: BlackJAX's or NumPyro's kernel on bayesreg's compile-once driver.

Two engines sample the same density (NumPyro's ``potential_energy`` of the model on the
unconstrained space), chosen by ``engine=`` in :func:`run_nuts` and :func:`run_nuts_batched`:

* ``"blackjax"`` (the default, :data:`DEFAULT_ENGINE`): :class:`BlackJAXNUTSKernel`;
* ``"numpyro"``: :class:`NUTSKernel`.

Measured on the same driver, BlackJAX's kernel costs less per leapfrog step (see
``benchmarks/RESULTS.md``), hence the default; NumPyro's stays for comparison and as an
independent check.

NumPyro's engine: ``numpyro.infer.hmc.hmc(potential_fn_gen=..., algo="NUTS")``, whose
``init_kernel`` / ``sample_kernel`` carry multinomial NUTS and Stan's windowed adaptation of
the step size and of a diagonal or dense mass matrix, exactly as ``numpyro.infer.NUTS``
runs it. :class:`NUTSKernel` adapts it to the driver in :mod:`bayesreg.infer.mcmc`, which
compiles the run once per (model, structure, shapes, settings) with the data and
hyperparameters as traced arguments of the potential (``potential_fn_gen(**data)``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.distributions.transforms import biject_to
from numpyro.infer.hmc import hmc
from numpyro.infer.util import constrain_fn, potential_energy

from .._validation import check_option
from ..models import latent_sites
from .mcmc import MCMCDraws, MCMCSettings, run_chains, run_chains_batched

ENGINES = ("blackjax", "numpyro")
DEFAULT_ENGINE = "blackjax"


def _latent_shapes(model, kwargs) -> dict[str, tuple]:
    """Unconstrained shapes of the latent sites (shapes are static)."""
    return {name: tuple(biject_to(site["fn"].support).inv(site["value"]).shape)
            for name, site in latent_sites(model, kwargs).items()}


def initial_positions(model, kwargs, rng_key) -> dict:
    """Uniform(-2, 2) on the unconstrained scale for every latent site (Stan's and NumPyro's default)."""
    shapes = _latent_shapes(model, kwargs)
    keys = jax.random.split(rng_key, max(len(shapes), 1))
    return {name: jax.random.uniform(k, shape, minval=-2.0, maxval=2.0)
            for k, (name, shape) in zip(keys, sorted(shapes.items()), strict=False)}


def constrained_draws(model, kwargs, z, draw_key: str | None, rng_key):
    """The model's sites (deterministic ones included) at every unconstrained draw ``z``.

    With ``draw_key``, the model also gets one PRNG key per draw under that argument name (a
    model that draws sites integrated out of its density, e.g.
    :func:`bayesreg.models.linear_regression_collapsed`); the keys are split from the chain's
    final key ``rng_key``, so the same run key gives the same draws."""
    if draw_key is None:
        return jax.vmap(lambda z: constrain_fn(model, (), kwargs, z, return_deterministic=True))(z)
    num_draws = jax.tree.leaves(z)[0].shape[0]
    keys = jax.random.split(jax.random.fold_in(rng_key, 1), num_draws)
    # lax.map, not vmap: one draw at a time. A vmapped draw (batched LAPACK Cholesky) under pmap
    # over two host devices hung about one run in two (jax 0.10.2, CPU); one at a time never did.
    return jax.lax.map(lambda zk: constrain_fn(model, (), {**kwargs, draw_key: zk[1]}, zk[0],
                                               return_deterministic=True), (z, keys))


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
        self.description = f"NUTS (NumPyro {numpyro.__version__} kernel and adaptation, bayesreg driver)"
        # One (init_kernel, sample_kernel) pair per kernel: NumPyro's sample_kernel reads
        # the warmup length and tree depth that init_kernel recorded, so init() must be
        # traced before step(), as it is in _Runner.run.
        self.init_kernel, self.sample_kernel = hmc(potential_fn_gen=self._potential_fn, algo="NUTS")

    def _potential_fn(self, **data):
        kwargs = {**self.static, **data}
        return lambda z: potential_energy(self.model, (), kwargs, z)

    def init(self, rng_key, data):
        s = self.settings
        key_init, key_kernel = jax.random.split(rng_key)
        z_init = initial_positions(self.model, {**self.static, **data}, key_init)
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
        samples = constrained_draws(self.model, {**self.static, **data}, z, self.draw_key, state.rng_key)
        n_steps = stats["n_steps"]
        # a trajectory of depth d has at most 2^d - 1 leapfrog steps
        stats = {**stats, "tree_depth": jnp.floor(jnp.log2(jnp.maximum(n_steps, 1))).astype(jnp.int32) + 1,
                 "step_size": jnp.full(n_steps.shape, state.adapt_state.step_size)}
        return samples, stats


def _window_adaptation(dense_mass: bool, target_accept_prob: float):
    """BlackJAX's window adaptation as (init, update, final), to run one iteration at a time.

    ``window_adaptation.base`` is the public form of the adaptation that
    ``blackjax.window_adaptation(...).run`` scans in one piece; BlackJAX 1.7 marks it
    deprecated in favour of that all-in-one ``run``, which cannot be advanced step by step
    (the driver needs that for progress between calls and for its batches).
    """
    from blackjax.adaptation import window_adaptation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return window_adaptation.base(is_mass_matrix_diagonal=not dense_mass,
                                      target_acceptance_rate=target_accept_prob)


@functools.lru_cache(maxsize=32)
def _schedule(num_warmup: int) -> np.ndarray:
    """Stan's schedule of fast and slow windows (BlackJAX's ``build_schedule``), built once per
    length: building it costs ~20 ms of Python, a fifth of a small fit."""
    from blackjax.adaptation import window_adaptation

    return np.asarray(window_adaptation.build_schedule(num_warmup))


class BlackJAXState(NamedTuple):
    """One chain between iterations: BlackJAX's NUTS state, its adaptation, the parameters in
    force, and what the last transition reported (kept for ``record``)."""

    i: jax.Array                    # iterations done (warmup and sampling)
    rng_key: jax.Array              # the chain's key; iteration i's transition uses keys[i]
    keys: jax.Array
    hmc: Any                        # blackjax.mcmc.hmc.HMCState: position, logdensity, its gradient
    adaptation: Any                 # blackjax's WindowAdaptationState
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    diverging: jax.Array
    n_steps: jax.Array
    tree_depth: jax.Array
    acceptance_rate: jax.Array
    energy: jax.Array


class BlackJAXNUTSKernel:
    """One chain of BlackJAX's NUTS on a NumPyro model, for the driver in :mod:`bayesreg.infer.mcmc`.

    The interface of :class:`bayesreg.infer.nuts.NUTSKernel`, plus ``warmup_step``: the driver
    calls it in warmup iterations and ``step`` in sampling ones, so sampling carries no
    adaptation code. ``max_tree_depth`` is BlackJAX's ``max_num_doublings`` (at most
    2^depth - 1 leapfrog steps per transition, as in NumPyro and Stan).
    """

    def __init__(self, model, static: Mapping[str, Any], settings: MCMCSettings, draw_key: str | None = None):
        self.model, self.static, self.settings, self.draw_key = model, dict(static), settings, draw_key
        # imported here: BlackJAX's package import costs ~0.5 s, which fits by other methods need not pay
        import blackjax
        from blackjax.mcmc import hmc, nuts

        self.cache_key = ("blackjax-nuts", model, tuple(sorted(self.static.items())), settings, draw_key)
        self.description = f"NUTS (BlackJAX {blackjax.__version__} kernel and window adaptation, bayesreg driver)"
        self._kernel, self._hmc_init = nuts.build_kernel(), hmc.init
        self._adapt_init, self._adapt_update, self._adapt_final = _window_adaptation(
            settings.dense_mass, settings.target_accept_prob)
        # Stan's schedule of fast and slow windows, a constant of the compiled program
        self._schedule = _schedule(settings.num_warmup) if settings.num_warmup else None

    def _logdensity(self, data):
        kwargs = {**self.static, **data}
        return lambda z: -potential_energy(self.model, (), kwargs, z)

    def init(self, rng_key, data):
        key_init, key_chain = jax.random.split(rng_key)
        z = initial_positions(self.model, {**self.static, **data}, key_init)
        state = self._hmc_init(z, self._logdensity(data))
        adaptation = self._adapt_init(z, 1.0)
        zero = jnp.zeros((), jnp.int32)
        # one key per iteration, split at once: a split inside every transition is a sequential
        # hash on the chain's critical path (~8% of a p = 5 fit, where a transition is ~3 us)
        keys = jax.random.split(key_chain, max(self.settings.num_warmup + self.settings.num_samples, 1))
        return BlackJAXState(zero, key_chain, keys, state, adaptation, jnp.asarray(adaptation.step_size, float),
                             adaptation.inverse_mass_matrix, jnp.zeros((), bool), zero, zero,
                             jnp.zeros(()), jnp.zeros(()))

    def _transition(self, state: BlackJAXState, data):
        key_step = state.keys[jnp.minimum(state.i, state.keys.shape[0] - 1)]
        new, info = self._kernel(key_step, state.hmc, self._logdensity(data), state.step_size,
                                 state.inverse_mass_matrix, max_num_doublings=self.settings.max_tree_depth)
        return state._replace(i=state.i + 1, hmc=new, diverging=info.is_divergent,
                              n_steps=info.num_integration_steps.astype(jnp.int32),
                              tree_depth=info.num_trajectory_expansions.astype(jnp.int32),
                              acceptance_rate=info.acceptance_rate, energy=info.energy)

    def warmup_step(self, state: BlackJAXState, data):
        if not self.settings.num_warmup:  # traced by the driver even when it never runs
            return self._transition(state, data)
        i = state.i
        state = self._transition(state, data)
        adaptation = self._adapt_update(state.adaptation, jnp.asarray(self._schedule)[i], state.hmc.position,
                                        state.acceptance_rate)
        # after the last warmup iteration, the averaged step size and the last mass matrix
        last = i == self.settings.num_warmup - 1
        final_step_size, final_imm = self._adapt_final(adaptation)
        return state._replace(adaptation=adaptation,
                              step_size=jnp.where(last, final_step_size, adaptation.step_size),
                              inverse_mass_matrix=jnp.where(last, final_imm, adaptation.inverse_mass_matrix))

    def step(self, state: BlackJAXState, data):
        return self._transition(state, data)

    def record(self, state: BlackJAXState):
        return state.hmc.position, {"diverging": state.diverging, "n_steps": state.n_steps,
                                    "acceptance_rate": state.acceptance_rate, "energy": state.energy,
                                    "lp": state.hmc.logdensity, "tree_depth": state.tree_depth}

    def finish(self, z, stats, state: BlackJAXState, data):
        samples = constrained_draws(self.model, {**self.static, **data}, z, self.draw_key, state.rng_key)
        return samples, {**stats, "step_size": jnp.full(stats["n_steps"].shape, state.step_size)}


def nuts_kernel(model, static: Mapping[str, Any] | None, settings: MCMCSettings, engine: str | None = None,
                draw_key: str | None = None):
    """The NUTS kernel of ``engine`` (``"blackjax"`` or ``"numpyro"``; None: :data:`DEFAULT_ENGINE`)."""
    engine = DEFAULT_ENGINE if engine is None else engine
    check_option(engine, "engine", ENGINES)
    kernel = BlackJAXNUTSKernel if engine == "blackjax" else NUTSKernel
    return kernel(model, static or {}, settings, draw_key)


def run_nuts(model, rng_key, data: Mapping[str, Any], *, static: Mapping[str, Any] | None = None,
             settings: MCMCSettings, progress: bool | None = None, desc: str = "NUTS",
             engine: str | None = None, draw_key: str | None = None) -> MCMCDraws:
    """Run NUTS on ``model`` for ``data`` (validated arrays and scalars).

    ``static`` holds hashable keyword arguments that change the model's structure
    (a prior's family, a flag); everything in ``data`` becomes a traced argument.
    ``engine`` picks the kernel (see the module's docstring); ``draw_key`` names the model's
    argument for a per-draw key (see :class:`NUTSKernel`).
    """
    return run_chains(nuts_kernel(model, static, settings, engine, draw_key), rng_key, data, settings=settings,
                      progress=progress, desc=desc)


def run_nuts_batched(model, rng_key, data: Mapping[str, Any], *, static: Mapping[str, Any] | None = None,
                     settings: MCMCSettings, engine: str | None = None, draw_key: str | None = None) -> MCMCDraws:
    """NUTS on many data sets at once (see :func:`run_chains_batched`)."""
    return run_chains_batched(nuts_kernel(model, static, settings, engine, draw_key), rng_key, data,
                              settings=settings)
