"""Contact tracing (truy vết tiếp xúc): registering the contacts of an F0 or F1 case.

Field names in errors are the API contract's (`full_name, phone, id_number, ward_code,
contact_date, kind, birth_year, sex`); the console form uses the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.monitoring.assessment import person_contact_flag
from khaibao.monitoring.models import PersonStatus
from khaibao.people import validators as v
from khaibao.people.access import processing_allowed
from khaibao.people.models import Person
from khaibao.people.persons import id_number_index, person_lookup_indexes
from khaibao.places.selectors import ward_known
from khaibao.risk import engine
from khaibao.tracing.invitations import invitation_queue
from khaibao.tracing.invitations import invitation_text as invitation_text  # its owner is invitations.py
from khaibao.tracing.models import Contact, ContactKind

# What a contact of each source level becomes, and the exposure the risk engine sees:
# a contact of a confirmed case (F0) is F1; a contact of an F1 (a suspected case) is F2.
_CONTACT_OF = {"F0": ("F1", "contact_confirmed"), "F1": ("F2", "contact_suspected")}


@dataclass(frozen=True)
class ContactInput:
    full_name: str
    ward_code: int | None
    contact_date: date | None
    kind: str
    phone: str = ""
    id_number: str = ""
    birth_year: int | None = None
    sex: str = ""


def source_level(person: Person) -> str:
    """"F0" or "F1" when contacts may be registered for `person`, else ""."""
    status = PersonStatus.objects.filter(person=person).only("is_f0", "contact_level").first()
    if status is None:
        return ""
    if status.is_f0 or status.contact_level == "F0":
        return "F0"
    return "F1" if status.contact_level == "F1" else ""


def identity_clean(data: Any, *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """Name, phone, ID number, birth year and sex of someone an official registers (a contact,
    the subject of a report): the household validators' rules, every bad field reported."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    rules: dict[str, Any] = {
        "full_name": lambda: v.clean_full_name(data.full_name),
        "phone": lambda: v.clean_phone(data.phone),
        "id_number": lambda: v.clean_id_number(data.id_number),
        "birth_year": lambda: None if data.birth_year is None else v.clean_birth_year(data.birth_year, today=today),
        "sex": lambda: v.clean_sex(data.sex) if data.sex else "",
    }
    for name, rule in rules.items():
        try:
            clean[name] = rule()
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    return clean, errors


def _clean(data: ContactInput, *, today: date) -> dict[str, Any]:
    clean, errors = identity_clean(data, today=today)
    if not errors.keys() & {"phone", "id_number"} and not clean["phone"] and not clean["id_number"]:
        errors["phone"] = _("Give a phone number (or an ID number) so the person can be found and invited.")

    code = data.ward_code
    if code is None:
        errors["ward_code"] = _("Choose the ward where the contact lives.")
    elif not ward_known(code):
        errors["ward_code"] = _("This ward does not exist. Choose a ward from the list.")
    clean["ward_code"] = code

    window = engine.current_rules().window_days
    if data.contact_date is None:
        errors["contact_date"] = _("Give the date of the contact.")
    elif data.contact_date > today:
        errors["contact_date"] = _("The date of contact cannot be in the future.")
    elif data.contact_date < today - timedelta(days=window):
        errors["contact_date"] = _(
            "This contact was more than %(days)d days ago: it is outside the monitoring window."
        ) % {"days": window}
    clean["contact_date"] = data.contact_date

    if data.kind not in ContactKind.values:
        errors["kind"] = _("Choose the kind of contact from the list.")
    clean["kind"] = data.kind
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=errors)
    return clean


class LookupRefused(ServiceError):
    """A refusal after looking someone up by ID number or phone: no one is registered with it
    (and there is not enough to register them), or the person found is outside the official's
    area. `lookup` holds the blind indexes of what was looked up (`lookup_indexes`), never the
    values; the service that looked up audits the refusal with `lookup_refused_record`."""

    def __init__(
        self, message: str, *, fields: dict[str, str], lookup: dict[str, str], outcome: str,
        person_id: int | None = None,
    ) -> None:
        super().__init__(message, code="invalid", fields=fields)
        self.lookup = lookup
        self.outcome = outcome  # "not_registered" | "outside_area"
        self.person_id = person_id


