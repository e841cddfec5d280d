"""The health hotlines have one owner, the setting HEALTH_HOTLINES (core.hotlines): a deployment
that changes it sees its number in every page, SMS, advice and instruction — and never the
default 1900 9095 left behind in a text."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.utils import translation

from khaibao.cases.citizen_view import followup_advice
from khaibao.cases.models import ActionKind
from khaibao.core.hotlines import format_hotline, hotline, hotline_params, hotlines
from khaibao.passes.decision import pass_decision
from khaibao.reports.tests.helpers import report_body
from khaibao.risk.engine import recommendation_text
from khaibao.settings_messaging import health_hotlines_check
from khaibao.smsin.replies import help_text
from khaibao.tracing.services import invitation_text

OURS = ["19001234"]
SHOWN = "1900 1234"
DEFAULT = "1900 9095"
LANGUAGES = ["vi", "en"]


@pytest.fixture
def our_hotline() -> Any:
    with override_settings(HEALTH_HOTLINES=OURS):
        yield


def _only_ours(text: str) -> None:
    assert SHOWN in text
    assert DEFAULT not in text
    assert "1900 3228" not in text


def test_it_formats_the_setting_at_call_time() -> None:
    assert hotline() == DEFAULT
    assert hotline_params() == {"hotline": DEFAULT, "hotlines": "1900 9095 / 1900 3228"}
    with override_settings(HEALTH_HOTLINES=["19001234", "02438253531", "115"]):
        assert hotlines() == [("19001234", SHOWN), ("02438253531", "024 3825 3531"), ("115", "115")]
        assert hotline_params() == {"hotline": SHOWN, "hotlines": "1900 1234 / 024 3825 3531 / 115"}
    assert format_hotline("not a number") == "not a number"


@pytest.mark.parametrize("numbers", [[], ["1900 9095"], ["19"], ["1" * 16], ["19009095", "+8419009095"], ["１９００"]])
def test_it_refuses_a_bad_setting(numbers: list[str]) -> None:
    with pytest.raises(ImproperlyConfigured, match="HEALTH_HOTLINES"):
        health_hotlines_check(numbers)


def test_it_accepts_national_digits() -> None:
    assert health_hotlines_check(["19009095", "115", "02438253531"]) == ["19009095", "115", "02438253531"]


@pytest.mark.usefixtures("our_hotline")
@pytest.mark.parametrize("path", ["/", "/offline/"])
def test_it_shows_the_setting_in_the_page_footers(db: Any, client: Client, path: str) -> None:
    page = client.get(path).content.decode()
    assert f'<a href="tel:19001234">{SHOWN}</a>' in page
    assert "tel:19009095" not in page
    _only_ours(page)


@pytest.mark.usefixtures("our_hotline")
@pytest.mark.parametrize("path", ["/news/", "/reports/new/"])
def test_it_puts_the_setting_in_page_texts(db: Any, client: Client, path: str) -> None:
    page = client.get(path).content.decode()
    assert f"đường dây nóng {SHOWN}" in page  # the sentence's own number, not only the footer's
    _only_ours(page)


def test_it_shows_both_default_numbers_as_links(db: Any, client: Client) -> None:
    page = client.get("/").content.decode()
    assert '<a href="tel:19009095">1900 9095</a> · <a href="tel:19003228">1900 3228</a>' in page


@pytest.mark.usefixtures("our_hotline")
def test_it_shows_the_setting_on_the_error_pages(db: Any) -> None:
    # Rendered without the request's context processors (core.error_views): passed in explicitly.
    with override_settings(DEBUG=False):
        resp = Client().get("/no-such-page/")
    assert resp.status_code == 404
    _only_ours(resp.content.decode())


@pytest.mark.usefixtures("our_hotline")
def test_it_shows_the_setting_on_the_status_page(world: Any) -> None:
    client = Client()
    client.force_login(world.lan)
    resp = client.get(f"/people/{world.lan_child.id}/")
    assert resp.status_code == 200
    _only_ours(resp.content.decode())


@pytest.mark.usefixtures("our_hotline")
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_puts_the_setting_in_texts(language: str) -> None:
    with translation.override(language):
        texts = [
            recommendation_text("call_hotline"),
            help_text(),
            followup_advice(ActionKind.LOST_TO_FOLLOWUP),
            pass_decision(SimpleNamespace(valid=True, colour="red"), language=language).instruction,  # type: ignore[arg-type]
        ]
    for text in texts:
        _only_ours(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_gives_every_hotline_in_the_advice(language: str) -> None:
    with override_settings(HEALTH_HOTLINES=["19001234", "18001091"]), translation.override(language):
        text = recommendation_text("call_hotline")
    assert "1900 1234 / 1800 1091" in text


@pytest.mark.usefixtures("our_hotline")
def test_it_puts_the_setting_in_the_contact_invitation(db: Any) -> None:
    _only_ours(invitation_text())


@pytest.mark.usefixtures("our_hotline")
def test_it_puts_the_setting_in_the_report_rate_limit(world: Any, api: Any, settings: Any, tmp_path: Path) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "report-media"
    settings.REPORT_RATE_PER_ACCOUNT = 1
    client = api.as_(world.lan)
    assert client.post("/reports", report_body()).status_code == 201
    refused = client.post("/reports", report_body())
    assert refused.status_code == 429
    _only_ours(refused.json()["error"]["message"])
