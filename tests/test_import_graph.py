"""The package's import graph: no circles, and the sandbox reached only through the plugin seam.

Every import counts, wherever it is written: at module level, inside a function (a lazy import),
under ``if TYPE_CHECKING:``, and the package's PEP 562 tables (``_LAZY = {"name": "module"}``,
read by :mod:`stripe_nb_agent._lazy`). The one thing that is not an edge is a plugin listed by name
in :data:`stripe_nb_agent.plugins.DEFAULT_PLUGINS`: it is found at run time exactly as an installed
plugin is, which is what lets ``agent/``, ``llm/`` and ``tools/`` work without the sandbox.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import stripe_nb_agent

PACKAGE = Path(stripe_nb_agent.__file__).parent
NAME = "stripe_nb_agent"
# The layers the sandbox plugs into; they must run with no sandbox installed.
SANDBOX_FREE = ("agent", "llm", "tools")


def _module_name(path: Path) -> str:
    parts = [NAME, *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports, resolved to a module of the package (or its package)."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # ``from pkg import submodule`` imports the submodule; ``from module import name`` the module.
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            targets = [v.value for v in node.value.values if isinstance(v, ast.Constant)]
        for target in targets:
            while target and target not in known and target.startswith(NAME + "."):
                target = target.rpartition(".")[0]
            if target in known and target != name:
                yield target


@cache
def graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(_imports(name, path)) for name, path in modules().items()}


def _cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each one import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _reachable(start: str, edges: dict[str, frozenset[str]]) -> dict[str, str]:
    """Every module ``start`` imports directly or through others, with the module that imports it."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in edges[node]:
            if nxt not in seen and nxt != start:
                seen[nxt] = node
                todo.append(nxt)
    return seen


def test_the_graph_sees_lazy_type_checking_and_pep562_imports() -> None:
    edges = graph()
    # Function-level: the Agent builds FunctionTools only when a Python tool is added.
    assert f"{NAME}.tools.functions" in edges[f"{NAME}.agent.agent"]
    # PEP 562 table: the package root lazily exposes the Agent.
    assert f"{NAME}.agent.agent" in edges[NAME]
    # The plugin seam is not an edge: the built-in wiring is found by name.
    assert f"{NAME}.wiring" not in edges[f"{NAME}.plugins"]


def test_the_package_has_no_import_circle() -> None:
    assert _cycles(graph()) == []


def test_agent_llm_and_tools_never_reach_the_sandbox() -> None:
    edges = graph()
    offenders = []
    for name in edges:
        layer = name.split(".")[1] if name.count(".") else ""
        if layer not in SANDBOX_FREE:
            continue
        for reached, via in _reachable(name, edges).items():
            if reached.startswith(f"{NAME}.sandbox"):
                offenders.append(f"{name} reaches {reached} (imported by {via})")
    assert offenders == []
