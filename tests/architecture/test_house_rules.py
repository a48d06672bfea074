"""The house stays navigable: few loose modules, small modules, no large import cycle, every room explained.

The import contracts themselves (.importlinter) run in `make lint`; these are the measures around them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "webapp"
ROOMS = ("core", "models", "infra", "adapters", "domain", "web", "cli", "processes")
MAX_LOOSE_ROOT_MODULES = 6
MAX_MODULE_LINES = 400
MAX_CYCLE = 4


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (the graph is a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def test_the_largest_import_cycle_among_webapp_modules_is_small():
    graph = grimp.build_graph("webapp")
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}

    largest = max(_strongly_connected(edges), key=len)

    assert len(largest) <= MAX_CYCLE, sorted(largest)


def test_few_modules_sit_loose_at_the_package_root():
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))

    assert len(loose) <= MAX_LOOSE_ROOT_MODULES, loose


def test_no_module_passes_the_size_limit():
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }

    assert too_long == {}


@pytest.mark.parametrize("package", sorted(p for p in PACKAGE.rglob("__init__.py")), ids=lambda p: str(p.parent))
def test_every_room_says_what_it_holds(package):
    docstring = ast.get_docstring(ast.parse(package.read_text()))

    assert docstring and len(docstring) > 20, f"{package} needs a docstring saying what the room holds"


def test_every_room_is_a_package():
    assert [room for room in ROOMS if not (PACKAGE / room / "__init__.py").is_file()] == []
