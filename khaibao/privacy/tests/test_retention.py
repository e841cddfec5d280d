from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from khaibao.accounts.models import OtpChallenge
from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record, audit_verify
from khaibao.core.models import IdempotencyRecord
from khaibao.declarations.models import Declaration
from khaibao.monitoring import partitions
from khaibao.monitoring.models import Assessment, DailyUpdate, PersonStatus
from khaibao.monitoring.pending import pending_assess_all
from khaibao.notifications.models import Notification
from khaibao.passes.models import PassCode
from khaibao.people.models import Person
from khaibao.privacy.retention import retention_run
from khaibao.privacy.tasks import retention_purge
from khaibao.privacy.tests.helpers import declare_and_update, rollups
from khaibao.reports.models import Report, ReportStatus
from khaibao.stats.services import rollup_refresh
from khaibao.venues.models import RunKind, RunStatus, VenueExposure, VenueExposureRun


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def _line(output: str, table: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.startswith(table + " "))


def test_it_shows_what_would_go_without_changing_anything(world, api):
    declare_and_update(api.as_(world.lan), world.lan_child)
    with time_machine.travel(timezone.now() + timedelta(days=181)):
        output = _run("--dry-run")
    assert _line(output, "declarations") == ["declarations", "delete", "1"]
    # Past its own period (day by day), or — on PostgreSQL, its month not over — with the
    # inactive person's other health data; never counted twice.
    updates = [_line(output, table) for table in ("daily_updates", "daily_updates_of_inactive")]
    assert [action for _, action, _ in updates] == ["delete", "delete"]
    assert sum(int(count) for _, _, count in updates) == 1
    assert _line(output, "person_statuses") == ["person_statuses", "delete", "1"]
    assert "Nothing was changed" in output
    assert Declaration.objects.filter(person=world.lan_child).count() == 1
    assert DailyUpdate.objects.filter(person=world.lan_child).count() == 1


def test_it_keeps_health_data_of_people_active_within_the_period(world, api):
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    with time_machine.travel(timezone.now() + timedelta(days=179)):
        output = _run()
    assert _line(output, "declarations")[-1] == "0"
    assert Declaration.objects.filter(person=world.lan_child).exists()


def test_it_erases_health_data_after_the_period_and_keeps_the_statistics(world, api):
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    declare_and_update(client, world.lan_self)
    rollup_refresh()
    before = rollups()
    later = timezone.now() + timedelta(days=181)
    with time_machine.travel(later):
        # Lan stays active; her child does not.
        resp = api.as_(world.lan).put(
            f"/api/v1/people/{world.lan_self.id}/updates/{timezone.localdate().isoformat()}",
            {"symptoms": [], "temperature": None, "feeling": "well"},
        )
        assert resp.status_code == 201
        output = _run()
    assert "declarations: 1" in output  # progress
    assert not Declaration.objects.filter(person=world.lan_child).exists()
    assert not DailyUpdate.objects.filter(person=world.lan_child).exists()
    assert not Assessment.objects.filter(person=world.lan_child).exists()
    assert not PersonStatus.objects.filter(person=world.lan_child).exists()
    assert Person.objects.filter(pk=world.lan_child.pk).exists()  # still in the household
    assert Declaration.objects.filter(person=world.lan_self).exists()
    assert rollups() == before
    event = AuditEvent.objects.filter(action="privacy.retention").get()
    assert event.data["counts"]["declarations"] == 1


def _update_on(person: Any, day: date) -> DailyUpdate:
    return DailyUpdate.objects.create(person=person, day=day, feeling="well", updated_as="self")


def test_it_erases_an_active_persons_daily_updates_past_their_own_period(world, api, settings):
    # One rule on every database (docs/privacy.md, "How long"): a daily update is kept
    # RETENTION_HEALTH_DAYS after its own day, however active the person is.
    settings.RETENTION_HEALTH_DAYS = 60
    declare_and_update(api.as_(world.lan), world.lan_self)  # Lan is active today
    today = timezone.localdate()
    horizon = partitions.daily_update_keep_from(today)
    assert horizon == today - timedelta(days=60)
    old = _update_on(world.lan_self, partitions.month_start(horizon) - timedelta(days=20))  # a month wholly past
    just_past = _update_on(world.lan_self, horizon - timedelta(days=1))
    first_kept = _update_on(world.lan_self, horizon)
    linked = Assessment.objects.create(
        person=world.lan_self, source="daily_update", daily_update=old, level="low", engine_level="low",
        ruleset_version="test",
    )

    done = retention_run()

    days = set(DailyUpdate.objects.filter(person=world.lan_self).values_list("day", flat=True))
    assert old.day not in days
    assert {first_kept.day, today} <= days
    # Day by day on a plain table; on PostgreSQL a month leaves whole, so the days of the month
    # straddling the horizon stay until all of it is past.
    straddles = partitions.month_start(horizon) < horizon
    assert (just_past.day in days) == (partitions.is_partitioned() and straddles)
    assert done["daily_updates"] == 3 - len(days & {old.day, just_past.day, first_kept.day})
    linked.refresh_from_db()
    assert linked.daily_update_id is None
    # Her other health data follows her activity.
    assert Declaration.objects.filter(person=world.lan_self).exists()
    assert PersonStatus.objects.filter(person=world.lan_self).exists()


