"""The declarations' words in templates, from their owner (declarations.labels)."""

from __future__ import annotations

from django import template

from khaibao.declarations.labels import declared_by_phrase, declared_by_volunteer
from khaibao.declarations.models import Declaration

register = template.Library()


@register.filter
def declared_by(declaration: Declaration, name: str) -> str:
    """`{{ declaration|declared_by:person.full_name }}`: "declared by volunteer X for Y", "declared
    for them by the household owner" or "declared by the person themselves"."""
    return declared_by_phrase(
        declared_as=declaration.declared_as, volunteer=declared_by_volunteer(declaration), name=name
    )
