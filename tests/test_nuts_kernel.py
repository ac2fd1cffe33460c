"""bayesreg's NUTS kernel on targets with known moments, and its bookkeeping."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesreg  # noqa: F401  (float64, host devices)
from bayesreg.nuts import Position, draw_randomness, nuts_transition, run_chain
from bayesreg.testing import assert_posterior_matches, assert_within_mcse

COV = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, -0.3], [0.0, -0.3, 4.0]])
MEAN = np.array([1.0, -2.0, 0.5])


def _gaussian():
    prec = jnp.asarray(np.linalg.inv(COV))

    def potential(z):
        d = z - MEAN
        return 0.5 * d @ prec @ d

    return jax.jit(jax.value_and_grad(potential))


@pytest.mark.parametrize("dense_mass", [False, True])
def test_correlated_gaussian_moments(dense_mass):
    vg = _gaussian()
    run = jax.jit(lambda key: run_chain(vg, jnp.zeros(3), key, num_warmup=500, num_samples=4000,
                                        dense_mass=dense_mass))
    z, _, info, _ = run(jax.random.key(0))
    z = np.asarray(z)
    assert z.shape == (4000, 3) and not np.any(info.diverging)
    for j in range(3):
        assert_posterior_matches(z[None, :, j], MEAN[j], np.sqrt(COV[j, j]))
    # the covariances, as means of products of centred draws
    for i, j in ((0, 1), (1, 2)):
        assert_within_mcse(((z[:, i] - MEAN[i]) * (z[:, j] - MEAN[j]))[None], COV[i, j])


def test_laplace_target_matches_its_moments():
    """A kinked target (Laplace(0.5, 1) in 1-d: mean 0.5, sd sqrt(2)), the kind the Bayesian
    lasso makes: the gradient jumps at the mode."""
    vg = jax.jit(jax.value_and_grad(lambda z: jnp.sum(jnp.abs(z - 0.5))))
    z, *_ = jax.jit(lambda key: run_chain(vg, jnp.zeros(1), key, num_warmup=500, num_samples=6000))(
        jax.random.key(1))
    assert_posterior_matches(np.asarray(z)[None, :, 0], 0.5, np.sqrt(2.0))


def test_tree_depth_is_capped_and_divergences_are_flagged():
    vg = _gaussian()
    start = Position(jnp.zeros(3), *vg(jnp.zeros(3)))
    ones = jnp.ones(3)
    rand = jax.tree.map(lambda a: a[0], draw_randomness(jax.random.key(2), 1, 3, 4))
    # a tiny step never turns: the trajectory stops at the cap of 4 doublings, 2^4 - 1 steps
    _, info = nuts_transition(vg, start, rand, 1e-4, ones, ones)
    assert int(info.tree_depth) == 4 and int(info.num_steps) == 15 and not bool(info.diverging)
    # a huge step blows up the energy at once
    new, info = nuts_transition(vg, start, rand, 1e3, ones, ones)
    assert bool(info.diverging) and int(info.num_steps) == 1
    np.testing.assert_array_equal(new.z, start.z)


def test_same_key_same_draws_and_other_key_other_draws():
    vg = _gaussian()
    run = jax.jit(lambda key: run_chain(vg, jnp.zeros(3), key, num_warmup=50, num_samples=50)[0])
    a, b, c = run(jax.random.key(3)), run(jax.random.key(3)), run(jax.random.key(4))
    np.testing.assert_array_equal(a, b)
    assert np.abs(np.asarray(a) - np.asarray(c)).max() > 0.1
