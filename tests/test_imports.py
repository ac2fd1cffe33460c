"""The package's imports point one way: down the layers below, never in a circle.

Every module's imports are read with ``ast``, those inside functions included (a lazy
import is still a dependency), and resolved to bayesreg modules. A module may import
its own layer or any layer below it; ``mlp`` is a side tower that uses only the bottom
layer (and itself). The facade ``bayesreg/__init__.py`` and ``__main__`` sit on top and
no module imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "bayesreg"

# bottom first; a module's layer is that of its first name below ``bayesreg``
LAYERS = [
    # inference_data is the one door to ArviZ and imports no bayesreg module, so everything may use it
    # runner (cells in-process or on Dask) is here, not with the studies, so that the mlp side tower can use it
    {"_version", "exceptions", "_validation", "_progress", "io", "datasets", "config", "inference_data", "tables",
     "runner"},
    # testing's MCSE tolerances are diagnostics' ESS: one implementation
    {"models", "priors", "conjugate", "likelihood", "diagnostics", "results", "testing"},
    {"infer"},
    # persistence sits with the estimators, not above them: the estimator's public ``.save`` calls it, so it
    # reads the fitted attributes by name and is handed the class to rebuild, and imports no estimator
    {"estimators", "persistence"},
    {"regularization_paths", "evaluation", "plotting", "predictive", "model_comparison"},
    {"studies"},
    {"cli"},
]
SIDE_TOWERS = {"mlp"}  # may use only LAYERS[0] and themselves
TOP = {"__init__", "__main__"}  # the facade: nothing inside the package imports it

# (importer, imported) pairs that break the order on purpose; each says why
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = ["bayesreg", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """The bayesreg modules that module ``name`` imports, anywhere in its body."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "bayesreg")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "bayesreg":
                continue
            for alias in node.names:  # ``from . import x`` names a submodule when one exists
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    found = {m for m in found if m in MODULES}
    found.discard(name)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _part(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _layer(name: str) -> int | str:
    part = _part(name)
    if part in TOP:
        return "top"
    if part in SIDE_TOWERS:
        return "side"
    for level, members in enumerate(LAYERS):
        if part in members:
            return level
    raise AssertionError(f"{name} is in no layer: add it to LAYERS in tests/test_imports.py")


def test_every_module_has_a_layer():
    for name in MODULES:
        _layer(name)


def test_no_upward_import():
    wrong = []
    for name, targets in GRAPH.items():
        here = _layer(name)
        for target in targets:
            there = _layer(target)
            if here == "top" or (name, target) in ALLOWED_UPWARD:
                continue
            if there == "top":
                ok = False
            elif here == "side":
                ok = there == 0 or (there == "side" and _part(target) == _part(name))
            elif there == "side":
                ok = here == LAYERS.index({"cli"})  # only the command line runs the side tower
            else:
                ok = there <= here
            if not ok:
                wrong.append(f"{name} (layer {here}) imports {target} (layer {there})")
    assert not wrong, "imports pointing up the layers:\n" + "\n".join(sorted(wrong))


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_circle():
    assert not _cycles(GRAPH), f"import circles: {_cycles(GRAPH)}"


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_cycle_finder(graph, expected):
    assert _cycles(graph) == expected


def test_facade_lists_every_lazy_name():
    import bayesreg

    assert set(bayesreg.__all__) == {*bayesreg._LAZY, "backend_info", "load", "setup", "__version__"}
    for name in bayesreg.__all__:
        assert getattr(bayesreg, name) is not None


def test_reader_sees_imports_inside_functions():
    # studies used to import the command line inside ``main``; the reader must see such lazy imports
    assert "bayesreg.infer.lasso" in GRAPH["bayesreg.regularization_paths"]
    assert "bayesreg.estimators.linear_regression" in GRAPH["bayesreg.evaluation"]  # imported inside a function


def _arviz_uses(path: Path) -> list[str]:
    """Where a module imports ArviZ, or takes the ArviZ module from ``inference_data``."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            uses += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "arviz"]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] == "arviz":
                uses.append(f"line {node.lineno}: from {node.module} import ...")
            elif (node.module or "").endswith("inference_data") and any(a.name == "arviz" for a in node.names):
                uses.append(f"line {node.lineno}: takes the ArviZ module from inference_data")
        elif (isinstance(node, ast.Attribute) and node.attr == "arviz"
              and getattr(node.value, "id", "") == "inference_data"):
            uses.append(f"line {node.lineno}: inference_data.arviz")
    return uses


def test_only_inference_data_touches_arviz():
    # one module between bayesreg and ArviZ, so an ArviZ upgrade (1.x changes the API) is one module's work
    wrong = [f"{name} {use}" for name, path in MODULES.items() if name != "bayesreg.inference_data"
             for use in _arviz_uses(path)]
    assert not wrong, "ArviZ used outside bayesreg.inference_data:\n" + "\n".join(wrong)
    assert _arviz_uses(MODULES["bayesreg.inference_data"]), "the scan no longer sees inference_data's own import"


def test_no_public_name_is_shadowed_by_a_submodule():
    """Importing ``bayesreg.X`` binds the module to the attribute X of the package, over a lazy
    public name X: ``bayesreg.regularization_path(...)`` raised "'module' object is not callable"
    once anything had imported the module of that name."""
    import bayesreg

    submodules = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    assert not submodules & set(bayesreg._LAZY), "a submodule has the name of a public function"
