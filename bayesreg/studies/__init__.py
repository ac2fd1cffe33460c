"""Simulation studies, one per module, each with ``run_study(...)`` returning DataFrames.

* :mod:`.linear`: w_MAP against the posterior mean over a grid of (n, p, tau, sigma);
* :mod:`.gaussian_mean`: MLE plug-in, MAP plug-in and posterior predictive over n.

Both are vectorised over replicates, reproducible from a seed (each cell's randomness
depends only on the seed and the cell, not on the rest of the grid), and write CSV and
JSON tables and PNG plots through ``bayesreg simulate linear|gaussian-mean``, whose options
live in :mod:`bayesreg.cli.simulate` (the studies know nothing of the command line).
Their cells, and :mod:`.calibration`'s cases, run through :func:`bayesreg.runner.run_cells`:
in-process, or on Dask distributed (``workers=``, ``client=``), with checkpoints and resume.
"""

from ._grid import parse_grid

__all__ = ["parse_grid"]
