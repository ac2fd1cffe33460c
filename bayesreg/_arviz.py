"""Import ArviZ once, without its once-a-day notice about the 1.x refactor.

ArviZ 0.2x warns on import that 1.x will change its API; bayesreg pins ``arviz<1`` and
that notice is not actionable for our users, so it is filtered here and only here.
"""

from __future__ import annotations

import warnings


def arviz():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
        import arviz as az
    return az
