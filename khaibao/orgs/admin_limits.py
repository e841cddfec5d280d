"""How often one organisation admin may start the writes that cost the most: a roster import
(up to 20,000 rows, seconds of database work at national scale) and "remind now" (SMS on the
organisation's budget). Each is bounded per account and hour, as `people.persons.id_number_attempt`
bounds ID numbers: the limit is high enough for a national admin rolling a campaign out —
`ORG_ROSTER_IMPORTS_PER_HOUR` imports is a 2-million-line roster an hour — and stops a script
(or a stolen session) from keeping the database or the SMS gateway busy. Over it: 429 with
Retry-After, and one audit event."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import RateLimited

WINDOW = 3600


def admin_action_count(*, actor: Account, action: str, limit: int, ip: str = "") -> None:
    """Count one `action` ("roster_import", "remind_now") by `actor`; over `limit` in the hour,
    refuse with RateLimited (the caller's write does not happen) and audit it."""
    if ratelimit.hit(f"orgs-{action}:{actor.pk}", window_seconds=WINDOW) <= limit:
        return
    # Outside the refused write's transaction: the event stays although the write does not happen.
    audit_record(actor=actor, action="orgs.admin_rate_limited", ip=ip, data={"what": action, "limit": limit})
    raise RateLimited(
        _("You have done this %(limit)s times in the last hour, the limit. Try again in an hour.") % {"limit": limit},
        retry_after=WINDOW,
    )


def roster_import_count(actor: Account, ip: str = "") -> None:
    admin_action_count(actor=actor, action="roster_import", limit=settings.ORG_ROSTER_IMPORTS_PER_HOUR, ip=ip)


def remind_now_count(actor: Account, ip: str = "") -> None:
    admin_action_count(actor=actor, action="remind_now", limit=settings.ORG_REMIND_NOW_PER_HOUR, ip=ip)
