"""Browser walk findings 6 and 12: every element id on the case page is its own (a label focuses
its own control, an error or help link points at one element), and help texts and errors carry
the ids Django's widgets name (`<auto_id>_helptext`, the project's `<auto_id>_error`)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.test import Client

from khaibao.cases.tests.helpers import declare
from khaibao.core.tests.page_ids import assert_ids_sound
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.tracing.tests.helpers import make_f0


def _staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def test_the_case_page_has_no_duplicate_ids(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    make_f0(world, api, world.lan_self)  # a contact list and the contact form
    html = _staff(world.ward_official).get(f"/staff/cases/{world.lan_self.pk}/").content.decode()
    assert "household-limit" in html  # every form of the page is there
    assert 'id="contacts"' in html
    assert_ids_sound(html)
    assert 'id="id_reveal-reason_helptext"' in html
    assert 'id="id_limit-reason_helptext"' in html


def test_the_forms_errors_point_at_their_own_fields(world: Any, api: Any, settings: Any) -> None:
    settings.HOUSEHOLD_MAX_PEOPLE = 20
    declare(api, world.lan, world.lan_self, "high")
    client = _staff(world.ward_official)
    url = f"/staff/cases/{world.lan_self.pk}/"

    limit = client.post(url + "household-limit/", {"limit-max_people": "30", "limit-reason": "gấp"})
    assert limit.status_code == 400
    html = limit.content.decode()
    assert_ids_sound(html)
    assert 'id="id_limit-reason_error"' in html

    reveal = client.post(url + "reveal/", {"reveal-reason": ""})
    assert reveal.status_code == 400
    html = reveal.content.decode()
    assert_ids_sound(html)
    assert 'id="id_reveal-reason_error"' in html

    action = client.post(url + "actions/", {"kind": "test_result", "test_result": "positive"})
    assert action.status_code == 400
    assert_ids_sound(action.content.decode())


def test_the_news_form_names_its_errors_as_its_fields_do(world: Any) -> None:
    client = _staff(world.national)
    resp = client.post("/staff/news/new/", {"title": "", "body": ""})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert re.search(r'id="[^"]*-error"', html) is None
    assert 'id="id_kind_error"' in html
    assert_ids_sound(html)  # aria-describedby="id_title_error" finds its message


class _Help(forms.Form):
    reason = forms.CharField(help_text="Why you need it.")
    name = forms.CharField()


def test_the_shared_field_prints_the_help_its_widget_names() -> None:
    form = _Help()
    html = render_to_string("field.html", {"field": form["reason"]})
    assert 'aria-describedby="id_reason_helptext"' in html
    assert '<p class="small help" id="id_reason_helptext">Why you need it.</p>' in html
    assert "_helptext" not in render_to_string("field.html", {"field": form["name"]})
