"""The card's "valid until" holds for the short code beside it (review-browser finding 4): a code is
handed out again only while it outlives any pass signed now, on screen as on the printed page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.passes.models import PassCode
from khaibao.passes.services import pass_issue_with_code
from khaibao.passes.tests.helpers import give_status
from khaibao.passes.verify import pass_code_check


def _code_expiry(code: str) -> Any:
    return PassCode.objects.get(code=code).expires_at


def test_a_code_reused_late_in_its_life_still_outlives_the_pass_shown_with_it(world: Any) -> None:
    give_status(world.lan_self, level="medium", hours_ago=1)  # yellow: the full 24-hour pass
    start = timezone.now()
    first = pass_issue_with_code(person=world.lan_self, now=start)
    for hours in (1, 12, 22, 23, 23.9, 24.5, 30, 47):
        now = start + timedelta(hours=hours)
        give_status(world.lan_self, level="medium", hours_ago=0)
        with time_machine.travel(now, tick=False):
            issued = pass_issue_with_code(person=world.lan_self, now=now)
            assert _code_expiry(issued.code) >= issued.expires_at, hours
            check = pass_code_check(issued.code, now=issued.expires_at - timedelta(seconds=1))
            assert check.valid, hours
            # Still once a day: the day's first code is shown until it has one pass lifetime left.
            assert (issued.code == first.code) is (hours < 24), hours


def test_a_code_kept_for_the_day_works_until_the_card_says_at_the_checkpoint(world: Any) -> None:
    give_status(world.lan_self, level="medium", hours_ago=1)
    start = timezone.now()
    pass_issue_with_code(person=world.lan_self, now=start)
    late = pass_issue_with_code(person=world.lan_self, now=start + timedelta(hours=23, minutes=30))
    # At the card's "valid until" minus a minute, the typed code still answers.
    assert pass_code_check(late.code, now=late.expires_at - timedelta(minutes=1)).valid


def test_the_volunteers_printable_page_never_promises_more_than_the_code_gives(world: Any, client: Client) -> None:
    import re

    give_status(world.ong_tu, level="medium", hours_ago=1)
    start = timezone.now()
    pass_issue_with_code(person=world.ong_tu, now=start)  # the day's code, made early this morning
    client.force_login(world.volunteer)
    with time_machine.travel(start + timedelta(hours=23, minutes=30), tick=False):
        html = client.get("/volunteer/passes/").content.decode()
        (code,) = re.findall(r'<code class="pass-code">([0-9A-Z]{5}-[0-9A-Z]{5})</code>', html)
        (printed,) = re.findall(r"<dd>(\d\d/\d\d/\d{4} \d\d:\d\d)</dd>", html)
        valid_until = timezone.make_aware(datetime.strptime(printed, "%d/%m/%Y %H:%M"))
        # The printed date is the code's too: it answers at the checkpoint until then.
        assert _code_expiry(code.replace("-", "")) >= valid_until
        assert pass_code_check(code.replace("-", ""), now=valid_until).valid
