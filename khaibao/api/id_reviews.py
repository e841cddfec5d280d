"""Duplicate ID numbers for health officials to review (issue 18, item 4): people registered with
a number someone else already holds — accepted without telling the citizen, settled here.
Officials only (403 otherwise); a review outside the jurisdiction answers 404 like a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.http import client_ip
from khaibao.people import id_reviews

router = Router(tags=["triage and cases"])


class ReviewOut(Schema):
    id: int
    person_id: int
    initials: str
    birth_year: int
    ward_code: int
    ward_name: str
    created_at: datetime
    holder_id: int | None = Field(..., description="the person who held the number first, when in your jurisdiction")
    holder_elsewhere: bool = Field(..., description="the first holder lives outside your jurisdiction")


class ReviewQuery(Schema):
    limit: int = Field(50, ge=1, le=id_reviews.PAGE_MAX)


class ResolveIn(StrictSchema):
    outcome: Literal["same_person", "different_people", "corrected"]


class ResolvedOut(Schema):
    id: int
    outcome: str
    outcome_label: str = Field(..., description="the outcome in words, in the request's language")
    resolved_at: datetime


@router.get("", response={200: list[ReviewOut], 403: ErrorOut})
def reviews_open(request: AuthedRequest, q: Query[ReviewQuery]) -> list[Any]:
    """Open reviews of your jurisdiction, oldest first (the page is audited)."""
    return list(id_reviews.id_number_reviews_open(request.auth, limit=q.limit, ip=client_ip(request)))


@router.post("/{review_id}/resolve", response={200: ResolvedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def review_resolve(request: AuthedRequest, review_id: int, data: ResolveIn) -> Any:
    """Settle a review: `same_person`, `different_people` (one number is wrong) or `corrected`."""
    review = id_reviews.id_number_review_resolve(
        actor=request.auth, review_id=review_id, outcome=data.outcome, ip=client_ip(request)
    )
    return {
        "id": review.pk, "outcome": review.outcome,
        "outcome_label": str(review.get_outcome_display()),  # type: ignore[attr-defined]
        "resolved_at": review.resolved_at,
    }
