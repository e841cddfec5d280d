"""The security suite's world: two provinces, two organisations, every role, one of each object.

Built on the shared `world` fixture (khaibao/conftest.py: Hà Nội and TP.HCM, citizens, officials
of each scope, checkpoint, organisation admin, DPO) and extended with what an attacker needs to
aim at: a second organisation with its own admin and members, a ward official outside Hà Nội, a
system admin, and one object of every kind the API and pages serve by id — a case, a zone, a
place, a report with a photo, a note and a reply, an announcement, a notification, an export, a
break-glass grant, a campaign and a roster import. Every sensitive field of those objects holds a
unique marker (see MARKERS) so the crawl can tell where each one is shown.

Everything is created through the same services and API endpoints the product uses.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.conftest import ApiClient, NamedWorld
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration
from khaibao.reports.tests.helpers import jpeg_bytes, report_body, solve_pow

# Each marker is a string no page, export or log line would contain by chance. The field kind
# (the key) is what the written policy in test_marker_crawl.py speaks of.
MARKERS: dict[str, str] = {
    "person_name": "Nguyễn Văn Qzmkname",
    "person_id_number": "001055987601",
    "person_phone": "0987650001",
    "person_street": "Ngõ Qzmkstreet",
    "case_notes": "Qzmkcasenote sốt cao về đêm",
    "contact_name": "Bùi Văn Qzmkcontact",
    "contact_phone": "0987650002",
    "report_address": "Số 9 Qzmkaddress",
    "report_description": "Qzmkdescription tụ tập đông người",
    "report_note": "Qzmknote nội bộ",
    "report_reply": "Qzmkreply đã xử lý",
    "roster_name": "Lý Văn Qzmkroster",
    "roster_phone": "0987650003",
    "roster_b_name": "Mạc Thị Qzmkrosterb",
    "roster_b_phone": "0987650004",
    "venue_name": "Quán Qzmkvenue",
}

# Every role the matrix and the crawl act as. None is the anonymous visitor.
ROLES = [
    "anonymous", "citizen_owner", "other_citizen", "volunteer", "checkpoint",
    "ward_official", "ward_official_out", "province_official", "province_official_out", "national",
    "org_admin_a", "org_admin_b", "dpo", "sysadmin",
]


@dataclass
class SecWorld:
    named: NamedWorld
    accounts: dict[str, Account | None] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    report_tracking_code: str = ""
    venue_code: str = ""
    build_log: str = ""
    _tokens: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, Client] = field(default_factory=dict)

    def api(self, role: str) -> ApiClient:
        """A JSON client carrying `role`'s bearer token (none for the anonymous visitor)."""
        account = self.accounts[role]
        if account is None:
            return ApiClient()
        if role not in self._tokens:
            from khaibao.accounts.tokens import token_issue

            self._tokens[role], _ = token_issue(account=account, label="security-suite")
        return ApiClient(self._tokens[role])

    def token(self, role: str) -> str | None:
        return self.api(role).token

    def web(self, role: str) -> Client:
        """A browser-like session for `role` (staff past the second factor), signed in once."""
        if role not in self._clients:
            self._clients[role] = self.new_web(role)
        return self._clients[role]

    def new_web(self, role: str) -> Client:
        """A fresh session for `role`, for tests that sign out or let it expire."""
        from khaibao.news.tests.helpers import sign_in_staff

        client = Client()
        account = self.accounts[role]
        if account is None:
            return client
        if account.role == Role.CITIZEN:
            client.force_login(account)
        else:
            sign_in_staff(client, account)
        return client


def _ok(resp: Any, *codes: int) -> Any:
    assert resp.status_code in (codes or (200, 201)), (resp.status_code, getattr(resp, "content", b"")[:500])
    return resp.json() if resp.get("Content-Type", "").startswith("application/json") else resp


