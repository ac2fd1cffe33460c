"""BayesianLinearRegression dispatches through its method table and the results interface.

``fit`` looks the method up in ``METHOD_TABLE``; ``predict``, ``predict_interval``,
``sample_predictive``, ``coef_table``, ``log_likelihood`` and ``idata_`` ask ``fit_result_``
(a :class:`~bayesreg.results.RegressionResult`); persistence saves any result through
``to_arrays``/``from_arrays``. The source-reading tests keep it so: no comparison of
``self.method`` and no ``isinstance`` on a result class in the estimator or in persistence.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import bayesreg
from bayesreg import BayesianLinearRegression, HalfNormal
from bayesreg.datasets import simulate_regression
from bayesreg.estimators import linear_regression
from bayesreg.persistence import RESULT_TYPES
from bayesreg.results import RegressionResult, RidgeMAP

PACKAGE = Path(bayesreg.__file__).parent
RESULT_CLASSES = {"PosteriorFit", "MAPEstimate", "MultivariateNormal", "LassoSolution", "RegressionPosterior",
                  "ExactPosterior", "RidgeMAP", "RegressionMAP", "PointEstimate", "RegressionResult"}
ESTIMATOR = {"self", "est", "estimator"}  # names an estimator goes by (not the CLI's args.method)
DATA = simulate_regression(30, 3, seed=0)
pytestmark = pytest.mark.filterwarnings("ignore::bayesreg.ConvergenceWarning")


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _violations(source: str) -> list[str]:
    """Where code switches on the method or on a result's type."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Attribute) and o.attr == "method" and getattr(o.value, "id", "") in ESTIMATOR
                   for o in operands):
                found.append(f"line {node.lineno}: compares .method")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("isinstance", "issubclass", "type") and len(node.args) >= 1):
            named = _names(node.args[-1]) & RESULT_CLASSES
            if named or (node.func.id == "type" and "fit_result_" in _names(node.args[0])):
                found.append(f"line {node.lineno}: {node.func.id}(...) on {sorted(named) or 'fit_result_'}")
        elif isinstance(node, ast.Name) and node.id == "SAMPLERS":
            found.append(f"line {node.lineno}: SAMPLERS")
    return found


@pytest.mark.parametrize("module", ["estimators/linear_regression.py", "persistence.py", "cli/fit.py"])
def test_no_switch_on_method_or_result_type(module):
    found = _violations((PACKAGE / module).read_text())
    assert not found, f"{module} switches on the method or the result's type:\n" + "\n".join(found)


def test_the_scan_sees_the_old_switches():
    old = ("if self.method == 'exact': pass\n"
           "if self.method in SAMPLERS: pass\n"
           "if isinstance(result, PosteriorFit) and 'sigma' in result.posterior: pass\n"
           "if isinstance(result, (MAPEstimate, conjugate.MultivariateNormal)): pass\n"
           "if args.method is None or 'gibbs' in args.method: pass\n")  # the CLI's own option: allowed
    assert len(_violations(old)) == 5  # SAMPLERS counts twice: the comparison and the name


FITS = {
    "map": dict(method="map"),  # sigma sampled: L-BFGS
    "lasso": dict(method="map", sigma=1.0, tau=[0.5, 1.0, 2.0]),
    "ridge": dict(method="map", prior="normal", sigma=1.0),
    "exact": dict(method="exact", prior="normal", sigma=1.0),
    "nuts": dict(method="nuts", sigma=HalfNormal(2.0), num_warmup=100, num_samples=100, progress=False),
}


@pytest.fixture(scope="module")
def fits():
    return {name: BayesianLinearRegression(**kw).fit(DATA.X, DATA.y) for name, kw in FITS.items()}


@pytest.mark.parametrize("name", list(FITS))
def test_every_fit_result_implements_the_interface_and_is_registered(fits, name, tmp_path):
    result = fits[name].fit_result_
    for member in [m for m in dir(RegressionResult) if not m.startswith("_") or m == "__init__"]:
        if member != "__init__":
            assert hasattr(result, member), f"{type(result).__name__} lacks {member}"
    assert RESULT_TYPES[result.KIND] is type(result)  # persistence can rebuild it
    loaded = bayesreg.load(fits[name].save(tmp_path / "m"))
    assert type(loaded.fit_result_) is type(result)
    assert json.loads((tmp_path / "m" / "meta.json").read_text())["result"] == result.KIND


def test_kinds_of_fit_and_what_they_answer(fits):
    assert [type(fits[n].fit_result_).__name__ for n in FITS] == [
        "RegressionMAP", "LassoSolution", "RidgeMAP", "ExactPosterior", "RegressionPosterior"]
    # only the exact fit exposes a closed-form posterior; the ridge MAP keeps it but predicts by plug-in
    assert fits["exact"].posterior_ is fits["exact"].fit_result_
    with pytest.raises(AttributeError, match="no posterior_"):
        _ = fits["ridge"].posterior_
    sd = fits["ridge"].predict(DATA.X, return_std=True)[1]
    np.testing.assert_array_equal(sd, np.ones(30))  # sigma = 1 only
    assert fits["exact"].predict(DATA.X, return_std=True)[1].min() > 1.0


def test_validate_is_public_and_gives_the_errors_of_fit():
    assert BayesianLinearRegression(method="map").validate().method == "map"
    assert "._check_params(" not in (PACKAGE / "cli" / "fit.py").read_text()  # the CLI uses the public one
    for kwargs, message in [(dict(method="exact"), "^method='exact' needs prior='normal'"),
                            (dict(method="gibbs"), "^method='gibbs' cannot sample the default sigma='auto'"),
                            (dict(method="map", prior="horseshoe"), "^method='map' is not available for prior="),
                            (dict(method="mcmc"), "method")]:
        with pytest.raises(ValueError, match=message):
            BayesianLinearRegression(**kwargs).validate()
        with pytest.raises(ValueError, match=message):
            BayesianLinearRegression(**kwargs).fit(DATA.X, DATA.y)


def test_a_new_method_is_one_table_entry(monkeypatch, tmp_path):
    """An ordinary least squares 'method': one entry; fit, predict, tables and save work unchanged."""
    def ols(est, problem):
        coef = np.linalg.lstsq(problem.Xc, problem.yc, rcond=None)[0]
        return RidgeMAP(mean=coef, cov=np.zeros((coef.size, coef.size)))

    monkeypatch.setitem(linear_regression.METHOD_TABLE, "ols", linear_regression.Method(fit=ols))
    est = BayesianLinearRegression(method="ols", sigma=1.0, tau=1.0).fit(DATA.X, DATA.y)
    X1 = np.column_stack([np.ones(30), DATA.X])
    ref = np.linalg.lstsq(X1, DATA.y, rcond=None)[0]
    np.testing.assert_allclose(est.coef_, ref[1:], rtol=1e-10)
    np.testing.assert_allclose(est.intercept_, ref[0], rtol=1e-10)
    assert list(est.coef_table().columns) == ["coef", "is_zero"]
    lower, upper = est.predict_interval(DATA.X[:2])
    np.testing.assert_allclose(upper - lower, 2 * 1.959963984540054, rtol=1e-12)
    loaded = bayesreg.load(est.save(tmp_path / "ols"))
    np.testing.assert_array_equal(loaded.predict(DATA.X), est.predict(DATA.X))
