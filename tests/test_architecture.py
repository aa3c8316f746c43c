"""The import graph of ldn_stats: layers, private names and cycles (docs/architecture.md).

Read from the source with :mod:`ast`, so the test sees every import statement,
function-level ones included, without importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ldn_stats

SRC = Path(ldn_stats.__file__).resolve().parent
#: layers that must never import the report layer
BELOW_REPORT = ("models", "tables", "figures", "derive", "schemas", "vocabulary")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


MODULES = _modules()


def _package(name: str) -> str:
    """The package a module belongs to (the module itself when it is a package)."""
    path = MODULES[name]
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = _package(importer).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, top_level_only: bool):
    """(target module, imported name or None, line) for each ldn_stats import in ``name``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ldn_stats"):
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, node)
            if not target.startswith("ldn_stats"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # `from pkg import submodule`
                    yield sub, None, node.lineno
                else:
                    yield target, alias.name, node.lineno


def test_lower_layers_never_import_report():
    bad = []
    for name in MODULES:
        layer = name.split(".")[1] if "." in name else ""
        if layer not in BELOW_REPORT:
            continue
        for target, _, line in _imports(name, top_level_only=False):
            if target.startswith("ldn_stats.report"):
                bad.append(f"{name}:{line} imports {target}")
    assert bad == []


def test_no_private_name_across_packages():
    bad = []
    for name in MODULES:
        home = _package(name)
        for target, imported, line in _imports(name, top_level_only=False):
            private_module = any(part.startswith("_") and part != "__init__"
                                 for part in target.split("."))
            private_name = (imported is not None and imported.startswith("_")
                            and not imported.endswith("__"))
            if not (private_module or private_name):
                continue
            target_home = _package(target) if target in MODULES else target
            if target_home != home:
                what = f"{target}.{imported}" if imported else target
                bad.append(f"{name}:{line} imports private {what}")
    assert bad == []


def test_no_import_cycle_at_module_level():
    graph = {name: sorted({t for t, _, _ in _imports(name, top_level_only=True)
                           if t in MODULES and t != name}) for name in MODULES}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_checks_can_fail():
    # the graph is read from real files: the MMRM fit imports its result module
    fit = {t for t, _, _ in _imports("ldn_stats.models.mmrm.fit", top_level_only=True)}
    assert "ldn_stats.models.mmrm.result" in fit
    assert _package("ldn_stats.models.mmrm.fit") == "ldn_stats.models.mmrm"
