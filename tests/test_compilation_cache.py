"""The persistent compilation cache: a fresh process reuses compiled samplers, and the
draws are the same with a cold cache, a warm cache, or none."""

import os
import subprocess
import sys

SCRIPT = """
import time, numpy as np
t0 = time.perf_counter()
import bayesreg
from bayesreg.datasets import simulate_gaussian_mean
x = simulate_gaussian_mean(15, mu=1.0, sigma=1.0, seed=0)
fit = bayesreg.GaussianMean().sample(x, num_warmup=100, num_samples=100, num_chains=2, seed=3, progress=False)
print(repr(fit.draws("mu").round(12).tolist()))
"""


def _run(cache):
    env = {**os.environ, "BAYESREG_CACHE_DIR": str(cache), "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_same_draws_cold_warm_and_without_cache(tmp_path):
    cache = tmp_path / "cache"
    cold = _run(cache)
    assert any(cache.iterdir()), "nothing was written to the cache"
    warm = _run(cache)
    off = _run("off")
    assert cold == warm == off


def test_cache_command(tmp_path, capsys, monkeypatch):
    from bayesreg.cli import main

    monkeypatch.setenv("BAYESREG_CACHE_DIR", str(tmp_path / "c"))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "entry").write_bytes(b"x" * 10)
    assert main(["cache"]) == 0 and "1 files" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0 and not (tmp_path / "c").exists()
    monkeypatch.setenv("BAYESREG_CACHE_DIR", "off")
    assert main(["cache", "info"]) == 0 and "disabled" in capsys.readouterr().out
