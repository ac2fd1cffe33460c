"""Write the notebooks from their cell sources: ``python notebooks/_build.py [NAME] [--run]``.

Keeping the cells here makes notebook changes reviewable as plain diffs; the committed
.ipynb files carry the outputs of one full run (`BAYESREG_FAST` unset).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}


def notebook(name):
    def register(fn):
        NOTEBOOKS[name] = fn()
        return fn
    return register


@notebook("01_gaussian_mean")
def _gaussian_mean():
    return [
        ("md", """# 1. The mean of Normal data: prior, posterior, and three ways to predict

Model: $x_i = \\mu + \\varepsilon_i$, $\\varepsilon_i \\sim N(0, \\sigma^2)$ with $\\sigma$ known,
prior $\\mu \\sim N(0, \\tau^2)$. Everything here has a closed form, so it is the place to see
what a prior does to an estimate, what a posterior adds to a point estimate, and to check
that NUTS and a numerical optimiser recover the exact answers."""),
        ("code", """import os

import arviz as az
import matplotlib.pyplot as plt
import numpy as np

import bayesreg
from bayesreg import GaussianMean, compare_predictives, growth_table, sign_cases
from bayesreg.datasets import simulate_gaussian_mean
from bayesreg.plotting import plot_growth, plot_posterior_mu, plot_predictives

print("bayesreg", bayesreg.__version__)"""),
        ("code", """FAST = os.environ.get("BAYESREG_FAST") == "1"  # tests run every notebook small
SEED = 0
N, MU_TRUE, SIGMA, TAU = 10, 1.5, 2.0, 1.0
N_TEST = 2_000 if FAST else 20_000
NUM_WARMUP, NUM_SAMPLES = (300, 300) if FAST else (1000, 2000)"""),
        ("md", """## 2. The posterior of $\\mu$

Precisions add: $1/v_n = 1/\\tau^2 + n/\\sigma^2$, and the posterior mean
$m_n = n\\tau^2\\bar x / (\\sigma^2 + n\\tau^2)$ is the sample mean pulled towards the prior
mean 0. For a Normal posterior the MAP is the posterior mean."""),
        ("code", """x = simulate_gaussian_mean(N, mu=MU_TRUE, sigma=SIGMA, seed=SEED)
x_test = simulate_gaussian_mean(N_TEST, mu=MU_TRUE, sigma=SIGMA, seed=SEED + 1)
model = GaussianMean(sigma=SIGMA, tau=TAU)
post = model.posterior(x)
print(f"MLE {model.mle(x):.4f}   MAP {model.map(x):.4f}   posterior {post}")
print("95% credible interval:", np.round(post.interval(0.95), 4))
plot_posterior_mu(model, x);"""),
        ("md", """## 3. Three predictive distributions

The plug-ins $N(\\hat\\mu, \\sigma^2)$ ignore that $\\mu$ is uncertain; the posterior predictive
$N(m_n, v_n + \\sigma^2)$ does not. On held-out points drawn from the same truth we compare
the mean log predictive density and the coverage of the central 95% interval."""),
        ("code", """plot_predictives(model, x, x_test=x_test[:200])
compare_predictives(model, x, x_test)"""),
        ("md", """## 4. As $n$ grows

$\\mu_{MAP}/\\mu_{MLE} = n\\tau^2/(\\sigma^2 + n\\tau^2) \\to 1$ and the predictive variance
$v_n + \\sigma^2 \\to \\sigma^2$: with enough data the prior stops mattering and the three
predictives coincide."""),
        ("code", """table = growth_table(model, [1, 2, 5, 10, 20, 50, 100, 1_000, 10_000], mu_true=MU_TRUE, seed=SEED)
plot_growth(table)
plt.tight_layout()
table"""),
        ("md", """## 5. The sign of $\\sum x$

With prior mean 0 the MAP shrinks the MLE towards 0: not at all when $\\sum x = 0$, downwards
when $\\sum x > 0$, upwards when $\\sum x < 0$."""),
        ("code", """sign_cases(model, n=N, shift=1.0, seed=SEED)"""),
        ("md", """## 6. The same model in NumPyro, by NUTS

`model.sample` runs NUTS on the NumPyro version of the model and returns an ArviZ
`InferenceData`. The draws should agree with the closed form within Monte Carlo error."""),
        ("code", """fit = model.sample(x, num_warmup=NUM_WARMUP, num_samples=NUM_SAMPLES, num_chains=4, seed=SEED)
idata = fit.to_arviz()
fit.summary()"""),
        ("code", """mu = fit.draws("mu")
mcse = fit.summary().loc["mu", "mcse_mean"]
print(f"NUTS mean {mu.mean():.4f} +- {mcse:.4f} (MCSE)   closed form {post.mean:.4f}")
print(f"NUTS sd   {mu.std():.4f}               closed form {post.std:.4f}")
print(f"divergences: {fit.num_divergences}")
az.plot_trace(idata, var_names=["mu"], compact=False)
plt.tight_layout()"""),
        ("code", """fig, axes = plt.subplots(1, 2, figsize=(11, 4))
az.plot_posterior(idata, var_names=["mu"], ref_val=post.mean, ax=axes[0])
axes[0].set_title("NUTS posterior of mu (ref: closed-form mean)")
az.plot_ppc(idata, data_pairs={"x": "x"}, num_pp_samples=100, ax=axes[1])
axes[1].set_title("Posterior predictive check");"""),
        ("md", """## 7. The MAP by numerical optimisation

`find_map` maximises the NumPyro model's log joint density with L-BFGS (exact JAX gradients)
instead of using the formula; it should land on the closed-form MAP."""),
        ("code", """est = model.find_map(x)
print(est.message, "| iterations:", est.num_iterations, "| |grad|:", est.grad_norm)
print(f"L-BFGS {float(est['mu']):.10f}   closed form {model.map(x):.10f}")"""),
        ("md", """## What to take away

* The prior acts like $\\sigma^2/\\tau^2$ extra observations at 0: it shrinks the estimate, most when $n$ is small.
* The plug-in predictives are too confident at small $n$; the posterior predictive's extra variance $v_n$
  is what makes its intervals cover. As $n$ grows the difference vanishes.
* NUTS and the optimiser reproduce the closed forms, which is how bayesreg tests them."""),
    ]


def build(name: str) -> Path:
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src)
             for kind, src in NOTEBOOKS[name]]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def execute(path: Path) -> None:
    """Run a notebook in place at full size, keeping its outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(nb, path)


if __name__ == "__main__":
    run = "--run" in sys.argv
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or list(NOTEBOOKS)
    for name in names:
        path = build(name)
        if run:
            execute(path)
        print(path)
