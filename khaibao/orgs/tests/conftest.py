from __future__ import annotations

from typing import Any

import pytest

from khaibao.accounts.models import Account, Role
from khaibao.orgs.models import OrgUnit


@pytest.fixture
def units(world: Any) -> dict[str, OrgUnit]:
    """TWD (world.org_admin) → HN → DCS-HK / DCS-BD (demo) and HCM beside HN."""
    hn = OrgUnit.objects.get(path="TWD/HN")
    hcm = OrgUnit.objects.create(code="HCM", name="Thành đoàn TP.HCM", parent=OrgUnit.objects.get(path="TWD"))
    return {
        "twd": OrgUnit.objects.get(path="TWD"), "hn": hn, "hcm": hcm,
        "hk": OrgUnit.objects.get(path="TWD/HN/DCS-HK"), "bd": OrgUnit.objects.get(path="TWD/HN/DCS-BD"),
    }


@pytest.fixture
def hn_admin(units: dict[str, OrgUnit]) -> Account:
    return Account.objects.create_user("hn-admin", "pw-hn-admin-2026", role=Role.ORG_ADMIN, org_unit=units["hn"])


# The five-level tree of the compliance tests, shared with the issue-21 tests beside them.
from khaibao.orgs.tests.test_compliance import tree  # noqa: E402, F401
