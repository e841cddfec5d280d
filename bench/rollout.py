"""A roll-out as a Youth Union secretary runs it (issue 21), on PostgreSQL, bounded.

    flock /tmp/kb-bench.lock timeout 1200 .venv/bin/python bench/rollout.py \\
        --db postgres://root@127.0.0.1:5432/khaibao_21 --members 10000,20000 --signins 400

What it does, through the product's services and HTTP interfaces (Django test Client, the
bench settings: DEBUG off):

1. re-creates and migrates the database, loads the demo world (TWD → HN → …, `demo-org`);
2. imports XLSX rosters of each `--members` size into Thành đoàn Hà Nội's 40 units (1 % bad rows:
   hotlines, landlines, unknown roles; 10 % of phones written +84…), timed; a file of 20,001 rows
   is refused; the error file is corrected and imported back as it is;
3. `--signins` members sign in through the real OTP flow (`/api/v1/auth/otp/*`, codes read from
   the file SMS backend), list their memberships and confirm through the API (5 % answer "not
   me"), add themselves, declare; two thirds of those also send today's update;
4. refreshes the rollups and checks that total, confirmed, awaiting, declined, declared and
   updated agree between `GET /api/v1/orgs/{id}/compliance`, the console page, the CSV report
   and a count from the raw tables, for Hà Nội and two of its units;
5. runs the reminder job (every non-compliant, non-declined member once, by what they lack;
   a second run sends none) and the chasing-list export (background job) against raw counts;
6. times the compliance API and the members list (p50/p95 of `--requests`).

The OTP, API and SMS-budget limits are raised for the run (all phones come from 127.0.0.1):
docs/operations.md "Sizing a roll-out" says how to set them for a real one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compliance import pct, recreate_and_migrate  # noqa: E402

SMS_FILE = Path("/tmp/kb21-rollout-sms.jsonl")
UNITS = 40


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


def setup(db: str) -> None:
    os.environ.update({
        "DATABASE_URL": db, "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "OTP_IP_LIMIT_PER_HOUR": "1000000", "OTP_SMS_GLOBAL_LIMIT_PER_HOUR": "1000000",
        # One code per phone as run by default; more once --signins exceeds the largest roster.
        "OTP_PHONE_LIMIT_PER_HOUR": "1000000",
        "SMS_DAILY_BUDGET": "1000000", "SMS_BACKEND": "file", "SMS_FILE_PATH": str(SMS_FILE),
        "ORG_SMS_DAILY_BUDGET": "1000000", "ORG_SMS_PER_ORG_DAILY": "1000000",
        "OTP_COOLDOWN_SECONDS": "0",
    })
    import django

    django.setup()


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hữu", "Kim"]
GIVEN = ["An", "Bình", "Cúc", "Dũng", "Em", "Giang", "Hà", "Khoa", "Lan", "Mai", "Nam", "Oanh", "Phúc",
         "Quyên", "Sơn", "Tâm", "Uyên", "Vinh", "Xuân", "Yến"]


def name_of(i: int) -> str:
    # Letters only (names refuse digits): the index spelled in syllables.
    return f"{FAMILY[i % 10]} {MIDDLE[i // 10 % 10]} {GIVEN[i // 100 % 20]} {GIVEN[i // 2000 % 20]}"


def phone_of(i: int) -> str:
    return f"09{i:08d}"


def roster_xlsx(n: int, units: list[Any], *, bad_every: int = 100) -> tuple[bytes, int]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Họ và tên", "Số điện thoại", "Đơn vị", "Vai trò"])
    bad = 0
    for i in range(n):
        phone: Any = phone_of(i)
        role = "Đoàn viên"
        if i % bad_every == 7:
            phone, bad = ("19001234" if i % 3 else "02438251234"), bad + 1
        elif i % bad_every == 53:
            role, bad = "Phi công", bad + 1
        elif i % 10 == 1:
            phone = "+84" + phone[1:]
        sheet.append([name_of(i), phone, units[i % len(units)].code, role])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), bad


def raw_counts(unit: Any, campaign: Any) -> dict[str, int]:
    """Straight SQL on the raw tables, written apart from the product's definition."""
    from django.db import connection
    from django.utils import timezone

    from khaibao.orgs.compliance import day_start

    today = timezone.localdate()
    sql = """
        SELECT
          count(*) FILTER (WHERE m.declined_at IS NULL),
          count(*) FILTER (WHERE m.declined_at IS NULL AND m.confirmed_at IS NOT NULL),
          count(*) FILTER (WHERE m.declined_at IS NULL AND m.confirmed_at IS NULL),
          count(*) FILTER (WHERE m.declined_at IS NOT NULL),
          count(*) FILTER (WHERE m.declined_at IS NULL AND m.confirmed_at IS NOT NULL
                             AND s.last_declaration_at >= %s),
          count(*) FILTER (WHERE m.declined_at IS NULL AND m.confirmed_at IS NOT NULL
                             AND s.last_update_day = %s)
        FROM orgs_member m JOIN orgs_orgunit u ON u.id = m.unit_id
        LEFT JOIN monitoring_personstatus s ON s.person_id = m.person_id
        WHERE m.removed_at IS NULL AND (u.path = %s OR u.path LIKE %s)
    """
    with connection.cursor() as cur:
        cur.execute(sql, [day_start(campaign.starts_on), today, unit.path, unit.path + "/%"])
        row = cur.fetchone()
    return dict(zip(("members", "confirmed", "awaiting", "declined", "declared", "updated_today"), row, strict=True))


