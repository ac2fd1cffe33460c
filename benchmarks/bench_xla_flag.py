"""Case 1b: does XLA's small-loop flag help NumPyro's own NUTS kernel?

bayesreg raises ``xla_cpu_small_while_loop_byte_threshold`` to 16 MB (see ``bayesreg._backend``).
Here the NumPyro-functional peer of ``peers.py`` (bayesreg's sufficient-statistics model, 4 chains
x 1000 + 1000, one compiled program) runs in a fresh process per flag setting, since XLA reads
its flags once when JAX starts: "with" sets
``--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=16777216``, "without" sets
no extra option (XLA's default); both set the same host device count, and JAX starts *before*
bayesreg is imported so bayesreg cannot add the flag. Simulated n = 1000 data, p = 10, 100, 500,
sigma = 1, tau = 1; second run timed (compile excluded), median of ``repeats`` (once at p = 500); the row's
ratio is (ESS/s with) / (ESS/s without), and the note gives the wall time per leapfrog step.
"""

from __future__ import annotations

import os
import re

from common import row, run_fresh, size

FLAG = "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=16777216"

SCRIPT = """
import json, os, statistics, sys, time
sys.path.insert(0, '.')
import jax
jax.config.update("jax_enable_x64", True)
jax.devices()  # start the backend with exactly the XLA_FLAGS given; bayesreg can no longer change them
import common
common.SMOKE = {smoke}
common.setup_bayesreg()
from bayesreg.datasets import simulate_regression
from peers import Peer, gram_data
from common import min_bulk_ess
warmup = draws = common.size(1000, 150)
p = {p}
peer = Peer("numpyro-functional", num_warmup=warmup, num_samples=draws)
sims = [simulate_regression(1000, p, n_nonzero=max(1, p // 10), coef_scale=2.0, sigma=1.0, seed=s) for s in (0, 1)]
peer.fit(gram_data(sims[0].X, sims[0].y, 1.0, 1.0), 4, 0)
res = []
for rep in range({repeats}):
    t = time.perf_counter()
    out = peer.fit(gram_data(sims[1].X, sims[1].y, 1.0, 1.0), 4, rep + 1)
    t = time.perf_counter() - t
    res.append((t, min_bulk_ess({{"w": out["w"]}}), out["warmup_steps"] + int(out["steps"].sum())))
t, ess, steps = sorted(res)[len(res) // 2]
print(json.dumps({{"seconds": t, "ess": ess, "steps": steps, "xla_flags": os.environ.get("XLA_FLAGS", ""),
                  "devices": jax.local_device_count()}}))
"""


def run(repeats: int) -> list[dict]:
    import common
    import jax

    base = re.sub(r"--xla_backend_extra_options=\S*", "", os.environ.get("XLA_FLAGS", "")).strip()
    if "xla_force_host_platform_device_count" not in base:
        base = f"{base} --xla_force_host_platform_device_count={jax.local_device_count()}".strip()
    rows = []
    for p in (10, 100, size(500, 200)):
        # p = 500 runs ~30 s a fit without the flag: timed once, to keep `make bench` short
        script = SCRIPT.format(p=p, repeats=repeats if p < 500 else 1, smoke=common.SMOKE)
        res = {label: run_fresh(script, env={"XLA_FLAGS": flags})
               for label, flags in (("without", base), ("with", f"{base} {FLAG}"))}
        for label, r in res.items():
            if ("small_while_loop" in r["xla_flags"]) != (label == "with"):
                raise RuntimeError(f"the {label}-flag process ran with XLA_FLAGS={r['xla_flags']!r}")
        us = {label: 1e6 * r["seconds"] / r["steps"] for label, r in res.items()}
        rows.append(row(f"XLA small-loop flag, numpyro-functional NUTS, p={p} (4 chains, fresh process per setting)",
                        "with flag", res["with"]["ess"] / res["with"]["seconds"], "without flag",
                        res["without"]["ess"] / res["without"]["seconds"], unit="min bulk ESS/s",
                        higher_is_better=True,
                        note=f"µs per leapfrog step {us['with']:.3g} with, {us['without']:.3g} without; "
                             f"wall {res['with']['seconds']:.3g} s vs {res['without']['seconds']:.3g} s"))
    return rows
