"""Seeds a database with unique marker values in every kind of personal field, through the same
interfaces the product uses, for the raw-database check (test_raw_database.py).

Run in-process (PostgreSQL, committed rows) or as `manage.py shell -c` in a subprocess against a
file-based SQLite database, where it prints the markers as JSON on its last line.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.test import Client, override_settings
from django.utils import timezone


def markers() -> dict[str, str]:
    """Fresh values that cannot occur anywhere by chance. Phones are given by their 9-digit
    national number, which both 09… and +849… spellings contain."""
    digits = lambda n: "".join(secrets.choice("0123456789") for _ in range(n))  # noqa: E731
    tag = secrets.token_hex(4)
    return {
        "citizen_phone": "912" + digits(6),
        "member_phone": "913" + digits(6),
        "person_phone": "914" + digits(6),
        "contact_phone": "915" + digits(6),
        "person_id_number": "001" + digits(9),
        "contact_id_number": "079" + digits(9),
        "person_street": f"StreetMark{tag}A",
        "report_address": f"AddrMark{tag}B",
        "report_description": f"DescMark{tag}C",
        "report_note": f"NoteMark{tag}D",
        "report_reply": f"ReplyMark{tag}E",
        "case_note": f"CaseMark{tag}F",
        "break_glass_reason": f"GlassMark{tag}G",
        "break_glass_review": f"ReviewMark{tag}H",
        "reveal_reason": f"RevealMark{tag}I",
        "export_reason": f"ExportMark{tag}J",
        "email_address": f"mailmark{tag}@example.com",
        # Health answers (issue 18) are codes, not free text: the words below occur nowhere in the
        # database but in a declaration's answers, a daily update or the rule ids that fired.
        **HEALTH_MARKERS,
    }


# A declaration with symptoms and their onsets, exposures, conditions, pregnancy and travel; a
# risk-factor declaration; daily updates with symptoms, a temperature and a feeling (health_walk).
HEALTH_MARKERS = {
    "answer_symptom": "loss_of_taste_smell",
    "answer_onset_key": '"onset"',
    # (not "contact_confirmed": contact tracing's own rows name it — an official's record, docs/privacy.md)
    "answer_exposure": "cared_for_sick",
    "answer_condition": "chronic_kidney",
    "answer_pregnant": '"pregnant"',
    "answer_travel": '"ward_code"',
    "update_symptom": "shortness_of_breath",
    "update_feeling": "unwell",
    "reason_rule": "urgent.breathing",
}
# The temperature sent, and the tables and columns that hold answers: every value in them must be
# a Fernet token (test_raw_database.sealed_violations), which also covers the temperature — a
# number that could occur by chance elsewhere in a dump (in a timestamp's seconds).
HEALTH_TEMPERATURE = "38.6"
SEALED_COLUMNS = {
    "declarations_declaration": ("answers",),
    "monitoring_dailyupdate": ("symptoms", "temperature", "feeling"),
    "monitoring_assessment": ("reasons",),
    "monitoring_personstatus": ("reasons",),
}


def _last_code(sms_file: Path, national: str) -> str:
    for line in reversed(sms_file.read_text(encoding="utf-8").splitlines()):
        message = json.loads(line)
        if message["to"].endswith(national):
            found = re.search(r"\b(\d{6})\b", message["body"])
            assert found, message
            return found.group(1)
    raise AssertionError(f"no SMS to {national}")


def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, (resp.status_code, resp.content[:500])
    return resp


def seed(m: dict[str, str]) -> None:
    """Write every marker through the product's pages, API and services."""
    from khaibao import demo
    from khaibao.accounts.tokens import token_issue
    from khaibao.cases import services as cases
    from khaibao.exports import services as exports
    from khaibao.orgs import members as org_members
    from khaibao.orgs.models import OrgUnit
    from khaibao.people import break_glass
    from khaibao.people.models import Person
    from khaibao.reports import handling as report_handling
    from khaibao.reports import services as reports
    from khaibao.tracing import services as tracing

    world = demo.build_world()
    lan = world.accounts["0900000001"]
    national = world.accounts["demo-national"]
    province_hcm = world.accounts["demo-province-hcm"]
    org_admin = world.accounts["demo-org"]

    with tempfile.TemporaryDirectory() as tmp, override_settings(
        SMS_BACKEND="file", SMS_FILE_PATH=str(Path(tmp) / "sms.jsonl"), EXPORT_ROOT=Path(tmp) / "exports",
        ALLOWED_HOSTS=["testserver"],
    ):
        sms_file = Path(tmp) / "sms.jsonl"

        # A new citizen signs in on the web (the phone waits in the session between the steps)
        # and through the API (OTP rows, a new account).
        web = Client()
        _ok(web.post("/sign-in/", {"phone": "0" + m["citizen_phone"]}), 302)
        _ok(web.get("/sign-in/code/"))
        api = Client()
        phone = "0" + m["member_phone"]
        _ok(api.post("/api/v1/auth/otp/request", {"phone": phone}, content_type="application/json"), 202)
        code = _last_code(sms_file, m["member_phone"])
        _ok(api.post("/api/v1/auth/otp/verify", {"phone": phone, "code": code}, content_type="application/json"))

        # A household member with ID number, phone and street, created with an idempotency key
        # (the stored response names them).
        token, _ = token_issue(account=lan, label="raw-check")
        auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "raw-check-1"}
        person_id = _ok(api.post(
            "/api/v1/people",
            {"full_name": "Nguyễn Thị Dấu", "sex": "female", "date_of_birth": "1990-01-02", "relation": "spouse",
             "id_number": m["person_id_number"], "phone": "0" + m["person_phone"], "ward_code": demo.HOAN_KIEM,
             "street": m["person_street"]},
            content_type="application/json", headers=auth,
        ), 201).json()["id"]
        person = Person.objects.get(pk=person_id)
        health_walk(api, {"Authorization": f"Bearer {token}"}, person_id)
        # Notifications by e-mail, to an address of the citizen's.
        _ok(api.put(
            "/api/v1/notifications/preferences", {"email": True, "email_address": m["email_address"]},
            content_type="application/json", headers={"Authorization": f"Bearer {token}"},
        ))

        # An official's follow-up: a positive test (F0) with free-text notes, a reveal on a reason.
        cases.case_action_record(
            actor=national, person=person,
            data=cases.ActionIn(kind="test_result", test_result="positive", test_date=date.today(), notes=m["case_note"]),
        )
        cases.person_reveal(actor=national, person=person, reason=m["reveal_reason"])

        # Contact tracing creates a new person from an ID number and a phone.
        tracing.contact_register(
            actor=national, source=person,
            data=tracing.ContactInput(
                full_name="Trần Thị Vết", ward_code=demo.BA_DINH, contact_date=date.today() - timedelta(days=1),
                kind="close", phone="0" + m["contact_phone"], id_number=m["contact_id_number"], birth_year=1985, sex="female",
            ),
        )

        # A citizen's report, an official's internal note and reply.
        report, _code = reports.report_submit(
            actor=lan,
            data=reports.ReportInput(
                category="suspected_case", ward_code=demo.HOAN_KIEM, address=m["report_address"],
                description=m["report_description"], happened_at=timezone.now() - timedelta(hours=2),
            ),
        )
        report_handling.report_note_add(actor=national, report=report, text=m["report_note"])
        report_handling.report_reply_add(actor=national, report=report, text=m["report_reply"])

        # An organisation's roster phone.
        unit = OrgUnit.objects.get(path="TWD/HN")
        org_members.member_add(actor=org_admin, unit=unit, full_name="Phạm Thành Viên", phone="0" + m["member_phone"])

        # Break the glass from another province, on a reason; a national official reviews it.
        _person, grant = break_glass.break_glass_open(
            actor=province_hcm, by="id_number", value=m["person_id_number"], person_id=None,
            reason=m["break_glass_reason"],
        )
        assert grant is not None
        break_glass.break_glass_review(actor=national, grant_id=grant.pk, note=m["break_glass_review"])

        # An export on a stated reason.
        exports.export_request(actor=national, kind="followups", fmt="csv", filters={}, reason=m["export_reason"])


