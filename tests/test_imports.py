"""The import graph (issue 15): one direction between the packages, and no cycles.

Every module of ``causalpost`` and ``incentives`` is parsed with ``ast`` (nothing is
imported). An edge ``a -> b`` is any ``import b`` / ``from b import ...`` in ``a``, at
module level or inside a function, except under ``if TYPE_CHECKING:``;
``from pkg import name`` is an edge to ``pkg.name`` when that is a module. Edges into
a package's ``__init__`` are re-exports, not dependencies, and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("causalpost", "incentives", "causalpost_cli")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the two packages that ``module`` imports."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:  # from pkg import submodule
                    targets.add(f"{base}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    packages = {name for name, p in modules.items() if p.name == "__init__.py"}
    return {t for t in targets if t in modules and t not in packages and t != module}


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    modules = _modules()
    assert "causalpost.posterior" in modules and "incentives.audit" in modules
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for module, path in modules.items():
        g.add_edges_from((module, target) for target in _imported(module, path, modules))
    return g


def _package(module: str) -> str:
    return module.split(".")[0]


def _top_level_imports(path: Path) -> set[str]:
    """Every package name an ``import`` in the file names (re-exports and
    ``TYPE_CHECKING`` blocks included: the direction holds for those too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(_package(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(_package(node.module))
    return names


def test_causalpost_never_imports_incentives(graph: nx.DiGraph) -> None:
    wrong = sorted((a, b) for a, b in graph.edges
                   if _package(a) == "causalpost" and _package(b) == "incentives")
    wrong += sorted(m for m, path in _modules().items() if _package(m) == "causalpost"
                    and "incentives" in _top_level_imports(path))
    assert not wrong, f"causalpost imports incentives: {wrong}"


def test_only_the_command_layer_uses_both_packages(graph: nx.DiGraph) -> None:
    # causalpost_cli composes both packages' subcommands; neither package imports it back
    wrong = sorted(m for m, path in _modules().items() if _package(m) != "causalpost_cli"
                   and "causalpost_cli" in _top_level_imports(path))
    assert not wrong, f"a package imports the command layer: {wrong}"
    app = _top_level_imports(ROOT / "causalpost_cli" / "__init__.py")
    assert {"causalpost", "incentives"} <= app


def test_no_import_cycles(graph: nx.DiGraph) -> None:
    # the last one (order / partition MCMC <-> _numba_partition) ended when dag_levels and
    # rank_of moved to causalpost.graphs
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {[' -> '.join([*c, c[0]]) for c in cycles]}"


def test_posterior_and_its_file_reader_import_one_way(graph: nx.DiGraph) -> None:
    assert graph.has_edge("causalpost.posterior", "causalpost._posterior_file")
    assert not graph.has_edge("causalpost._posterior_file", "causalpost.posterior")


def test_the_parser_sees_edges_and_skips_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg.a import f\n")
    (pkg / "a.py").write_text("from pkg import b\ndef f():\n    from . import c\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from pkg.a import f\n")
    (pkg / "c.py").write_text("import pkg.b\n")
    modules = {"pkg": pkg / "__init__.py", "pkg.a": pkg / "a.py",
               "pkg.b": pkg / "b.py", "pkg.c": pkg / "c.py"}
    assert _imported("pkg", modules["pkg"], modules) == {"pkg.a"}
    assert _imported("pkg.a", modules["pkg.a"], modules) == {"pkg.b", "pkg.c"}
    assert _imported("pkg.b", modules["pkg.b"], modules) == set()
    assert _imported("pkg.c", modules["pkg.c"], modules) == {"pkg.b"}
