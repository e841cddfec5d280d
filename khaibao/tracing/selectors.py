"""Reads about traced contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from khaibao.audit.lists import audit_list_shown
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.monitoring.labels import contact_level_label
from khaibao.monitoring.sources import ExposureSource
from khaibao.people.access import visible_people
from khaibao.people.models import Person
from khaibao.tracing.invitations import invitation_status_label
from khaibao.tracing.models import Contact

# The exposures officials registered by contact tracing count in every assessment of the contact
# (settings.ASSESSMENT_EXPOSURE_SOURCES): monitoring reads them without importing this app.
TRACED_EXPOSURES = ExposureSource(model=Contact, code="exposure", on="contact_date")


# How a contact's person was found (Contact.matched_by), in words.
MATCHED_BY: dict[str, Promise] = {
    "id_number": gettext_lazy("Already registered, found by ID number"),
    "phone": gettext_lazy("Already registered, found by phone"),
    "new": gettext_lazy("Not registered before, added with this contact"),
}


def matched_by_label(code: str) -> str:
    """`Contact.matched_by` in words, in the active language (the code itself if unknown)."""
    return str(MATCHED_BY.get(code, code))


@dataclass(frozen=True)
class ContactRow:
    """One contact of a case as an official sees it.

    `full_name` is only filled when the contact lives inside the viewer's jurisdiction (or
    the viewer has broken the glass for them); otherwise the row carries initials only: the
    contact may have been matched by phone to somebody the official has no right to see.
    """

    id: int
    person_id: int
    full_name: str | None
    initials: str
    kind: str
    kind_label: str
    contact_date: date
    level: str
    level_label: str
    matched_by: str
    matched_by_label: str
    invited: bool  # the invitation SMS was sent (not merely queued)
    invitation_status: str
    invitation_status_label: str
    # None when the contact lives outside the viewer's jurisdiction: registering a contact must not
    # tell an official where anyone in the country lives (break_glass is the audited way).
    ward_code: int | None
    ward_name: str | None
    province_name: str | None
    registered_at: datetime
    registered_by: str
    visible: bool


def contacts_of(person: Person, *, viewer: Any = None, ip: str = "", audited: bool = True) -> list[ContactRow]:
    """The contacts registered for the case `person`, newest first — two queries.

    With `viewer`, names are shown only for contacts `viewer` may see (people.access), and the list
    shown is audited (`list.contacts`: one event about the case, naming the contacts' ids —
    audit/lists.py) unless the caller shows only one row of it (`audited=False`); without a
    viewer, every name is shown (callers that already checked access to each contact).
    """
    contacts = list(_contacts_qs(person))
    return _rows(person, contacts, viewer=viewer, ip=ip, audited=audited)


def contacts_of_page(person: Person, *, viewer: Any, cursor: str | None, limit: int, ip: str = "") -> KeysetPage[Any]:
    """A keyset page of `contacts_of` (its `ContactRow`s, newest first): `limit` rows after
    `cursor` and how many contacts the case has in all; the page shown is audited as
    `contacts_of`'s list is. A damaged cursor: ServiceError on "cursor"."""
    page = keyset_page(_contacts_qs(person), cursor=cursor, limit=limit, count=True)
    rows = _rows(person, page.items, viewer=viewer, ip=ip, audited=True)
    return KeysetPage[Any](items=rows, next_cursor=page.next_cursor, total=page.total)


def _contacts_qs(person: Person) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(source=person)
        .select_related("person__home_ward__province", "registered_by")
        .order_by("-registered_at", "-id")
    )


def _rows(person: Person, contacts: list[Contact], *, viewer: Any, ip: str, audited: bool) -> list[ContactRow]:
    visible_ids: set[int] | None = None
    if viewer is not None and contacts:
        visible_ids = set(
            visible_people(viewer).filter(pk__in=[c.person_id for c in contacts]).values_list("pk", flat=True)
        )
    rows = []
    for c in contacts:
        visible = visible_ids is None or c.person_id in visible_ids
        ward = c.person.home_ward
        rows.append(
            ContactRow(
                id=c.pk,
                person_id=c.person_id,
                full_name=c.person.full_name if visible else None,
                initials=c.person.initials,
                kind=c.kind,
                kind_label=str(c.get_kind_display()),  # type: ignore[attr-defined]
                contact_date=c.contact_date,
                level=c.level,
                level_label=contact_level_label(c.level),
                matched_by=c.matched_by,
                matched_by_label=matched_by_label(c.matched_by),
                invited=c.invited,
                invitation_status=c.invitation_status,
                invitation_status_label=invitation_status_label(c.invitation_status),
                ward_code=ward.code if visible else None,
                ward_name=ward.name if visible else None,
                province_name=ward.province.name if visible else None,
                registered_at=c.registered_at,
                registered_by=str(c.registered_by) if c.registered_by else "",
                visible=visible,
            )
        )
    if viewer is not None and audited:
        # The case is the event's person: the DPO's search by person ("who saw X's contacts") and
        # the trail's "with whom" read that field, not the filters.
        audit_list_shown(
            actor=viewer, action="list.contacts", person_ids=[c.person_id for c in contacts], ip=ip,
            filters={"case_person": person.pk}, person_id=person.pk,
        )
    return rows
