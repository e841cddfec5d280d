"""A typed code answers as long as the pass shown with it, and no longer (review-browser finding 1):
one card, one "valid until", whether the checkpoint scans the QR or types the code under it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.passes.services import pass_issue_with_code
from khaibao.passes.tests.helpers import give_status
from khaibao.passes.verify import pass_check, pass_code_check


def test_it_refuses_the_code_when_the_qr_beside_it_has_expired(world: Any) -> None:
    give_status(world.lan_self, level="medium", hours_ago=1)  # yellow: the full 24-hour pass
    now = timezone.now()
    issued = pass_issue_with_code(person=world.lan_self, now=now)
    later = now + timedelta(hours=30)
    scanned = pass_check(issued.token, now=later)
    typed = pass_code_check(issued.code, now=later)
    assert (scanned.valid, scanned.reason) == (False, "expired")
    assert (typed.valid, typed.reason) == (False, "expired")
    assert typed.expires_at == scanned.expires_at == issued.expires_at


def test_the_typed_code_shows_the_cards_valid_until(world: Any) -> None:
    give_status(world.lan_self, level="medium", hours_ago=1)
    now = timezone.now()
    issued = pass_issue_with_code(person=world.lan_self, now=now)
    typed = pass_code_check(issued.code, now=now + timedelta(hours=1))
    assert typed.valid
    assert typed.expires_at == issued.expires_at == pass_check(issued.token, now=now).expires_at


def test_a_code_shown_again_with_a_later_pass_takes_that_pass_expiry(world: Any) -> None:
    give_status(world.lan_self, level="medium", hours_ago=1)
    start = timezone.now()
    first = pass_issue_with_code(person=world.lan_self, now=start)
    again = pass_issue_with_code(person=world.lan_self, now=start + timedelta(hours=10))
    assert again.code == first.code
    # The morning's card stays good until its own date; the code follows the later card.
    assert pass_code_check(first.code, now=first.expires_at + timedelta(hours=1)).valid
    assert pass_code_check(first.code, now=again.expires_at - timedelta(seconds=1)).expires_at == again.expires_at
    assert pass_code_check(first.code, now=again.expires_at).reason == "expired"
    # An earlier read never shortens it.
    pass_issue_with_code(person=world.lan_self, now=start + timedelta(hours=2))
    assert pass_code_check(first.code, now=again.expires_at - timedelta(seconds=1)).valid


def test_the_cards_date_holds_for_an_hour_of_reads_without_a_write(world: Any, django_assert_num_queries: Any) -> None:
    from khaibao.passes.models import PassCode

    give_status(world.lan_self, level="medium", hours_ago=1)
    start = timezone.now()
    first = pass_issue_with_code(person=world.lan_self, now=start)
    soon = start + timedelta(minutes=40)
    world.lan_self.refresh_from_db()
    with django_assert_num_queries(2):  # the status row, the code with its stamp: no UPDATE
        again = pass_issue_with_code(person=world.lan_self, now=soon)
    assert (again.code, again.expires_at) == (first.code, first.expires_at)
    assert pass_code_check(first.code, now=first.expires_at).reason == "expired"
    later = pass_issue_with_code(person=world.lan_self, now=start + timedelta(minutes=61))
    assert later.expires_at > first.expires_at
    assert PassCode.objects.get(code=first.code).pass_exp == int(later.expires_at.timestamp())
