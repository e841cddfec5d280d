"""Issue 21: the chasing list — members of a subtree who still have something to do, with the
unit path and the phone the roster gave; streamed when small, a background job with progress
when large; audited; capped like other exports; never a health detail; the owner's only."""

from __future__ import annotations

import csv
import io
from typing import Any

from khaibao.audit.models import AuditEvent
from khaibao.exports.models import ExportJob, Kind
from khaibao.exports.tasks import export_run
from khaibao.orgs.tests.test_compliance import MARKER, at, member, today
from khaibao.stats.tests.helpers import official_client


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_a_small_chasing_list_downloads_at_once(world: Any, tree: Any) -> None:
    lagging = member(world, tree.c1, declared_at=at(today()), updated_at=None, marker=MARKER)
    client = official_client(tree.admin)
    resp = client.post(f"/staff/compliance/{tree.hn.pk}/chase/", {"status": "not_done", "format": "csv", "campaign": tree.campaign.pk})
    assert resp.status_code == 200, resp.content[:300]
    rows = _rows(b"".join(resp.streaming_content))
    body = rows[1:]
    # HN's subtree: HN's declared-before-the-start member and its unlinked line, Q1's
    # not-updated one, C1's not-updated and unconfirmed ones, and `lagging`. Not the
    # compliant ones, not the removed line, not the declined one, nothing of HCM.
    assert len(body) == 6
    by_name = {r[2]: r for r in body}
    assert by_name[lagging.full_name][0] == "ROOT/HN/Q1/P1/C1"
    assert by_name[lagging.full_name][3] == "0" + lagging.phone[3:]  # as a roster gives it
    assert {r[0].split("/")[1] for r in body} == {"HN"}
    text = "\n".join(",".join(r) for r in rows)
    for word in (MARKER, "urgent", "symptom", "unwell"):
        assert word not in text
    job = ExportJob.objects.get(owner=tree.admin)
    assert (job.kind, job.streamed, job.row_count) == (Kind.ORG_MEMBERS, True, 6)
    assert AuditEvent.objects.filter(action="export.create", actor=tree.admin).count() == 1

    only_awaiting = client.post(
        f"/staff/compliance/{tree.hn.pk}/chase/", {"status": "awaiting_confirmation", "format": "csv", "campaign": tree.campaign.pk}
    )
    assert len(_rows(b"".join(only_awaiting.streaming_content))) - 1 == 2


def test_a_large_chasing_list_is_a_job_with_progress_for_its_owner_only(world: Any, tree: Any, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1
    client = official_client(tree.admin)
    resp = client.post(f"/staff/compliance/{tree.twd.pk}/chase/", {"status": "not_done", "format": "xlsx", "campaign": tree.campaign.pk})
    assert resp.status_code == 302
    job = ExportJob.objects.get(owner=tree.admin)
    page = client.get(resp["Location"]).content.decode()
    assert f'hx-get="/staff/exports/{job.pk}/"' in page
    assert "<progress" in page
    export_run.call(job.pk)
    row = client.get(f"/staff/exports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    link = row.split(f"/staff/exports/{job.pk}/download/?sig=")[1].split('"')[0]
    download = client.get(f"/staff/exports/{job.pk}/download/?sig={link}")
    assert download.status_code == 200
    assert ExportJob.objects.get(pk=job.pk).row_count == 5  # the tree: HN 2, Q1 1, C1 2
    # Nobody else: another admin, an official.
    assert official_client(tree.hn_admin).get(f"/staff/exports/{job.pk}/download/?sig={link}").status_code == 404
    assert official_client(world.province).get(f"/staff/exports/{job.pk}/").status_code == 404


def test_it_is_capped_like_other_exports_and_stays_in_the_subtree(world: Any, tree: Any, settings: Any, api: Any) -> None:
    settings.EXPORT_DAILY_CAP = 1
    client = official_client(tree.hn_admin)
    first = client.post(f"/staff/compliance/{tree.hn.pk}/chase/", {"status": "not_done", "format": "csv", "campaign": tree.campaign.pk})
    assert first.status_code == 200
    second = client.post(f"/staff/compliance/{tree.hn.pk}/chase/", {"status": "not_done", "format": "csv", "campaign": tree.campaign.pk}, follow=True)
    assert "daily limit" in second.content.decode() or "giới hạn" in second.content.decode()
    assert client.post(f"/staff/compliance/{tree.hcm.pk}/chase/", {"status": "not_done", "format": "csv"}).status_code == 404
    # Officials cannot ask for it, and their export form does not offer it.
    resp = api.as_(world.province).post("/exports", {"kind": "org_members", "format": "csv", "filters": {}, "reason": "x" * 12})
    assert resp.status_code in (400, 403)
    assert "org_members" not in official_client(world.province).get("/staff/exports/").content.decode()
    assert ExportJob.objects.filter(kind=Kind.ORG_MEMBERS).count() == 1
