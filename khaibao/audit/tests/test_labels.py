"""Issue 17, major 5: the audit trail is for people — every action, object and reason has words
beside its code (page, CSV/XLSX, API), the DPO filters by category, and no Python class name
ever shows."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from khaibao.audit import labels
from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.signin.services import Channel
from khaibao.venues.models import VenueStatus
from khaibao.zones.models import Change

ROOT = Path(settings.BASE_DIR) / "khaibao"
WRITERS = {"audit_record", "audit_event"}


def _sources() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(ROOT.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts and path.name != "conftest.py"
    ]


def _strings(node: ast.expr) -> set[str]:
    """The string constants an argument can be: a constant, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _arguments(name: str, *, keyword: str, position: int | None = None) -> set[str]:
    """Every string passed to calls of `name` as `keyword=` (or at `position`), in all the code."""
    found: set[str] = set()
    for _path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node) != name:
                continue
            for kw in node.keywords:
                if kw.arg == keyword:
                    found |= _strings(kw.value)
            if position is not None and len(node.args) > position:
                found |= _strings(node.args[position])
    return found


def _actions_in_code() -> tuple[set[str], set[str]]:
    """(literal action codes, f-string prefixes such as "person.") in every audit write."""
    literal: set[str] = set()
    templates: set[str] = set()
    for _path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg != "action":
                    continue
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str) and "." in kw.value.value:
                    # Also the codes a service hands to its own writer (declarations' `action=`).
                    literal.add(kw.value.value)
                elif isinstance(kw.value, ast.JoinedStr) and _calls_writer(node):
                    templates.add(_template(kw.value))
        # Codes kept in a table and looked up (privacy's _ACTIONS).
        for node in ast.walk(tree):
            if isinstance(node, ast.AnnAssign | ast.Assign):
                targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                if any(isinstance(t, ast.Name) and t.id == "_ACTIONS" for t in targets) and isinstance(node.value, ast.Dict):
                    literal |= {v.value for v in node.value.values if isinstance(v, ast.Constant)}
    return literal, templates


def _name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


# Computed prefixes, by their source: the zones' and places' audit is named after their model.
_COMPUTED_PREFIXES = {"owner._meta.model_name": ("zone.", "place.")}


def _template(value: ast.JoinedStr) -> str:
    """The constant prefix of an f-string action ("person." of f"person.{purpose}"); for a prefix
    computed from a known expression, a marker resolved by _COMPUTED_PREFIXES."""
    head = value.values[0]
    if isinstance(head, ast.Constant):
        return str(head.value)
    assert isinstance(head, ast.FormattedValue), ast.unparse(value)
    source = ast.unparse(head.value)
    assert source in _COMPUTED_PREFIXES, f"unknown computed audit action {ast.unparse(value)}: add it to the test"
    return source


def _calls_writer(node: ast.Call) -> bool:
    return _name(node) in WRITERS


def test_it_has_a_label_for_every_action_the_code_writes() -> None:
    literal, templates = _actions_in_code()
    assert "pass.verify" in literal
    assert "orgs.member_add" in literal
    assert literal - set(labels.ACTIONS) == set()
    # The computed ones: the access purposes, report purposes, zone/place changes, lockout scopes.
    person_purposes = (
        {"view"}  # access_person_for_user's default
        | _arguments("access_person_for_user", keyword="purpose")
        | _arguments("case_person", keyword="purpose")
        | _arguments("_case", keyword="purpose", position=2)  # api/tracing.py
    )
    report_purposes = {"view"} | _arguments("report_for_official", keyword="purpose")
    expansions = {
        "person.": person_purposes,
        "report.": report_purposes - {""},  # "" means: already audited, write nothing
        "zone.": set(Change.values),
        "place.": set(Change.values),
        "account.locked_": _arguments("_record_lockout", keyword="scope"),
        "account.sign_in_": set(get_args(Channel)),  # signin.services: f"account.sign_in_{channel}"
        "venue.": set(VenueStatus.values),  # venues.services.venue_status_set: f"venue.{status}"
    }
    assert {"case_view", "contacts_register", "declarations"} <= person_purposes
    for computed in set(templates) & set(_COMPUTED_PREFIXES):
        templates.discard(computed)
        templates |= set(_COMPUTED_PREFIXES[computed])
    assert set(templates) <= set(expansions), templates
    for prefix, values in expansions.items():
        assert values, prefix
        missing = {prefix + v for v in values} - set(labels.ACTIONS)
        assert missing == set(), f"{prefix}…: {missing}"


def test_it_puts_every_action_in_a_category_with_words_in_both_languages() -> None:
    from django.utils import translation

    for code, info in labels.ACTIONS.items():
        assert info.category in labels.CATEGORIES, code
        with translation.override("vi"):
            vi = str(info.label)
        with translation.override("en"):
            en = str(info.label)
        assert vi != en, f"{code}: no Vietnamese for {en!r}"
    for code, label in {**labels.OBJECT_TYPES, **labels.REASONS, **labels.CATEGORIES}.items():
        with translation.override("vi"):
            assert str(label) != code


def test_it_refuses_an_action_or_object_without_a_label(world: Any) -> None:
    with pytest.raises(labels.UnknownAuditCode, match=r"person\.peek"):
        audit_record(actor=world.national, action="person.peek")

    class Gadget:
        pk = 1

    with pytest.raises(labels.UnknownAuditCode, match="Gadget"):
        audit_record(actor=world.national, action="person.view", obj=Gadget())
    assert not AuditEvent.objects.filter(actor=world.national).exists()


# --- what the DPO reads ------------------------------------------------------------------------

