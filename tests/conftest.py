import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402

import bayesreg  # noqa: E402

bayesreg.setup()  # float64, host devices, loop threshold, cache: before any test touches JAX


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


from hypothesis import settings as _hypothesis_settings  # noqa: E402

# Same examples on every run: CI must not pass or fail by luck.
_hypothesis_settings.register_profile("bayesreg", derandomize=True, deadline=None, print_blob=True)
_hypothesis_settings.load_profile("bayesreg")
