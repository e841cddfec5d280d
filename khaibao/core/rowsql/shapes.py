"""What the read and the write statements of `core.rowsql` share: the row's model type, the
statement's shape, and a model's columns by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)
Converter = tuple[Callable[[Any, Any, Any], Any], Any]  # (function, column expression)
Statement = tuple[str, list[Any]]  # (sql, params): built here from the models' identifiers


def model_fields(model: type[models.Model], columns: Sequence[str] | None) -> list[models.Field]:
    """`model`'s concrete fields named by `columns` (attnames or names), all when None."""
    concrete = model._meta.concrete_fields
    if columns is None:
        return list(concrete)
    by_name = {f.attname: f for f in concrete} | {f.name: f for f in concrete}
    try:
        return [by_name[c] for c in columns]
    except KeyError as exc:
        raise ValueError(f"{model.__name__} has no column {exc.args[0]!r}") from None