CLASS_NAME = re.compile(r"\b(SimpleLazyObject|" + "|".join(labels.OBJECT_TYPES) + r")\b")


@pytest.fixture
def trail(world: Any, client: Client) -> dict[str, Any]:
    """The events of the issue's walk-through: a staff sign-in, a roster member added, a pass
    checked, a case read, and a citizen's own download through the web (request.user as object)."""
    from khaibao.demo import DEMO_PASSWORD
    from khaibao.orgs.members import member_add
    from khaibao.passes.services import pass_issue
    from khaibao.passes.verify import pass_verify

    assert client.post("/staff/sign-in/", {"username": "demo-checkpoint", "password": DEMO_PASSWORD}).status_code == 302
    member = member_add(actor=world.org_admin, unit=world.org_admin.org_unit, full_name="Lê Văn Cường", phone="0912345678")
    pass_verify(actor=world.checkpoint, token=pass_issue(person=world.lan_self).token)
    official = Client()
    sign_in_staff(official, world.national)
    assert official.get(f"/staff/cases/{world.lan_self.pk}/").status_code == 200
    citizen = Client()
    citizen.force_login(world.lan)
    assert citizen.get("/my-data/export.json").status_code == 200
    # A row written before object types came from the model, when request.user was the object.
    AuditEvent.objects.create(
        at=timezone.now(), actor=world.lan, actor_label=str(world.lan.pk), action="household.export",
        object_type="SimpleLazyObject", object_id=str(world.lan.pk),
    )
    return {"member": member}


def _dpo() -> Client:
    from khaibao.accounts.models import Account

    client = Client()
    sign_in_staff(client, Account.objects.get(username="demo-dpo"))
    return client


def test_it_shows_words_and_never_a_class_name_on_the_dpo_page(world: Any, trail: dict[str, Any]) -> None:
    page = _dpo().get("/staff/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    table = html[html.index("<table"):html.index("</table>")]
    text = re.sub(r"<[^>]+>", " ", table)
    assert CLASS_NAME.search(text) is None, CLASS_NAME.search(text)
    for words in (
        "Cán bộ đăng nhập", "Kiểm tra thẻ thông hành", "Thêm thành viên vào danh sách", "Mở hồ sơ theo dõi",
        f"Thành viên danh sách #{trail['member'].pk}", f"Tài khoản #{world.lan.pk}", "Điểm kiểm soát",
        "Theo dõi ca bệnh",
    ):
        assert words in text, words
    stored = AuditEvent.objects.filter(action="privacy.export").values_list("object_type", flat=True)
    assert set(stored) == {"Account"}  # request.user is stored as its model, not its wrapper


def test_it_filters_by_category(world: Any, trail: dict[str, Any]) -> None:
    dpo = _dpo()
    signed_in = dpo.get("/staff/audit/", {"category": "sign_in"})
    assert {r.action for r in signed_in.context["rows"]} >= {"account.sign_in_staff"}
    assert all(r.category == "sign_in" for r in signed_in.context["rows"])
    html = signed_in.content.decode()
    assert '<option value="sign_in" selected>Đăng nhập và tài khoản</option>' in html
    orgs = dpo.get("/staff/audit/", {"category": "organisations"})
    assert [r.action for r in orgs.context["rows"]] == ["orgs.member_add"]
    assert dpo.get("/staff/audit/", {"category": "nonsense"}).status_code == 400


def test_it_labels_the_export(world: Any, trail: dict[str, Any]) -> None:
    resp = _dpo().post("/staff/audit/export/", {"category": "passes", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert rows[0][4] == "Làm gì"
    assert rows[1][4:6] == ["Kiểm tra thẻ thông hành", "Thẻ thông hành y tế"]
    assert rows[1][8] == "Điểm kiểm soát"
    assert rows[1][9] == "pass.verify"


def test_it_labels_the_api_beside_the_codes(world: Any, trail: dict[str, Any], api: Any) -> None:
    client = api.as_(world.dpo)
    body = client.get("/audit?category=organisations").json()
    item = body["items"][0]
    assert item["action"] == "orgs.member_add"
    assert item["action_label"] == "Thêm thành viên vào danh sách"
    assert (item["category"], item["category_label"]) == ("organisations", "Tổ chức")
    assert item["object_type"] == "Member"
    assert item["object_label"] == f"Thành viên danh sách #{trail['member'].pk}"
    english = client.get("/audit?category=passes", headers={"Accept-Language": "en"}).json()["items"][0]
    assert (english["action_label"], english["reason"], english["reason_label"]) == (
        "Health pass checked", "checkpoint", "Checkpoint",
    )
    legacy = client.get("/audit?action=household.export").json()["items"][0]
    assert legacy["object_type"] == "SimpleLazyObject"
    assert legacy["object_label"] == f"Tài khoản #{world.lan.pk}"
    bad = client.get("/audit?category=nonsense")
    assert bad.status_code == 400
    assert "category" in bad.json()["error"]["fields"]
    categories = client.get("/audit/categories").json()
    assert [c["code"] for c in categories] == list(labels.CATEGORIES)
    assert {"code": "pass.verify", "label": "Kiểm tra thẻ thông hành"} in categories[
        list(labels.CATEGORIES).index("passes")
    ]["actions"]
    assert api.as_(world.national).get("/audit/categories").status_code == 403


def test_it_words_a_reassessment_reason() -> None:
    from django.utils import translation

    with translation.override("en"):
        assert labels.reason_label("zone:12:v3") == "Epidemic zone #12 changed (version 3)"
        assert labels.reason_label("call back about fever") == "call back about fever"
        assert labels.reason_label("case_view") == "Following up the case"