def last_code(e164: str) -> str:
    with SMS_FILE.open("rb") as fh:
        fh.seek(max(0, SMS_FILE.stat().st_size - 4096))
        lines = fh.read().decode("utf-8", "replace").splitlines()
    for line in reversed(lines):
        if e164 in line:
            match = re.search(r"\b(\d{6})\b", json.loads(line)["body"])
            if match:
                return match.group(1)
    raise SystemExit(f"no code for {e164}")


def timed(call: Any, n: int) -> dict[str, float]:
    for _ in range(3):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        resp = call()
        times.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, resp.status_code
    return {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    recreate_and_migrate(args.db)
    log("database re-created and migrated", started)
    SMS_FILE.unlink(missing_ok=True)
    setup(args.db)

    from django.db.models import Count, Q
    from django.test import Client
    from django.utils import timezone

    from khaibao import demo
    from khaibao.accounts.models import Account
    from khaibao.accounts.tokens import token_issue
    from khaibao.core.errors import ServiceError
    from khaibao.declarations.tests.helpers import declaration
    from khaibao.exports.models import ExportJob
    from khaibao.exports.services import export_run
    from khaibao.orgs import chase, reminders, rollups, roster_import
    from khaibao.orgs.compliance import confirmed_members_q, declared_q, updated_q
    from khaibao.orgs.models import Campaign, CampaignReminder, Member, OrgUnit, ReminderPolicy

    demo.build_world()
    admin = Account.objects.get(username="demo-org")
    hn = OrgUnit.objects.get(path="TWD/HN")
    units = [OrgUnit.objects.create(code=f"CD{k:03d}", name=f"Chi đoàn {k}", parent=hn) for k in range(1, UNITS + 1)]
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=hn, name="Khai báo 100%", starts_on=today - timedelta(days=1), deadline=today + timedelta(days=14),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    log("demo world, 40 units, a campaign", started)
    result: dict[str, Any] = {"imports": []}

    for n in args.members:
        data, bad = roster_xlsx(n, units)
        t0 = time.perf_counter()
        res = roster_import.roster_import(actor=admin, unit=hn, filename="roster.xlsx", handle=io.BytesIO(data), size=len(data))
        seconds = time.perf_counter() - t0
        result["imports"].append({"rows": n, "seconds": round(seconds, 1), "created": res.created,
                                  "unchanged": res.unchanged, "errors": len(res.errors), "bad_rows": bad})
        assert len(res.errors) == bad, (len(res.errors), bad, res.errors[:2])
        log(f"roster {n:,} rows: {seconds:.1f} s, created {res.created}, unchanged {res.unchanged}, refused {len(res.errors)}", started)
    too_big, _ = roster_xlsx(20_001, units[:1], bad_every=10**9)
    t0 = time.perf_counter()
    try:
        roster_import.roster_import(actor=admin, unit=hn, filename="big.xlsx", handle=io.BytesIO(too_big), size=len(too_big))
        refused = ""
    except ServiceError as exc:
        refused = exc.code
    result["refused_20001"] = {"code": refused, "seconds": round(time.perf_counter() - t0, 1)}
    assert refused == "too_many_rows"
    # The error file, corrected (hotlines and landlines replaced, roles fixed), imported as it is.
    record = res.record
    assert record is not None
    lines = record.error_csv.splitlines()
    fixed = [lines[0]] + [
        re.sub(r",(19001234|02438251234),", lambda _m, k=k: f",088{k:07d},", line).replace("Phi công", "Cán bộ")
        for k, line in enumerate(lines[1:])
    ]
    again = roster_import.roster_import(
        actor=admin, unit=hn, filename="errors.csv", handle=io.BytesIO("\n".join(fixed).encode()), size=100,
    )
    result["error_file_round_trip"] = {"rows": len(fixed) - 1, "created": again.created, "errors": len(again.errors)}
    assert not again.errors, again.errors[:3]
    log(f"error file re-imported: {again.created} created, {len(again.errors)} refused", started)

    # Members sign in through the real OTP flow and answer from the "app" (the API).
    anon = Client(headers={"Accept-Language": "vi"})
    t0 = time.perf_counter()
    declined = confirmed = declared = updated = 0
    for k in range(args.signins):
        phone = phone_of(k * 37 % args.members[-1])
        if phone.endswith("07"):  # a hotline/landline row: replaced by an 088… phone in the error file
            continue
        e164 = "+84" + phone[1:]
        assert anon.post("/api/v1/auth/otp/request", {"phone": phone}, content_type="application/json").status_code == 202
        resp = anon.post("/api/v1/auth/otp/verify", {"phone": phone, "code": last_code(e164)}, content_type="application/json")
        assert resp.status_code == 200, resp.content
        app = Client(headers={"Authorization": f"Bearer {resp.json()['token']}"})
        lines_ = app.get("/api/v1/memberships").json()
        if k % 20 == 19:
            app.post(f"/api/v1/memberships/{lines_[0]['id']}/decline")
            declined += 1
            continue
        assert app.post(f"/api/v1/memberships/{lines_[0]['id']}/confirm").status_code == 200
        confirmed += 1
        person = app.post("/api/v1/people", {"relation": "self", "full_name": name_of(k), "sex": "female",
                                             "birth_year": 1995, "ward_code": 70, "id_number": f"001195{k:06d}"}, content_type="application/json")
        assert person.status_code == 201, person.content
        pid = person.json()["id"]
        if k % 6 == 5:
            continue  # confirmed, not declared
        assert app.post(f"/api/v1/people/{pid}/declarations", declaration(), content_type="application/json").status_code == 201
        declared += 1
        if k % 3:
            put = app.put(f"/api/v1/people/{pid}/updates/{today.isoformat()}", {"symptoms": [], "feeling": "well"},
                          content_type="application/json")
            assert put.status_code in (200, 201), put.content
            updated += 1
    seconds = time.perf_counter() - t0
    result["signins"] = {"members": args.signins, "confirmed": confirmed, "declined": declined, "declared": declared,
                         "updated": updated, "seconds": round(seconds, 1)}
    log(f"{args.signins} sign-ins: {confirmed} confirmed, {declined} 'not me', {declared} declared, {updated} updated ({seconds:.0f} s)", started)

    t0 = time.perf_counter()
    rollups.compliance_refresh()
    result["refresh_seconds"] = round(time.perf_counter() - t0, 2)

    token, _t = token_issue(account=admin, label="bench")
    api = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    console = Client(headers={"Accept-Language": "vi"})
    console.force_login(admin)
    agreement = {}
    for unit in (hn, units[0], units[7]):
        raw = raw_counts(unit, campaign)
        body = api.get(f"/api/v1/orgs/{unit.pk}/compliance").json()["unit"]
        from_api = {"members": body["members"], "confirmed": body["confirmed"], "awaiting": body["awaiting_confirmation"],
                    "declined": body["declined"], "declared": body["declared"], "updated_today": body["updated_today"]}
        page = console.get(f"/staff/compliance/{unit.pk}/").content.decode()
        from_page = {key: int(re.sub(r"<[^>]+>|\.", "", re.search(rf'data-testid="{tid}"[^>]*>(.*?)</dd>', page, re.S).group(1)).split("(")[0].strip())  # type: ignore[union-attr]
                     for key, tid in (("members", "unit-members"), ("confirmed", "unit-confirmed"), ("awaiting", "unit-awaiting"))}
        report = b"".join(console.get(f"/staff/compliance/{unit.pk}/export/?format=csv").streaming_content).decode("utf-8-sig")
        cells = report.splitlines()[1].split(",")
        from_csv = dict(zip(("members", "confirmed", "awaiting", "declined", "declared"), map(int, cells[2:7]), strict=True))
        from_csv["updated_today"] = int(cells[8])
        ok = from_api == raw and from_csv == raw and all(from_page[k] == raw[k] for k in from_page)
        agreement[unit.path] = {"raw": raw, "api": from_api == raw, "page": all(from_page[k] == raw[k] for k in from_page),
                                "csv": from_csv == raw}
        assert ok, (unit.path, raw, from_api, from_page, from_csv)
    result["agreement"] = agreement
    log(f"API, page, CSV and raw tables agree: {json.dumps(agreement[hn.path]['raw'])}", started)

    # Reminders: every non-compliant, non-declined member of the campaign, once.
    expected = raw_counts(hn, campaign)
    # Compliant: confirmed, declared since the start and updated today (both targets).
    compliant = Member.objects.filter(
        Q(unit__path__startswith=hn.path + "/") | Q(unit=hn), confirmed_members_q(),
        declared_q(campaign.starts_on), updated_q(today), removed_at__isnull=True,
    ).count()
    not_done = expected["members"] - compliant
    t0 = time.perf_counter()
    sent = reminders.campaign_reminders_send(day=today)
    seconds = time.perf_counter() - t0
    second = reminders.campaign_reminders_send(day=today)
    channels = dict(CampaignReminder.objects.filter(day=today).values_list("channel").annotate(n=Count("pk")))
    result["reminders"] = {"sent": sent, "expected": not_done, "second_run": second, "seconds": round(seconds, 1), "channels": channels}
    assert (sent, second) == (not_done, 0), (sent, not_done, second)
    log(f"reminders: {sent} sent (expected {not_done}) in {seconds:.1f} s, second run {second}; {channels}", started)

    # The chasing lists: the few confirmed members who have not declared (streamed), and
    # everyone with something left to do (a background job at this size), against raw counts.
    result["chase_export"] = {}
    for status, fmt, expected_rows in (
        ("not_declared", "csv", expected["confirmed"] - expected["declared"]),
        ("not_done", "xlsx", not_done),
    ):
        t0 = time.perf_counter()
        outcome = chase.chase_export_request(actor=admin, unit=hn, campaign=campaign, status=status, fmt=fmt)
        if outcome.content is not None:
            b"".join(outcome.content)
        else:
            export_run(job_id=outcome.job.pk)
        job = ExportJob.objects.get(pk=outcome.job.pk)
        result["chase_export"][status] = {"rows": job.row_count, "expected": expected_rows, "streamed": job.streamed,
                                          "format": fmt, "seconds": round(time.perf_counter() - t0, 1)}
        assert job.row_count == expected_rows, (status, job.row_count, expected_rows)
        log(f"chasing list ({status}): {job.row_count} rows, {'streamed' if job.streamed else 'background job'}, "
            f"{result['chase_export'][status]['seconds']} s", started)

    result["timings"] = {
        "compliance_api": timed(lambda: api.get(f"/api/v1/orgs/{hn.pk}/compliance"), args.requests),
        "members_list_api": timed(lambda: api.get(f"/api/v1/orgs/{hn.pk}/members?limit=50"), args.requests),
        "compliance_page": timed(lambda: console.get(f"/staff/compliance/{hn.pk}/"), args.requests),
    }
    log(f"timings: {json.dumps(result['timings'])}", started)
    result["load_average"] = os.getloadavg()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--members", default="10000,20000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--signins", type=int, default=400)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if "127.0.0.1" not in args.db and "localhost" not in args.db:
        raise SystemExit("the bench runs against a local database only")
    result = run(args)
    print(json.dumps(result, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
