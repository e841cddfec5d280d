"""No eager translation at import time: a `gettext` call run while a module is imported (at module
level, in a class body, in a decorator or a default argument) is translated once, into the language
active then, and every later request sees that language — the English daily-update form once showed
Vietnamese labels this way. Such strings must be `gettext_lazy` (or be translated inside a function).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # khaibao/

# The eager functions; their lazy twins (gettext_lazy, …) are what module-level strings use.
EAGER = frozenset({"gettext", "ngettext", "pgettext", "npgettext"})
TRANSLATION = "django.utils.translation"


def _modules() -> Iterator[Path]:
    """Every module of the project's code: not tests, test helpers' packages or migrations."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if {"tests", "migrations", "security_suite"} & set(parts[:-1]):
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def _bindings(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The module-level names bound to an eager translation function, and those bound to the
    `django.utils.translation` module itself."""
    functions: set[str] = set()
    modules: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == TRANSLATION:
            functions |= {a.asname or a.name for a in node.names if a.name in EAGER}
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules |= {a.asname or a.name for a in node.names if a.name == "translation"}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == TRANSLATION and a.asname}
    return functions, modules


class _ImportTimeCalls(ast.NodeVisitor):
    """Eager translation calls run at import: everything but the bodies of functions and lambdas
    (their decorators and default values do run at import)."""

    def __init__(self, functions: set[str], modules: set[str]) -> None:
        self.functions, self.modules = functions, modules
        self.found: list[tuple[int, str]] = []

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.functions:
            self.found.append((node.lineno, func.id))
        elif (
            isinstance(func, ast.Attribute) and func.attr in EAGER
            and isinstance(func.value, ast.Name) and func.value.id in self.modules
        ):
            self.found.append((node.lineno, f"{func.value.id}.{func.attr}"))
        self.generic_visit(node)

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _definition


def import_time_translations(source: str) -> list[tuple[int, str]]:
    """(line, callee) of each eager translation call `source` runs when imported."""
    tree = ast.parse(source)
    functions, modules = _bindings(tree)
    if not functions and not modules:
        return []
    visitor = _ImportTimeCalls(functions, modules)
    visitor.visit(tree)
    return visitor.found


def test_it_finds_no_eager_translation_at_import_time() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {name}(...)"
        for path in _modules()
        for line, name in import_time_translations(path.read_text(encoding="utf-8"))
    ]
    assert not found, "translated at import, in one language for good — use gettext_lazy:\n" + "\n".join(found)


def test_it_scans_the_project() -> None:
    paths = {p.relative_to(PACKAGE).as_posix() for p in _modules()}
    assert "web/declare.py" in paths
    assert not any("/tests/" in p or "/migrations/" in p for p in paths)


def test_it_tells_import_time_calls_from_calls_at_request_time() -> None:
    source = '''\
from django.utils import translation
from django.utils.translation import gettext as _, gettext_lazy, ngettext
from django import forms

TITLE = _("eager")                          # 5
LAZY = gettext_lazy("fine")
CHOICES = [(c, _(c)) for c in "ab"]         # 7


class Form(forms.Form):
    day = forms.CharField(label=_("Day"))   # 11
    ok = forms.CharField(label=gettext_lazy("Day"))

    class Meta:
        verbose = ngettext("a", "b", 2)     # 15

    def clean(self):
        return _("at request time")


@decorate(_("decorator"))                   # 21
def view(request, title=translation.gettext("default")):  # 22
    return _("fine"), (lambda: _("fine"))
'''
    assert import_time_translations(source) == [
        (5, "_"), (7, "_"), (11, "_"), (15, "ngettext"), (21, "_"), (22, "translation.gettext"),
    ]


def test_it_leaves_a_module_whose_underscore_is_lazy_alone() -> None:
    source = 'from django.utils.translation import gettext_lazy as _\nLABEL = _("fine")\n'
    assert import_time_translations(source) == []
