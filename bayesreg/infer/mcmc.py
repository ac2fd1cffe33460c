"""The compile-once MCMC driver: any kernel, chains over host devices, replicate batches.

``numpyro.infer.MCMC`` retraces and recompiles on every ``run()``; for a notebook that
refits on new data, a cross-validation loop or a simulation study that cost dominates
(80-90% of a small fit). Here a run is three compiled programs of traced arguments:
``start(keys, data)`` (the kernel's ``init``), ``advance(chains, data, stop)`` (its
``step`` in a loop, warmup and sampling up to iteration ``stop``) and
``finish(chains, data)`` (draws and statistics); without a progress bar the three run as one
program (one dispatch). Data and hyperparameters are
*arguments*, so JAX reuses the executables for any new data of the same shapes. Chains
run in parallel across host devices with ``pmap`` when there are enough devices (see
:func:`bayesreg.setup`), else in sequence inside the same executable. The kernels are
BlackJAX's and NumPyro's NUTS (:mod:`bayesreg.infer.nuts`) and the Laplace Gibbs sampler
(:mod:`bayesreg.infer.gibbs`).

Progress is reported between calls: with a progress bar, ``advance`` is called ~40 times
on the way to the end, without one, the whole run is a single call. The programs hold no host callbacks, so they
are the same either way and reach the persistent compilation cache (a program holding a
callback never does, and XLA compiles its loops differently).

The draws depend only on the key, the data and the settings: not on ``progress``, and not
on whether chains run in parallel or in sequence (each chain has its own key and runs the
same program). ``chain_method="vectorized"`` (``vmap``) lets XLA fuse operations
differently, so its draws agree with the others only up to floating-point rounding.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _progress
from .._validation import check_int, check_option

CHAIN_METHODS = ("parallel", "sequential", "vectorized")


@dataclass(frozen=True)
class MCMCSettings:
    """Sampler settings; hashable, so they key the cache of compiled samplers."""

    num_warmup: int = 1000
    num_samples: int = 1000
    num_chains: int = 4
    target_accept_prob: float = 0.8
    max_tree_depth: int = 10
    dense_mass: bool = False
    chain_method: str = "parallel"

    def __post_init__(self) -> None:
        check_int(self.num_warmup, "num_warmup", minimum=0)
        check_int(self.num_samples, "num_samples", minimum=1)
        check_int(self.num_chains, "num_chains", minimum=1)
        check_int(self.max_tree_depth, "max_tree_depth", minimum=1)
        if not 0.0 < float(self.target_accept_prob) < 1.0:
            raise ValueError(
                f"target_accept_prob must be in (0, 1); got {self.target_accept_prob!r}."
            )
        check_option(self.chain_method, "chain_method", CHAIN_METHODS)
        if not isinstance(self.dense_mass, bool | np.bool_):
            raise TypeError(f"dense_mass must be True or False; got {self.dense_mass!r}.")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MCMCDraws:
    """Raw output of one run: constrained draws and sampler statistics, numpy arrays
    with leading axes (chain, draw)."""

    samples: dict[str, np.ndarray]
    stats: dict[str, np.ndarray]
    settings: MCMCSettings
    sampler: str = ""          # the kernel that made them, for the fit's provenance


@functools.cache
def _split_seed():
    def split(seed):
        key_run, key_other = jax.random.split(jax.random.key(seed))
        return key_run, jax.random.key_data(key_other)

    return jax.jit(split)


def seed_keys(seed: int) -> tuple[jax.Array, np.ndarray]:
    """(the key of a fit's sampler, the data of its second key, which seeds numpy's generator of
    the predictive draws) from the fit's seed in [0, 2**63): ``jax.random.split(jax.random.key(seed))``
    as one compiled call (eagerly, the three dispatches cost ~0.3 ms of a small fit); the same bits."""
    key_run, key_data = _split_seed()(np.int64(seed))
    return key_run, np.asarray(key_data)


# ---------------------------------------------------------------- one chain
_trace_count = 0


def trace_count() -> int:
    """How many times a sampler program has been traced (compiled) in this process.

    The Python body of a jitted function runs only when JAX traces it for a new shape or
    setting, never on a cache hit, so this counts compilations exactly.
    """
    return _trace_count


class Chain(NamedTuple):
    """A chain between calls: the iteration it is at (warmup and sampling counted
    together), the kernel's state, and the sampling iterations' outputs so far."""

    i: jax.Array
    state: Any                 # the kernel's state (NumPyro's HMCState for NUTS)
    z: Any                     # recorded draws: pytree of (num_samples, ...) arrays
    stats: dict                # (num_samples,) arrays


class _ChainProgram:
    """One chain of any kernel in three pure functions of traced arguments:
    ``start(key, data)``, ``advance(chain, data, stop)`` (warmup and sampling up to
    iteration ``stop``) and ``finish(chain, data)`` (draws and statistics)."""

    def __init__(self, kernel, num_warmup: int, num_samples: int):
        self.kernel, self.num_warmup, self.num_samples = kernel, num_warmup, num_samples

    def start(self, rng_key, data) -> Chain:
        state = self.kernel.init(rng_key, data)
        z, stats = self.kernel.record(state)
        empty = jax.tree.map(lambda v: jnp.zeros((self.num_samples,) + jnp.shape(v), jnp.result_type(v)),
                             (z, stats))
        return Chain(jnp.zeros((), jnp.int32), state, *empty)

    def advance(self, chain: Chain, data, stop) -> Chain:
        global _trace_count
        _trace_count += 1
        num_warmup, total = self.num_warmup, self.num_warmup + self.num_samples
        stop = jnp.asarray(stop, jnp.int32)
        # a kernel may adapt in a step of its own (BlackJAX's), else its step adapts in warmup (NumPyro's)
        warmup_step = getattr(self.kernel, "warmup_step", self.kernel.step)
        state = jax.lax.fori_loop(jnp.minimum(chain.i, num_warmup), jnp.minimum(stop, num_warmup),
                                  lambda _, state: warmup_step(state, data), chain.state)

        def sample_step(i, carry):
            state, recorded = carry
            state = self.kernel.step(state, data)
            return state, jax.tree.map(lambda a, v: a.at[i - num_warmup].set(v), recorded, self.kernel.record(state))

        state, (z, stats) = jax.lax.fori_loop(jnp.maximum(chain.i, num_warmup), jnp.minimum(stop, total),
                                              sample_step, (state, (chain.z, chain.stats)))
        return Chain(jnp.maximum(chain.i, stop), state, z, stats)

    def finish(self, chain: Chain, data):
        return self.kernel.finish(chain.z, chain.stats, chain.state, data)

    def whole(self, rng_key, data):
        """``start``, ``advance`` to the end and ``finish`` as one program: one dispatch and one
        transfer instead of three (several ms of a 50 ms fit)."""
        return self.finish(self.advance(self.start(rng_key, data), data, self.num_warmup + self.num_samples), data)


# ---------------------------------------------------------------- many chains
def _devices_for(num_chains: int) -> int:
    """How many host devices to spread ``num_chains`` chains over (a divisor of it)."""
    devices = jax.local_device_count()
    for d in range(min(devices, num_chains), 0, -1):
        if num_chains % d == 0:
            return d
    return 1


def _over_chains(fn, *, devices: int, vectorized: bool, data_axis: int | None, shared: int = 0):
    """``fn(per_chain, data, *rest)`` of one chain made a compiled function of many: the
    chains' arguments (``per_chain``, and ``data`` when ``data_axis`` is 0) have leading
    axes (device, chain on that device) and each device runs its chains in sequence, or
    (``vectorized``) one leading chain axis under ``vmap``. ``shared`` more arguments are
    the same for every chain."""
    if vectorized:
        return jax.jit(lambda per_chain, data, *rest: jax.vmap(lambda c, d: fn(c, d, *rest),
                                                               in_axes=(0, data_axis))(per_chain, data))

    def on_device(per_chain, data, *rest):
        if data_axis is None:
            return jax.lax.map(lambda c: fn(c, data, *rest), per_chain)
        return jax.lax.map(lambda cd: fn(*cd, *rest), (per_chain, data))

    return jax.pmap(on_device, in_axes=(0, data_axis) + (None,) * shared, devices=jax.local_devices()[:devices])


class _Runner:
    """The compiled programs for one (kernel, settings, data layout)."""

    def __init__(self, kernel, settings: MCMCSettings, *, devices: int, vectorized: bool, data_axis: int | None):
        program = _ChainProgram(kernel, settings.num_warmup, settings.num_samples)
        kw = dict(devices=devices, vectorized=vectorized, data_axis=data_axis)
        self.start = _over_chains(program.start, **kw)
        self.advance = _over_chains(program.advance, shared=1, **kw)
        self.finish = _over_chains(program.finish, **kw)
        self.whole = _over_chains(program.whole, **kw)
        self.total = settings.num_warmup + settings.num_samples

    def run(self, keys, data, *, on_segment=None):
        """Run every chain to the end; ``on_segment(iterations)`` after each of ~40 calls
        when given (a progress bar), else one call of one program. The draws are the same
        either way."""
        if on_segment is None:
            return self.whole(keys, data)
        chains = self.start(keys, data)
        step = max(1, -(-self.total // 40))
        for stop in range(step, self.total + step, step):
            chains = self.advance(chains, data, np.int32(min(stop, self.total)))
            jax.block_until_ready(chains.i)
            on_segment(min(stop, self.total) - (stop - step))
        return self.finish(chains, data)


_RUNNERS: dict[tuple, _Runner] = {}


def _runner(kernel, settings: MCMCSettings, *, devices: int, vectorized: bool, data_axis: int | None) -> _Runner:
    cache_key = (kernel.cache_key, settings, devices, vectorized, data_axis)
    runner = _RUNNERS.get(cache_key)
    if runner is None:
        runner = _RUNNERS[cache_key] = _Runner(kernel, settings, devices=devices, vectorized=vectorized,
                                               data_axis=data_axis)
    return runner


def _layout(a, devices: int, vectorized: bool):
    """Leading chain axis to the runner's layout: (device, chain on device) unless vmap-ed."""
    return a if vectorized else a.reshape((devices, a.shape[0] // devices) + a.shape[1:])


@functools.cache
def _chain_keys(num_chains: int, devices: int, vectorized: bool):
    """``rng_key`` split into one key per chain, in the runner's layout: one compiled call (~0.1 ms
    less than the eager split and reshape), the same keys."""
    return jax.jit(lambda rng_key: _layout(jax.random.split(rng_key, num_chains), devices, vectorized))


def _unlayout(a, count: int, vectorized: bool):
    """The runner's output as numpy, with one leading axis of ``count`` chains."""
    a = np.asarray(a)
    return a if vectorized else a.reshape((-1,) + a.shape[2:])[:count]


def run_chains(kernel, rng_key, data: Mapping[str, Any], *, settings: MCMCSettings, progress: bool | None = None,
               desc: str = "MCMC") -> MCMCDraws:
    """Run ``settings.num_chains`` chains of ``kernel`` (see :class:`NUTSKernel`) on ``data``.

    Everything in ``data`` is a traced argument. With ``progress`` the run is made in ~40
    calls of the same compiled program with a progress bar between them; the draws do not
    depend on it.
    """
    progress = _progress.resolve(progress)
    data = {k: np.asarray(v) for k, v in data.items()}  # numpy: pmap copies each to the devices once
    vectorized = settings.chain_method == "vectorized"
    devices = _devices_for(settings.num_chains) if settings.chain_method == "parallel" else 1
    runner = _runner(kernel, settings, devices=devices, vectorized=vectorized, data_axis=None)
    keys = _chain_keys(settings.num_chains, devices, vectorized)(rng_key)
    with _progress.bar(settings.num_chains * runner.total, desc, enabled=progress) as pbar:
        on_segment = (lambda n: pbar.update(n * settings.num_chains)) if progress else None
        samples, stats = runner.run(keys, data, on_segment=on_segment)
    return _to_draws(samples, stats, settings, settings.num_chains, vectorized, kernel)


def _to_draws(samples, stats, settings: MCMCSettings, count: int, vectorized: bool, kernel) -> MCMCDraws:
    """The draws and statistics as numpy arrays with a leading axis of ``count`` chains."""
    samples, stats = jax.device_get((samples, stats))  # every copy started before any is awaited
    return MCMCDraws(samples={k: _unlayout(v, count, vectorized) for k, v in samples.items()},
                     stats={k: _unlayout(v, count, vectorized) for k, v in stats.items()}, settings=settings,
                     sampler=getattr(kernel, "description", ""))


def run_chains_batched(kernel, rng_key, data: Mapping[str, Any], *, settings: MCMCSettings) -> MCMCDraws:
    """Chains of ``kernel`` on many data sets at once: every array in ``data`` has a
    leading replicate axis.

    One set of programs is compiled per shape of the batch and reused for new batches of
    that shape: the (replicate, chain) pairs are split across the host devices (``pmap``)
    and each device runs its share in sequence (``lax.map``), each pair with its own
    warmup adaptation. There is no Python loop over data sets and no recompilation.

    Why not ``vmap``? Batched NUTS runs in lockstep: at every transition all lanes wait
    for the longest trajectory among them, and every lane pays for every lane's bookkeeping.
    On 200 replicates (n = 50, p = 5) that made the batch about 5x slower than this map
    (3 s against 0.5-0.6 s on 2 cores), in which each trajectory stops when it is done.

    Returns draws of shape (replicate, chain, draw, ...). Replicate r runs the same
    program as :func:`run_chains` on replicate r alone with key ``jax.random.split(rng_key, R)[r]``
    (chains split from it as there), so the draws are the same (bit for bit in the tests).
    ``rng_key`` may also be an array of R keys, one per replicate (used as they are): a study run
    in chunks of replicates then gives each replicate its own key of the study's (the draws equal
    those of one batch up to the rounding of a program compiled for another number of pairs per
    device, which NUTS can amplify).
    ``settings.chain_method`` is not used.
    """
    # numpy until the call: gathering the (replicate, chain) pairs with JAX dispatches one
    # small program per array
    data = {k: np.asarray(v) for k, v in data.items()}
    sizes = {v.shape[0] for v in data.values()}
    if len(sizes) != 1:
        raise ValueError(f"every data array needs the same leading replicate axis; got sizes {sorted(sizes)}.")
    num_reps = sizes.pop()
    chains = settings.num_chains
    pairs = num_reps * chains
    devices = min(jax.local_device_count(), pairs)
    # pair i = (replicate i // chains, chain i % chains); the last pair is repeated to fill
    # the devices evenly, and its copies are dropped afterwards
    index = np.minimum(np.arange(devices * -(-pairs // devices)), pairs - 1)
    typed = jax.dtypes.issubdtype(getattr(rng_key, "dtype", None), jax.dtypes.prng_key)
    rep_keys = rng_key if typed and rng_key.shape == (num_reps,) else jax.random.split(rng_key, num_reps)
    keys = jax.vmap(lambda k: jax.random.split(k, chains))(rep_keys).reshape(-1)
    runner = _runner(kernel, settings, devices=devices, vectorized=False, data_axis=0)
    samples, stats = runner.run(_layout(keys[index], devices, False),
                                {k: _layout(v[index // chains], devices, False) for k, v in data.items()})
    draws = _to_draws(samples, stats, settings, pairs, False, kernel)
    return dataclasses.replace(
        draws, samples={k: v.reshape((num_reps, chains) + v.shape[1:]) for k, v in draws.samples.items()},
        stats={k: v.reshape((num_reps, chains) + v.shape[1:]) for k, v in draws.stats.items()})
