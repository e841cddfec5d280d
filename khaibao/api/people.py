"""The household: the people a citizen declares for (and, for a volunteer, the people they assist).

Who may call: citizens only. Staff accounts (officials, checkpoint staff, organisation
admins, DPO, system admins) get 403 on the collection (`GET/POST /people`) and 404 on
`/people/{id}` — the same 404 as for a person of another household, so ids reveal nothing.
Officials see people through the console, not through these citizen endpoints.

Responses never carry a whole ID number or phone number: both are masked
(`"•••••••••001"`, `"+849•••••001"`); `GET /me/export` gives the owner the full values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from khaibao.accounts.models import Account, Role
from khaibao.api import rules
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ApiDate, ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.people import households, selectors
from khaibao.people import validators as v
from khaibao.people.access import access_person_for_declarer

router = Router(tags=["people"])

SexIn = Literal["male", "female", "other"]
RelationIn = Literal["self", "spouse", "child", "parent", "grandparent", "sibling", "other"]
# Beyond a 64-bit integer the database cannot even compare: answer 404 instead of failing.


def _rule(fn: Callable[..., Any], value: Any, **kw: Any) -> Any:
    """Run a people.validators rule; pydantic reports ValueError as a field message."""
    if value is None:
        return None
    try:
        return fn(value, **kw)
    except DjangoValidationError as exc:
        raise ValueError(exc.messages[0]) from exc


class _PersonRules(StrictSchema):
    @field_validator("full_name", check_fields=False)
    @classmethod
    def _full_name(cls, value: str | None) -> str | None:
        return _rule(v.clean_full_name, value)

    @field_validator("street", check_fields=False)
    @classmethod
    def _street(cls, value: str | None) -> str | None:
        return _rule(v.clean_street, value)

    @field_validator("date_of_birth", check_fields=False)
    @classmethod
    def _date_of_birth(cls, value: date | None) -> date | None:
        return _rule(v.clean_date_of_birth, value, today=timezone.localdate())

    @field_validator("birth_year", check_fields=False)
    @classmethod
    def _birth_year(cls, value: int | None) -> int | None:
        return _rule(v.clean_birth_year, value, today=timezone.localdate())

    @field_validator("id_number", check_fields=False)
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return _rule(v.clean_id_number, value)

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _rule(v.clean_phone, value)

    @field_validator("nationality", check_fields=False)
    @classmethod
    def _nationality(cls, value: str | None) -> str | None:
        return _rule(v.clean_nationality, value)


class PersonIn(_PersonRules):
    """A new household member. Give `date_of_birth` or `birth_year` (both must agree).
    `ward_code` and `street` default to your own ("self") address when left out.
    `id_number` is required from age 14; `phone` is optional."""

    full_name: str = rules.stated(rules.FULL_NAME, ...)
    date_of_birth: ApiDate | None = rules.stated(rules.DATE_OF_BIRTH, None)
    birth_year: int | None = rules.stated(rules.BIRTH_YEAR, None)
    sex: SexIn
    nationality: str = "VN"
    id_number: str | None = rules.stated(rules.ID_NUMBER, None)
    phone: str | None = None
    ward_code: int | None = None
    street: str | None = rules.stated(rules.STREET, None)
    relation: RelationIn = rules.stated(rules.RELATION_HOUSEHOLD, ...)


class PersonPatch(_PersonRules):
    """Only the fields sent change; `null` clears date_of_birth, birth_year, id_number, phone, street."""

    full_name: str | None = rules.stated(rules.FULL_NAME, None)
    date_of_birth: ApiDate | None = rules.stated(rules.DATE_OF_BIRTH, None)
    birth_year: int | None = rules.stated(rules.BIRTH_YEAR, None)
    sex: SexIn | None = None
    nationality: str | None = None
    id_number: str | None = rules.stated(rules.ID_NUMBER, None)
    phone: str | None = None
    ward_code: int | None = None
    street: str | None = rules.stated(rules.STREET, None)
    relation: RelationIn | None = None


class PersonOut(Schema):
    id: int
    full_name: str
    date_of_birth: date | None
    birth_year: int
    sex: str
    sex_label: str = Field(..., description="the sex in words, in the request's language")
    nationality: str
    nationality_name: str = Field(..., description="the country of `nationality`, in the request's language")
    id_number: str | None
    phone: str | None
    ward_code: int
    ward_name: str
    province_code: int
    province_name: str
    street: str
    relation: str | None
    relation_label: str | None = Field(..., description="the relation in words; null with `relation`")
    assisted: bool


def _citizen(request: AuthedRequest) -> Account:
    account: Account = request.auth
    if account.role != Role.CITIZEN:
        raise ServiceError(
            _("Only citizens have a household. Staff accounts use the console."), code="citizens_only", status=403
        )
    return account


def _person(request: AuthedRequest, person_id: int) -> Any:
    return access_person_for_declarer(request.auth, person_id)


@router.get("", response={200: list[PersonOut], 403: ErrorOut})
def people_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Your household ("self" first) and, if you are a volunteer, the people you assist
    (`"assisted": true`, `"relation": null`)."""
    account = _citizen(request)
    return [selectors.person_public_dict(e) for e in selectors.household_entries(account=account)]


@router.post("", response={201: PersonOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut})
def person_create(request: AuthedRequest, data: PersonIn) -> Status:
    """Add someone to your household. 409 when the household already has a "self"
    (`duplicate_self`) or is full (`household_full`, `assisted_full`). An ID number already
    registered for another person is accepted and sent to the officials' duplicate review: the
    answer never says whether a number is known elsewhere."""
    account = _citizen(request)
    person = households.household_person_add(
        actor=account, owner=account, relation=data.relation, full_name=data.full_name, sex=data.sex,
        home_ward_id=data.ward_code, birth_year=data.birth_year, date_of_birth=data.date_of_birth,
        nationality_id=data.nationality, id_number=data.id_number or "", phone=data.phone or "",
        street=data.street, ip=client_ip(request),
    )
    entry = selectors.household_entry(account=account, person=person)
    return Status(201, selectors.person_public_dict(entry))


@router.get("/{person_id}", response={200: PersonOut, 404: ErrorOut})
def person_detail(request: AuthedRequest, person_id: int) -> dict[str, Any]:
    """One person of your household (or whom you assist)."""
    person = _person(request, person_id)
    return selectors.person_public_dict(selectors.household_entry(account=request.auth, person=person))


@router.patch("/{person_id}", response={200: PersonOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def person_update(request: AuthedRequest, person_id: int, data: PersonPatch) -> dict[str, Any]:
    """Change the fields sent; the result is validated as a whole (e.g. adults keep an ID number)."""
    person = _person(request, person_id)
    person = households.household_person_update(
        actor=request.auth, person=person, changes=data.model_dump(exclude_unset=True),
        ip=client_ip(request),
    )
    return selectors.person_public_dict(selectors.household_entry(account=request.auth, person=person))


@router.delete("/{person_id}", response={204: None, 404: ErrorOut})
def person_remove(request: AuthedRequest, person_id: int) -> Status:
    """Remove someone from your household (a volunteer: stop assisting them). Their history
    is kept when it exists; see people.households.household_person_remove."""
    person = _person(request, person_id)
    households.household_person_remove(actor=request.auth, person=person, ip=client_ip(request))
    return Status(204, None)
