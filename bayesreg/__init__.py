"""bayesreg: Bayesian regression you can see, on NumPyro and JAX."""

from . import _backend

_backend.configure()

__version__ = "0.1.0"
