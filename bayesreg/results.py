"""Result objects: immutable records of numpy arrays (and an ArviZ InferenceData)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._arviz import arviz
from .diagnostics import convergence_problems, quick_diagnostics


@dataclass(frozen=True)
class PosteriorFit:
    """A NUTS (or other MCMC) fit: the draws in an ArviZ ``InferenceData``.

    ``idata`` has the groups posterior, posterior_predictive, log_likelihood,
    observed_data and sample_stats; every array has leading dimensions (chain, draw).
    """

    idata: Any
    settings: Mapping[str, Any] = field(default_factory=dict)

    # -- access ------------------------------------------------------------------------
    def to_arviz(self):
        return self.idata

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable, shape (chain, draw, ...)."""
        posterior = self.idata.posterior
        if name not in posterior:
            raise KeyError(f"no variable {name!r} in the posterior; have {list(posterior.data_vars)}.")
        return posterior[name].values

    @property
    def num_chains(self) -> int:
        return int(self.idata.posterior.sizes["chain"])

    @property
    def num_draws(self) -> int:
        return int(self.idata.posterior.sizes["draw"])

    @property
    def num_divergences(self) -> int:
        return int(self.idata.sample_stats["diverging"].values.sum())

    # -- tables ------------------------------------------------------------------------
    def summary(self, var_names: Sequence[str] | None = None, *, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Mean, sd, median, HDI, MCSE, bulk/tail ESS and R-hat of each parameter."""
        az = arviz()

        table = az.summary(self.idata, var_names=var_names, hdi_prob=hdi_prob,
                           stat_funcs={"median": np.median}, extend=True,
                           round_to="none")
        order = ["mean", "sd", "median"] + [c for c in table.columns if c.startswith("hdi_")]
        order += ["mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"]
        return table[[c for c in order if c in table.columns]]

    def convergence_problems(self) -> list[str]:
        """Divergences, split R-hat > 1.01, bulk or tail ESS < 100 per chain (as text)."""
        draws = {name: self.idata.posterior[name].values for name in self.idata.posterior.data_vars}
        return convergence_problems(quick_diagnostics(draws), self.num_divergences, self.num_chains)

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
    """Build a fit from raw :class:`~bayesreg.sampling.NUTSDraws` and model-specific groups."""
    az = arviz()

    settings = draws.settings.as_dict()
    meta = {"inference": "NUTS (bayesreg compiled sampler on NumPyro)", **{
        k: (str(v) if isinstance(v, bool) else v) for k, v in settings.items()}}
    meta.update({k: v for k, v in (attrs or {}).items() if v is not None})
    idata = az.from_dict(
        posterior=draws.samples,
        posterior_predictive=posterior_predictive or None,
        log_likelihood=log_likelihood or None,
        observed_data=observed_data,
        sample_stats=draws.stats,
        dims=dims,
        coords=coords,
        attrs=meta,
    )
    return cls(idata=idata, settings={**settings, **(attrs or {})})


PosteriorFit.from_draws = classmethod(_from_draws)
