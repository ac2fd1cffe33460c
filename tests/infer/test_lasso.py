"""The Laplace MAP is the lasso, solved exactly: same coefficients, same zeros, KKT."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso, Ridge

from bayesreg import BayesianLinearRegression
from bayesreg.datasets import load_diabetes_data, simulate_regression
from bayesreg.infer.lasso import kkt_violation, lasso_map, lasso_map_batched


def _ols_sigma(X, y):
    Xi = np.column_stack([np.ones(len(y)), X])
    resid = y - Xi @ np.linalg.lstsq(Xi, y, rcond=None)[0]
    return float(np.sqrt(resid @ resid / (len(y) - Xi.shape[1])))


def _sklearn_lasso(X, y, sigma, tau, fit_intercept):
    alpha = sigma**2 / (tau * X.shape[0])
    return Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=1_000_000).fit(X, y)


DIABETES = load_diabetes_data()


@pytest.mark.parametrize("tau", [500.0, 50.0, 5.0, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_laplace_map_equals_sklearn_lasso_on_diabetes(tau, fit_intercept):
    X, y = DIABETES.X, DIABETES.y
    sigma = _ols_sigma(X, y)
    est = BayesianLinearRegression(prior="laplace", tau=tau, sigma=sigma, method="map",
                                   fit_intercept=fit_intercept).fit(X, y)
    ref = _sklearn_lasso(X, y, sigma, tau, fit_intercept)
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(est.coef_ == 0, ref.coef_ == 0)
    assert est.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    assert est.fit_result_.kkt_violation < 1e-8


def test_laplace_map_equals_sklearn_lasso_with_p_500():
    data = simulate_regression(200, 500, n_nonzero=10, coef_scale=3.0, sigma=1.0, seed=0)
    X, y = data.X, data.y
    for tau in (1.0, 0.1):
        est = BayesianLinearRegression(tau=tau, sigma=1.0, method="map", fit_intercept=False).fit(X, y)
        ref = _sklearn_lasso(X, y, 1.0, tau, False)
        np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-6 * np.abs(ref.coef_).max(), rtol=0)
        np.testing.assert_array_equal(est.coef_ == 0, ref.coef_ == 0)
        assert 0 < np.count_nonzero(est.coef_) < 200
        assert kkt_violation(X, y, est.coef_, loc=0.0, sigma=1.0, tau=tau) < 1e-8


def test_map_with_prior_location_is_the_lasso_around_it():
    """w_MAP - v is the lasso fit of y - X v: zeros of the lasso become w_j = v_j."""
    data = simulate_regression(80, 6, sigma=1.0, seed=3)
    v = np.array([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
    est = BayesianLinearRegression(tau=0.05, sigma=1.0, loc=v, method="map", fit_intercept=False).fit(data.X, data.y)
    ref = _sklearn_lasso(data.X, data.y - data.X @ v, 1.0, 0.05, False)
    np.testing.assert_allclose(est.coef_ - v, ref.coef_, atol=1e-8)
    np.testing.assert_array_equal(est.coef_ == v, ref.coef_ == 0)
    assert est.coef_table()["is_zero"].sum() == np.count_nonzero(ref.coef_ == 0)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_normal_map_equals_ridge(fit_intercept):
    X, y = DIABETES.X, DIABETES.y
    sigma, tau = 50.0, 20.0
    est = BayesianLinearRegression(prior="normal", tau=tau, sigma=sigma, method="map",
                                   fit_intercept=fit_intercept).fit(X, y)
    ref = Ridge(alpha=sigma**2 / tau**2, fit_intercept=fit_intercept, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-9)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-10)


def test_as_tau_shrinks_every_map_coefficient_reaches_loc():
    X, y = DIABETES.X, DIABETES.y
    loc = np.linspace(-5.0, 5.0, X.shape[1])
    coefs = [BayesianLinearRegression(tau=tau, sigma=50.0, loc=loc, method="map",
                                      fit_intercept=True).fit(X, y).coef_
             for tau in (100.0, 1.0, 1e-2, 1e-4)]
    distance = [np.abs(c - loc).max() for c in coefs]
    assert distance[0] > 10 and distance == sorted(distance, reverse=True)
    np.testing.assert_array_equal(coefs[-1], loc)  # exactly, not approximately


def test_warm_start_gives_the_same_solution():
    data = simulate_regression(100, 30, n_nonzero=5, seed=1)
    cold = lasso_map(data.X, data.y, sigma=1.0, tau=0.3)
    warm_from = lasso_map(data.X, data.y, sigma=1.0, tau=1.0).coef
    warm = lasso_map(data.X, data.y, sigma=1.0, tau=0.3, init=warm_from)
    np.testing.assert_allclose(warm.coef, cold.coef, atol=1e-12)
    assert warm.n_solves <= cold.n_solves


def _alpha_max(X, y):
    return float(np.abs(X.T @ y).max() / X.shape[0])


@pytest.mark.parametrize(("n", "p"), [(100, 100), (300, 40), (60, 200)])
@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.02])
def test_same_zeros_and_coefficients_as_sklearn(n, p, fraction):
    """Sparse to (for n >= p) nearly dense solutions, and p > n, against sklearn at tol=1e-12."""
    data = simulate_regression(n, p, n_nonzero=p, coef_scale=2.0, sigma=1.0, seed=2)
    X, y = data.X, data.y
    alpha = fraction * _alpha_max(X, y)
    sol = lasso_map(X, y, sigma=1.0, tau=1.0 / (alpha * n))
    ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(X, y).coef_
    np.testing.assert_array_equal(sol.coef == 0, ref == 0)
    np.testing.assert_allclose(sol.coef, ref, atol=1e-6 * np.abs(ref).max(), rtol=0)
    assert sol.polished and sol.n_sweeps == 0  # the exact active-set search, no fallback
    assert sol.kkt_violation < 1e-9
    assert kkt_violation(X, y, sol.coef, loc=0.0, sigma=1.0, tau=1.0 / (alpha * n)) < 1e-9


def test_dense_ill_conditioned_solution_at_n_equals_p_is_exact_in_few_solves():
    """n = p = 300, penalty 1e-4 of the smallest one that zeroes everything: every coefficient is
    nonzero and G = X'X is ill-conditioned. Coordinate descent (the previous solver, and sklearn)
    needs tens of thousands of sweeps here; the active-set search a few dozen solves. Optimality is
    certified by the KKT conditions computed from X and y (the problem is strictly convex)."""
    data = simulate_regression(300, 300, n_nonzero=300, coef_scale=2.0, sigma=1.0, seed=0)
    X, y = data.X, data.y
    lam = 1e-4 * np.abs(X.T @ y).max()
    sol = lasso_map(X, y, sigma=1.0, tau=1.0 / lam)
    assert np.count_nonzero(sol.coef) >= 290
    assert np.linalg.cond(X) > 100
    assert sol.n_sweeps == 0 and sol.n_solves <= 100
    assert kkt_violation(X, y, sol.coef, loc=0.0, sigma=1.0, tau=1.0 / lam) < 1e-8


def test_gram_input_and_prior_location_give_the_same_solution():
    data = simulate_regression(150, 60, n_nonzero=20, seed=4)
    X, y = data.X, data.y
    loc = np.linspace(-1.0, 1.0, 60)
    plain = lasso_map(X, y, sigma=1.0, tau=0.05, loc=loc)
    given = lasso_map(X, y, sigma=1.0, tau=0.05, loc=loc, gram=(X.T @ X, X.T @ y))
    np.testing.assert_allclose(given.coef, plain.coef, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(given.coef == loc, plain.coef == loc)
    assert 0 < np.count_nonzero(plain.coef != loc) < 60


def test_duplicated_columns_are_solved_by_the_active_set_search():
    """Two equal columns make G_AA singular once both would enter (the optimum's coefficients are
    not unique, its fit is): the search steps along the null direction instead, and ends at a KKT
    point with sklearn's fit."""
    data = simulate_regression(80, 6, sigma=1.0, seed=5)
    X, y = np.column_stack([data.X, data.X[:, 0]]), data.y
    lam = 0.01 * np.abs(X.T @ y).max()
    sol = lasso_map(X, y, sigma=1.0, tau=1.0 / lam)
    assert sol.n_sweeps == 0
    assert sol.kkt_violation < 1e-10
    ref = Lasso(alpha=lam / 80, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y).coef_
    np.testing.assert_allclose(X @ sol.coef, X @ ref, rtol=0, atol=1e-6)