def health_walk(api: Client, auth: dict[str, str], person_id: int) -> None:
    """A citizen's health walk through the API: declaration, risk-factor declaration, two daily
    updates with temperature (the answers named by HEALTH_MARKERS)."""
    from khaibao import demo

    today = timezone.localdate()
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    base = f"/api/v1/people/{person_id}"
    _ok(api.post(f"{base}/declarations", {
        "travel": [{"ward_code": demo.BA_DINH, "from": day(6), "to": day(4)}],
        "symptoms": [{"code": "loss_of_taste_smell", "onset": day(3)}, {"code": "cough", "onset": day(2)}],
        "exposures": [{"code": "contact_confirmed", "date": day(5)}, {"code": "cared_for_sick", "date": day(5)}],
        "conditions": ["chronic_kidney", "diabetes"], "pregnant": True, "commitment": True, "consent": True,
    }, content_type="application/json", headers=auth), 201)
    _ok(api.post(f"{base}/risk-declarations", {
        "contact_with_case": True, "contacts": [{"code": "contact_confirmed", "date": day(5)}],
        "came_from_epidemic_area": False, "suspect_infection": True,
        "symptoms": [{"code": "loss_of_taste_smell", "onset": day(3)}], "commitment": True, "consent": True,
    }, content_type="application/json", headers=auth), 201)
    for n, symptoms in ((1, ["cough"]), (0, ["shortness_of_breath", "fever"])):
        resp = api.put(f"{base}/updates/{day(n)}", {
            "symptoms": symptoms, "temperature": float(HEALTH_TEMPERATURE), "feeling": "unwell",
        }, content_type="application/json", headers=auth)
        assert resp.status_code in (200, 201), (resp.status_code, resp.content[:500])


def main() -> None:
    """Entry point for the subprocess: seed, then print the markers on the last line."""
    m = markers()
    seed(m)
    print(json.dumps(m))
