"""Issue 17, major 3: every code shown to a person has its label beside it — the case page's
travel (province, ward and country names with the dates), daily-update symptoms, assessment
reasons; the API keeps the codes and adds the labels."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client

from khaibao.cases.tests.helpers import sign_in_staff, update
from khaibao.declarations.tests.helpers import ago, declaration

HOAN_KIEM = 70


def _dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _lan_travelled(api: Any, world: Any) -> None:
    body = declaration(
        travel=[
            {"province_code": 79, "from": ago(6), "to": ago(4)},
            {"ward_code": HOAN_KIEM, "from": ago(2), "to": ago(2)},
            {"country": "TH", "from": ago(9), "to": ago(8)},
        ],
        exposures=[{"code": "contact_confirmed", "date": ago(2)}],
    )
    resp = api.as_(world.lan).post(f"/people/{world.lan_self.id}/declarations", body)
    assert resp.status_code == 201, resp.content
    update(api, world.lan, world.lan_self, ago(0), symptoms=["fever", "cough"], feeling="unwell")


def test_it_shows_places_with_dates_symptoms_and_reasons_in_words(world: Any, api: Any, client: Client) -> None:
    _lan_travelled(api, world)
    sign_in_staff(client, world.province)
    html = client.get(f"/staff/cases/{world.lan_self.id}/").content.decode()

    assert f"Thành phố Hồ Chí Minh ({_dmy(ago(6))}–{_dmy(ago(4))})" in html
    assert f"Phường Hoàn Kiếm, Thành phố Hà Nội ({_dmy(ago(2))})" in html
    assert f"Thái Lan ({_dmy(ago(9))}–{_dmy(ago(8))})" in html
    assert "79 (" not in html
    assert "(–)" not in html
    updates = html.split('id="updates"')[1].split("</section>")[0]
    assert "Sốt" in updates
    assert "Ho" in updates
    assert "fever" not in updates
    assert "cough" not in updates
    assessments = html.split('id="assessments"')[1].split("</section>")[0]
    assert "Tiếp xúc" in assessments
    assert "[high." not in assessments
    assert "contact_confirmed" not in assessments


def test_it_adds_labels_beside_the_codes_in_the_api(world: Any, api: Any) -> None:
    _lan_travelled(api, world)
    case = api.as_(world.province).get(f"/cases/{world.lan_self.id}").json()

    labelled = case["declarations"][0]["answer_labels"]
    trip = labelled["travel"][0]
    assert (trip["province_code"], trip["province_name"]) == (79, "Thành phố Hồ Chí Minh")
    assert (trip["from"], trip["to"]) == (ago(6), ago(4))
    assert labelled["travel"][1]["ward_name"] == "Phường Hoàn Kiếm"
    assert labelled["travel"][2]["country_name"] == "Thái Lan"
    assert labelled["exposures"][0] == {"code": "contact_confirmed", "label": "Tiếp xúc với ca bệnh (F0)", "date": ago(2)}
    assert case["declarations"][0]["answers"]["travel"][0]["province_code"] == 79  # the codes stay
    day = case["updates"][0]
    assert day["symptoms"] == ["fever", "cough"]
    assert day["symptom_labels"] == [{"code": "fever", "label": "Sốt"}, {"code": "cough", "label": "Ho"}]
    assert day["feeling_label"] == "Không khỏe"
    assert all(r["message"] and r["message"] != r["rule"] for r in case["assessments"][0]["reasons"])

    # The citizen's own history and the daily update's answer carry the same labels.
    own = api.as_(world.lan).get(f"/people/{world.lan_self.id}/declarations").json()["items"][0]
    assert own["answer_labels"]["travel"][0]["text"] == f"Thành phố Hồ Chí Minh ({_dmy(ago(6))}–{_dmy(ago(4))})"
    again = update(api, world.lan, world.lan_self, ago(0), symptoms=["headache"], feeling="unwell").json()
    assert again["symptom_labels"] == [{"code": "headache", "label": "Đau đầu"}]

    triage = api.as_(world.province).get("/triage").json()["items"]
    lan = next(i for i in triage if i["person_id"] == world.lan_self.id)
    assert len(lan["reason_labels"]) == len(lan["reasons"]) > 0
    assert not set(lan["reason_labels"]) & set(lan["reasons"])


def test_it_adds_labels_in_the_my_data_file(world: Any, api: Any) -> None:
    _lan_travelled(api, world)
    data = api.as_(world.lan).get("/privacy/export").json()
    lan = next(p for p in data["people"] if p["id"] == world.lan_self.id)
    trip = lan["declarations"][-1]["answer_labels"]["travel"][0]
    assert trip["province_name"] == "Thành phố Hồ Chí Minh"
    assert lan["declarations"][-1]["answers"]["travel"][0]["province_code"] == 79
    assert lan["daily_updates"][-1]["symptom_labels"] == [{"code": "fever", "label": "Sốt"}, {"code": "cough", "label": "Ho"}]
