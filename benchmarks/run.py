"""bayesreg benchmarks: each case measures bayesreg and a reference tool side by side in the
same run (alternating, median of repeats), prints one ratio line per comparison, and writes
``benchmarks/RESULTS.md``.

    python benchmarks/run.py [--repeats 3] [--cases nuts,xlaflag,replicates,lasso,sbc,dask,mlp,conjugate] [--smoke]

``--smoke`` runs every row with small sizes (few draws, few replicates, a small lasso grid) to check
that it works and that the peers agree; its numbers measure nothing. See benchmarks/README.md for
what each row measures.

Ratios are "how many times better bayesreg is": time_reference / time_bayesreg for times,
value_bayesreg / value_reference for rates (ESS/s, GFLOP/s).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bayesreg.io import atomic_write_text  # noqa: E402

CASES = {"nuts": "bench_nuts", "xlaflag": "bench_xla_flag", "replicates": "bench_replicates", "lasso": "bench_lasso",
         "sbc": "bench_sbc", "dask": "bench_dask",
         "mlp": "bench_mlp", "conjugate": "bench_conjugate"}


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("bayesreg", "jax", "numpyro", "numpy", "scikit-learn", "pymc", "nutpie", "torch", "blackjax"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _section_lines(sec: dict) -> list[str]:
    lines = [f"## {sec['section']}", ""]
    if sec["text"]:
        lines += [sec["text"], ""]
    lines += ["| " + " | ".join(sec["header"]) + " |", "|" + " --- |" * len(sec["header"])]
    return lines + ["| " + " | ".join(cells) + " |" for cells in sec["lines"]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--smoke", action="store_true", help="small sizes: check every row works")
    args = parser.parse_args(argv)
    import common

    common.SMOKE = args.smoke
    common.setup_bayesreg()  # JAX set up once, the same flags for every tool in this process
    rows, sections, failures = [], [], []
    for name in args.cases.split(","):
        try:
            module = importlib.import_module(CASES[name.strip()])
            for r in module.run(args.repeats):
                if "failure" in r:
                    failures.append(f"{name}: {r['failure']}")
                    print(f"CHECK FAILED {name}: {r['failure']}", flush=True)
                elif "section" in r:
                    sections.append(r)
                    print("\n".join(_section_lines(r)), flush=True)
                else:
                    rows.append(r)
                    print(f"{r['case']}: {r['bayesreg']} {r['value']:.4g} {r['unit']} vs {r['reference']} "
                          f"{r['ref_value']:.4g} -> ratio {r['ratio']:.2f}x {r['note']}".rstrip(), flush=True)
        except Exception as err:  # one failing case must not hide the others' results
            failures.append(f"{name}: {type(err).__name__}: {err}")
            print(f"case {name} failed: {err}", flush=True)
    lines = [
        "# Benchmark results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {_cpu()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {_versions()}. OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}. "
        f"Medians of {args.repeats} alternating runs. Ratio = how many times better bayesreg is."
        + (" SMOKE RUN: small sizes, the numbers measure nothing." if args.smoke else ""),
        "",
        "| case | bayesreg | value | reference | value | unit | ratio | note |",
        "| --- | --- | ---: | --- | ---: | --- | ---: | --- |",
    ]
    lines += [f"| {r['case']} | {r['bayesreg']} | {r['value']:.4g} | {r['reference']} | {r['ref_value']:.4g} | "
              f"{r['unit']} | {r['ratio']:.2f}x | {r['note']} |" for r in rows]
    for sec in sections:
        lines += ["", *_section_lines(sec)]
    if failures:
        lines += ["", "Failed cases:", *[f"- {f}" for f in failures]]
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
