"""A green pass never outlives the activity that made it green — one rule (`pass_expiry`) for the
signed token and for the short code checked at the checkpoint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.passes.services import pass_issue_with_code
from khaibao.passes.tests.helpers import give_status
from khaibao.passes.verify import pass_code_check


def test_a_green_code_ends_with_the_activity_as_the_token_does(world: Any) -> None:
    give_status(world.lan_self, level="low", hours_ago=23)
    issued = pass_issue_with_code(person=world.lan_self)
    assert issued.colour == "green"
    assert issued.code
    check = pass_code_check(issued.code)
    assert check.valid
    assert check.colour == "green"
    assert check.expires_at is not None
    # The token's expiry is whole seconds; the code's is the activity's instant plus 24 hours.
    assert abs(check.expires_at - issued.expires_at) < timedelta(seconds=1)
    assert check.expires_at <= timezone.now() + timedelta(hours=1, seconds=1)


def test_a_code_that_is_not_green_lives_its_full_day(world: Any) -> None:
    give_status(world.lan_self, level="medium", hours_ago=23)
    issued = pass_issue_with_code(person=world.lan_self)
    assert issued.colour == "yellow"
    check = pass_code_check(issued.code or "")
    assert check.expires_at is not None
    assert check.expires_at > timezone.now() + timedelta(hours=23)
