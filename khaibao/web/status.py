"""The status page of one person: level, advice, monitoring progress, health pass, history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from khaibao.accounts.http import SignedInRequest
from khaibao.cases.citizen_view import followup_for_citizen
from khaibao.core.keyset import keyset_query
from khaibao.core.params import positive_id
from khaibao.declarations.models import DeclaredAs
from khaibao.declarations.selectors import declarations_history
from khaibao.monitoring.explain import (
    explain_reasons,
    explain_recommendations,
    level_display,
    status_level_display,
)
from khaibao.monitoring.pending import pending_poll_seconds, person_pending_since
from khaibao.monitoring.selectors import declarations_assessed, monitoring_progress, person_status
from khaibao.passes.services import pass_issue_with_code
from khaibao.people.access import access_declaring
from khaibao.venues.selectors import exposures_of


def _distinct_exposures(exposures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per sentence the page shows ("Present at {venue} at {HH:MM dd/mm/yyyy}, …"): a
    case's visit and a zone's run over the same venue and check-in make two rows, one fact."""
    seen: set[tuple[str, str]] = set()
    distinct = []
    for exposure in exposures:
        key = (exposure["venue"], f"{timezone.localtime(exposure['at']):%H:%M %d/%m/%Y}")
        if key not in seen:
            seen.add(key)
            distinct.append(exposure)
    return distinct


# Declarations shown a page at a time, newest first; "Older declarations" leads to the rest.
HISTORY_ON_PAGE = 20


@login_required
@require_GET
def status_page(request: SignedInRequest, person_id: int) -> HttpResponse:
    declaring = access_declaring(request.user, person_id)
    person = declaring.person
    status = person_status(person)
    level = status_level_display(status)
    # A page is the declarations before the `before` version (none: the newest); one row more
    # than shown tells whether an older page exists.
    before = positive_id(request.GET.get("before"))
    history = declarations_history(person, before=before, limit=HISTORY_ON_PAGE + 1)
    older = history[HISTORY_ON_PAGE - 1].version if len(history) > HISTORY_ON_PAGE else None
    history = history[:HISTORY_ON_PAGE]
    assessed = declarations_assessed(person, history)
    return render(
        request,
        "web/status/status.html",
        {
            "person": person,
            # The one-tap button speaks for the person: "I am well" only on one's own page.
            "is_self": declaring.declared_as == DeclaredAs.SELF,
            "status": status,
            "level": level,
            "reasons": explain_reasons(status.reasons) if status and level["level"] else [],
            "recommendations": explain_recommendations(status.recommendations) if status and level["level"] else [],
            "progress": monitoring_progress(status, timezone.localdate()),
            "history": [(d, level_display(a.level if a else None)) for d, a in zip(history, assessed, strict=True)],
            "history_newest_url": request.path if before is not None else "",
            "history_older_url": keyset_query({}, str(older), name="before") if older is not None else "",
            "pass_info": pass_issue_with_code(person=person),
            "follow_up": followup_for_citizen(person),
            # Rush mode (decision D): when the update still waiting for its assessment was received
            # (None: nothing waits), and how often the page looks again (the worker's period).
            "pending": person_pending_since(person.pk),
            "poll_seconds": pending_poll_seconds(),
            # Issue 20: where and when the person was at a venue with a case, beside the rule's words.
            "venue_exposures": _distinct_exposures(exposures_of(person.pk)),
        },
    )
