"""The officials' review of duplicate ID numbers (issue 18, item 4).

A citizen or volunteer who registers a person with an ID number someone else already holds is
answered as for any other person — the answer must not tell whether a number is registered
(`persons.id_number_duplicate_review` hands the duplicate here). Health officials whose
jurisdiction covers the new person's home ward see the open reviews and settle each one: the
same person registered twice, different people (one number is wrong), or the number corrected.
Whose the other registration is, they see only when that person is in their jurisdiction too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Role
from khaibao.audit.lists import audit_list_shown
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.core.keyset import cursor_refused
from khaibao.core.params import id_in_range, positive_id
from khaibao.people.access import access_person_for_user, jurisdiction_q
from khaibao.people.models import IdNumberReview, IdNumberReviewOutcome, Person

PAGE_MAX = 100


@dataclass(frozen=True)
class ReviewRow:
    id: int
    person_id: int
    initials: str
    birth_year: int
    ward_code: int
    ward_name: str
    created_at: datetime
    # The earlier holder, only when the official may see them; else None (and `holder_elsewhere`).
    holder_id: int | None
    holder_elsewhere: bool


def _official(user: Any) -> Any:
    if getattr(user, "role", None) != Role.OFFICIAL or not user.is_active or jurisdiction_q(user) is None:
        raise ServiceError(_("Only health officials review duplicate ID numbers."), code="forbidden", status=403)
    return user


def review_cursor(row: ReviewRow) -> str:
    """Where the page after `row` starts (keyset on the list's order: created_at, id)."""
    return f"{int(row.created_at.timestamp() * 1_000_000)}-{row.id}"


def _after_q(cursor: str) -> Q:
    micros_text, _sep, review_text = (cursor or "").partition("-")
    micros, review_id = positive_id(micros_text), positive_id(review_text)
    at = None
    if micros is not None and review_id is not None:
        try:
            at = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
        except (OverflowError, OSError, ValueError):  # beyond the years a datetime holds: not ours
            at = None
    if at is None or review_id is None:
        raise cursor_refused()
    return Q(created_at__gt=at) | Q(created_at=at, pk__gt=review_id)


def id_number_reviews_open(user: Any, *, limit: int = 50, after: str = "", ip: str = "") -> list[ReviewRow]:
    """The open reviews of `user`'s jurisdiction, oldest first, from after the `after` cursor
    (`review_cursor` of the last row shown) — two queries, and the page's one `list.id_reviews`
    audit event (audit/lists.py)."""
    official = _official(user)
    scope = jurisdiction_q(official, ward_field="person__home_ward")
    reviews_q = IdNumberReview.objects.filter(scope, resolved_at__isnull=True)  # type: ignore[arg-type]
    if after:
        reviews_q = reviews_q.filter(_after_q(after))
    reviews = list(
        reviews_q.select_related("person__home_ward").order_by("created_at", "pk")[: max(1, min(limit, PAGE_MAX))]
    )
    holders = {r.holder_id for r in reviews if r.holder_id is not None}
    visible = set(
        Person.objects.filter(jurisdiction_q(official), pk__in=holders).values_list("pk", flat=True)  # type: ignore[arg-type]
    ) if holders else set()
    audit_list_shown(
        actor=official, action="list.id_reviews", ip=ip,
        person_ids=[r.person_id for r in reviews] + [h for h in (r.holder_id for r in reviews) if h in visible],
        extra={"reviews": [r.pk for r in reviews]},
    )
    return [
        ReviewRow(
            id=r.pk, person_id=r.person_id, initials=r.person.initials, birth_year=r.person.birth_year,
            ward_code=r.person.home_ward_id, ward_name=r.person.home_ward.name, created_at=r.created_at,
            holder_id=r.holder_id if r.holder_id in visible else None,
            holder_elsewhere=r.holder_id is not None and r.holder_id not in visible,
        )
        for r in reviews
    ]


@dataclass(frozen=True)
class ReviewDetail:
    review: IdNumberReview
    person: Person
    # The earlier holder, only when in the official's jurisdiction; else None (`holder_elsewhere`).
    holder: Person | None
    holder_elsewhere: bool


def id_number_review_detail(user: Any, review_id: int, *, ip: str = "") -> ReviewDetail:
    """One review of `user`'s jurisdiction (open or settled; 404 otherwise, alike for missing),
    with the person registered and — only when in the jurisdiction too — the earlier holder,
    each fetched through the access layer (audited `person.id_review_view`)."""
    official = _official(user)
    if not id_in_range(review_id):
        raise Http404
    scope = jurisdiction_q(official, ward_field="person__home_ward")
    review = (
        IdNumberReview.objects.filter(scope, pk=review_id)  # type: ignore[arg-type]
        .select_related("created_by", "resolved_by").first()
    )
    if review is None:
        raise Http404
    person = access_person_for_user(official, review.person_id, purpose="id_review_view", ip=ip)
    holder = None
    if review.holder_id is not None and Person.objects.filter(
        jurisdiction_q(official), pk=review.holder_id  # type: ignore[arg-type]
    ).exists():
        holder = access_person_for_user(official, review.holder_id, purpose="id_review_view", ip=ip)
    return ReviewDetail(
        review=review, person=person, holder=holder,
        holder_elsewhere=review.holder_id is not None and holder is None,
    )


@transaction.atomic
def id_number_review_resolve(*, actor: Any, review_id: int, outcome: str, ip: str = "") -> IdNumberReview:
    """Settle an open review of `actor`'s jurisdiction (404 otherwise, alike for missing)."""
    official = _official(actor)
    if not id_in_range(review_id):
        raise Http404
    if outcome not in IdNumberReviewOutcome.values:
        message = _("Choose what the review found.")
        raise ServiceError(message, fields={"outcome": message})
    scope = jurisdiction_q(official, ward_field="person__home_ward")
    review = (
        IdNumberReview.objects.select_for_update()
        .filter(scope, pk=review_id, resolved_at__isnull=True)  # type: ignore[arg-type]
        .first()
    )
    if review is None:
        raise Http404
    review.resolved_at = timezone.now()
    review.resolved_by = official
    review.outcome = outcome
    review.save(update_fields=["resolved_at", "resolved_by", "outcome"])
    audit_record(
        actor=official, action="person.id_number_review", obj=review, person_id=review.person_id, ip=ip,
        data={"outcome": outcome, "holder": review.holder_id},
    )
    return review
