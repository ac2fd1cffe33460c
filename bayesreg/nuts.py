"""A lean No-U-Turn sampler on a flat parameter vector, in JAX.

The algorithm is Stan's: multinomial NUTS (Betancourt 2017) with trajectories doubled
forwards or backwards at random, uniform progressive sampling inside each new subtree,
biased progressive sampling when a subtree joins the trajectory, the generalised
U-turn criterion on momentum sums checked on every balanced sub-subtree, divergence when
the energy error exceeds 1000, and Stan's windowed adaptation of the step size (dual
averaging) and of a diagonal or dense inverse mass matrix (built from NumPyro's dual
averaging, Welford and window-schedule pieces).

Why not NumPyro's own kernel? Its iterative tree builder is general (pytrees, nested
``while_loop``s for the U-turn checks, a ``cond`` per merge), so on the small models this
package fits a leapfrog step costs ~4 µs of which the gradient is ~0.3 µs. Here one
trajectory is a single ``while_loop`` over leapfrog steps whose body has no control flow:
subtree bookkeeping, all U-turn checks of the balanced binary tree (vectorised over tree
levels against stored checkpoints) and the merge into the trajectory are ``where``
selects, so XLA fuses the body into a few kernels, and with the small-loop threshold that
:mod:`bayesreg._backend` sets, compiles the whole loop into one function.

Checkpoints: a subtree of 2^d steps is built step by step, j = 0 .. 2^d - 1. The balanced
sub-subtrees that end at step j have 2^1 .. 2^t steps, t = the number of trailing ones of
j; their first steps are even, and each stored its velocity and the momentum sum before
it as a checkpoint (indexed as in NumPyro, see ``nuts_transition``). The criterion only
uses the two end velocities and the momentum sum, so it is the same whichever direction
the subtree grows.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from numpyro.infer.hmc_util import build_adaptation_schedule, dual_averaging, welford_covariance

MAX_DELTA_ENERGY = 1000.0


class Position(NamedTuple):
    z: jax.Array
    potential_energy: jax.Array
    grad: jax.Array


class Transition(NamedTuple):
    """What one NUTS transition reports (Stan's sampler diagnostics)."""

    accept_prob: jax.Array
    num_steps: jax.Array
    diverging: jax.Array
    energy: jax.Array
    tree_depth: jax.Array


def _velocity(inverse_mass, r):
    return inverse_mass @ r if inverse_mass.ndim == 2 else inverse_mass * r


def _momentum(mass_sqrt, normal):
    """A momentum ~ N(0, M) from standard normals, with M = mass_sqrt mass_sqrt'."""
    return mass_sqrt @ normal if mass_sqrt.ndim == 2 else mass_sqrt * normal


def _hash_uniforms(seed, n):
    """Two uniforms in (0, 1) from a 32-bit seed pair and a counter: a counter-based
    generator (the "lowbias32" integer hash) that XLA fuses into the loop body; threefry
    compiles to a loop of its own, which would cost more than the leapfrog step. Seeds
    come from ``jax.random`` once per transition."""
    counter = n.astype(jnp.uint32) * jnp.uint32(2) + jnp.arange(2, dtype=jnp.uint32)
    x = (counter ^ seed[0]) * jnp.uint32(0x9E3779B9) + seed[1]
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    x = x ^ (x >> 16)
    return (x.astype(jnp.float64) + 0.5) * (1.0 / 4294967296.0)


# rows of a trajectory end (z, r, g, v) in the packed loop state
_Z, _R, _G, _V = range(4)


class Randomness(NamedTuple):
    """The random numbers of one transition, drawn for all iterations before the loop."""

    normal: jax.Array       # (size,) standard normals for the momentum
    directions: jax.Array   # (max_tree_depth,) 1 = double to the right, 0 = to the left
    seed: jax.Array         # (2,) uint32 seed of the in-loop uniforms


def draw_randomness(key, num: int, size: int, max_tree_depth: int) -> Randomness:
    """The random numbers of ``num`` transitions, in three vectorised calls."""
    k_mom, k_dir, k_seed = jax.random.split(key, 3)
    return Randomness(jax.random.normal(k_mom, (num, size)),
                      jax.random.bernoulli(k_dir, 0.5, (num, max_tree_depth)).astype(jnp.int32),
                      jax.random.bits(k_seed, (num, 2), jnp.uint32))


def nuts_transition(value_and_grad, position: Position, rand: Randomness, step_size, inverse_mass, mass_sqrt,
                    ) -> tuple[Position, Transition]:
    """One NUTS transition from ``position``; returns the new position and its statistics.
    The maximum tree depth is the length of ``rand.directions``."""
    size = position.z.shape[0]
    levels = rand.directions.shape[0]
    r0 = _momentum(mass_sqrt, rand.normal)
    v0 = _velocity(inverse_mass, r0)
    energy0 = position.potential_energy + 0.5 * r0 @ v0
    directions, seed = rand.directions, rand.seed
    dtype = position.z.dtype

    z0, g0, pe0 = position.z, position.grad, position.potential_energy
    end0 = jnp.stack([z0, r0, g0, v0])
    zero = jnp.zeros((), dtype)
    # The loop state is packed into a few arrays, because XLA on the CPU launches a kernel
    # per array it produces. F rows: 0-3 left end (z, r, g, v), 4-7 right end, 8-9 the
    # trajectory's proposal (z, g), 10-11 the subtree's proposal, 12 the trajectory's
    # momentum sum, 13 the subtree's.
    F = jnp.concatenate([end0, end0, jnp.stack([z0, g0, z0, g0, r0, jnp.zeros_like(r0)])])
    # Checkpoints (NumPyro's indexing): an even step j of the subtree stores its velocity and
    # the momentum sum before it in row popcount(j >> 1) of C; the balanced sub-subtrees
    # ending at an odd step j start at the checkpoints in rows idx_max - t + 1 .. idx_max,
    # t = the number of trailing ones of j, idx_max = popcount(j >> 1). D holds each
    # checkpoint's velocity . momentum sum, so a check costs two matrix-vector products.
    C = jnp.zeros((2, levels, size), dtype)
    D = jnp.zeros(levels, dtype)
    # S: potential and total energy of the trajectory's and the subtree's proposals,
    # log weights of the trajectory and the subtree, sum of acceptance probabilities
    S = jnp.stack([pe0, energy0, pe0, energy0, zero, zero, zero])
    # I: depth of the subtree being built, step j within it, leapfrog steps, diverging, done
    I = jnp.zeros(5, jnp.int32)
    rows = jnp.arange(levels, dtype=jnp.int32)

    def body(state):
        F, C, D, S, I = state
        depth, j, n = I[0], I[1], I[2]
        right = directions[depth] == 1
        eps = jnp.where(right, step_size, -step_size)
        end = jnp.where(right, F[4:8], F[0:4])
        # one leapfrog step
        r = end[_R] - 0.5 * eps * end[_G]
        z = end[_Z] + eps * _velocity(inverse_mass, r)
        pe, g = value_and_grad(z)
        r = r - 0.5 * eps * g
        v = _velocity(inverse_mass, r)
        energy = pe + 0.5 * jnp.sum(r * v)
        delta = energy - energy0
        delta = jnp.where(jnp.isnan(delta), jnp.inf, delta)
        diverging = delta > MAX_DELTA_ENERGY
        lw_new = -delta
        first = j == 0
        u = _hash_uniforms(seed, n)
        pe_p, e_p, pe_s, e_s, lw, lws, accept = (S[i] for i in range(7))
        # uniform progressive sampling inside the subtree
        lws = jnp.where(first, lw_new, jnp.logaddexp(lws, lw_new))
        pick = first | (jnp.log(u[0]) < lw_new - lws)
        sub_prop = jnp.where(pick, jnp.stack([z, g]), F[10:12])
        pe_s, e_s = jnp.where(pick, pe, pe_s), jnp.where(pick, energy, e_s)
        rho_before = jnp.where(first, 0.0, F[13])
        rhos = rho_before + r
        # checkpoint at even steps, U-turn checks of every balanced sub-subtree ending here
        idx_max = jax.lax.population_count(j >> 1)
        even = (j & 1) == 0
        # (masked selects rather than an indexed update: under vmap, where each chain has its
        # own index, an indexed update becomes a scatter)
        store = even & (rows == idx_max)
        C = jnp.where(store[None, :, None], jnp.stack([v, rho_before])[:, None, :], C)
        D = jnp.where(store, jnp.sum(v * rho_before), D)
        trailing_ones = jax.lax.population_count((~j & (j + 1)) - 1)
        check = (rows <= idx_max) & (rows > idx_max - trailing_ones)
        start_dot = C[0] @ rhos - D                 # checkpoint velocity . (rhos - rho_before_k)
        end_dot = jnp.sum(v * rhos) - C[1] @ v      # v . (rhos - rho_before_k)
        sub_turning = jnp.any(check & ((start_dot <= 0) | (end_dot <= 0)))
        sub_done = (j + 1 == (1 << depth)) | sub_turning | diverging
        # the trajectory's end in this direction moves to the new state
        new_end = jnp.stack([z, r, g, v])
        left, right_end = jnp.where(right, F[0:4], new_end), jnp.where(right, new_end, F[4:8])
        # a finished, valid subtree joins the trajectory (biased progressive sampling)
        join = sub_done & ~sub_turning & ~diverging
        take = join & (jnp.log(u[1]) < lws - lw)
        traj_prop = jnp.where(take, sub_prop, F[8:10])
        pe_p, e_p = jnp.where(take, pe_s, pe_p), jnp.where(take, e_s, e_p)
        lw = jnp.where(join, jnp.logaddexp(lw, lws), lw)
        rho = jnp.where(join, F[12] + rhos, F[12])
        turning = join & ((jnp.sum(left[_V] * rho) <= 0) | (jnp.sum(right_end[_V] * rho) <= 0))
        depth = jnp.where(sub_done, depth + 1, depth)
        accept = accept + jnp.minimum(1.0, jnp.exp(-delta))
        done = (sub_done & ~join) | turning | (depth >= levels)
        F = jnp.concatenate([left, right_end, traj_prop, sub_prop, rho[None], rhos[None]])
        S = jnp.stack([pe_p, e_p, pe_s, e_s, lw, lws, accept])
        I = jnp.stack([depth, jnp.where(sub_done, 0, j + 1), n + 1, I[3] | diverging, done]).astype(jnp.int32)
        return F, C, D, S, I

    F, _, _, S, I = jax.lax.while_loop(lambda state: state[4][4] == 0, body, (F, C, D, S, I))
    new = Position(F[8], S[0], F[9])
    info = Transition(accept_prob=S[6] / I[2], num_steps=I[2], diverging=I[3] == 1, energy=S[1], tree_depth=I[0])
    return new, info


def _reasonable_step_size(value_and_grad, step_size, inverse_mass, mass_sqrt, position: Position, key):
    """Stan's heuristic: double or halve the step until one leapfrog step's acceptance
    probability crosses 0.8, starting from ``step_size``."""
    z, pe, g = position
    finfo = jnp.finfo(jnp.result_type(step_size))
    log_target = jnp.log(0.8)

    def delta_energy(eps, key):
        r = _momentum(mass_sqrt, jax.random.normal(key, z.shape))
        r1 = r - 0.5 * eps * g
        pe1, g1 = value_and_grad(z + eps * _velocity(inverse_mass, r1))
        r1 = r1 - 0.5 * eps * g1
        de = pe1 + 0.5 * r1 @ _velocity(inverse_mass, r1) - pe - 0.5 * r @ _velocity(inverse_mass, r)
        return jnp.where(jnp.isnan(de), jnp.inf, de)

    def body(state):
        eps, _, direction, key = state
        key, sub = jax.random.split(key)
        eps = (2.0 ** direction) * eps
        new_direction = jnp.where(log_target < -delta_energy(eps, sub), 1, -1)
        return eps, direction, new_direction, key

    def cond(state):
        eps, last, direction, _ = state
        not_extreme = ((eps > finfo.tiny) | (direction >= 0)) & ((eps < finfo.max) | (direction <= 0))
        return not_extreme & ((last == 0) | (direction == last))

    eps, *_ = jax.lax.while_loop(cond, body, (step_size, 0, 0, key))
    return eps


class Adaptation(NamedTuple):
    step_size: jax.Array
    inverse_mass: jax.Array
    mass_sqrt: jax.Array
    dual_averaging: tuple
    welford: tuple
    window: jax.Array


class _Warmup:
    """Stan's windowed warmup: dual averaging of the step size at every warmup iteration;
    the (co)variance of the draws in each slow window (Welford, regularised as Stan does)
    becomes the inverse mass matrix at the window's end, where the step size is searched
    again. Built from NumPyro's pieces."""

    def __init__(self, value_and_grad, size: int, dtype, key, *, num_warmup: int, dense_mass: bool,
                 target_accept_prob: float):
        self.value_and_grad, self.size, self.dtype, self.key = value_and_grad, size, dtype, key
        self.num_warmup, self.dense_mass, self.target = num_warmup, dense_mass, target_accept_prob
        self.ss_init, self.ss_update = dual_averaging()
        self.mm_init, self.mm_update, self.mm_final = welford_covariance(diagonal=not dense_mass)
        schedule = build_adaptation_schedule(num_warmup) if num_warmup > 0 else []
        self.ends = jnp.asarray([w.end for w in schedule] or [0])
        self.num_windows = len(schedule)

    def start(self, position: Position) -> Adaptation:
        eye = (jnp.eye(self.size, dtype=self.dtype) if self.dense_mass else jnp.ones(self.size, dtype=self.dtype))
        step = _reasonable_step_size(self.value_and_grad, jnp.asarray(1.0, self.dtype), eye, eye, position,
                                     jax.random.fold_in(self.key, self.num_warmup))
        return Adaptation(step, eye, eye, self.ss_init(jnp.log(10.0 * step)), self.mm_init(self.size),
                          jnp.zeros((), jnp.int32))

    def _window_end(self, state: Adaptation, position: Position, i) -> Adaptation:
        inverse_mass, mass_sqrt, _ = self.mm_final(state.welford, regularize=True)
        step = _reasonable_step_size(self.value_and_grad, state.step_size, inverse_mass, mass_sqrt, position,
                                     jax.random.fold_in(self.key, i))
        return Adaptation(step, inverse_mass, mass_sqrt, self.ss_init(jnp.log(10.0) + jnp.log(step)),
                          self.mm_init(self.size), state.window)

    def update(self, i, accept_prob, position: Position, state: Adaptation) -> Adaptation:
        ss_state = self.ss_update(self.target - accept_prob, state.dual_averaging)
        log_step, log_step_avg = ss_state[0], ss_state[1]
        step = jnp.exp(jnp.where(i == self.num_warmup - 1, log_step_avg, log_step))
        finfo = jnp.finfo(step.dtype)
        step = jnp.clip(step, finfo.tiny, finfo.max)
        middle = (state.window > 0) & (state.window < self.num_windows - 1)
        welford = jax.tree.map(lambda new, old: jnp.where(middle, new, old),
                               self.mm_update(position.z, state.welford), state.welford)
        at_end = i == self.ends[state.window]
        state = state._replace(step_size=step, dual_averaging=ss_state, welford=welford,
                               window=jnp.where(at_end, state.window + 1, state.window))
        return jax.lax.cond(at_end & middle, lambda s: self._window_end(s, position, i), lambda s: s, state)


class Chain(NamedTuple):
    """A chain between calls: everything :func:`advance` needs to go on from iteration ``i``
    (warmup and sampling counted together), and the sampling iterations' outputs so far."""

    i: jax.Array
    position: Position
    adapt: Adaptation
    adapt_key: jax.Array
    rand: Randomness          # the random numbers of every iteration
    z: jax.Array              # (num_samples, size)
    potential_energy: jax.Array
    info: Transition


def start(value_and_grad, z_init, key, *, num_warmup: int, num_samples: int, max_tree_depth: int = 10,
          dense_mass: bool = False, target_accept_prob: float = 0.8) -> Chain:
    """A chain at iteration 0: initial position, the first step-size search, and all the
    random numbers of the run."""
    k_adapt, k_run = jax.random.split(key)
    pe, g = value_and_grad(z_init)
    position = Position(z_init, pe, g)
    warmup = _Warmup(value_and_grad, z_init.shape[0], z_init.dtype, k_adapt, num_warmup=num_warmup,
                     dense_mass=dense_mass, target_accept_prob=target_accept_prob)
    rand = draw_randomness(k_run, num_warmup + num_samples, z_init.shape[0], max_tree_depth)
    zeros = jnp.zeros(num_samples, z_init.dtype)
    info = Transition(zeros, jnp.zeros(num_samples, jnp.int32), jnp.zeros(num_samples, bool), zeros,
                      jnp.zeros(num_samples, jnp.int32))
    return Chain(jnp.zeros((), jnp.int32), position, warmup.start(position), k_adapt, rand,
                 jnp.zeros((num_samples, z_init.shape[0]), z_init.dtype), zeros, info)


def advance(value_and_grad, chain: Chain, stop, *, num_warmup: int, dense_mass: bool = False,
            target_accept_prob: float = 0.8) -> Chain:
    """Run ``chain`` on to iteration ``stop`` (a traced integer): warmup iterations adapt
    the step size and mass matrix and record nothing; sampling iterations, with both
    fixed, record their position and statistics. The same compiled program serves one
    call to the end or many short ones (a progress bar between them), with the same draws.
    """
    warmup = _Warmup(value_and_grad, chain.position.z.shape[0], chain.position.z.dtype, chain.adapt_key,
                     num_warmup=num_warmup, dense_mass=dense_mass, target_accept_prob=target_accept_prob)
    num_samples = chain.z.shape[0]

    def transition(i, position, adapt):
        rand = jax.tree.map(lambda a: a[i], chain.rand)
        return nuts_transition(value_and_grad, position, rand, adapt.step_size, adapt.inverse_mass,
                               adapt.mass_sqrt)

    def warmup_step(i, carry):
        position, adapt = carry
        position, info = transition(i, position, adapt)
        return position, warmup.update(i, info.accept_prob, position, adapt)

    position, adapt = jax.lax.fori_loop(jnp.minimum(chain.i, num_warmup), jnp.minimum(stop, num_warmup),
                                        warmup_step, (chain.position, chain.adapt))

    def sample_step(i, carry):
        position, z, pe, info = carry
        position, new = transition(i, position, adapt)
        k = i - num_warmup
        return (position, z.at[k].set(position.z), pe.at[k].set(position.potential_energy),
                jax.tree.map(lambda a, v: a.at[k].set(v), info, new))

    position, z, pe, info = jax.lax.fori_loop(
        jnp.maximum(chain.i, num_warmup), jnp.minimum(stop, num_warmup + num_samples), sample_step,
        (position, chain.z, chain.potential_energy, chain.info))
    return chain._replace(i=jnp.maximum(chain.i, jnp.asarray(stop, jnp.int32)), position=position, adapt=adapt,
                          z=z, potential_energy=pe, info=info)


def run_chain(value_and_grad, z_init, key, *, num_warmup: int, num_samples: int, max_tree_depth: int = 10,
              dense_mass: bool = False, target_accept_prob: float = 0.8):
    """Warmup, then sampling, in one go; returns the sampling iterations' (z, potential
    energy, Transition, step size), each with a leading axis of length ``num_samples``."""
    settings = dict(num_warmup=num_warmup, dense_mass=dense_mass, target_accept_prob=target_accept_prob)
    chain = start(value_and_grad, z_init, key, num_samples=num_samples, max_tree_depth=max_tree_depth, **settings)
    chain = advance(value_and_grad, chain, num_warmup + num_samples, **settings)
    return chain.z, chain.potential_energy, chain.info, jnp.full(num_samples, chain.adapt.step_size)