def test_coordinate_descent_fallback_reaches_the_same_solution(monkeypatch):
    """Where the active-set search gives up (_Stuck), lasso_map falls back to the JAX coordinate
    descent; forced here, it must give the same exact solution."""
    import bayesreg.infer.lasso as lasso

    data = simulate_regression(100, 30, n_nonzero=8, seed=8)
    X, y = data.X, data.y
    exact = lasso_map(X, y, sigma=1.0, tau=0.2)

    def stuck(*args, **kwargs):
        raise lasso._Stuck("forced")

    monkeypatch.setattr(lasso, "_active_set", stuck)
    fallback = lasso.lasso_map(X, y, sigma=1.0, tau=0.2)
    assert fallback.n_sweeps > 0 and fallback.n_solves == 0
    np.testing.assert_array_equal(fallback.coef == 0, exact.coef == 0)
    np.testing.assert_allclose(fallback.coef, exact.coef, rtol=0, atol=1e-10)
    assert fallback.kkt_violation < 1e-8


def test_batched_solver_agrees_with_lasso_map():
    data = [simulate_regression(60, 12, n_nonzero=4, sigma=1.0, seed=s) for s in range(3)]
    X, y = np.stack([d.X for d in data]), np.stack([d.y for d in data])
    taus = np.array([0.05, 0.2, 1.0])
    batched = lasso_map_batched(X, y, sigma=1.0, tau=taus)
    for r in range(3):
        single = lasso_map(X[r], y[r], sigma=1.0, tau=taus[r]).coef
        np.testing.assert_array_equal(batched[r] == 0, single == 0)
        np.testing.assert_allclose(batched[r], single, rtol=0, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_p_much_larger_than_n_at_the_densest_solution(fit_intercept):
    """p = 10 n and a penalty of 1e-5 of the largest: the solution has as many nonzeros as X has
    rank (n, or n - 1 once centred for the intercept), and the active set must swap columns at
    that size (the null-space step). Optimality is certified by the KKT conditions."""
    data = simulate_regression(40, 400, n_nonzero=400, coef_scale=2.0, sigma=1.0, seed=6)
    X, y = data.X, data.y
    if fit_intercept:
        X, y = X - X.mean(axis=0), y - y.mean()
    lam = 1e-5 * np.abs(X.T @ y).max()
    sol = lasso_map(X, y, sigma=1.0, tau=1.0 / lam)
    assert sol.n_sweeps == 0
    assert np.count_nonzero(sol.coef) == 40 - fit_intercept
    assert kkt_violation(X, y, sol.coef, loc=0.0, sigma=1.0, tau=1.0 / lam) < 1e-8


def test_warm_start_into_a_penalty_that_zeroes_everything():
    """A path's step from a dense solution to a penalty above lambda_max: the search drops every
    coordinate and must stop at w = loc (an empty active set), exactly."""
    data = simulate_regression(50, 8, sigma=1.0, seed=7)
    X, y = data.X, data.y
    lam_max = float(np.abs(X.T @ y).max())
    start = lasso_map(X, y, sigma=1.0, tau=100.0 / lam_max).coef
    assert np.count_nonzero(start) == 8
    for factor in (1.01, 2.0, 100.0):
        sol = lasso_map(X, y, sigma=1.0, tau=1.0 / (factor * lam_max), init=start)
        np.testing.assert_array_equal(sol.coef, 0.0)
        assert sol.kkt_violation == 0.0


def test_random_problems_end_at_kkt_points():
    """80 random problems: n 5-80, p 1-120 (p > n in about half), correlated columns, centred
    columns, a duplicated column, prior locations, warm starts and given Gram matrices, penalties
    from 1e-4 lambda_max to above it. Every solution is certified by its KKT conditions."""
    rng = np.random.default_rng(12)
    for _ in range(80):
        n, p = int(rng.integers(5, 80)), int(rng.integers(1, 120))
        rho = rng.choice([0.0, 0.5, 0.95])
        X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal((n, 1))
        if rng.random() < 0.3:
            X = X - X.mean(axis=0)
        if rng.random() < 0.15 and p > 2:
            X[:, 1] = X[:, 0]
        y = X @ (rng.standard_normal(p) * (rng.random(p) < 0.5)) + rng.standard_normal(n)
        lam = np.abs(X.T @ y).max() * 10 ** rng.uniform(-4, 0.1)
        loc = rng.standard_normal(p) if rng.random() < 0.2 else np.zeros(p)
        init = loc + rng.standard_normal(p) * (rng.random(p) < 0.3) if rng.random() < 0.3 else None
        gram = (X.T @ X, X.T @ y) if rng.random() < 0.3 else None
        sol = lasso_map(X, y, sigma=1.0, tau=1.0 / lam, loc=loc, init=init, gram=gram)
        assert kkt_violation(X, y, sol.coef, loc=loc, sigma=1.0, tau=1.0 / lam) < 1e-8, (n, p, rho)
