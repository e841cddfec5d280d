"""Exports never hold more than the official may see: two provinces, both directions."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.exports.tests.helpers import body, content, declare_everyone, read_csv, read_xlsx, refresh_stats

HANOI_PEOPLE = ("Nguyễn Văn Bình",)  # Lan's father: a risk-factor declaration in Hoàn Kiếm
HCM_PEOPLE = ("Phạm Văn Hùng",)  # a risk-factor declaration in Sài Gòn
ID_NUMBERS = ("001055000003", "079079000004", "001188000001")
PHONES = ("+84900000001", "0900000001", "+84900000003", "0900000003")


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def _export_text(api: Any, official: Any, kind: str, fmt: str = "csv", **filters: Any) -> str:
    resp = api.as_(official).post("/exports", body(kind, fmt, **filters))
    assert resp.status_code == 200, resp.content
    data = content(resp)
    rows = read_csv(data) if fmt == "csv" else read_xlsx(data)
    return "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows)


def _names_check(text: str, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    for name in present:
        assert name in text
    for name in absent:
        assert name not in text
    for secret in (*ID_NUMBERS, *PHONES):
        assert secret not in text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_exports_only_the_officials_triage_queue(world: Any, api: Any, fmt: str) -> None:
    declare_everyone(world, api)
    _names_check(_export_text(api, world.province_hcm, "triage", fmt), HCM_PEOPLE, HANOI_PEOPLE)
    _names_check(_export_text(api, world.province, "triage", fmt), HANOI_PEOPLE, HCM_PEOPLE)
    _names_check(_export_text(api, world.ward_official, "triage", fmt), HANOI_PEOPLE, HCM_PEOPLE)
    _names_check(_export_text(api, world.national, "triage", fmt), HANOI_PEOPLE + HCM_PEOPLE, ())


def test_it_ignores_a_ward_filter_outside_the_jurisdiction(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    text = _export_text(api, world.province_hcm, "triage", ward=world.hoan_kiem.code)
    _names_check(text, (), HANOI_PEOPLE + HCM_PEOPLE)
    text = _export_text(api, world.province, "triage", ward=world.sai_gon.code)
    _names_check(text, (), HANOI_PEOPLE + HCM_PEOPLE)


def test_it_refuses_bad_triage_filters_with_field_errors(world: Any, api: Any) -> None:
    resp = api.as_(world.province).post("/exports", body("triage", level="purple", since_from="tomorrow"))
    assert resp.status_code == 400
    assert {"filters.level", "filters.since_from"} <= set(resp.json()["error"]["fields"])


def _follow_up(api: Any, official: Any, person: Any) -> None:
    resp = api.as_(official).post(
        f"/cases/{person.id}/actions", {"kind": "called_reached", "notes": "=HYPERLINK(\"x\") ghi chú riêng"}
    )
    assert resp.status_code in (200, 201), resp.content


def test_it_exports_only_the_officials_follow_up_cases(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    _follow_up(api, world.province, world.lan_parent)
    _follow_up(api, world.province_hcm, world.hung_self)
    text = _export_text(api, world.province_hcm, "followups")
    _names_check(text, HCM_PEOPLE, HANOI_PEOPLE)
    assert "ghi chú riêng" not in text  # officials' notes stay in the console
    _names_check(_export_text(api, world.province, "followups", "xlsx"), HANOI_PEOPLE, HCM_PEOPLE)
    _names_check(_export_text(api, world.ward_official, "followups"), HANOI_PEOPLE, HCM_PEOPLE)
    _names_check(_export_text(api, world.national, "followups"), HANOI_PEOPLE + HCM_PEOPLE, ())


def test_it_exports_only_the_officials_areas_in_statistics(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    refresh_stats()
    hcm = _export_text(api, world.province_hcm, "stats")
    assert world.sai_gon.name in hcm
    assert world.hoan_kiem.name not in hcm
    hanoi = _export_text(api, world.province, "stats", "xlsx")
    assert world.hoan_kiem.name in hanoi
    assert world.sai_gon.name not in hanoi
    ward = _export_text(api, world.ward_official, "stats")
    assert world.hoan_kiem.name in ward
    assert world.ba_dinh.name not in ward


def test_it_keeps_the_jurisdiction_in_a_background_triage_export(world: Any, api: Any, settings: Any) -> None:
    from django.test import Client

    from khaibao.declarations.tests.helpers import risk_declaration
    from khaibao.exports.tests.helpers import immediate_tasks

    immediate_tasks(settings)
    settings.EXPORT_STREAM_MAX_ROWS = 1
    declare_everyone(world, api)
    resp = api.as_(world.hung).post(f"/people/{world.hung_spouse.id}/risk-declarations", risk_declaration())
    assert resp.status_code == 201
    client = api.as_(world.province_hcm)
    # More than the limit could match, but the filter leaves nobody: it still streams.
    small = client.post("/exports", body("triage", ward=world.ben_thanh.code))
    assert small.status_code == 200
    assert len(read_csv(content(small))) == 1
    resp = client.post("/exports", body("triage", "xlsx"))
    assert resp.status_code == 202
    job = client.get(f"/exports/{resp.json()['id']}").json()
    assert (job["status"], job["progress"], job["row_count"]) == ("done", 100, 2)
    download = Client().get(job["download_url"], headers={"Authorization": f"Bearer {client.token}"})
    rows = read_xlsx(content(download))
    text = "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows)
    _names_check(text, (*HCM_PEOPLE, "Đặng Thị Thu"), HANOI_PEOPLE)