def test_it_erases_an_inactive_persons_recent_updates_with_their_other_health_data(world, api):
    # The consent notice promises the updates go RETENTION_HEALTH_DAYS after the last activity,
    # even those a month partition on PostgreSQL would keep a little longer.
    declare_and_update(api.as_(world.lan), world.lan_child)
    PersonStatus.objects.filter(person=world.lan_child).update(last_activity_at=timezone.now() - timedelta(days=181))

    assert _line(_run("--dry-run"), "daily_updates_of_inactive") == ["daily_updates_of_inactive", "delete", "1"]
    done = retention_run()

    assert done["daily_updates_of_inactive"] == 1
    assert "daily_updates" not in done
    assert not DailyUpdate.objects.filter(person=world.lan_child).exists()
    assert not Declaration.objects.filter(person=world.lan_child).exists()


@pytest.mark.postgres_only
def test_it_drops_whole_months_of_daily_updates_first_then_the_default_partitions_rows(world, settings):
    settings.RETENTION_HEALTH_DAYS = 40
    today = timezone.localdate()
    straddling = partitions.month_start(partitions.daily_update_keep_from(today))
    past = partitions.month_add(straddling, -1)
    partitions.partitions_ensure([past, straddling])
    in_past_month = _update_on(world.lan_self, past + timedelta(days=3))
    stray = _update_on(world.lan_self, partitions.month_add(past, -2) + timedelta(days=9))  # its month has no partition
    in_straddling = _update_on(world.lan_self, straddling)

    done = retention_run()

    names = [p.name for p in partitions.partitions_list()]
    assert partitions.partition_name(past) not in names
    assert partitions.partition_name(straddling) in names
    kept = set(DailyUpdate.objects.filter(person=world.lan_self).values_list("pk", flat=True))
    assert in_past_month.pk not in kept
    assert stray.pk not in kept
    assert in_straddling.pk in kept
    assert done["daily_updates"] == 1  # the default partition's row; the month went whole
    drop = AuditEvent.objects.get(action="daily_update.partition_drop")
    assert drop.data["partition"] == partitions.partition_name(past)
    assert drop.data["horizon"] == partitions.daily_update_keep_from(today).isoformat()


def test_it_keeps_an_update_stored_first_by_someone_inactive_until_it_is_assessed(world, api, settings):
    # Rush mode (decision D): the update is acknowledged before the status row moves.
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    with time_machine.travel(timezone.now() + timedelta(days=181)):
        late = {"X-Request-Start": f"t={time.time() - 2:.3f}"}
        resp = api.as_(world.lan).put(
            f"/api/v1/people/{world.lan_child.id}/updates/{timezone.localdate().isoformat()}",
            {"symptoms": [], "temperature": None, "feeling": "well"}, headers=late,
        )
        assert resp.status_code == 202, resp.content
        retention_purge.call()
        assert DailyUpdate.objects.filter(person=world.lan_child, day=timezone.localdate()).exists()
        pending_assess_all()
        retention_purge.call()
        assert DailyUpdate.objects.filter(person=world.lan_child, day=timezone.localdate()).exists()
    assert PersonStatus.objects.get(person=world.lan_child).last_update_at is not None


def test_it_erases_notifications_and_short_lived_rows(world, api, sms):
    Notification.objects.create(account=world.lan, kind="test", title="old")
    api.post("/api/v1/auth/otp/request", {"phone": "0900000002"})
    assert OtpChallenge.objects.exists()
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        output = _run()
    assert _line(output, "notifications")[-1] == "1"
    assert not Notification.objects.filter(kind="test").exists()
    assert not OtpChallenge.objects.exists()


