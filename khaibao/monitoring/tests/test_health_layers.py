"""The health layer's order (docs/architecture.md, "Layers"), read from the source: a new import
that goes up the order, between two independent siblings, or hidden inside a function fails here.

Until the import-linter contract of `make lint` spells these lines out, this is their check.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

KHAIBAO = Path(__file__).resolve().parents[2]
# Top first. Apps on one line are independent siblings; each may import any app below it.
HEALTH_LAYERS = (("cases", "passes"), ("tracing",), ("monitoring",), ("declarations",))
HEALTH = {app: depth for depth, line in enumerate(HEALTH_LAYERS) for app in line}
# The faces and orchestration: above the whole health layer (they reach it through settings).
ABOVE = frozenset({
    "api", "web", "backoffice", "smsin", "privacy", "exports", "stats", "orgs", "reports", "zones", "news",
    "notifications",
})


def _modules(app: str) -> list[Path]:
    return [
        path for path in sorted((KHAIBAO / app).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def _imports(source: str) -> list[tuple[str, int, bool]]:
    """(imported app, line, inside a function) for every `khaibao.<app>` import in `source`."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            names = []
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module, *(f"{child.module}.{a.name}" for a in child.names)]
            elif isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "khaibao" and len(parts) > 1:
                    found.append((parts[1], child.lineno, inside))
                    break
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


def _sources(app: str) -> dict[str, str]:
    return {str(path.relative_to(KHAIBAO.parent)): path.read_text(encoding="utf-8") for path in _modules(app)}


def _violations(apps: dict[str, int], sources: Callable[[str], dict[str, str]] = _sources) -> list[str]:
    problems = []
    for app, depth in apps.items():
        for where, source in sources(app).items():
            for target, line, in_function in _imports(source):
                if target == app:
                    continue
                if in_function:
                    problems.append(f"{where}:{line}: imports khaibao.{target} inside a function")
                elif target in ABOVE or (target in apps and apps[target] <= depth):
                    problems.append(f"{where}:{line}: {app} imports khaibao.{target}, which is not below it")
    return problems


def test_the_health_apps_import_only_down_their_order_and_never_inside_a_function():
    assert _violations(HEALTH) == []


def test_the_risk_engine_imports_nothing_of_the_project():
    imported = {(where, target) for where, source in _sources("risk").items() for target, _l, _f in _imports(source)}
    assert {target for _where, target in imported} <= {"risk"}, sorted(imported)


@pytest.mark.parametrize(
    ("app", "source", "expected"),
    [
        ("monitoring", "from khaibao.cases.models import FollowUpCase\n", "not below it"),
        ("passes", "from khaibao.cases import services\n", "not below it"),
        ("tracing", "import khaibao.zones.selectors\n", "not below it"),
        ("declarations", "def f():\n    from khaibao.people.models import Person\n", "inside a function"),
    ],
)
def test_the_check_sees_upward_sideways_and_hidden_imports(app, source, expected):
    problems = _violations(HEALTH, lambda a: {f"khaibao/{app}/probe.py": source} if a == app else {})
    assert len(problems) == 1, problems
    assert expected in problems[0]
