"""The header's language switch (browser walk: notifications stayed in Vietnamese after a citizen
switched the site to English). A signed-in citizen's switch is their notification language too;
an anonymous switch, staff's switch, CSRF and the `next` address's safety are Django's as before."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django.utils.translation import gettext_lazy

from khaibao.audit.models import AuditEvent
from khaibao.notifications.models import ChannelPreference
from khaibao.notifications.preferences import account_language
from khaibao.notifications.services import notify_account

SWITCH = "/i18n/setlang/"


def _zone_warning(account: Any) -> Any:
    return notify_account(
        account=account, kind="zone_warning", title=gettext_lazy("Epidemic zone warning"), body="", inbox_only=True
    )


def test_it_writes_the_next_notification_in_the_language_a_citizen_switched_to(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    assert _zone_warning(world.lan).title == "Cảnh báo vùng dịch"

    resp = client.post(SWITCH, {"language": "en", "next": "/notifications/"})

    assert resp.status_code == 302
    assert resp["Location"] == "/notifications/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert account_language(world.lan) == "en"
    assert AuditEvent.objects.filter(action="notifications.preferences_update", actor=world.lan).exists()
    assert _zone_warning(world.lan).title == "Epidemic zone warning"
    # The page after the switch says so, in the language just chosen.
    html = client.get("/notifications/").content.decode()
    assert "Your notifications will also be written in this language from now on." in html

    client.post(SWITCH, {"language": "vi", "next": "/"})
    assert account_language(world.lan) == "vi"
    assert _zone_warning(world.lan).title == "Cảnh báo vùng dịch"


def test_it_writes_nothing_when_the_language_is_already_the_citizens(world: Any, client: Client) -> None:
    client.force_login(world.mai)

    client.post(SWITCH, {"language": "vi", "next": "/"})

    # Vietnamese is the default: no preference row, no audit event, no message.
    assert not ChannelPreference.objects.filter(account=world.mai).exists()
    assert not AuditEvent.objects.filter(action="notifications.preferences_update").exists()
    assert "Your notifications" not in client.get("/").content.decode()


def test_an_anonymous_switch_still_works_and_saves_nothing(world: Any, client: Client) -> None:
    resp = client.post(SWITCH, {"language": "en", "next": "/zones/"})

    assert resp.status_code == 302
    assert resp["Location"] == "/zones/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not ChannelPreference.objects.exists()
    assert not AuditEvent.objects.filter(action="notifications.preferences_update").exists()


def test_staff_switch_the_site_only(world: Any, client: Client) -> None:
    client.force_login(world.ward_official)

    resp = client.post(SWITCH, {"language": "en", "next": "/staff/"})

    assert resp.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not ChannelPreference.objects.filter(account=world.ward_official).exists()


def test_it_never_follows_a_next_address_off_the_site(world: Any, client: Client) -> None:
    client.force_login(world.lan)

    for unsafe in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        resp = client.post(SWITCH, {"language": "en", "next": unsafe})
        assert resp.status_code == 302
        assert "evil.example" not in resp["Location"], unsafe
    # The switch itself still counted.
    assert account_language(world.lan) == "en"


def test_it_changes_nothing_without_the_csrf_token_or_by_get(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.lan)

    assert client.post(SWITCH, {"language": "en", "next": "/"}).status_code == 403
    resp = client.get(SWITCH, {"language": "en", "next": "/"})
    assert resp.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in resp.cookies
    assert account_language(world.lan) == "vi"


def test_it_ignores_a_language_the_site_does_not_offer(world: Any, client: Client) -> None:
    client.force_login(world.lan)

    # Django's view sets any language it has a catalogue for (its own "fr" included); the site
    # still speaks Vietnamese, and notifications are written only in Vietnamese or English.
    client.post(SWITCH, {"language": "fr", "next": "/"})

    assert account_language(world.lan) == "vi"
    assert not ChannelPreference.objects.filter(account=world.lan).exists()


def test_the_preferences_page_says_when_the_language_applies(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/notifications/preferences/").content.decode()

    assert 'aria-describedby="id_language_helptext"' in html
    assert "Notifications are written in this language when they are sent; those already in your inbox keep theirs." in html
    assert "Changing the language at the top of the page changes this choice too." in html