def test_the_hourly_job_purges_idempotency_records_codes_and_pass_codes_once_expired(world, api, settings):
    # One purge for the short-lived rows: the audited retention job (no second, unaudited one).
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    settings.RETENTION_SHORT_LIVED_HOURS = 24
    assert api.post("/api/v1/auth/otp/request", {"phone": "0912345678"}).status_code == 202
    child = {"full_name": "Lê Văn Tèo", "sex": "male", "birth_year": 2018, "relation": "child", "ward_code": 70}
    assert api.as_(world.lan).post("/api/v1/people", child, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert api.as_(world.lan).get(f"/api/v1/people/{world.lan_self.id}/status").status_code == 200
    assert retention_purge.call() == {}
    assert (IdempotencyRecord.objects.count(), OtpChallenge.objects.count(), PassCode.objects.count()) == (1, 1, 1)
    # Past every expiry: a short code lives two pass lifetimes (passes.services.CODE_LIFETIME, 48 h).
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        counts = retention_purge.call()
        again = retention_purge.call()
    assert (counts["idempotency_records"], counts["otp_challenges"], counts["pass_codes"]) == (1, 1, 1)
    assert again == {}
    assert not IdempotencyRecord.objects.exists()
    assert not OtpChallenge.objects.exists()
    assert not PassCode.objects.exists()
    event = AuditEvent.objects.filter(action="privacy.retention").latest("id")
    assert event.data["counts"]["idempotency_records"] == 1


def test_it_is_the_only_purge_of_short_lived_rows(settings):
    jobs = [name for name, _ in settings.PERIODIC_TASKS]
    assert not any("purge" in name and "retention" not in name for name in jobs), jobs


def test_it_anonymises_closed_reports(world, settings, tmp_path):
    settings.REPORT_MEDIA_ROOT = tmp_path
    report = Report.objects.create(
        category="other", ward=world.hoan_kiem, address="12 Hàng Bạc", description="Nhà ông Tư có người sốt",
        happened_at=timezone.now(), reporter=world.lan, tracking_hash="x" * 64, status=ReportStatus.HANDLED,
        lat=21.03, lon=105.85,
    )
    (Path(tmp_path) / "photo.jpg").write_bytes(b"jpeg")
    report.photos.create(path="photo.jpg", content_type="image/jpeg", size=4, width=1, height=1)
    open_report = Report.objects.create(
        category="other", ward=world.hoan_kiem, address="1 Hàng Đào", description="Chưa xử lý",
        happened_at=timezone.now(), reporter=world.lan, tracking_hash="y" * 64,
    )
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        output = _run()
    assert _line(output, "reports") == ["reports", "anonymise", "1"]
    report.refresh_from_db()
    assert (report.address, report.description, report.reporter, report.lat) == ("", "", None, None)
    assert report.category == "other"
    assert report.status == ReportStatus.HANDLED
    assert not report.photos.exists()
    assert not (Path(tmp_path) / "photo.jpg").exists()
    open_report.refresh_from_db()
    assert open_report.reporter == world.lan


def test_it_prunes_old_audit_events_and_the_chain_still_verifies(world):
    audit_record(actor="test", action="keys.rotate")
    with time_machine.travel(timezone.now() + timedelta(days=200)):
        audit_record(actor="test", action="keys.reindex")
    call_command("seal_audit")  # the worker's job, every 10 s: only sealed rows are pruned
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        _run()
    call_command("seal_audit")
    assert not AuditEvent.objects.filter(action="keys.rotate").exists()
    assert AuditEvent.objects.filter(action="keys.reindex").exists()
    assert audit_verify().ok
    # Removing the first remaining row is still caught.
    AuditEvent.objects.order_by("id").first().delete()
    assert not audit_verify().ok


def test_it_is_listed_as_a_periodic_job(settings):
    assert ("khaibao.privacy.tasks.retention_purge", 3600) in settings.PERIODIC_TASKS


@pytest.mark.parametrize(("name", "value"), [("RETENTION_AUDIT_DAYS", "364"), ("RETENTION_HEALTH_DAYS", "0")])
def test_it_refuses_to_start_with_a_bad_period(name, value):
    env = {**os.environ, "DEBUG": "1", name: value, "DJANGO_SETTINGS_MODULE": "khaibao.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert name in result.stderr


def test_it_keeps_the_record_of_an_erasure_as_long_as_the_audit_trail(world, api, sms, settings):
    from khaibao.privacy.models import ConsentWithdrawal, Erasure
    from khaibao.privacy.tests.helpers import immediate_tasks

    immediate_tasks(settings)
    client = api.as_(world.lan)
    ask = client.post("/api/v1/privacy/erasure-codes", {"person_ids": [world.lan_child.id], "reason": "consent_withdrawn"})
    client.post(f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code("+84900000001")})
    assert Erasure.objects.get().status == "done"
    with time_machine.travel(timezone.now() + timedelta(days=364)):
        _run()
    assert Erasure.objects.exists()
    assert ConsentWithdrawal.objects.exists()
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        output = _run()
    assert _line(output, "erasure_records")[-1] == "1"
    assert not Erasure.objects.exists()
    assert not ConsentWithdrawal.objects.exists()


def test_it_deletes_a_finished_venue_run_once_it_holds_no_exposure(world):
    # The job record of a run ("a case", a place's name, its window) is kept while any exposure
    # it found is; afterwards it goes with the health horizon, never before (it would take them along).
    now = timezone.now()
    old = now - timedelta(days=200)
    fields = {"kind": RunKind.CASE, "label": "a case", "window_start": old, "window_end": old,
              "status": RunStatus.DONE, "finished_at": old}
    empty = VenueExposureRun.objects.create(subject="case-visit:901", **fields)
    holding = VenueExposureRun.objects.create(subject="case-visit:902", **fields)
    recent = VenueExposureRun.objects.create(subject="case-visit:903", **{**fields, "finished_at": now})
    VenueExposure.objects.create(run=holding, person=world.lan_self, checked_in_at=old, on=old.date())

    done = retention_run()

    assert done["venue_exposure_runs"] == 1
    assert set(VenueExposureRun.objects.values_list("pk", flat=True)) == {holding.pk, recent.pk}
    assert not VenueExposureRun.objects.filter(pk=empty.pk).exists()
