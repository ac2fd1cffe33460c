"""Result objects: immutable records of numpy arrays (and an ArviZ InferenceData)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import inference_data
from .diagnostics import component_labels, convergence_problems, convergence_summary, quick_diagnostics


class PosteriorFit:
    """An MCMC fit: the draws, and an ArviZ ``InferenceData`` built when first asked for.

    ``idata`` has the groups posterior, posterior_predictive, log_likelihood,
    observed_data and sample_stats; every array has leading dimensions (chain, draw).
    Building it (xarray objects, pointwise log-likelihoods and replicated data for every
    draw) costs more than sampling a small model, so a fit made by bayesreg builds it on
    first access to ``idata``; draws, summaries and convergence checks do not need it.
    ``dims`` and ``coords`` (as for ``az.from_dict``) label the components in convergence
    warnings as the summary table does, without building ``idata``.
    """

    def __init__(self, idata=None, settings: Mapping[str, Any] | None = None, *,
                 posterior: Mapping[str, np.ndarray] | None = None,
                 sample_stats: Mapping[str, np.ndarray] | None = None,
                 build: Callable[[], Any] | None = None,
                 dims: Mapping[str, Sequence[str]] | None = None,
                 coords: Mapping[str, Sequence] | None = None):
        if idata is None and build is None:
            raise ValueError("PosteriorFit needs idata or a function that builds it.")
        self._idata = idata
        self._build = build
        self.settings = dict(settings or {})
        if posterior is None:
            posterior = {name: idata.posterior[name].values for name in idata.posterior.data_vars}
            sample_stats = ({name: idata.sample_stats[name].values for name in idata.sample_stats.data_vars}
                            if "sample_stats" in idata.groups() else {})
        if idata is not None:
            dims = {name: list(idata.posterior[name].dims[2:]) for name in idata.posterior.data_vars}
            coords = {dim: idata.posterior[dim].values.tolist() for dim in idata.posterior.dims}
        self.posterior = dict(posterior)
        self.sample_stats = dict(sample_stats or {})
        # component labels as ArviZ's summary writes them, so warnings name what the table shows
        self._quick: pd.DataFrame | None = None
        self._labels = {name: component_labels(name, np.shape(value)[2:], (dims or {}).get(name), coords)
                        for name, value in self.posterior.items()}

    # -- access ------------------------------------------------------------------------
    @property
    def idata(self):
        """The ArviZ ``InferenceData`` (built on first access, then kept)."""
        if self._idata is None:
            self._idata = self._build()
            self._build = None
        return self._idata

    def to_arviz(self):
        return self.idata

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable, shape (chain, draw, ...)."""
        if name not in self.posterior:
            raise KeyError(f"no variable {name!r} in the posterior; have {list(self.posterior)}.")
        return self.posterior[name]

    @property
    def num_chains(self) -> int:
        return int(next(iter(self.posterior.values())).shape[0])

    @property
    def num_draws(self) -> int:
        return int(next(iter(self.posterior.values())).shape[1])

    @property
    def num_divergences(self) -> int:
        diverging = self.sample_stats.get("diverging")
        return 0 if diverging is None else int(np.sum(diverging))

    # -- tables ------------------------------------------------------------------------
    def summary(self, var_names: Sequence[str] | None = None, *, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Mean, sd, median, HDI, MCSE, bulk/tail ESS and R-hat of each parameter.

        ArviZ computes the statistics and HDI; the MCSE, ESS and R-hat columns come from
        :func:`~bayesreg.diagnostics.quick_diagnostics` (ArviZ's rank-normalised estimators,
        vectorised), the very numbers the convergence warnings judge.
        """
        table = inference_data.summary_stats(self.idata, var_names, hdi_prob=hdi_prob,
                                             stat_funcs={"median": np.median})
        # rows are the selected variables in order, each flattened in C order, as quick_diagnostics'
        names = list(dict.fromkeys(label.split("[", 1)[0] for label in table.index))
        diagnostics = quick_diagnostics({name: self.idata.posterior[name].values for name in names}, mcse=True)
        if len(diagnostics) != len(table):
            raise RuntimeError(f"summary has {len(table)} rows but the diagnostics {len(diagnostics)}.")
        for column in diagnostics.columns:
            table[column] = diagnostics[column].values
        order = ["mean", "sd", "median"] + [c for c in table.columns if c.startswith("hdi_")]
        order += ["mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"]
        return table[[c for c in order if c in table.columns]]

    def _diagnostics(self) -> pd.DataFrame:
        """R-hat and ESS of every component, computed once (the draws never change)."""
        if self._quick is None:
            self._quick = quick_diagnostics(self.posterior, labels=self._labels)
        return self._quick

    def convergence_problems(self) -> list[str]:
        """Divergences, rank-normalised R-hat > 1.01, bulk or tail ESS < 100 per chain (as text)."""
        return convergence_problems(self._diagnostics(), self.num_divergences, self.num_chains)

    def convergence(self) -> dict:
        """Divergences, max R-hat and min ESS with the parameters they belong to (``w[bmi]``), and
        the problems as text: what the commands print and write to ``--json``."""
        return convergence_summary(self._diagnostics(), self.num_divergences, self.num_chains)

    def report(self, var_names: Sequence[str] | None = None) -> str:
        """The summary table as text, with divergences and any convergence problems."""
        lines = [self.summary(var_names).to_string(float_format=lambda v: f"{v:.4g}")]
        lines.append(
            f"{self.num_chains} chain(s) x {self.num_draws} draws; divergences: {self.num_divergences}"
        )
        lines += [f"warning: {p}" for p in self.convergence_problems()]
        return "\n".join(lines)


@dataclass(frozen=True)
class MAPEstimate:
    """A MAP found by numerical optimisation, with the optimiser's report.

    ``params`` holds constrained values; ``objective`` is the negative log joint density
    (prior times likelihood, up to a constant) at the optimum, in the constrained space
    (no Jacobian), so it is the mode of the posterior density of the parameters as written.
    """

    params: Mapping[str, np.ndarray]
    objective: float
    converged: bool
    num_iterations: int
    grad_norm: float
    message: str
    method: str

    def __getitem__(self, name: str) -> np.ndarray:
        return self.params[name]


def _from_draws(cls, draws, *, posterior_predictive=None, log_likelihood=None,
                observed_data=None, dims=None, coords=None, attrs=None):
    """Build a fit from raw :class:`~bayesreg.infer.mcmc.MCMCDraws` and model-specific groups.

    ``posterior_predictive`` and ``log_likelihood`` are dicts of arrays, or functions that
    return them: those are called only when the ``InferenceData`` is built.
    """
    settings = draws.settings.as_dict()
    meta = {"inference": draws.sampler or "NUTS (bayesreg compiled sampler)", **{
        k: (str(v) if isinstance(v, bool) else v) for k, v in settings.items()}}
    meta.update({k: v for k, v in (attrs or {}).items() if v is not None})

    def build():
        groups = {name: (group() if callable(group) else group) or None
                  for name, group in (("posterior_predictive", posterior_predictive),
                                      ("log_likelihood", log_likelihood))}
        return inference_data.from_draws(draws.samples, observed_data=observed_data, sample_stats=draws.stats,
                                         dims=dims, coords=coords, attrs=meta, **groups)

    return cls(settings={**settings, **(attrs or {})}, posterior=draws.samples, sample_stats=draws.stats,
               build=build, dims=dims, coords=coords)


PosteriorFit.from_draws = classmethod(_from_draws)
