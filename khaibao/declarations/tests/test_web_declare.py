from __future__ import annotations

import re

from django.test import Client

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, web_form
from khaibao.monitoring.models import PersonStatus


def test_it_shows_the_official_form_with_the_legal_warning(world, lan_browser):
    resp = lan_browser.get(f"/people/{world.lan_child.id}/declare/", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "Making a false declaration breaks Vietnamese law and may be prosecuted." in page
    assert 'name="travel_2_province"' in page
    assert 'name="symptom_fever_onset"' in page
    assert 'name="exposure_contact_confirmed"' in page
    assert 'name="conditions"' in page
    assert 'name="consent"' in page


def test_it_keeps_the_answers_and_shows_errors_next_to_the_fields(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/",
        {
            "symptom_cough": "on", "symptom_cough_onset": ago(-2),
            "travel_0_country": "TH", "travel_0_from": ago(3), "travel_0_to": ago(5),
            "conditions": ["diabetes"],
            "commitment": "on",
        },
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 400
    form = resp.context["form"]
    assert form.errors["symptom_cough_onset"] == ["This date is in the future."]
    assert form.errors["travel_0_to"] == ["The trip cannot end before it starts."]
    assert "consent" in form.errors
    page = resp.content.decode()
    assert f'value="{ago(-2)}"' in page
    assert 'value="TH" selected' in page
    assert re.search(r'value="diabetes" id="id_conditions_\d+"\s*checked', page)
    assert re.search(r'name="symptom_cough" id="id_symptom_cough"\s*checked', page)
    assert not Declaration.objects.exists()


def test_it_records_the_declaration_and_shows_the_level(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/",
        web_form(exposure_contact_confirmed="on", exposure_contact_confirmed_date=ago(2)),
        headers={"Accept-Language": "en"},
        follow=True,
    )
    assert resp.redirect_chain[-1][0] == f"/people/{world.lan_child.id}/"
    page = resp.content.decode()
    assert "level-orange" in page
    assert "High" in page
    assert "1900 9095" in page
    assert "Day 2 of 14" in page
    declaration = Declaration.objects.get(person=world.lan_child)
    assert declaration.declared_as == "household_owner"
    assert declaration.answers["exposures"] == [{"code": "contact_confirmed", "date": ago(2)}]


def test_it_maps_a_bad_exposure_date_to_its_field(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/",
        web_form(exposure_cared_for_sick="on"),
    )
    assert resp.status_code == 400
    assert "exposure_cared_for_sick_date" in resp.context["form"].errors


def test_it_takes_a_risk_declaration_on_the_web(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_parent.id}/risk/",
        web_form(contact_with_case="yes", contact_0_code="contact_confirmed", contact_0_date=ago(1),
              came_from_epidemic_area="no", suspect_infection="no"),
        follow=True,
    )
    assert resp.status_code == 200
    assert PersonStatus.objects.get(person=world.lan_parent).needs_attention is True
    assert Declaration.objects.get(person=world.lan_parent).kind == "risk"


def test_it_explains_a_risk_declaration_answered_no_three_times(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_parent.id}/risk/",
        web_form(contact_with_case="no", came_from_epidemic_area="no", suspect_infection="no"),
    )
    assert resp.status_code == 400
    assert "contact_with_case" in resp.context["form"].errors
    assert not Declaration.objects.exists()


def test_it_asks_where_when_the_answer_is_yes(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_parent.id}/risk/",
        web_form(contact_with_case="no", came_from_epidemic_area="yes", suspect_infection="no"),
    )
    assert resp.status_code == 400
    assert "came_from_epidemic_area" in resp.context["form"].errors


def test_it_hides_another_household_on_the_web(world):
    client = Client()
    client.force_login(world.mai)
    for suffix in ("", "declare/", "risk/", "update/"):
        assert client.get(f"/people/{world.lan_child.id}/{suffix}").status_code == 404
    assert client.post(f"/people/{world.lan_child.id}/update/", {"well": "1"}).status_code == 404
    assert client.post(f"/people/{world.lan_child.id}/declare/", web_form()).status_code == 404
    assert not Declaration.objects.exists()


def test_it_sends_visitors_to_sign_in(world):
    resp = Client().get(f"/people/{world.lan_child.id}/declare/")
    assert resp.status_code == 302
    assert "/sign-in/" in resp["Location"]


def test_it_shows_the_history_on_the_status_page(world, lan_browser):
    lan_browser.post(f"/people/{world.lan_self.id}/declare/", web_form())
    lan_browser.post(f"/people/{world.lan_self.id}/declare/", web_form(symptom_cough="on", symptom_cough_onset=ago(1)))
    resp = lan_browser.get(f"/people/{world.lan_self.id}/", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert " ".join(page.split()).count("Health declaration, declared by the person themselves") == 2
    assert "(Themselves)" not in page
    assert "Medium" in page
    assert "pass-" in page


def test_a_contact_today_is_day_0_of_the_period_in_words(world, lan_browser):
    for lang, words in (("en", "Day 0 of 14: the day of the exposure or of the first symptoms"),
                        ("vi", "Ngày thứ 0/14: ngày tiếp xúc hoặc ngày có triệu chứng đầu tiên")):
        resp = lan_browser.post(
            f"/people/{world.lan_child.id}/declare/",
            web_form(exposure_contact_confirmed="on", exposure_contact_confirmed_date=ago(0)),
            headers={"Accept-Language": lang},
            follow=True,
        )
        assert words in resp.content.decode()
