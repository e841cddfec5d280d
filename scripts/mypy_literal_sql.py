"""A mypy plugin that makes `LiteralString` (PEP 675) mean something: SQL text must be literal.

mypy accepts `typing.LiteralString` but treats it as plain `str` (python/mypy#12554, open), so
`rowsql.fetch(Model, f"id = {user_input}", [])` would type-check. This plugin checks every call
of a `khaibao` function: an argument given for a parameter annotated with `LiteralString` (alone,
or inside a container such as ``Sequence[LiteralString]`` or ``Mapping[str, LiteralString]``)
must be built from literals only —

* a string literal, or a name whose type mypy knows to be literal (a ``Final`` constant);
* a name or attribute declared ``LiteralString`` itself (a parameter, a variable, a dataclass
  field), or a call of a function declared to return one;
* ``+``, ``x if c else y`` and f-strings of those (and, in a container, displays and
  comprehensions whose items are);
* anything that is not a string at all (``None``, another object the parameter allows).

Anything else — an f-string of a plain ``str``, ``%`` or ``.format`` of user data, a variable
typed ``str`` — is an error: `make lint` fails (scripts/tests/test_mypy_literal_sql.py shows it).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from pathlib import Path

from mypy.nodes import (
    CallExpr,
    ConditionalExpr,
    Decorator,
    DictExpr,
    DictionaryComprehension,
    Expression,
    FuncDef,
    GeneratorExpr,
    ListComprehension,
    ListExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    OpExpr,
    RefExpr,
    SetComprehension,
    SetExpr,
    StarExpr,
    StrExpr,
    TupleExpr,
    Var,
)
from mypy.plugin import FunctionContext, MethodContext, Plugin
from mypy.types import Instance, TupleType, Type, UnionType, get_proper_type

PROJECT = "khaibao."
MESSAGE = (
    'SQL text must be a literal (LiteralString, PEP 675): "{name}" of {callee} got an expression built'
    " from a plain str; pass values as parameters"
)


@cache
def _annotations(path: str) -> dict[str, str]:
    """Every annotation written in the module at `path`, as source text, by qualified name:
    ``f.param``, ``f.return``, ``f.local``, ``Class.attr``, ``Class.method.param``, ``NAME``.

    Read from the source, not from mypy's tree: a module loaded from mypy's cache keeps no
    annotation as written, and mypy turns `LiteralString` into `str` when it analyses one."""
    found: dict[str, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                arguments = [*child.args.posonlyargs, *child.args.args, *child.args.kwonlyargs]
                for argument in arguments:
                    if argument.annotation is not None:
                        found[f"{name}.{argument.arg}"] = ast.unparse(argument.annotation)
                if child.returns is not None:
                    found[f"{name}.return"] = ast.unparse(child.returns)
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
                found[f"{prefix}{child.target.id}"] = ast.unparse(child.annotation)
            elif isinstance(child, ast.If | ast.With | ast.For | ast.While | ast.Try):
                visit(child, prefix)

    visit(ast.parse(Path(path).read_text(encoding="utf-8")), "")
    return found


def _mentions_literal_string(annotation: str | None) -> bool:
    return annotation is not None and "LiteralString" in annotation


def _declared(modules: dict[str, MypyFile], fullname: str) -> str | None:
    """The annotation written for `fullname` (a parameter, return, variable or attribute)."""
    module, _dot, rest = fullname.rpartition(".")
    while module:
        found = modules.get(module)
        if found is not None and found.path.endswith(".py"):
            return _annotations(found.path).get(rest)
        module, _dot, head = module.rpartition(".")
        rest = f"{head}.{rest}"
    return None


def _options(annotation: ast.expr) -> list[ast.expr]:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [*_options(annotation.left), *_options(annotation.right)]
    return [annotation]


def _name(annotation: ast.expr) -> str:
    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _arguments(annotation: ast.Subscript) -> list[ast.expr]:
    return list(annotation.slice.elts) if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]


_ITEMS = frozenset({"Sequence", "Iterable", "Collection", "list", "set", "frozenset"})
_MAPPINGS = frozenset({"Mapping", "MutableMapping", "dict"})


class _Checker:
    def __init__(self, ctx: FunctionContext | MethodContext) -> None:
        self.api = ctx.api
        self.modules: dict[str, MypyFile] = ctx.api.modules  # type: ignore[attr-defined]

    def type_of(self, expr: Expression) -> Type | None:
        try:
            return self.api.lookup_type(expr)  # type: ignore[attr-defined, no-any-return]
        except KeyError:
            return None

    def holds_no_plain_str(self, expr: Expression) -> bool:
        """Whether mypy knows `expr` holds no string but literal ones (a literal, a Final
        constant, or no string at all: None, another object, a list of them)."""
        typ = self.type_of(expr)
        return typ is not None and not _plain_str(typ)

    def declared(self, expr: Expression) -> str | None:
        """The annotation `expr` (a name or attribute) was declared with, as written."""
        node = expr.node if isinstance(expr, RefExpr) else None
        if isinstance(expr, MemberExpr) and node is None:
            owner = self.type_of(expr.expr)
            base = get_proper_type(owner) if owner is not None else None
            for info in base.type.mro if isinstance(base, Instance) else ():
                if expr.name in info.names:
                    return _declared(self.modules, f"{info.fullname}.{expr.name}")
            return None
        if not isinstance(node, Var):
            return None
        function = self.api.scope.current_function()  # type: ignore[attr-defined]
        if function is not None and (node.fullname == node.name or any(a.variable is node for a in function.arguments)):
            return _declared(self.modules, f"{function.fullname}.{node.name}")  # a parameter, a local
        return _declared(self.modules, node.fullname)

    def trusted(self, expr: Expression) -> bool:
        """Declared `LiteralString` where it was defined: a parameter, a variable, an attribute,
        or a call of a function declared to return one."""
        if isinstance(expr, NameExpr | MemberExpr):
            return _mentions_literal_string(self.declared(expr))
        if isinstance(expr, CallExpr) and isinstance(expr.callee, RefExpr) and expr.callee.fullname:
            return _mentions_literal_string(_declared(self.modules, f"{expr.callee.fullname}.return"))
        return False

    def literal(self, expr: Expression) -> bool:
        """Whether `expr`, given where SQL text is expected, is built from literals only."""
        if isinstance(expr, StrExpr) or self.holds_no_plain_str(expr) or self.trusted(expr):
            return True
        if isinstance(expr, OpExpr):
            return expr.op == "+" and self.literal(expr.left) and self.literal(expr.right)
        if isinstance(expr, ConditionalExpr):
            return self.literal(expr.if_expr) and self.literal(expr.else_expr)
        return isinstance(expr, CallExpr) and self.formatted(expr)

    def formatted(self, call: CallExpr) -> bool:
        # An f-string: "".join([...]) of literals and "{:{}}".format(value, spec) parts.
        callee = call.callee
        if not (isinstance(callee, MemberExpr) and isinstance(callee.expr, StrExpr)):
            return False
        if callee.name == "join" and len(call.args) == 1 and isinstance(call.args[0], ListExpr):
            return all(self.literal(item) for item in call.args[0].items)
        return callee.name == "format" and all(self.literal(arg) for arg in call.args)

    def fits(self, expr: Expression, annotation: ast.expr) -> bool:
        """Whether `expr` holds only literals where `annotation` says SQL text goes."""
        options = [o for o in _options(annotation) if "LiteralString" in ast.unparse(o)]
        if not options or self.holds_no_plain_str(expr) or self.trusted(expr):
            return True
        return any(self.fits_option(expr, option) for option in options)

    def fits_option(self, expr: Expression, option: ast.expr) -> bool:
        if not isinstance(option, ast.Subscript):
            return self.literal(expr)  # LiteralString itself
        name, arguments = _name(option), _arguments(option)
        if name in _ITEMS or (name == "tuple" and len(arguments) == 2 and isinstance(arguments[1], ast.Constant)):
            return self.fits_items(expr, option, arguments[0])
        if name == "tuple" and isinstance(expr, TupleExpr) and len(expr.items) == len(arguments):
            return all(self.fits(item, a) for item, a in zip(expr.items, arguments, strict=True))
        if name in _MAPPINGS and len(arguments) == 2:
            if isinstance(expr, DictExpr):
                return all(self.fits(value, arguments[1]) for _key, value in expr.items)
            return isinstance(expr, DictionaryComprehension) and self.fits(expr.value, arguments[1])
        return False

    def fits_items(self, expr: Expression, container: ast.expr, item: ast.expr) -> bool:
        if isinstance(expr, ListExpr | TupleExpr | SetExpr):
            return all(
                self.fits(e.expr, container) if isinstance(e, StarExpr) else self.fits(e, item) for e in expr.items
            )
        if isinstance(expr, ListComprehension | SetComprehension):
            return self.fits(expr.generator.left_expr, item)
        return isinstance(expr, GeneratorExpr) and self.fits(expr.left_expr, item)


def _plain_str(typ: Type) -> bool:
    # A `str` mypy cannot tell is literal, anywhere inside `typ` (a list of str, str | None, …).
    proper = get_proper_type(typ)
    if isinstance(proper, Instance):
        if proper.type.fullname == "builtins.str":
            return proper.last_known_value is None
        return any(_plain_str(arg) for arg in proper.args)
    if isinstance(proper, UnionType | TupleType):
        return any(_plain_str(item) for item in proper.items)
    return False


def _check(callee: str, parameters: list[tuple[str, ast.expr]]) -> Callable[[FunctionContext | MethodContext], Type]:
    def check(ctx: FunctionContext | MethodContext) -> Type:
        checker = _Checker(ctx)
        names = ctx.callee_arg_names
        for name, annotation in parameters:
            for arg in ctx.args[names.index(name)] if name in names else ():
                if not checker.fits(arg, annotation):
                    ctx.api.fail(MESSAGE.format(name=name, callee=callee), arg)
        return ctx.default_return_type

    return check


class LiteralSqlPlugin(Plugin):
    def _hook(self, fullname: str) -> Callable[[FunctionContext | MethodContext], Type] | None:
        if not fullname.startswith(PROJECT):
            return None
        found = self.lookup_fully_qualified(fullname)
        node = found.node if found is not None else None
        if isinstance(node, Decorator):
            node = node.func
        if not isinstance(node, FuncDef):
            return None
        parameters = []
        for name in node.arg_names:
            annotation = _declared(self._modules or {}, f"{fullname}.{name}") if name else None
            if annotation is not None and _mentions_literal_string(annotation):
                parameters.append((name, ast.parse(annotation, mode="eval").body))
        return _check(fullname, parameters) if parameters else None  # type: ignore[arg-type]

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return self._hook(fullname)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return self._hook(fullname)


def plugin(version: str) -> type[Plugin]:
    return LiteralSqlPlugin
