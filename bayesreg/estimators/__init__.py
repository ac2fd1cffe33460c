"""The user-facing models: parameters, validation, centring, and a table from ``method``
to the engine in :mod:`bayesreg.infer` that fits it."""