def roster_csv(rows: list[list[str]]) -> SimpleUploadedFile:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Họ và tên", "Số điện thoại", "Đơn vị", "Vai trò"])
    writer.writerows(rows)
    return SimpleUploadedFile("roster.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


def build_sec_world(named: NamedWorld) -> SecWorld:
    from khaibao.notifications.services import notify_account
    from khaibao.orgs.models import OrgUnit

    w = SecWorld(named=named)
    sai_gon_official = Account.objects.create_user(
        "sec-ward-saigon", "pw-sec-2026", display_name="Trạm Y tế phường Sài Gòn", role=Role.OFFICIAL,
        scope_level=ScopeLevel.WARD, scope_ward_id=named.sai_gon.code,
    )
    sysadmin = Account.objects.create_superuser("sec-sysadmin", "pw-sec-2026", display_name="Quản trị hệ thống")
    # The second organisation: its own tree, admin and roster, unrelated to Trung ương Đoàn.
    org_b = OrgUnit.objects.create(code="HSV", name="Hội Sinh viên Việt Nam")
    org_b_admin = Account.objects.create_user(
        "sec-org-b", "pw-sec-2026", display_name="Văn phòng Hội Sinh viên", role=Role.ORG_ADMIN, org_unit=org_b
    )
    w.accounts = {
        "anonymous": None, "citizen_owner": named.lan, "other_citizen": named.mai, "volunteer": named.volunteer,
        "checkpoint": named.checkpoint, "ward_official": named.ward_official, "ward_official_out": sai_gon_official,
        "province_official": named.province, "province_official_out": named.province_hcm,
        "national": named.national, "org_admin_a": named.org_admin, "org_admin_b": org_b_admin,
        "dpo": named.dpo, "sysadmin": sysadmin,
    }
    # Tokens issued now live as long as the world; one issued inside a test would vanish with
    # the test's savepoint while staying in the cache.
    for role in ROLES:
        w.api(role)
        w.web(role)
    lan, province = w.api("citizen_owner"), w.api("province_official")

    # The target person: Lan's father, in Hoàn Kiếm (Hà Nội), with a marker in every field.
    target = named.lan_parent
    _ok(lan.patch(f"/people/{target.id}", {
        "full_name": MARKERS["person_name"], "id_number": MARKERS["person_id_number"],
        "phone": MARKERS["person_phone"], "street": MARKERS["person_street"],
    }), 200)
    _ok(lan.post(f"/people/{target.id}/risk-declarations", risk_declaration()), 201)
    _ok(lan.post(f"/people/{named.lan_self.id}/declarations", declaration()), 201)
    _ok(lan.put(f"/people/{target.id}/updates/{ago(0)}", {"symptoms": [], "feeling": "well"}), 200, 201)
    _ok(province.post(f"/cases/{target.id}/actions", {
        "kind": "test_result", "test_result": "positive", "test_date": ago(1), "notes": MARKERS["case_notes"],
    }), 201)
    _ok(province.post(f"/cases/{target.id}/contacts", {
        "full_name": MARKERS["contact_name"], "phone": MARKERS["contact_phone"], "ward_code": named.hoan_kiem.code,
        "contact_date": ago(2), "kind": "close", "birth_year": 1990, "sex": "male",
    }), 200, 201)

    # Lan's son registered with an ID number another person already holds: accepted like any
    # other (no registration oracle) and handed to the officials' review (issue 18, item 4).
    _ok(lan.patch(f"/people/{named.lan_child.id}", {"id_number": "001192000002"}), 200)

    # Objects officials and citizens create.
    zone = _ok(province.post("/zones", {
        "name": "Phường Hoàn Kiếm", "level": 3, "lockdown": False, "ward_codes": [named.hoan_kiem.code],
        "advice": {"vi": "Hạn chế ra ngoài.", "en": "Stay home."},
    }), 201)
    place = _ok(province.post("/zones/places", {
        "name": "Siêu thị X, 12 phố Hàng Bài", "ward_code": named.hoan_kiem.code, "lat": 21.0245, "lon": 105.8530,
        "window_start": (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:00"),
        "window_end": (timezone.localtime() - timedelta(days=2, hours=-2)).strftime("%Y-%m-%dT%H:00"),
        "advice": "Ai đã đến đây trong khung giờ trên cần gọi 1900 9095.",
    }), 201)
    news = _ok(province.post("/news", {"kind": "announcement", "title": "Thông báo khẩn", "body": "Đeo khẩu trang.",
                                          "province": named.hanoi.code}), 201)
    report_resp = lan.client.post("/api/v1/reports", {
        **report_body(address=MARKERS["report_address"], description=MARKERS["report_description"]),
        "pow": solve_pow(lan.client), "photos": [SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")],
    }, headers=lan._headers(None))
    report = _ok(report_resp, 201)
    _ok(w.api("ward_official").post(f"/reports/{report['id']}/notes", {"text": MARKERS["report_note"]}), 200, 201)
    _ok(w.api("ward_official").post(f"/reports/{report['id']}/replies", {"text": MARKERS["report_reply"]}), 200, 201)
    photo = _ok(w.api("ward_official").get(f"/reports/{report['id']}/official"), 200)["photo_list"][0]
    notification = notify_account(account=named.lan, kind="test", title="Nhắc khai báo", body="Hôm nay")
    # A small export streams at once and names its job in a header.
    export = {"id": int(_ok(province.post("/exports", {"kind": "stats", "format": "csv", "filters": {},
                                                       "reason": "Báo cáo tuần cho Sở Y tế"}), 200)["X-Export-Id"])}
    grant = _ok(w.api("province_official_out").post("/break-glass", {
        "reason": "Contact of our F0 case 12, lives in Hà Nội; checking.", "id_number": "001065000007",
    }), 201)

    # A venue Lan runs in Hoàn Kiếm (issue 20), where she checked her father in.
    venue = _ok(lan.post("/venues", {"name": MARKERS["venue_name"], "kind": "shop", "ward_code": named.hoan_kiem.code,
                                     "street": "3 Hàng Bè"}), 201)
    checkin = _ok(lan.post("/checkins", {"venue_code": venue["code"], "person_ids": [target.id]}), 201)

    # Organisation A (Trung ương Đoàn, demo) and B (Hội Sinh viên), each with a roster and a campaign.
    hk = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    org_a = w.api("org_admin_a")
    roster_a = _ok(org_a.client.post(f"/api/v1/orgs/{hk.pk}/roster", {"file": roster_csv([
        [MARKERS["roster_name"], MARKERS["roster_phone"], "", "Đoàn viên"], ["", "not-a-phone", "", ""],
    ])}, headers=org_a._headers(None)), 200, 201)
    org_b_api = w.api("org_admin_b")
    _ok(org_b_api.client.post(f"/api/v1/orgs/{org_b.pk}/roster", {"file": roster_csv([
        [MARKERS["roster_b_name"], MARKERS["roster_b_phone"], "", "Đoàn viên"],
    ])}, headers=org_b_api._headers(None)), 200, 201)
    # A venue organisation A runs (issue 20, item 1): its admin's console pages.
    org_venue = _ok(org_a.post("/venues", {"name": "Hội trường Thành đoàn", "kind": "office",
                                           "ward_code": named.hoan_kiem.code, "street": "5 Đinh Lễ"}), 201)
    today, deadline = timezone.localdate().isoformat(), (timezone.localdate() + timedelta(days=7)).isoformat()
    campaign = _ok(org_a.post(f"/orgs/{hk.pk}/campaigns", {"name": "Khai báo tháng 11", "starts_on": today, "deadline": deadline}), 201)
    _ok(org_b_api.post(f"/orgs/{org_b.pk}/campaigns", {"name": "Khai báo sinh viên", "starts_on": today, "deadline": deadline}), 201)

    from khaibao.orgs.models import Member
    from khaibao.people.models import Delegation, IdNumberReview, VolunteerAppointment

    member = Member.objects.filter(unit=hk, full_name=named.lan.display_name).first()
    assert member is not None
    w.ids = {
        "person": target.id, "person_self": named.lan_self.id, "assisted": named.ong_tu.id,
        "zone": zone["zone_id"], "place": place.get("place_id", place.get("id")), "news": news["id"], "report": report["id"],
        "photo": photo["id"], "report_code": 0, "notification": notification.pk, "export": export["id"],
        "grant": grant["grant_id"] if "grant_id" in grant else grant["id"], "unit_a": hk.pk, "unit_b": org_b.pk,
        "campaign": campaign["id"], "member": member.pk,
        "roster_import": roster_a["import_id"] if "import_id" in roster_a else roster_a["id"],
        "appointment": VolunteerAppointment.objects.get(account=named.volunteer).pk,
        "delegation": Delegation.objects.get(person=named.ong_tu).pk,
        "venue": venue["id"], "org_venue": org_venue["id"], "checkin": checkin["checkins"][0]["id"],
        "id_review": IdNumberReview.objects.get(person=named.lan_child).pk,
    }
    w.venue_code = venue["code"]
    w.report_tracking_code = report["tracking_code"]
    return w


@pytest.fixture(scope="module")
def sec_module(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The world, built once per test module inside a transaction rolled back at the end.

    Each test still runs in its own savepoint (the `db` fixture nests inside this transaction,
    as Django's TestCase.setUpTestData does), so a test's writes vanish after it; only the
    second or so of building is shared.
    """
    from django.db import transaction
    from django.test import override_settings

    from khaibao import demo

    media = tmp_path_factory.mktemp("report-media")
    with django_db_blocker.unblock(), override_settings(
        REPORT_MEDIA_ROOT=media, REPORT_POW_MAX_NUMBER=2000,
        PASSWORD_HASHERS=["khaibao.core.testing.FastArgon2PasswordHasher"],
        SMS_BACKEND="file", SMS_FILE_PATH=str(media / "sms.jsonl"),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        # Everything logged while the data is written, at DEBUG for every logger: the crawl
        # checks that no marker reached a log line (test_marker_crawl.py).
        records: list[logging.LogRecord] = []
        handler = _ListHandler(records)
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            try:
                world = build_sec_world(NamedWorld(demo.build_world()))
            finally:
                root.removeHandler(handler)
                root.setLevel(old_level)
            world.build_log = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in records)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _sms_gateway_configured(settings: Any) -> None:
    # The SMS webhook answers 503 until a gateway secret is set; with one, it must refuse
    # every unsigned request whoever sends it.
    settings.SMS_INBOUND_SECRET = "security-suite-gateway-secret"


@pytest.fixture
def sec(sec_module: SecWorld, db: Any) -> SecWorld:
    return sec_module


@pytest.fixture
def sec_log(sec: SecWorld) -> str:
    """What was logged while the world was written."""
    return sec.build_log


class _ListHandler(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
