"""ArviZ, in one place: building ``InferenceData``, its summary statistics, NetCDF files and ArviZ's plots.

This is the only bayesreg module that imports ArviZ (``tests/test_imports.py`` checks it), so
an ArviZ upgrade (1.x changes the API) is one module's work. ArviZ 0.2x warns on import that
1.x will change its API; bayesreg pins ``arviz<1`` and that notice is not actionable for our
users, so it is filtered here and only here.

ArviZ's diagnostic plots (trace, rank, forest, posterior predictive) are here too rather than in
:mod:`bayesreg.plotting`: they are ArviZ's API called on an ``InferenceData``, and keeping them
here leaves ``plotting`` (figures drawn by bayesreg with matplotlib) free of ArviZ. :func:`plot`
returns a matplotlib Figure, saved like any other with :func:`bayesreg.plotting.save_figure`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

PLOTS = ("trace", "rank", "forest", "ppc", "posterior", "energy")


def arviz():
    """The ArviZ module, imported without its notice about the 1.x refactor.

    For tests and benchmarks that compare with ArviZ; bayesreg modules use the functions below.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
        import arviz as az
    return az


def from_draws(posterior: Mapping[str, np.ndarray], *, posterior_predictive: Mapping[str, np.ndarray] | None = None,
               log_likelihood: Mapping[str, np.ndarray] | None = None,
               observed_data: Mapping[str, np.ndarray] | None = None,
               sample_stats: Mapping[str, np.ndarray] | None = None,
               dims: Mapping[str, Sequence[str]] | None = None, coords: Mapping[str, Sequence] | None = None,
               attrs: Mapping[str, Any] | None = None):
    """An ``InferenceData`` from dicts of arrays with leading dimensions (chain, draw).

    Groups given as None or empty are left out; ``dims``, ``coords`` and ``attrs`` are as for
    ``arviz.from_dict``.
    """
    return arviz().from_dict(posterior=dict(posterior), posterior_predictive=posterior_predictive or None,
                             log_likelihood=log_likelihood or None, observed_data=observed_data or None,
                             sample_stats=sample_stats or None, dims=dims, coords=coords, attrs=attrs)


def loo(idata, log_likelihood: Mapping[str, np.ndarray] | None = None, *, pointwise: bool = False,
        dims: Mapping[str, Sequence[str]] | None = None, pareto_warning: bool = True, **kwargs):
    """ArviZ's PSIS-LOO (``ELPDData``) of ``idata``: elpd_loo, se, p_loo and, with
    ``pointwise``, the Pareto k of every observation.

    ``log_likelihood`` (a dict of (chain, draw, n) arrays) is used as the pointwise group
    when ``idata`` has none (too large to keep with the fit): the rest of ``idata`` is shared,
    not copied. ``pareto_warning=False`` silences ArviZ's Pareto k warning for callers that
    report the observations themselves. Other keyword arguments go to ``arviz.loo`` (``reff``,
    ``scale``, ``var_name``).
    """
    az = arviz()
    if log_likelihood is not None:
        group = az.from_dict(log_likelihood=dict(log_likelihood), dims=dims).log_likelihood
        idata = az.InferenceData(**{name: idata[name] for name in idata.groups() if name != "log_likelihood"},
                                 log_likelihood=group)
    with warnings.catch_warnings():
        if not pareto_warning:
            warnings.filterwarnings("ignore", message=r".*[Pp]areto", category=UserWarning)
        return az.loo(idata, pointwise=pointwise, **kwargs)


def summary_stats(idata, var_names: Sequence[str] | None = None, *, hdi_prob: float = 0.94,
                  stat_funcs: Mapping[str, Callable] | None = None):
    """ArviZ's statistics table of the posterior: mean, sd, HDI (and ``stat_funcs``), unrounded.

    One row per component, labelled as ArviZ labels them (``w[0]``, ``w[bmi]``).
    """
    return arviz().summary(idata, var_names=var_names, hdi_prob=hdi_prob, kind="stats",
                           stat_funcs=dict(stat_funcs) if stat_funcs else None, extend=True, round_to="none")


def compare(idatas: Mapping[str, Any], *, method: str = "stacking"):
    """ArviZ's ``az.compare`` of several fits by PSIS-LOO: elpd_loo, p_loo, elpd_diff, weight
    (stacking by default), se, dse, warning; one row per fit, best first."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*[Pp]areto", category=UserWarning)
        # ArviZ 0.2x sorts with inplace=True, which pandas 3.1 deprecates; nothing for our users to act on
        warnings.filterwarnings("ignore", message=r"The inplace keyword")
        return arviz().compare(dict(idatas), ic="loo", method=method)


def write_netcdf(idata, path: str | os.PathLike[str]) -> None:
    """Write ``idata`` to the NetCDF file ``path``."""
    idata.to_netcdf(str(path))


def read_netcdf(path: str | os.PathLike[str]):
    """Read an ``InferenceData`` from NetCDF, fully into memory (the file may be replaced later)."""
    az = arviz()
    with az.rc_context({"data.load": "eager"}):
        return az.from_netcdf(str(path))


def plot(kind: str, idata, **kwargs):
    """ArviZ's ``plot_<kind>`` of ``idata`` (kind one of :data:`PLOTS`); returns the matplotlib Figure.

    Keyword arguments go to ArviZ (``var_names``, ``compact``, ``hdi_prob``, ...).
    """
    if kind not in PLOTS:
        raise ValueError(f"kind must be one of {', '.join(PLOTS)}; got {kind!r}.")
    axes = getattr(arviz(), f"plot_{kind}")(idata, **kwargs)
    return np.atleast_1d(axes).ravel()[0].figure
