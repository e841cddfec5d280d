"""A unit's console page shows the campaigns in force that apply to it: its own, and those of a
unit above it (which cover its whole subtree, as the compliance page counts them), marked with
the unit they come from."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from khaibao.orgs.models import Campaign
from khaibao.orgs.tests.helpers import console


def _campaign(unit, name: str, *, starts_in: int = 0, days: int = 14) -> Campaign:
    start = timezone.localdate() + timedelta(days=starts_in)
    return Campaign.objects.create(unit=unit, name=name, starts_on=start, deadline=start + timedelta(days=days))


def _campaigns_section(page: str) -> str:
    match = re.search(r"<h2>Đợt vận động</h2>(.*?)</section>", page, re.S)
    assert match, "no campaigns section"
    return match.group(1)


def test_a_sub_unit_shows_its_parents_campaign_as_inherited(world, units, hn_admin):
    campaign = _campaign(units["hn"], "Khai báo 100% Hà Nội")

    section = _campaigns_section(console(hn_admin).get(f"/staff/orgs/{units['hk'].pk}/").content.decode())

    assert "Không có đợt vận động." not in section
    assert "Khai báo 100% Hà Nội" in section
    assert f"từ đơn vị cấp trên: {units['hn'].name}" in section
    # Followed on the unit's compliance page; edited only where it was started.
    assert f"/staff/compliance/{units['hk'].pk}/?campaign={campaign.pk}" in section
    assert f"/staff/orgs/campaigns/{campaign.pk}/edit/" not in section


def test_a_campaign_from_two_levels_up_names_its_own_unit(world, units):
    _campaign(units["twd"], "Toàn Đoàn khai báo")

    section = _campaigns_section(console(world.org_admin).get(f"/staff/orgs/{units['hk'].pk}/").content.decode())

    assert "Toàn Đoàn khai báo" in section
    assert f"từ đơn vị cấp trên: {units['twd'].name}" in section


def test_the_unit_that_started_it_lists_it_as_its_own(world, units, hn_admin):
    campaign = _campaign(units["hn"], "Khai báo 100% Hà Nội")

    section = _campaigns_section(console(hn_admin).get(f"/staff/orgs/{units['hn'].pk}/").content.decode())

    assert f"/staff/orgs/campaigns/{campaign.pk}/edit/" in section
    assert "từ đơn vị cấp trên" not in section


def test_it_leaves_out_what_is_not_in_force_or_not_above(world, units, hn_admin):
    _campaign(units["hn"], "Chưa bắt đầu", starts_in=3)
    _campaign(units["hn"], "Đã hết hạn", starts_in=-20, days=5)
    archived = _campaign(units["hn"], "Đã lưu trữ")
    archived.archived_at = timezone.now()
    archived.save(update_fields=["archived_at"])
    _campaign(units["bd"], "Của đơn vị bên cạnh")
    _campaign(units["hcm"], "Của TP.HCM")

    section = _campaigns_section(console(hn_admin).get(f"/staff/orgs/{units['hk'].pk}/").content.decode())

    assert "Không có đợt vận động." in section
    for name in ("Chưa bắt đầu", "Đã hết hạn", "Đã lưu trữ", "Của đơn vị bên cạnh", "Của TP.HCM"):
        assert name not in section
