"""The follow-up list of an official's jurisdiction, for exports: filters and rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.cases.labels import case_outcome_label, outcome_result_subquery
from khaibao.cases.models import CaseStatus, FollowUpCase
from khaibao.cases.officials import require_official
from khaibao.cases.triage import date_param, int_param
from khaibao.core.days import day_end, day_start
from khaibao.core.errors import ServiceError
from khaibao.monitoring.labels import contact_level_label
from khaibao.people.access import jurisdiction_q


@dataclass(frozen=True)
class FollowupFilters:
    status: str | None = None  # open | closed
    ward: int | None = None
    assigned: int | None = None
    opened_from: date | None = None
    opened_to: date | None = None


def followup_filters_parse(params: Mapping[str, Any], *, user: Account | None = None) -> FollowupFilters:
    fields: dict[str, str] = {}
    status = params.get("status") or None
    if status is not None and status not in CaseStatus.values:
        fields["status"] = _("Not one of the allowed values.")
    assigned = user.pk if params.get("assigned") == "me" and user is not None else int_param(params, "assigned", fields, minimum=1)
    filters = FollowupFilters(
        status=status if "status" not in fields else None,
        ward=int_param(params, "ward", fields, minimum=1),
        assigned=assigned,
        opened_from=date_param(params, "opened_from", fields),
        opened_to=date_param(params, "opened_to", fields),
    )
    if fields:
        raise ServiceError(_("Some filters need correcting."), fields=fields)
    return filters


def followup_matching(user: Any, filters: FollowupFilters | Mapping[str, Any] | None = None) -> QuerySet[FollowUpCase]:
    """The cases `followup_list` yields, unordered and unjoined — for counting them (an export
    decides between streaming and a background job from a bounded count of these) and the one
    place the jurisdiction and the filters are applied to the follow-up list."""
    user = require_official(user)
    if filters is None:
        filters = FollowupFilters()
    elif not isinstance(filters, FollowupFilters):
        filters = followup_filters_parse(filters, user=user)
    scope = jurisdiction_q(user, ward_field="person__home_ward")
    # An empty Q() (national scope) is falsy: `scope or …` would hide everything from them.
    qs = FollowUpCase.objects.filter(scope if scope is not None else Q(pk__in=[]))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.ward is not None:
        qs = qs.filter(person__home_ward_id=filters.ward)
    if filters.assigned is not None:
        qs = qs.filter(assigned_to_id=filters.assigned)
    if filters.opened_from is not None:
        qs = qs.filter(opened_at__gte=day_start(filters.opened_from))
    if filters.opened_to is not None:
        qs = qs.filter(opened_at__lt=day_end(filters.opened_to))
    return qs


def followup_list(user: Any, filters: FollowupFilters | Mapping[str, Any] | None = None, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Follow-up cases of people in the official's jurisdiction, newest first, as dicts (for
    exports): one query per `batch` cases, keyset by id. Notes are not included."""
    qs = (
        followup_matching(user, filters).select_related("person__home_ward", "person__status", "assigned_to")
        .annotate(outcome_result=outcome_result_subquery()).order_by("-id")
    )
    last_id: int | None = None
    while True:
        page = list((qs.filter(id__lt=last_id) if last_id is not None else qs)[:batch])
        for case in page:
            person = case.person
            status = getattr(person, "status", None)
            yield {
                "case_id": case.pk,
                "person_id": person.pk,
                "full_name": person.full_name,
                "birth_year": person.birth_year,
                "ward_code": person.home_ward_id,
                "ward_name": person.home_ward.name,
                "level": status.level if status is not None else None,
                "contact_level": status.contact_level if status is not None else "",
                "contact_level_label": contact_level_label(status.contact_level if status is not None else ""),
                "missed_days": status.missed_days if status is not None else 0,
                "status": case.status,
                "assigned_to": (case.assigned_to.display_name or case.assigned_to.username) if case.assigned_to else "",
                "opened_at": case.opened_at,
                "closed_at": case.closed_at,
                "outcome": case.outcome,
                "outcome_label": case_outcome_label(case),
                "last_action_at": case.last_action_at,
            }
        if len(page) < batch:
            return
        last_id = page[-1].pk
