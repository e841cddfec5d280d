"""Browser walk finding 12: errors printed outside the shared field template carry the id the
widget names (`<auto_id>_error`), and the ward picker's help its `<auto_id>_helptext`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.test import Client

from khaibao.declarations.tests.helpers import ago
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.orgs.models import OrgUnit
from khaibao.people.models import IdNumberReview


def _staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def test_the_id_review_outcome_error_has_its_id(world: Any, api: Any) -> None:
    resp = api.as_(world.lan).patch(f"/people/{world.lan_parent.id}", {"id_number": world.mai_self.id_number})
    assert resp.status_code == 200, resp.content
    review = IdNumberReview.objects.get(person=world.lan_parent, resolved_at__isnull=True)
    missing = _staff(world.ward_official).post(f"/staff/id-reviews/{review.pk}/resolve/", {})
    assert missing.status_code == 400
    assert 'id="id_outcome_error"' in missing.content.decode()


def test_the_campaign_targets_error_has_its_id(world: Any) -> None:
    unit = OrgUnit.objects.filter(path__startswith="TWD").order_by("path").first()
    assert unit is not None
    resp = _staff(world.org_admin).post(f"/staff/orgs/{unit.pk}/campaigns/new/", {
        "name": "Khai báo tháng 12", "starts_on": ago(0), "deadline": ago(-7), "reminder_policy": "in_app",
    })
    html = resp.content.decode()
    assert resp.status_code == 400
    assert 'id="id_target_declared_error"' in html


class _Wards(forms.Form):
    wards = forms.MultipleChoiceField(
        choices=[("1", "Phường Ba Đình")], widget=forms.CheckboxSelectMultiple, help_text="Tick each ward.",
    )


def test_the_ward_picker_names_its_help_and_its_error() -> None:
    form = _Wards(data={})
    assert not form.is_valid()
    html = render_to_string("backoffice/zones/_ward_picker.html", {"field": form["wards"]})
    assert 'id="id_wards_helptext"' in html
    assert 'id="id_wards_error"' in html
