"""Builders for contact-tracing tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.monitoring.models import PersonStatus


def ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def officer_of(world: Any, person: Any) -> Any:
    """The province official whose jurisdiction `person` lives in."""
    return world.province if person.home_ward.province_id == world.hanoi.code else world.province_hcm


def make_f0(world: Any, api: Any, person: Any) -> None:
    """A positive test recorded by the person's own province official (cases API): F0."""
    resp = api.as_(officer_of(world, person)).post(
        f"/cases/{person.id}/actions", {"kind": "test_result", "test_result": "positive", "test_date": ago(1)}
    )
    assert resp.status_code == 201, resp.content
    assert PersonStatus.objects.get(person=person).is_f0


def make_f1(world: Any, api: Any, person: Any) -> None:
    """`person` registered as a contact of a fresh F0 in their own province: F1."""
    f0 = world.lan_parent if person.home_ward.province_id == world.hanoi.code else world.hung_spouse
    if person.pk == f0.pk:
        f0 = world.ong_tu
    make_f0(world, api, f0)
    resp = api.as_(officer_of(world, f0)).post(
        f"/cases/{f0.id}/contacts", contact(full_name=person.full_name, phone=None, id_number=person.id_number or None,
                                            ward_code=person.home_ward_id)
    )
    assert resp.status_code in (200, 201), resp.content
    assert PersonStatus.objects.get(person=person).contact_level in ("F0", "F1")


def contact(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name": "Bùi Văn Khách",
        "phone": "0912345678",
        "ward_code": 26740,  # Sài Gòn, TP.HCM
        "contact_date": ago(2),
        "kind": "close",
        "birth_year": 1990,
        "sex": "male",
    }
    body.update(overrides)
    return body
