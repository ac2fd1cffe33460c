"""How posteriors and modes are computed: the compile-once MCMC driver, NumPyro's NUTS,
the Gibbs sampler for the Laplace prior, the exact lasso and L-BFGS MAP. Engines take
``rng_key`` first and return records of numpy arrays."""
