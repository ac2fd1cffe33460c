"""Exact reference posteriors for sampler tests: quadrature where no closed form exists."""

import numpy as np


def sigma_quadrature(X, y, *, tau, sigma_scale, num=4001):
    """Moments of w and sigma for w ~ N(0, tau^2 I), sigma ~ HalfNormal(sigma_scale): the
    marginal posterior of sigma on a grid, mixed over the conjugate posterior of w."""
    n, p = X.shape
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    uy = U.T @ y
    rest = y @ y - uy @ uy

    def log_post(sig):
        d = sig[:, None] ** 2 + tau**2 * s**2   # y ~ N(0, sigma^2 I + tau^2 X X')
        log_lik = -0.5 * ((n - p) * np.log(sig**2) + np.log(d).sum(1) + rest / sig**2 + (uy**2 / d).sum(1))
        return log_lik - 0.5 * (sig / sigma_scale) ** 2

    coarse = np.geomspace(1e-3, 1e3, 20001) * np.sqrt(rest / n + 1e-12)
    mode = coarse[np.argmax(log_post(coarse))]
    grid = np.linspace(mode / 3, mode * 3, num)
    lp = log_post(grid)
    assert lp[0] < lp.max() - 40 and lp[-1] < lp.max() - 40  # the grid holds the mass
    weight = np.exp(lp - lp.max())
    weight /= weight.sum()
    shrink = 1.0 / (s**2 / grid[:, None] ** 2 + 1.0 / tau**2)     # (g, p) in the V basis
    mean_v = shrink * s * uy / grid[:, None] ** 2
    mean_w = mean_v @ Vt                                           # (g, p)
    var_w = (shrink[:, :, None] * Vt[None] ** 2).sum(1)            # diag of V diag(shrink) V'
    e_w = weight @ mean_w
    sd_w = np.sqrt(weight @ (var_w + mean_w**2) - e_w**2)
    e_s = weight @ grid
    sd_s = np.sqrt(weight @ grid**2 - e_s**2)
    return e_w, sd_w, e_s, sd_s


def laplace_grid_moments(X, y, *, sigma, tau, loc, half_width=9.0, num=2001):
    """Posterior moments of w under a Laplace prior by brute-force grid quadrature."""
    p = X.shape[1]
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    sd = sigma * np.sqrt(np.diag(np.linalg.inv(X.T @ X)))
    axes = [np.linspace(min(ols[j], loc[j]) - half_width * sd[j], max(ols[j], loc[j]) + half_width * sd[j], num)
            for j in range(p)]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, p)
    G, c = X.T @ X, X.T @ y
    quad = np.einsum("ij,jk,ik->i", mesh, G, mesh) - 2 * mesh @ c
    logp = -quad / (2 * sigma**2) - np.abs(mesh - loc).sum(axis=1) / tau
    weight = np.exp(logp - logp.max())
    weight /= weight.sum()
    mean = weight @ mesh
    sdev = np.sqrt(weight @ mesh**2 - mean**2)
    return mean, sdev
