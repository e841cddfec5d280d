"""`manage.py seed_demo`: the demo world, idempotent, only with DEBUG on."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from khaibao.accounts.models import Account, ApiToken
from khaibao.audit.models import AuditEvent
from khaibao.orgs.models import OrgUnit
from khaibao.people.models import Delegation, HouseholdMembership, Person


def counts() -> dict[str, int]:
    models = [Account, Person, HouseholdMembership, Delegation, OrgUnit, AuditEvent, ApiToken]
    return {m.__name__: m.objects.count() for m in models}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_world_once(db, settings):
    settings.DEBUG = True

    out = seed()
    first = counts()
    seed()

    assert counts() == first
    assert first["Account"] == 13  # six citizens (one a volunteer) and seven staff
    for name in ["demo-national", "demo-province", "demo-ward", "demo-checkpoint", "demo-org", "demo-dpo"]:
        assert name in out
        assert Account.objects.filter(username=name).exists()
    assert "0900000001" in out
    assert "0900000009" in out


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=1"):
        seed()
    assert not Account.objects.exists()
