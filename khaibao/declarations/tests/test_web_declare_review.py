"""The citizen declaring pages after the browser walk (notes/review-browser.md, findings 3, 11,
12, 17, 18): a date beside an unticked symptom or exposure is refused, never dropped; the
yes/no questions are grouped under their question and name their error; the one-tap button
speaks for the person it is about; both day choices of the update carry their date."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration, today, web_form

EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


def _input_tags(page: str, name: str) -> list[str]:
    return re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)


# -- finding 3: a date without its tick -------------------------------------------------------
def test_a_symptom_date_without_its_tick_is_refused_beside_it_with_the_answers_kept(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/",
        web_form(symptom_fever_onset=ago(4), symptom_cough="on", symptom_cough_onset=ago(2), conditions=["diabetes"]),
        headers=EN,
    )
    assert resp.status_code == 400
    form = resp.context["form"]
    assert form.errors["symptom_fever_onset"] == [
        "You gave a date for Fever but did not tick it. Tick it, or clear the date."
    ]
    assert set(form.errors) == {"symptom_fever_onset"}
    page = resp.content.decode()
    # Beside the date, with the id its input names, and in the summary at the top.
    assert re.search(r'<p class="field-error" id="id_symptom_fever_onset_error">You gave a date for Fever', page)
    (date_input,) = _input_tags(page, "symptom_fever_onset")
    assert f'value="{ago(4)}"' in date_input
    assert 'aria-invalid="true"' in date_input
    assert 'aria-describedby="id_symptom_fever_onset_error"' in date_input
    assert 'href="#id_symptom_fever_onset"' in page
    # Everything typed is kept.
    assert re.search(r'name="symptom_cough" id="id_symptom_cough"\s*checked', page)
    assert f'value="{ago(2)}"' in page
    assert re.search(r'value="diabetes" id="id_conditions_\d+"\s*checked', page)
    assert not Declaration.objects.exists()


def test_the_refusal_is_in_vietnamese_too(world, lan_browser):
    resp = lan_browser.post(f"/people/{world.lan_child.id}/declare/", web_form(symptom_fever_onset=ago(4)), headers=VI)
    assert resp.status_code == 400
    assert resp.context["form"].errors["symptom_fever_onset"] == [
        "Bạn đã nhập ngày cho Sốt nhưng chưa đánh dấu. Hãy đánh dấu, hoặc xóa ngày."
    ]


def test_an_exposure_date_without_its_tick_is_refused_beside_it(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/", web_form(exposure_contact_confirmed_date=ago(2)), headers=EN
    )
    assert resp.status_code == 400
    errors = resp.context["form"].errors
    assert set(errors) == {"exposure_contact_confirmed_date"}
    assert errors["exposure_contact_confirmed_date"][0].startswith("You gave a date for ")
    assert "but did not tick it. Tick it, or clear the date." in errors["exposure_contact_confirmed_date"][0]
    assert 'id="id_exposure_contact_confirmed_date_error"' in resp.content.decode()
    assert not Declaration.objects.exists()


def test_a_ticked_symptom_with_its_date_still_counts(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/", web_form(symptom_fever="on", symptom_fever_onset=ago(3))
    )
    assert resp.status_code == 302
    assert Declaration.objects.get(person=world.lan_child).answers["symptoms"] == [{"code": "fever", "onset": ago(3)}]


def test_the_risk_form_refuses_a_symptom_date_without_its_tick(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_parent.id}/risk/",
        web_form(contact_with_case="no", came_from_epidemic_area="no", suspect_infection="yes", symptom_fever_onset=ago(1)),
        headers=EN,
    )
    assert resp.status_code == 400
    assert resp.context["form"].errors["symptom_fever_onset"][0].startswith("You gave a date for Fever")
    assert not Declaration.objects.exists()


def test_the_api_takes_its_explicit_lists_as_before(world, api):
    body = declaration(symptoms=[{"code": "fever", "onset": ago(3)}])
    resp = api.as_(world.lan).post(f"/people/{world.lan_child.id}/declarations", body)
    assert resp.status_code == 201, resp.content
    assert Declaration.objects.get(person=world.lan_child).answers["symptoms"] == [{"code": "fever", "onset": ago(3)}]


# -- findings 11 and 12: grouped questions, errors named by their inputs ----------------------
def test_a_yes_no_question_is_the_legend_of_its_radios(world, lan_browser):
    page = lan_browser.get(f"/people/{world.lan_parent.id}/risk/", headers=EN).content.decode()
    assert re.search(
        r'<fieldset>\s*<legend class="question">In the last 14 days, were you in contact with a confirmed or '
        r'suspected case\?</legend>\s*<div class="choices">.*?name="contact_with_case"',
        page, re.S,
    )
    assert "<p class=\"question\">" not in page


def test_a_radio_question_in_error_names_its_message_on_each_radio(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_parent.id}/risk/",
        web_form(contact_with_case="no", came_from_epidemic_area="no", suspect_infection="no"),
        headers=EN,
    )
    assert resp.status_code == 400
    page = resp.content.decode()
    assert 'id="id_contact_with_case_error"' in page
    radios = _input_tags(page, "contact_with_case")
    assert len(radios) == 2
    for radio in radios:
        assert 'aria-invalid="true"' in radio
        assert 'aria-describedby="id_contact_with_case_error"' in radio
    # A question without an error names nothing.
    for radio in _input_tags(page, "suspect_infection"):
        assert "aria-describedby" not in radio
        assert "aria-invalid" not in radio


def test_the_update_feeling_in_error_names_its_message(world, lan_browser):
    resp = lan_browser.post(f"/people/{world.lan_child.id}/update/", {"day": today().isoformat()}, headers=EN)
    assert resp.status_code == 400
    page = resp.content.decode()
    assert re.search(r'<p class="field-error" id="id_feeling_error">', page)
    radios = _input_tags(page, "feeling")
    assert radios
    assert all('aria-describedby="id_feeling_error"' in r and 'aria-invalid="true"' in r for r in radios)


def test_the_condition_and_symptom_groups_name_their_error(world, lan_browser):
    resp = lan_browser.post(f"/people/{world.lan_child.id}/declare/", web_form(conditions=["no-such"]), headers=EN)
    assert resp.status_code == 400
    page = resp.content.decode()
    assert re.search(r'<p class="field-error" id="id_conditions_error">', page)
    assert all('aria-describedby="id_conditions_error"' in c for c in _input_tags(page, "conditions"))

    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/update/",
        {"day": today().isoformat(), "feeling": "well", "symptoms": ["no-such"]}, headers=EN,
    )
    assert resp.status_code == 400
    page = resp.content.decode()
    assert re.search(r'<p class="field-error" id="id_symptoms_error">', page)
    assert all('aria-describedby="id_symptoms_error"' in c for c in _input_tags(page, "symptoms"))


# -- finding 17: the one-tap button speaks for the person ------------------------------------
@pytest.mark.parametrize("path", ["", "update/"])
def test_the_one_tap_button_names_a_relative(world, lan_browser, path):
    page = lan_browser.get(f"/people/{world.lan_child.id}/{path}", headers=EN).content.decode()
    assert "Trần Minh An is well today" in page
    assert "I am well" not in page
    page = lan_browser.get(f"/people/{world.lan_child.id}/{path}", headers=VI).content.decode()
    assert "Hôm nay Trần Minh An khỏe" in page
    assert "Tôi khỏe" not in page


@pytest.mark.parametrize("path", ["", "update/"])
def test_the_one_tap_button_is_first_person_on_ones_own_page(world, lan_browser, path):
    page = lan_browser.get(f"/people/{world.lan_self.id}/{path}", headers=EN).content.decode()
    assert "I am well" in page
    assert "is well today" not in page


def test_the_one_tap_button_names_an_assisted_person(world):
    client = Client()
    client.force_login(world.volunteer)
    for path in ("", "update/"):
        page = client.get(f"/people/{world.ong_tu.id}/{path}", headers=EN).content.decode()
        assert "Nguyễn Văn Tư is well today" in page
        assert "I am well" not in page


# -- finding 18: both days with their date -------------------------------------------------
def test_both_day_choices_of_the_update_carry_their_date(world, lan_browser):
    yesterday = today() - timedelta(days=1)
    page = lan_browser.get(f"/people/{world.lan_child.id}/update/", headers=EN).content.decode()
    assert f"Today, {today():%d/%m/%Y}" in page
    assert f"Yesterday, {yesterday:%d/%m/%Y}" in page
    page = lan_browser.get(f"/people/{world.lan_child.id}/update/", headers=VI).content.decode()
    assert f"Hôm qua, {yesterday:%d/%m/%Y}" in page
