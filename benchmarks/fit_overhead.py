"""Where a NUTS ``.fit()`` spends its time beyond the sampler, against BlackJAX jitted once.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/fit_overhead.py [case] [repeats]

``case`` indexes ``bench_nuts.problems()`` (0: diabetes tau=50, 1: diabetes tau=5, 2: simulated
n=1000 p=100). The bayesreg fit and the BlackJAX peer (``peers.py``) alternate on the second data
set, ``repeats`` times; the time the fit spends in the convergence diagnostics
(``diagnostics.quick_diagnostics``, ArviZ's rank-normalised R-hat and ESS) is recorded on the side.
Prints medians: both wall times, the ratio with and without the diagnostics, the min bulk ESS.
"""

from __future__ import annotations

import statistics
import sys
import time

import common
from bench_nuts import bayesreg_fit, problems
from common import min_bulk_ess
from peers import Peer, gram_data


def main(case: int = 0, repeats: int = 9) -> None:
    common.setup_bayesreg()
    import bayesreg.results as results

    name, X, y, X2, y2, sigma, tau = problems()[case]
    spent = []
    quick = results.quick_diagnostics

    def timed_quick(*args, **kwargs):
        t = time.perf_counter()
        out = quick(*args, **kwargs)
        spent.append(time.perf_counter() - t)
        return out

    results.quick_diagnostics = timed_quick
    peer = Peer("blackjax", num_warmup=1000, num_samples=1000)
    bayesreg_fit(X, y, sigma, tau, 0)  # compile both
    peer.fit(gram_data(X, y, sigma, tau), 4, 0)
    rows = []
    for rep in range(repeats):
        spent.clear()
        t = time.perf_counter()
        ours = bayesreg_fit(X2, y2, sigma, tau, rep + 1)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        theirs = peer.fit(gram_data(X2, y2, sigma, tau), 4, rep + 1)
        t_peer = time.perf_counter() - t
        rows.append((t_ours, sum(spent), t_peer, min_bulk_ess({"w": ours["w"]}), min_bulk_ess({"w": theirs["w"]})))
    t_ours, t_diag, t_peer, ess_ours, ess_peer = (statistics.median(column) for column in zip(*rows, strict=True))
    print(f"{name}: bayesreg .fit() {t_ours * 1e3:.0f} ms (diagnostics {t_diag * 1e3:.0f} ms), blackjax "
          f"{t_peer * 1e3:.0f} ms; wall ratio {t_peer / t_ours:.2f}x, without the diagnostics "
          f"{t_peer / (t_ours - t_diag):.2f}x; min bulk ESS {ess_ours:.0f} vs {ess_peer:.0f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
