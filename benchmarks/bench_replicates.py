"""Case 2: many replicate data sets, one chain each (500 warmup + 500 draws), compiled once.

* ``bayesreg batched``: ``bayesreg.studies.linear.nuts_batched`` (what ``bayesreg simulate linear``
  runs for one cell), sufficient statistics per replicate included in the timing;
* each peer of ``peers.py`` (NumPyro-functional, BlackJAX) runs its one-chain program on every
  data set, ``vmap``-ed over them and ``pmap``-ed over the cores with ``lax.map`` within; both
  are timed and the faster is the reference.

Every tool compiles on a first batch, then is timed on a second batch of the same shapes, the
tools in turn, median of ``repeats``. The rows: p = 5 with 200 replicates of n = 50 (the issue's
case: bayesreg must be at least as fast as the faster peer), then the cost per fit at p = 10, 100,
500 (n = max(50, 2p); 200, 10 and 2 replicates, p = 500 timed once, to keep the run short). Correctness: for every
replicate and coefficient, z = |mean_bayesreg - mean_peer| / sqrt(MCSE^2 + MCSE^2) (ArviZ MCSE of a
500-draw chain); the note gives the largest z and the mean of z^2 (about 1 when the tools sample the
same posterior), and a mean z^2 above 1.5 or a z above 6 is reported as a failed check.
"""

from __future__ import annotations

import statistics

import numpy as np
from common import failure, max_z, mean_and_mcse, row, section, size, timed_runs

# (p, replicates, max repeats): the large-p rows are few fits, timed once, to keep `make bench` short
CASES = ((5, 200, None), (10, 200, None), (100, 10, None), (500, 2, 1))


def _moments(w):
    """(R, 1, draw, p) draws -> per-(replicate, coefficient) mean and MCSE."""
    return mean_and_mcse(np.moveaxis(w, 0, 2))  # (chain, draw, R, p)


def run(repeats: int) -> list[dict]:
    import jax
    from peers import TOOLS, Peer, gram_data_batched

    from bayesreg.infer.mcmc import MCMCSettings
    from bayesreg.studies.linear import nuts_batched, simulate_cell

    warmup = draws = size(500, 100)
    settings = MCMCSettings(num_warmup=warmup, num_samples=draws, num_chains=1, chain_method="vectorized")
    peers = {tool: Peer(tool, num_warmup=warmup, num_samples=draws) for tool in TOOLS}
    out, lines = [], []
    for p, R, max_repeats in CASES:
        R = size(R, min(R, 16))
        p = size(p, min(p, 200))
        n = max(50, 2 * p)
        sims = [simulate_cell(n, p, 1.0, 1.0, R, rng=np.random.default_rng(seed), n_test=1) for seed in (0, 1)]
        fns = {"bayesreg batched": lambda sim, seed: {"w": nuts_batched(
            sim["X"], sim["y"], prior="laplace", tau=1.0, sigma=1.0, settings=settings,
            key=jax.random.key(seed)).samples["w"]}}
        for tool, peer in peers.items():
            for how in ("vmap", "pmap+lax.map"):
                fns[f"{tool} {how}"] = (lambda sim, seed, peer=peer, how=how:
                                        peer.replicates(gram_data_batched(sim["X"], sim["y"], 1.0, 1.0), seed, how))
        for fn in fns.values():  # compile on the first batch
            fn(sims[0], 0)
        runs = timed_runs({name: (lambda rep, fn=fn: fn(sims[1], rep + 1)) for name, fn in fns.items()},
                          min(repeats, max_repeats or repeats))
        seconds = {name: statistics.median(t for t, _ in rs) for name, rs in runs.items()}
        moments = {name: _moments(rs[-1][1]["w"]) for name, rs in runs.items()}
        best = min((name for name in fns if name != "bayesreg batched"), key=seconds.get)
        checks = []
        for name in fns:
            if name == "bayesreg batched":
                continue
            z = max_z(moments["bayesreg batched"], moments[name])
            checks.append(f"{name} max z {z.max():.2f}, mean z^2 {np.mean(z**2):.2f}")
            if np.mean(z**2) > 1.5 or z.max() > 6:
                out.append(failure(f"replicates p={p}: {name} disagrees with bayesreg (max z {z.max():.1f}, "
                                   f"mean z^2 {np.mean(z**2):.2f})"))
        b = seconds["bayesreg batched"]
        lines.append([str(p), str(n), str(R)] + [f"{1e3 * seconds[name] / R:.3g}" for name in fns]
                     + [f"{seconds[best] / b:.2f}x"])
        case = f"{R} replicates (n={n}, p={p}), NUTS 1 chain x {warmup} + {draws}, compiled once"
        out.append(row(case, "bayesreg batched", b, f"fastest peer ({best})", seconds[best], unit="s",
                       higher_is_better=False,
                       note=("target >= 1x; " if p == 5 else "") + f"{1e3 * b / R:.3g} ms per fit vs "
                            f"{1e3 * seconds[best] / R:.3g}; " + "; ".join(checks)))
    out.append(section("Replicates: wall time per fit (ms), compile excluded",
                       ["p", "n", "replicates", *fns, "best peer / bayesreg"], lines))
    return out

