"""The triage queue's jurisdiction is people.access.jurisdiction_q on the status rows' own
home ward and province columns: an official's scope, and nothing for anyone else — even an
account that is not an official but still carries a scope (say, an official moved to DPO)."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.cases.tests.helpers import declare
from khaibao.cases.triage import _status_scope_q
from khaibao.monitoring.models import PersonStatus


@pytest.fixture
def queued(world: Any, api: Any) -> Any:
    declare(api, world.mai, world.mai_self, "urgent")  # Ba Đình, Hà Nội
    declare(api, world.hung, world.hung_self, "high")  # TP.HCM
    return world


def _queue(user: Any) -> set[int]:
    return set(PersonStatus.objects.filter(_status_scope_q(user), in_queue=True).values_list("person_id", flat=True))


def test_it_scopes_each_official_to_their_jurisdiction(queued: Any) -> None:
    w = queued
    assert _queue(w.national) == {w.mai_self.id, w.hung_self.id}
    assert _queue(w.province) == {w.mai_self.id}
    assert _queue(w.province_hcm) == {w.hung_self.id}
    assert _queue(w.ward_official) == set()  # Hoàn Kiếm, not Ba Đình


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.CHECKPOINT, Role.ORG_ADMIN, Role.DPO])
@pytest.mark.parametrize("level", [ScopeLevel.NATIONAL, ScopeLevel.PROVINCE, ""])
def test_it_gives_an_account_that_is_not_an_official_nothing(queued: Any, role: str, level: str) -> None:
    w = queued
    account = Account.objects.create_user(
        f"former-official-{role}-{level}", "x-pass-12345", role=role, scope_level=level,
        scope_province=w.hanoi if level == ScopeLevel.PROVINCE else None,
    )
    assert _queue(account) == set()
