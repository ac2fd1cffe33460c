"""The sparse shrinkage study: horseshoe-type priors against the Laplace prior (n = 100, p = 200, 5 nonzero)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesreg.studies.sparse import run_study, simulate_sparse, summarize


def test_simulated_replicates_are_sparse_and_seeded():
    a = simulate_sparse(30, 12, 3, 4, coef_scale=2.0, sigma=1.0, n_test=10, rng=np.random.default_rng(5))
    b = simulate_sparse(30, 12, 3, 4, coef_scale=2.0, sigma=1.0, n_test=10, rng=np.random.default_rng(5))
    assert a["X"].shape == (4, 30, 12) and a["y_test"].shape == (4, 10)
    assert np.all(a["w"][:, 3:] == 0) and np.all(a["w"][:, :3] != 0)
    np.testing.assert_array_equal(a["y"], b["y"])


def test_summary_pairs_each_prior_with_the_laplace_prior():
    per_rep = pd.DataFrame({
        "prior": ["laplace"] * 3 + ["horseshoe"] * 3, "replicate": [0, 1, 2] * 2,
        "sqerr": [1.0, 2.0, 3.0, 0.5, 1.0, 2.0], "test_mse": [1.0] * 6, "divergences": [0] * 6, "max_rhat": [1.0] * 6})
    row = summarize(per_rep).set_index("prior").loc["horseshoe"]
    assert row["sqerr_minus_laplace"] == pytest.approx(-2.5 / 3)
    assert row["diff_low"] < row["sqerr_minus_laplace"] < row["diff_high"]


def test_run_study_checks_arguments_first():
    with pytest.raises(ValueError, match="prior must be one of"):
        run_study(("horseshoe", "spike"), replicates=2)
    with pytest.raises(ValueError, match="n_nonzero"):
        run_study(("horseshoe",), p=3, n_nonzero=5, replicates=2)


def test_shrinkage_priors_run_collapsed_in_the_batched_study():
    """The study's horseshoe is the collapsed model (NUTS on the scales, w drawn given them): draws of w and z
    with w = z * scale, reproducible from the seed, and the same data and key as the non-collapsed form."""
    import jax

    from bayesreg.infer.mcmc import MCMCSettings
    from bayesreg.studies.sparse import fit_prior_batched

    sim = simulate_sparse(15, 20, 2, 2, coef_scale=2.0, sigma=1.0, n_test=5, rng=np.random.default_rng(1))
    settings = MCMCSettings(num_warmup=100, num_samples=100, num_chains=1, target_accept_prob=0.95)
    draws = fit_prior_batched(sim["X"], sim["y"], "horseshoe", settings=settings, key=jax.random.key(0))
    s = draws.samples
    assert s["w"].shape == (2, 1, 100, 20) and "z" in s and s["tau"].shape == (2, 1, 100)
    np.testing.assert_allclose(s["w"], s["z"] * s["tau"][..., None] * s["lambda"], rtol=1e-9)
    again = fit_prior_batched(sim["X"], sim["y"], "horseshoe", settings=settings, key=jax.random.key(0))
    np.testing.assert_array_equal(again.samples["w"], s["w"])


@pytest.fixture(scope="module")
def sparse_study():
    """Issue 16's study, as `bayesreg simulate sparse --priors horseshoe,laplace,regularized_horseshoe --n 100
    --p 200 --n-nonzero 5 --replicates 20 --num-warmup 500 --num-samples 500 --target-accept 0.95 --chunk 1
    --seed 0`: 2 chains per replicate, the shrinkage priors collapsed (w integrated out). ~25 minutes on 2 cores
    (README: the table and what it found)."""
    _, summary = run_study(("horseshoe", "laplace", "regularized_horseshoe"), n=100, p=200, n_nonzero=5,
                           replicates=20, num_warmup=500, num_samples=500, target_accept_prob=0.95, chunk=1,
                           progress=False)
    return summary.set_index("prior")


@pytest.mark.slow
@pytest.mark.parametrize("prior", ["regularized_horseshoe", "horseshoe"])
def test_horseshoe_estimates_sparse_coefficients_better_than_laplace(sparse_study, prior):
    assert sparse_study.loc[prior, "diff_high"] < 0  # 95% interval of the paired difference below 0


@pytest.mark.slow
@pytest.mark.parametrize("prior", ["regularized_horseshoe", "horseshoe"])
def test_horseshoe_samples_the_sparse_problem_without_divergences(sparse_study, prior):
    """0 divergences at target_accept_prob = 0.95 and no replicate whose chains disagree (R-hat of w > 1.1)."""
    assert sparse_study.loc[prior, "divergences"] == 0
    assert sparse_study.loc[prior, "replicates_rhat_over_1.1"] == 0


def test_chunked_study_resumes_to_the_same_table(tmp_path):
    """Chunks of one replicate, each a checkpointed cell: a run resumed from a checkpoint missing a chunk
    recomputes only that chunk and gives the table of the uninterrupted run, bit for bit."""
    import shutil

    from bayesreg.runner import finished_cells

    small = dict(n=15, p=20, n_nonzero=2, replicates=3, n_test=5, num_warmup=60, num_samples=40, num_chains=2,
                 seed=3, progress=False)
    chunked, summary = run_study(("horseshoe", "laplace"), chunk=1, checkpoint=tmp_path, **small)
    assert len(finished_cells(tmp_path)) == 6 and summary.set_index("prior").loc["horseshoe", "replicates"] == 3
    shutil.rmtree(next(p for p in (tmp_path / "cells").iterdir() if "horseshoe" in p.name))
    resumed, _ = run_study(("horseshoe", "laplace"), chunk=1, checkpoint=tmp_path, resume=True, **small)
    pd.testing.assert_frame_equal(resumed, chunked)
    assert chunked["replicate"].tolist() == [0, 1, 2] * 2
