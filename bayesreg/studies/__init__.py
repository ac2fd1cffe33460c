"""Simulation studies, one per module, each with ``run_study(...)`` and ``main(argv)``.

* :mod:`.linear`: w_MAP against the posterior mean over a grid of (n, p, tau, sigma);
* :mod:`.gaussian_mean`: MLE plug-in, MAP plug-in and posterior predictive over n.

Both are vectorised over replicates, reproducible from a seed (each cell's randomness
depends only on the seed and the cell, not on the rest of the grid), and write CSV and
JSON tables and PNG plots. ``python -m bayesreg.studies.linear --help`` runs one directly;
``bayesreg simulate linear|gaussian-mean`` is the same from the command line.
"""

from ._grid import parse_grid

__all__ = ["parse_grid"]
