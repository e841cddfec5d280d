"""The console's export pages: form, list with progress, download links, roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.exports.models import ExportJob
from khaibao.exports.tests.helpers import REASON, content, immediate_tasks, read_csv
from khaibao.passes.tests.helpers import sign_in_staff

URL = "/staff/exports/"


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def test_it_shows_the_form_and_an_empty_state(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    resp = client.get(URL)
    assert resp.status_code == 200
    page = resp.content.decode()
    assert 'name="reason"' in page
    assert 'class="empty"' in page


def test_it_links_exports_from_the_console_home(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    assert URL in client.get("/staff/").content.decode()


def test_it_prefills_the_form_from_the_queue_filters(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    page = client.get(URL + "?kind=triage&level=high&reason=escalation&since_from=2026-01-05").content.decode()
    assert '<option value="triage" selected>' in page
    assert '<option value="high" selected>' in page
    assert '<option value="escalation" selected>' in page
    assert 'value="2026-01-05"' in page
    assert "escalation</textarea>" not in page  # the queue's reason is not the export's reason


def test_it_exports_the_triage_list_of_the_jurisdiction_from_the_form(world: Any, api: Any, client: Client) -> None:
    from khaibao.exports.tests.helpers import declare_everyone

    declare_everyone(world, api)
    sign_in_staff(client, world.province_hcm)
    form = {"kind": "triage", "format": "csv", "reason": REASON, "queue_reason": "risk_declaration",
            "date_from": "2020-01-01", "case_status": "closed"}
    resp = client.post(URL, form)
    assert resp.status_code == 200
    text = content(resp).decode("utf-8-sig")
    assert "Phạm Văn Hùng" in text
    assert "Nguyễn Văn Bình" not in text
    assert ExportJob.objects.get().filters == {"reason": "risk_declaration", "since_from": "2020-01-01"}


def test_it_shows_a_bad_filter_next_to_its_field(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    resp = client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON,
                             "date_from": "2026-02-10", "date_to": "2026-02-01"})
    assert resp.status_code == 400
    assert 'id="id_date_from_error"' in resp.content.decode()
    assert not ExportJob.objects.exists()


def test_it_streams_a_small_export_from_the_form(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province_hcm)
    resp = client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON})
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment")
    names = {row[2] for row in read_csv(content(resp))[1:]}
    assert world.sai_gon.name in names
    assert world.hoan_kiem.name not in names
    assert AuditEvent.objects.filter(action="export.create", actor=world.province_hcm).count() == 1


def test_it_keeps_what_was_typed_when_the_reason_is_missing(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    resp = client.post(URL, {"kind": "stats", "format": "xlsx", "reason": "ngắn"})
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "field-error" in page
    assert '<option value="xlsx" selected>' in page
    assert not ExportJob.objects.exists()


def test_it_shows_the_daily_cap_on_the_page(world: Any, client: Client, settings: Any) -> None:
    settings.EXPORT_DAILY_CAP = 1
    sign_in_staff(client, world.province)
    assert client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON}).status_code == 200
    resp = client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON})
    assert resp.status_code == 429
    assert 'role="alert"' in resp.content.decode()


def test_it_polls_a_running_job_and_links_the_finished_file(world: Any, client: Client, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1
    sign_in_staff(client, world.province)
    resp = client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON})
    assert resp.status_code == 302
    job = ExportJob.objects.get()
    page = client.get(URL).content.decode()
    assert f'hx-get="/staff/exports/{job.pk}/"' in page
    assert "<progress" in page
    assert 'http-equiv="refresh"' in page  # without JavaScript the page reloads itself

    from khaibao.exports.tasks import export_run

    export_run.call(job.pk)
    row = client.get(f"/staff/exports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in row
    assert f"/staff/exports/{job.pk}/download/?sig=" in row
    page = client.get(URL).content.decode()
    assert 'http-equiv="refresh"' not in page
    link = page.split(f"/staff/exports/{job.pk}/download/?sig=")[1].split('"')[0]
    download = client.get(f"/staff/exports/{job.pk}/download/?sig={link}")
    assert download.status_code == 200
    assert len(read_csv(content(download))) - 1 == ExportJob.objects.get().row_count


def test_it_runs_the_job_with_the_immediate_backend(world: Any, client: Client, settings: Any) -> None:
    immediate_tasks(settings)
    settings.EXPORT_STREAM_MAX_ROWS = 1
    sign_in_staff(client, world.province)
    assert client.post(URL, {"kind": "stats", "format": "xlsx", "reason": REASON}).status_code == 302
    assert ExportJob.objects.get().status == "done"
    assert "/download/?sig=" in client.get(URL).content.decode()


def test_it_hides_another_officials_job_row(world: Any, client: Client, api: Any, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1
    job_id = api.as_(world.province).post(
        "/exports", {"kind": "stats", "format": "csv", "filters": {}, "reason": REASON}
    ).json()["id"]
    sign_in_staff(client, world.province_hcm)
    assert client.get(f"/staff/exports/{job_id}/").status_code == 404
    assert 'class="empty"' in client.get(URL).content.decode()


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin"])
def test_it_refuses_the_pages_to_other_roles(world: Any, client: Client, who: str) -> None:
    sign_in_staff(client, getattr(world, who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON}).status_code == 403
    assert not ExportJob.objects.exists()


def test_it_sends_strangers_to_sign_in(client: Client) -> None:
    resp = client.get(URL)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/staff/sign-in/")


def test_it_lists_exports_with_bounded_queries(
    world: Any, client: Client, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1
    sign_in_staff(client, world.province)
    for _ in range(5):
        client.post(URL, {"kind": "stats", "format": "csv", "reason": REASON})
    client.get(URL)
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


def test_it_picks_the_ward_filter_by_name(world: Any, api: Any, client: Client) -> None:
    """Issue 17: the ward filter was a bare number box."""
    from khaibao.exports.tests.helpers import declare_everyone

    declare_everyone(world, api)
    sign_in_staff(client, world.province)
    page = client.get(URL).content.decode()
    assert f'<option value="{world.ba_dinh.code}">Phường Ba Đình</option>' in page
    assert 'type="number" name="ward"' not in page
    assert "Thành phố Hồ Chí Minh" not in page.split('name="ward"')[1].split("</select>")[0]  # only her province
    form = {"kind": "triage", "format": "csv", "reason": REASON}
    in_hoan_kiem = content(client.post(URL, {**form, "ward": str(world.hoan_kiem.code)})).decode("utf-8-sig")
    assert "Nguyễn Văn Bình" in in_hoan_kiem  # Lan's father, in the queue
    in_ba_dinh = content(client.post(URL, {**form, "ward": str(world.ba_dinh.code)})).decode("utf-8-sig")
    assert "Nguyễn Văn Bình" not in in_ba_dinh


def test_it_groups_every_ward_under_its_province_for_a_national_official(world: Any, client: Client) -> None:
    sign_in_staff(client, world.national)
    select = client.get(URL).content.decode().split('name="ward"')[1].split("</select>")[0]
    assert '<optgroup label="Thành phố Hà Nội">' in select
    assert f'<option value="{world.sai_gon.code}">Phường Sài Gòn</option>' in select
