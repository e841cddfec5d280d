"""Hooks: how a lower layer lets a higher one react without importing it (docs/architecture.md,
"Layers").

A hook is a setting holding the dotted paths of the functions to call, written in settings.py
where every reader of the project sees them (as `DAILY_REMINDER_SOURCES` names the daily
reminder's sources). The lower app calls `hooks_call(NAME, ...)`; the higher app's function
receives the keyword arguments the setting's comment promises.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string


@cache
def _load(paths: tuple[str, ...]) -> tuple[Callable[..., Any], ...]:
    return tuple(import_string(path) for path in paths)


def hooks(name: str) -> tuple[Callable[..., Any], ...]:
    """The functions registered under the setting `name`, in order."""
    return _load(tuple(getattr(settings, name)))


def hooks_call(name: str, **kwargs: Any) -> None:
    """Call every function registered under `name` with `kwargs`, in order."""
    for hook in hooks(name):
        hook(**kwargs)


def hooks_excluded_q(name: str, *, field: str = "pk") -> Q:
    """Rows whose `field` is in none of the querysets the functions under `name` return: an
    exclusion list a higher layer fills (the people whose processing stopped, for the zone warnings
    and the rush worker alike)."""
    q = Q()
    for excluded in hooks(name):
        q &= ~Q(**{f"{field}__in": excluded()})
    return q