def lookup_indexes(clean: dict[str, Any]) -> dict[str, str]:
    """The blind indexes (the people table's own, core/crypto.py) of the ID number and phone in
    `clean`: what an audit event names instead of the values, so the data-protection officer can
    tell which number was tried by computing its index, and a dump of the trail cannot."""
    return person_lookup_indexes(id_number=clean.get("id_number"), phone=clean.get("phone"))


def lookup_refused_record(
    *, actor: Account, action: str, purpose: str, refused: LookupRefused, obj: Any = None, ip: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Audit a refused lookup by ID number or phone, outside the refused write's transaction.

    Otherwise the refusal would be a silent way to learn whether a number is registered (as
    break the glass audits its refused opens): whoever tries numbers shows in the trail, by
    actor, purpose (`reason`) and the numbers' blind indexes. The person found outside the
    area, if any, is named by id so the officer's search by person finds the attempt.
    """
    audit_record(
        actor=actor, action=action, obj=obj, person_id=refused.person_id, reason=purpose, ip=ip,
        data={"outcome": refused.outcome, **refused.lookup, **(data or {})},
    )


def person_match(clean: dict[str, Any]) -> tuple[Person | None, str]:
    """The existing person these details point to, and how they were found.

    An ID number is unique, so it wins over a phone; a phone may be shared by a family, so
    among several people with it the one with the same name is taken, else the phone's owner
    (the person with an account), else the first registered.
    """
    if clean["id_number"]:
        person = Person.objects.filter(id_number_index=id_number_index(clean["id_number"])).first()
        if person is not None:
            return person, "id_number"
    if clean["phone"]:
        candidates = list(Person.objects.filter(phone_index=phone_index(clean["phone"])).order_by("id"))
        if candidates:
            wanted = clean["full_name"].casefold()
            same_name = [p for p in candidates if p.full_name.casefold() == wanted]
            owners = [p for p in candidates if p.account_id is not None]
            return (same_name or owners or candidates)[0], "phone"
    return None, "new"


def person_create_outside_households(*, actor: Account, clean: dict[str, Any], ip: str) -> Person:
    """A person found by officials (a contact, a report's subject), in no one's household yet.

    Called when `person_match` found no one: without a birth year or sex, `LookupRefused`
    ("not_registered"), which the caller audits.
    """
    errors: dict[str, str] = {}
    if clean["birth_year"] is None:
        errors["birth_year"] = _("This person is not registered yet: give their year of birth (an estimate is fine).")
    if not clean["sex"]:
        errors["sex"] = _("This person is not registered yet: choose male, female or other.")
    if errors:
        raise LookupRefused(
            _("Some fields are not valid."), fields=errors, lookup=lookup_indexes(clean), outcome="not_registered"
        )
    # Not in anyone's household: the person is the health service's concern until they sign in.
    person = Person.objects.create(
        full_name=clean["full_name"],
        birth_year=clean["birth_year"],
        sex=clean["sex"],
        id_number=clean["id_number"],
        id_number_index=id_number_index(clean["id_number"]) if clean["id_number"] else None,
        phone=clean["phone"],
        phone_index=phone_index(clean["phone"]) if clean["phone"] else "",
        home_ward_id=clean["ward_code"],
        created_by=actor,
    )
    audit_record(
        actor=actor, action="person.create", obj=person, person_id=person.pk, ip=ip,
        data={"via": "contact_tracing"},
    )
    return person


def contact_register(
    *, actor: Account, source: Person, data: ContactInput, ip: str = ""
) -> tuple[Contact, bool]:
    """Register that `data` describes a contact of the case `source`; returns (contact, created).

    `source` must be F0 (or a positive case) or F1, and visible to `actor` (checked by the
    caller through people.access); the contact may live anywhere in the country. The
    contact is matched to an existing person by ID number or phone (blind indexes) or
    created (in no household, home ward as given). They become F1 (contact of an F0) or F2
    (contact of an F1) — an existing closer level is kept — and are re-assessed with the
    matching exposure on the contact date, so they enter the triage queue of their own ward.
    An SMS invitation to declare is queued with the contact (tracing/invitations.py: first tried
    on commit, then retried by the worker; `Contact.invitation_status` says how it went), and the people who look after the
    contact with an account find it in their inbox too (`CONTACT_REGISTERED_HOOKS`). Registering the same person again
    for the same case changes nothing and returns the existing row — still an access to the
    contact's data, audited as `contact.already_registered` (no SMS is sent again).

    An ID number or phone that finds no one, given without the birth year and sex needed to
    register the person, is refused (400, the workflow: the official then gives them) and the
    refusal is audited (`contact.lookup_refused`, with the blind indexes of what was looked up).
    """
    try:
        return _contact_register(actor=actor, source=source, data=data, ip=ip)
    except LookupRefused as refused:
        # After the rollback of the refused write: the event must stay although nothing else does.
        lookup_refused_record(
            actor=actor, action="contact.lookup_refused", purpose="contacts_register", refused=refused, ip=ip,
            data={"source_person_id": source.pk},
        )
        raise


def _already_registered(*, actor: Account, contact: Contact, matched_by: str, ip: str) -> Contact:
    # The answer shows the contact's row (name, level, how they were found) to the official: an
    # access to someone's data like any other, so it leaves its own event — the action tells it
    # from a registration, which changed something.
    audit_record(
        actor=actor, action="contact.already_registered", obj=contact, person_id=contact.person_id, ip=ip,
        data={"source_person_id": contact.source_id, "matched_by": matched_by},
    )
    return contact


@transaction.atomic
def _contact_register(*, actor: Account, source: Person, data: ContactInput, ip: str) -> tuple[Contact, bool]:
    if actor.role != Role.OFFICIAL:
        raise ServiceError(_("Only health officials trace contacts."), code="officials_only", status=403)
    processing_allowed(source)  # the case withdrew consent: said so, not "not a case" (their level is gone)
    today = timezone.localdate()
    clean = _clean(data, today=today)
    level = source_level(source)
    if not level:
        raise ServiceError(
            _("Contacts can only be registered for a confirmed case (F0) or a close contact (F1)."),
            code="not_a_case",
            status=409,
        )
    contact_level, exposure = _CONTACT_OF[level]

    person, matched_by = person_match(clean)
    if person is not None and person.pk == source.pk:
        field = "id_number" if matched_by == "id_number" else "phone"
        raise ServiceError(
            _("These details are the case's own."), code="invalid",
            fields={field: _("This is the case themself, not a contact.")},
        )
    if person is not None:
        processing_allowed(person)  # consent withdrawn: not flagged, nor re-assessed, again
        existing = Contact.objects.filter(source=source, person=person).first()
        if existing is not None:
            return _already_registered(actor=actor, contact=existing, matched_by=matched_by, ip=ip), False
    else:
        try:
            with transaction.atomic():
                person = person_create_outside_households(actor=actor, clean=clean, ip=ip)
        except IntegrityError:
            # Another request registered this ID number a moment ago: use that person.
            person, matched_by = person_match(clean)
            if person is None:
                raise
    now = timezone.now()
    to = clean["phone"] or person.phone
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                source=source, person=person, kind=clean["kind"], contact_date=clean["contact_date"],
                level=contact_level, exposure=exposure, matched_by=matched_by,
                registered_by=actor, registered_at=now,
            )
    except IntegrityError:
        # The same contact registered concurrently for the same case.
        existing = Contact.objects.get(source=source, person=person)
        return _already_registered(actor=actor, contact=existing, matched_by=matched_by, ip=ip), False
    person_contact_flag(person=person, contact_level=contact_level, now=now)
    audit_record(
        actor=actor, action="contact.register", obj=contact, person_id=person.pk, ip=ip,
        # Ids and how the person was found only: the F-level and the kind of contact are health
        # details the trail would keep past erasure; the contact row (the object) holds them.
        data={"source_person_id": source.pk, "matched_by": matched_by},
    )
    # The contact's inbox too (the notifications app, above this one): whoever looks after them
    # with an account is told in the app, without a second SMS; someone registered here just now
    # has no account yet, so the SMS below is all they get.
    hooks_call("CONTACT_REGISTERED_HOOKS", person=person, contact_id=contact.pk)
    if to:
        # Durable: the outbox row commits with the contact and is retried until sent or given up.
        invitation_queue(contact=contact, phone=to)
    return contact, True
