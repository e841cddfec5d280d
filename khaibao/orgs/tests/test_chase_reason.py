"""The chasing list's stored reason names who was listed in words, beside the code, in the
country's language whatever the admin's page is in."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from khaibao.exports.models import ExportJob
from khaibao.orgs.chase import chase_export_request
from khaibao.stats.tests.helpers import official_client


def test_the_reason_names_the_status_in_words(world: Any, tree: Any) -> None:
    resp = official_client(tree.admin).post(
        f"/staff/compliance/{tree.hn.pk}/chase/",
        {"status": "not_updated_today", "format": "csv", "campaign": tree.campaign.pk},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 200
    reason = ExportJob.objects.get(owner=tree.admin).reason
    assert "Chưa cập nhật hôm nay (not_updated_today)" in reason
    assert reason.startswith("Danh sách cần đôn đốc: ")


def test_the_reason_is_in_vietnamese_from_an_english_caller(world: Any, tree: Any) -> None:
    with translation.override("en"):
        chase_export_request(actor=tree.admin, unit=tree.hn, campaign=tree.campaign, status="not_done", fmt="csv")
    reason = ExportJob.objects.get(owner=tree.admin).reason
    assert reason == (
        f"Danh sách cần đôn đốc: Tất cả những người còn việc chưa làm (not_done), {tree.hn.path}, "
        f"đợt vận động {tree.campaign.name}"
    )
