"""The rules of a person's fields, shared by every service that creates or changes a person
(a household member, a volunteer's assisted person): validation and defaults, the ID number's
blind index, and what happens to a number someone else registered (accepted, handed to the
officials' review, attempts bounded — never an answer that tells who is registered).

Field names in errors are the API contract's (`full_name, date_of_birth, birth_year, sex,
nationality, id_number, phone, ward_code, street, relation`); the web forms use the same
names, so a ServiceError lands next to the right field in both interfaces.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.people import validators as v
from khaibao.people.models import IdNumberReview, Person
from khaibao.places.models import Country
from khaibao.places.selectors import ward_known

ID_INDEX_PURPOSE = "id_number"

def id_number_index(id_number: str) -> str:
    return crypto.blind_index(id_number.strip().upper(), purpose=ID_INDEX_PURPOSE)


def person_lookup_indexes(*, id_number: str | None = None, phone: str | None = None) -> dict[str, str]:
    """The people table's blind indexes of an ID number and a phone (E.164), by column name: what
    a look-up filters on, and what its audit event names instead of the values — the data-protection
    officer can tell which number was tried by computing its index; a dump of the trail cannot."""
    found: dict[str, str] = {}
    if id_number:
        found["id_number_index"] = id_number_index(id_number)
    if phone:
        found["phone_index"] = phone_index(phone)
    return found


def _messages(exc: ValidationError, field: str) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {name: errors[0].messages[0] for name, errors in exc.error_dict.items()}
    return {field: exc.messages[0]}


def _clean_each(values: Mapping[str, Any], today: date) -> tuple[dict[str, Any], dict[str, str]]:
    cleaners: dict[str, Any] = {
        "full_name": v.clean_full_name,
        "street": v.clean_street,
        "date_of_birth": lambda x: None if x is None else v.clean_date_of_birth(x, today=today),
        "birth_year": lambda x: None if x is None else v.clean_birth_year(x, today=today),
        "id_number": v.clean_id_number,
        "phone": v.clean_phone,
        "nationality": v.clean_nationality,
        "sex": v.clean_sex,
        "relation": v.clean_relation,
        "ward_code": lambda x: x,
    }
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        if name not in cleaners:
            errors[name] = _("Unknown field.")
            continue
        try:
            cleaned[name] = cleaners[name](value)
        except ValidationError as exc:
            errors.update(_messages(exc, name))
    return cleaned, errors


def person_current_values(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "birth_year": person.birth_year,
        "sex": person.sex,
        "nationality": person.nationality_id,
        "id_number": person.id_number or "",
        "phone": person.phone or "",
        "ward_code": person.home_ward_id,
        "street": person.street or "",
    }


def _check_birth_and_id(
    values: Mapping[str, Any], cleaned: dict[str, Any], merged: dict[str, Any], errors: dict[str, str], today: date
) -> None:
    # A new date of birth alone carries its year with it; a new year alone must still agree
    # with a kept date of birth (send date_of_birth: null to keep only the year).
    if cleaned.get("date_of_birth") is not None and "birth_year" not in values:
        merged["birth_year"] = cleaned["date_of_birth"].year
    if {"date_of_birth", "birth_year"} & errors.keys():
        return
    try:
        merged["birth_year"] = v.resolve_birth_year(merged.get("date_of_birth"), merged.get("birth_year"))
    except ValidationError as exc:
        errors.update(_messages(exc, "date_of_birth"))
        return
    if "id_number" in errors:
        return
    try:
        v.check_id_number_required(
            merged.get("id_number", ""), date_of_birth=merged.get("date_of_birth"),
            birth_year=merged["birth_year"], today=today,
        )
    except ValidationError as exc:
        errors.update(_messages(exc, "id_number"))


def _new_person_defaults(
    values: Mapping[str, Any], merged: dict[str, Any], errors: dict[str, str], owner_self: Person | None
) -> None:
    merged.setdefault("nationality", "VN")
    merged.setdefault("id_number", "")
    merged.setdefault("phone", "")
    # The home address defaults to the owner's own: most families live together.
    if merged.get("ward_code") is None and "ward_code" not in errors and owner_self is not None:
        merged["ward_code"] = owner_self.home_ward_id
    if "street" not in values:
        same_ward = owner_self is not None and merged.get("ward_code") == owner_self.home_ward_id
        merged["street"] = owner_self.street if same_ward and owner_self else ""


def _ward_error(code: Any, *, creating: bool, owner_self: Person | None) -> str | None:
    if code is None:
        if owner_self is not None or not creating:
            return _("Choose the home ward.")
        return _("Choose the home ward (add yourself first to use your address for your family).")
    if not isinstance(code, int) or not ward_known(code):
        return _("This ward does not exist. Choose a ward from the list.")
    return None


def person_fields_validate(
    values: Mapping[str, Any], *, current: dict[str, Any] | None, owner_self: Person | None
) -> dict[str, Any]:
    """`values` cleaned and merged over `current` (None when creating), or ServiceError(400)
    listing every field that is wrong. Nothing is written here."""
    merged, errors = _fields_checked(values, current=current, owner_self=owner_self, failed=())
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=errors)
    return merged


def person_fields_problems(
    values: Mapping[str, Any], *, current: dict[str, Any] | None, owner_self: Person | None, failed: Collection[str]
) -> dict[str, str]:
    """The field messages `person_fields_validate` would give for `values`, besides the fields in
    `failed` — those a form already found wrong and left out of `values`: the rules that need them
    (e.g. an ID number by age) are skipped, as for a field that fails here, so a form can show
    every error in one round without a guess about a field it could not read."""
    _merged, errors = _fields_checked(values, current=current, owner_self=owner_self, failed=failed)
    return {name: message for name, message in errors.items() if name not in failed}


def _fields_checked(
    values: Mapping[str, Any], *, current: dict[str, Any] | None, owner_self: Person | None, failed: Collection[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    today = timezone.localdate()
    cleaned, errors = _clean_each(values, today)
    errors.update({name: "" for name in failed if name not in errors})
    merged: dict[str, Any] = {**(current or {}), **cleaned}
    creating = current is None
    _check_birth_and_id(values, cleaned, merged, errors, today)
    if creating:
        _new_person_defaults(values, merged, errors, owner_self)
    if "ward_code" not in errors:
        ward_error = _ward_error(merged.get("ward_code"), creating=creating, owner_self=owner_self)
        if ward_error is not None:
            errors["ward_code"] = ward_error
    if "nationality" not in errors and "nationality" in merged and (
        not Country.objects.filter(code=merged["nationality"]).exists()
    ):
        errors["nationality"] = _("Unknown country code.")
    return merged, errors


def id_number_holder(id_number: str, *, other_than: int | None = None) -> int | None:
    """The earliest other person registered with `id_number`, if any (their id)."""
    if not id_number:
        return None
    qs = Person.objects.filter(id_number_index=id_number_index(id_number))
    if other_than is not None:
        qs = qs.exclude(pk=other_than)
    return qs.order_by("pk").values_list("pk", flat=True).first()


def id_number_attempt(*, actor: Any, id_number: str, ip: str = "") -> None:
    """Count one attempt to register `id_number` (adding or changing a person), before any check
    of the number; over ID_NUMBER_ATTEMPTS_PER_HOUR per account, refuse (429) and audit it.

    Together with `id_number_duplicate_review` this is the answer to the registration oracle
    (issue 18, item 4): a duplicate is never told apart, and trying many numbers is bounded.
    """
    if not id_number or getattr(actor, "pk", None) is None:
        return
    window = 3600
    if ratelimit.hit(f"id-number-attempts:{actor.pk}", window_seconds=window) > settings.ID_NUMBER_ATTEMPTS_PER_HOUR:
        # Outside any transaction of the refused write: the event stays although the add does not happen.
        audit_record(actor=actor, action="person.id_number_attempts_limited", ip=ip,
                     data={"limit": settings.ID_NUMBER_ATTEMPTS_PER_HOUR})
        raise RateLimited(
            _("Too many people with ID numbers were added or changed in the last hour. Try again later."),
            retry_after=window,
        )


def id_number_duplicate_review(*, actor: Any, person: Person, ip: str = "") -> IdNumberReview | None:
    """Inside the write that saved `person`: when another person already holds their ID number,
    hand the duplicate to the officials' review and audit it. The caller answers exactly as for
    any other person — whose number it is, or that it is taken at all, is never said."""
    holder = id_number_holder(person.id_number or "", other_than=person.pk)
    if holder is None:
        return None
    review = IdNumberReview.objects.create(
        person=person, holder_id=holder, created_by=actor if getattr(actor, "pk", None) else None
    )
    audit_record(
        actor=actor, action="person.id_number_duplicate", obj=review, person_id=person.pk, ip=ip,
        data={"holder": holder},
    )
    return review


def person_fields_apply(person: Person, clean: Mapping[str, Any]) -> None:
    """Set `person`'s fields (and the blind indexes that go with them) from validated values."""
    person.full_name = clean["full_name"]
    person.date_of_birth = clean["date_of_birth"]
    person.birth_year = clean["birth_year"]
    person.sex = clean["sex"]
    person.nationality_id = clean["nationality"]
    person.id_number = clean["id_number"]
    person.id_number_index = id_number_index(clean["id_number"]) if clean["id_number"] else None
    person.phone = clean["phone"]
    person.phone_index = phone_index(clean["phone"]) if clean["phone"] else ""
    person.home_ward_id = clean["ward_code"]
    person.street = clean["street"]
