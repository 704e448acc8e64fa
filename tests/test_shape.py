"""The shape of the imports, read from the source by grimp: no circle inside a package, the
layers import one way only (tests → service → ballots → engine), and no module imports a
test module or a ``conftest``: what tests share lives in :mod:`tests.support`.

Every import statement counts, wherever it stands: at the top of a module, inside a
function, or under ``if TYPE_CHECKING``. A failure names each circle as its chain of
modules, and each wrong import with its line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from itertools import pairwise

import grimp
import pytest

PACKAGES = ("engine", "ballots", "service", "tests")
LAYERS = ("tests", "service", "ballots", "engine")
"""Highest first: a module may import its own package and those after it, never before."""

Graph = grimp.ImportGraph
Imports = Callable[[str], Iterable[str]]
"""What a module imports directly."""


def inside(graph: Graph, package: str) -> set[str]:
    """The package and every module under it (none if the graph does not hold it)."""
    if package not in graph.modules:
        return set()
    return {package} | graph.find_descendants(package)


def edge(graph: Graph, importer: str, imported: str) -> str:
    """One import as a reader finds it: ``a → b (line 12: from b import c)``."""
    details = graph.get_import_details(importer=importer, imported=imported)
    where = "; ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details)
    return f"{importer} → {imported}" + (f" ({where})" if where else "")


def tangles(modules: set[str], after: Imports) -> list[list[str]]:
    """The groups of two or more modules that reach each other by imports (strongly
    connected components, Tarjan's algorithm without recursion), each sorted."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(modules):
        if root in order:
            continue
        work = [(root, iter(sorted(set(after(root)) & modules)))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            for nxt in successors:
                if nxt not in order:
                    order[nxt] = low[nxt] = len(order)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(set(after(nxt)) & modules))))
                    break
                if nxt in on_stack:
                    low[module] = min(low[module], order[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == order[module]:
                    group = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        group.append(top)
                        if top == module:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def shortest_circle(start: str, group: set[str], after: Imports) -> list[str]:
    """The shortest chain of imports from ``start`` back to itself, within ``group``."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for nxt in sorted(set(after(module)) & group):
            if nxt == start:
                chain = [module]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [start, *reversed(chain[:-1]), start]
            if nxt not in came_from:
                came_from[nxt] = module
                queue.append(nxt)
    raise AssertionError(f"{start} is in no circle")


def circles(graph: Graph, package: str) -> list[list[str]]:
    """Every import circle inside ``package``: for each tangle, the shortest circle through
    each of its modules, each circle once."""

    def after(module: str) -> set[str]:
        return graph.find_modules_directly_imported_by(module)

    found: dict[frozenset[str], list[str]] = {}
    for group in tangles(inside(graph, package), after):
        for start in group:
            chain = shortest_circle(start, set(group), after)[:-1]
            first = chain.index(min(chain))
            chain = chain[first:] + chain[: first + 1]  # read from its first module in order
            found.setdefault(frozenset(chain), chain)
    return sorted(found.values())


def upward_imports(graph: Graph, layers: tuple[str, ...] = LAYERS) -> list[str]:
    """Every import from a layer into one above it."""
    wrong = []
    for depth, lower in enumerate(layers):
        higher = set().union(*(inside(graph, layer) for layer in layers[:depth]))
        for module in sorted(inside(graph, lower)):
            for imported in sorted(graph.find_modules_directly_imported_by(module) & higher):
                wrong.append(edge(graph, module, imported))
    return wrong


def is_test_module(module: str) -> bool:
    name = module.rpartition(".")[2]
    return name.startswith("test_") or name == "conftest"


def imported_test_modules(graph: Graph) -> list[str]:
    """Every import of a test module or a ``conftest``, by any module."""
    return [
        edge(graph, importer, module)
        for module in sorted(filter(is_test_module, graph.modules))
        for importer in sorted(graph.find_modules_that_directly_import(module))
    ]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circle_inside_a_package(graph: Graph, package: str) -> None:
    found = circles(graph, package)
    told = [
        " → ".join(chain) + "".join(f"\n    {edge(graph, a, b)}" for a, b in pairwise(chain))
        for chain in found
    ]
    assert not found, f"import circles inside {package}:\n" + "\n".join(told)


def test_layers_import_one_way(graph: Graph) -> None:
    wrong = upward_imports(graph)
    assert not wrong, "imports against the layers (tests → service → ballots → engine):\n" + (
        "\n".join(wrong)
    )


def test_no_module_imports_a_test_module(graph: Graph) -> None:
    wrong = imported_test_modules(graph)
    assert not wrong, "test modules imported (what tests share belongs in tests.support):\n" + (
        "\n".join(wrong)
    )


# --- the checks themselves, on a graph made by hand -----------------------------------------


def made(*imports: tuple[str, str]) -> Graph:
    """A graph of these imports, each on line 1, with the packages that hold the modules."""
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
        for module in (importer, imported):
            parts = module.split(".")
            for depth in range(1, len(parts)):
                graph.add_module(".".join(parts[:depth]))
    return graph


CIRCLES = {
    "a circle of three, named as its chain": (
        [
            ("service.rounds", "service.results"),
            ("service.results", "service.voting"),
            ("service.voting", "service.rounds"),
            ("service.voting", "service.errors"),
            ("service.app", "service.rounds"),
        ],
        [["service.results", "service.voting", "service.rounds", "service.results"]],
    ),
    "two circles through one module, both named": (
        [
            ("engine.registry", "engine.methods"),
            ("engine.methods", "engine.registry"),
            ("engine.registry", "engine.stv"),
            ("engine.stv", "engine.registry"),
        ],
        [
            ["engine.methods", "engine.registry", "engine.methods"],
            ["engine.registry", "engine.stv", "engine.registry"],
        ],
    ),
}


@pytest.mark.parametrize(("imports", "named"), CIRCLES.values(), ids=CIRCLES.keys())
def test_circles_are_named(imports: list[tuple[str, str]], named: list[list[str]]) -> None:
    package = imports[0][0].partition(".")[0]
    assert circles(made(*imports), package) == named


def test_an_import_up_the_layers_is_named() -> None:
    graph = made(
        ("engine.profile", "ballots.kinds"),
        ("ballots.kinds", "engine.profile"),
        ("service.app", "ballots.kinds"),
    )
    assert upward_imports(graph) == ["engine.profile → ballots.kinds (line 1: )"]


def test_an_imported_test_module_is_named() -> None:
    graph = made(
        ("tests.service.test_codes", "tests.service.test_casting"),
        ("tests.service.test_codes", "tests.support.rounds"),
        ("tests.e2e.helpers", "tests.e2e.conftest"),
    )
    assert imported_test_modules(graph) == [
        "tests.e2e.helpers → tests.e2e.conftest (line 1: )",
        "tests.service.test_codes → tests.service.test_casting (line 1: )",
    ]
