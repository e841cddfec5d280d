"""Writes for organisations: units, sub-admins, rosters, member linking and campaigns.

Every function runs in one transaction and leaves one audit event in it. Callers pass objects
they obtained through `orgs.access` (so scope is already checked); ids inside the payload (a
new parent, a unit named in a roster row) are checked here against the actor's subtree.
Audit data holds ids and counts only — never names or phones.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import normalise_vn_phone, phone_index
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.exports.cells import csv_cell
from khaibao.orgs.access import subtree_q, units_visible
from khaibao.orgs.models import Campaign, Member, MemberRole, OrgUnit, ReminderPolicy, RosterImport
from khaibao.orgs.roster import RosterRow, parse_role, read_roster
from khaibao.people import validators as v
from khaibao.people.models import HouseholdMembership

_CODE = re.compile(r"[A-Za-z0-9_-]{1,50}")
_USERNAME = re.compile(r"[\w.@+-]{3,150}")
UNIT_NAME_MAX = 200


def _field_error(name: str, message: str, code: str = "invalid") -> ServiceError:
    return ServiceError(message, code=code, fields={name: message})


def _clean_name(value: str, *, name: str = "name", max_length: int = UNIT_NAME_MAX) -> str:
    try:
        text = v.clean_street(value)
    except ValidationError as exc:
        raise _field_error(name, exc.messages[0]) from exc
    if not text:
        raise _field_error(name, _("Enter the name."), "required")
    if len(text) > max_length:
        raise _field_error(name, _("At most %(max)d characters.") % {"max": max_length})
    return text


def _usable_unit(actor: Account, unit_id: int | None, *, name: str) -> OrgUnit:
    unit = units_visible(actor).filter(pk=unit_id).first() if unit_id is not None else None
    if unit is None:
        raise _field_error(name, _("Choose a unit of your organisation."))
    if unit.archived_at is not None:
        raise _field_error(name, _("This unit is archived."))
    return unit


# --- units -------------------------------------------------------------------------------


def unit_create(*, actor: Account, parent: OrgUnit, code: str, name: str, ip: str = "") -> OrgUnit:
    """A child unit under `parent` (a unit of the actor's subtree); codes are unique among siblings."""
    code = (code or "").strip()
    if not _CODE.fullmatch(code):
        raise _field_error("code", _("Use 1–50 letters, digits, - or _ (no spaces or slashes)."))
    clean = _clean_name(name)
    if parent.archived_at is not None:
        raise _field_error("parent", _("This unit is archived."))
    with transaction.atomic():
        if OrgUnit.objects.filter(path=f"{parent.path}/{code}").exists():
            raise _field_error("code", _("Another unit here already has this code."), "duplicate")
        unit = OrgUnit.objects.create(code=code, name=clean, parent=parent)
        audit_record(actor=actor, action="orgs.unit_create", obj=unit, ip=ip, data={"parent_id": parent.pk})
    return unit


def unit_rename(*, actor: Account, unit: OrgUnit, name: str, ip: str = "") -> OrgUnit:
    """A new display name; the code (and so the path) stays."""
    clean = _clean_name(name)
    with transaction.atomic():
        OrgUnit.objects.filter(pk=unit.pk).update(name=clean)
        unit.name = clean
        audit_record(actor=actor, action="orgs.unit_rename", obj=unit, ip=ip)
    return unit


def unit_move(*, actor: Account, unit: OrgUnit, new_parent_id: int, ip: str = "") -> OrgUnit:
    """Put `unit` (and everything below it) under another unit of the actor's subtree.

    Refused: the actor's own root (it would leave their subtree), a parent inside the unit
    itself (a cycle), and a parent that already has a child with the same code. Every path
    below the unit is rewritten in the same transaction.
    """
    if unit.pk == actor.org_unit_id:
        raise _field_error("parent_id", _("You cannot move the unit you administer."))
    new_parent = _usable_unit(actor, new_parent_id, name="parent_id")
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path + "/"):
        raise _field_error("parent_id", _("A unit cannot be moved under itself or one of its own units."), "cycle")
    if new_parent.pk == unit.parent_id:
        return unit
    old_path = unit.path
    new_path = f"{new_parent.path}/{unit.code}"
    with transaction.atomic():
        if OrgUnit.objects.filter(path=new_path).exists():
            raise _field_error("parent_id", _("That unit already has a unit with this code."), "duplicate")
        descendants = list(OrgUnit.objects.select_for_update().filter(path__startswith=old_path + "/"))
        OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent, path=new_path)
        for child in descendants:
            child.path = new_path + child.path[len(old_path):]
        OrgUnit.objects.bulk_update(descendants, ["path"], batch_size=500)
        unit.parent = new_parent
        unit.path = new_path
        audit_record(
            actor=actor, action="orgs.unit_move", obj=unit, ip=ip,
            data={"new_parent_id": new_parent.pk, "descendants": len(descendants)},
        )
    return unit


def unit_archive(*, actor: Account, unit: OrgUnit, ip: str = "") -> OrgUnit:
    """Archive an empty unit. No cascade: units and active members below must be moved or
    removed first, so nobody drops out of a roster by one click."""
    if unit.pk == actor.org_unit_id:
        raise _field_error("unit", _("You cannot archive the unit you administer."))
    if unit.archived_at is not None:
        return unit
    with transaction.atomic():
        if OrgUnit.objects.filter(parent=unit, archived_at__isnull=True).exists():
            raise _field_error("unit", _("Move or archive the units under this one first."), "has_children")
        if Member.objects.filter(unit=unit, removed_at__isnull=True).exists():
            raise _field_error("unit", _("Move or remove this unit's members first."), "has_members")
        unit.archived_at = timezone.now()
        OrgUnit.objects.filter(pk=unit.pk).update(archived_at=unit.archived_at)
        audit_record(actor=actor, action="orgs.unit_archive", obj=unit, ip=ip)
    return unit


# --- sub-admins --------------------------------------------------------------------------


def set_password_path(account: Account) -> str:
    """The one-time set-password page for `account` (the token dies once a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    return reverse("backoffice:set_password", args=[uid, default_token_generator.make_token(account)])


def subadmin_invite(
    *, actor: Account, unit: OrgUnit, username: str, display_name: str = "", ip: str = ""
) -> tuple[Account, str]:
    """A staff account (role org_admin) for `unit`, with no password yet, and its one-time
    set-password link (shown once to the inviter, who hands it over)."""
    username = (username or "").strip()
    if not _USERNAME.fullmatch(username):
        raise _field_error("username", _("Use 3–150 letters, digits and . @ + - _ only."))
    display = _clean_name(display_name, name="display_name", max_length=150) if display_name.strip() else ""
    if unit.archived_at is not None:
        raise _field_error("unit", _("This unit is archived."))
    with transaction.atomic():
        if Account.objects.filter(username__iexact=username).exists():
            raise _field_error("username", _("This username is taken."), "duplicate")
        account = Account.objects.create_user(username, None, display_name=display, role=Role.ORG_ADMIN, org_unit=unit)
        audit_record(actor=actor, action="orgs.subadmin_invite", obj=account, ip=ip, data={"unit_id": unit.pk})
    return account, set_password_path(account)


# --- members -----------------------------------------------------------------------------


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[RosterRow, str]] = field(default_factory=list)
    record: RosterImport | None = None


def _resolve_unit(text: str, default: OrgUnit, units: list[OrgUnit]) -> OrgUnit | str:
    text = text.strip().strip("/")
    if not text:
        return default
    if "/" in text:
        matches = [u for u in units if u.path == text]
    else:
        matches = [u for u in units if u.code == text]
        if len(matches) > 1:
            return _("Several units have this code; write the unit's path instead.")
    if not matches:
        return _("This unit is not in your organisation.")
    if matches[0].archived_at is not None:
        return _("This unit is archived.")
    return matches[0]


def _clean_member(full_name: str, phone: str, role: str) -> tuple[str, str, str, dict[str, str]]:
    problems: dict[str, str] = {}
    name = e164 = code = ""
    try:
        name = v.clean_full_name(full_name)
    except ValidationError as exc:
        problems["full_name"] = exc.messages[0]
    try:
        e164 = normalise_vn_phone(phone)
    except ValidationError as exc:
        problems["phone"] = exc.messages[0]
    parsed = parse_role(role)
    if parsed is None:
        problems["role"] = _("Unknown role. Use: cán bộ, công chức/viên chức, người lao động, đoàn viên, hội viên, khác.")
    else:
        code = parsed
    return name, e164, code, problems


def roster_import(*, actor: Account, unit: OrgUnit, filename: str, handle: IO[bytes] | File, size: int, ip: str = "") -> RosterResult:
    """Import a roster for `unit`'s subtree, row by row.

    A row names its unit by code or path (empty: `unit`). Valid rows are upserted with key
    (unit, phone index); a phone already on the roster in another unit of the subtree moves
    that member (an update, not a second member). Invalid rows and repeated phones are
    reported with a reason and written to an encrypted error CSV. The file is processed
    synchronously and refused above MAX_ROWS rows.
    """
    if unit.archived_at is not None:
        raise _field_error("unit", _("This unit is archived."))
    rows = read_roster(filename, handle, size)
    units = list(OrgUnit.objects.filter(subtree_q(unit.path)))
    result = RosterResult()
    now = timezone.now()
    seen: dict[str, int] = {}
    with transaction.atomic():
        existing: dict[str, list[Member]] = {}
        for line in Member.objects.select_for_update().filter(
            subtree_q(unit.path, field="unit__path"), removed_at__isnull=True
        ):
            existing.setdefault(line.phone_index, []).append(line)
        for row in rows:
            name, e164, role, problems = _clean_member(row.full_name, row.phone, row.role)
            target = _resolve_unit(row.unit, unit, units)
            if isinstance(target, str):
                problems["unit"] = target
            if problems:
                result.errors.append((row, " ".join(problems.values())))
                continue
            assert isinstance(target, OrgUnit)
            index = phone_index(e164)
            if index in seen:
                result.errors.append((row, _("The same phone is already on row %(row)s of this file.") % {"row": seen[index]}))
                continue
            seen[index] = row.number
            candidates = existing.get(index, [])
            match = next((m for m in candidates if m.unit_id == target.pk), None)
            if match is None and len(candidates) == 1:
                match = candidates[0]
            if match is None:
                created = Member.objects.create(
                    unit=target, full_name=name, phone=e164, phone_index=index, role=role, added_by=actor, created_at=now
                )
                existing.setdefault(index, []).append(created)
                result.created += 1
            elif (match.full_name, match.role, match.unit_id) == (name, role, target.pk):
                result.unchanged += 1
            else:
                match.full_name, match.role, match.unit = name, role, target
                match.save(update_fields=["full_name", "role", "unit"])
                result.updated += 1
        record = RosterImport.objects.create(
            unit=unit, actor=actor, filename=filename[:200], created_at=now, rows=len(rows),
            created=result.created, updated=result.updated, unchanged=result.unchanged,
            errors=len(result.errors), error_csv=_error_csv(result.errors),
        )
        result.record = record
        audit_record(
            actor=actor, action="orgs.roster_import", obj=record, ip=ip,
            data={"unit_id": unit.pk, "rows": len(rows), "created": result.created, "updated": result.updated,
                  "unchanged": result.unchanged, "errors": len(result.errors)},
        )
    return result


def _error_csv(errors: list[tuple[RosterRow, str]]) -> str:
    if not errors:
        return ""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Full name"), _("Phone"), _("Unit"), _("Role"), _("Reason")])
    for row, reason in errors:
        writer.writerow([csv_cell(c) for c in (row.number, row.full_name, row.phone, row.unit, row.role, reason)])
    return out.getvalue()


def member_add(
    *, actor: Account, unit: OrgUnit, full_name: str, phone: str, role: str = MemberRole.OTHER, ip: str = ""
) -> Member:
    """Add one person to `unit`'s roster (same rules as an import row)."""
    if unit.archived_at is not None:
        raise _field_error("unit", _("This unit is archived."))
    name, e164, code, problems = _clean_member(full_name, phone, role)
    if problems:
        raise ServiceError(_("Check the highlighted fields."), fields=problems)
    index = phone_index(e164)
    with transaction.atomic():
        if Member.objects.filter(unit=unit, phone_index=index, removed_at__isnull=True).exists():
            raise _field_error("phone", _("This phone is already on this unit's roster."), "duplicate")
        member = Member.objects.create(unit=unit, full_name=name, phone=e164, phone_index=index, role=code, added_by=actor)
        audit_record(actor=actor, action="orgs.member_add", obj=member, ip=ip, data={"unit_id": unit.pk})
    return member


def member_remove(*, actor: Account, member: Member, ip: str = "") -> Member:
    """Take a member off the roster (kept, with removed_at, for the history of counts)."""
    if member.removed_at is not None:
        return member
    with transaction.atomic():
        member.removed_at = timezone.now()
        member.save(update_fields=["removed_at"])
        audit_record(actor=actor, action="orgs.member_remove", obj=member, ip=ip, data={"unit_id": member.unit_id})
    return member


# --- linking and confirmation ------------------------------------------------------------


def members_link_for_account(*, account: Account) -> int:
    """Link roster lines with the citizen's phone to their account (and "self" person).

    Lines the citizen declined stay declined: they are asked once. Returns how many were linked.
    """
    if account.role != Role.CITIZEN or not account.phone_index:
        return 0
    with transaction.atomic():
        pending = list(
            Member.objects.select_for_update().filter(
                phone_index=account.phone_index, account__isnull=True, removed_at__isnull=True, declined_at__isnull=True
            )
        )
        if not pending:
            return 0
        self_row = HouseholdMembership.objects.filter(owner=account, relation="self").first()
        now = timezone.now()
        for member in pending:
            member.account = account
            member.person_id = self_row.person_id if self_row else None
            member.linked_at = now
        Member.objects.bulk_update(pending, ["account", "person", "linked_at"])
        audit_record(actor=account, action="orgs.members_link", obj=account, data={"member_ids": [m.pk for m in pending]})
    return len(pending)


def members_attach_self(*, account: Account, person_id: int) -> int:
    """Point the account's roster lines that have no person yet at its new "self" person.

    A member may confirm before adding themselves to their household; without this their
    declarations would never count for their unit. Called by the household service in the
    same transaction that creates the "self" entry.
    """
    return Member.objects.filter(
        account=account, person__isnull=True, removed_at__isnull=True, declined_at__isnull=True
    ).update(person_id=person_id)


def membership_confirm(*, actor: Account, member: Member, ip: str = "") -> Member:
    """The citizen confirms a linked membership (once; a decided one cannot be changed here)."""
    if member.confirmed_at is not None or member.declined_at is not None:
        raise ServiceError(_("You have already answered for this membership."), code="already_answered", status=409)
    with transaction.atomic():
        member.confirmed_at = timezone.now()
        if member.person_id is None:
            self_row = HouseholdMembership.objects.filter(owner=actor, relation="self").first()
            member.person_id = self_row.person_id if self_row else None
        member.save(update_fields=["confirmed_at", "person"])
        audit_record(actor=actor, action="orgs.membership_confirm", obj=member, ip=ip)
    return member


def membership_decline(*, actor: Account, member: Member, ip: str = "") -> Member:
    """The citizen says the roster line is not them: unlinked, and the admin sees "declined"."""
    if member.confirmed_at is not None or member.declined_at is not None:
        raise ServiceError(_("You have already answered for this membership."), code="already_answered", status=409)
    with transaction.atomic():
        member.declined_at = timezone.now()
        member.account = None
        member.person = None
        member.save(update_fields=["declined_at", "account", "person"])
        audit_record(actor=actor, action="orgs.membership_decline", obj=member, ip=ip)
    return member


# --- campaigns ---------------------------------------------------------------------------


def _campaign_fields(
    *, name: str, starts_on: date | None, deadline: date | None, target_declared: bool,
    target_updated_daily: bool, reminder_policy: str,
) -> dict[str, Any]:
    problems: dict[str, str] = {}
    clean = ""
    try:
        clean = _clean_name(name)
    except ServiceError as exc:
        problems.update(exc.fields)
    if starts_on is None:
        problems["starts_on"] = _("Enter the start date.")
    if deadline is None:
        problems["deadline"] = _("Enter the deadline.")
    if starts_on and deadline and deadline < starts_on:
        problems["deadline"] = _("The deadline cannot be before the start.")
    if not (target_declared or target_updated_daily):
        problems["target_declared"] = _("Choose at least one target.")
    if reminder_policy not in ReminderPolicy.values:
        problems["reminder_policy"] = _("Choose a reminder policy.")
    if problems:
        raise ServiceError(_("Check the highlighted fields."), fields=problems)
    return {
        "name": clean, "starts_on": starts_on, "deadline": deadline, "target_declared": target_declared,
        "target_updated_daily": target_updated_daily, "reminder_policy": reminder_policy,
    }


def campaign_create(
    *, actor: Account, unit: OrgUnit, name: str, starts_on: date | None, deadline: date | None,
    target_declared: bool = True, target_updated_daily: bool = True,
    reminder_policy: str = ReminderPolicy.IN_APP, ip: str = "",
) -> Campaign:
    """A campaign over `unit`'s subtree."""
    if unit.archived_at is not None:
        raise _field_error("unit", _("This unit is archived."))
    values = _campaign_fields(
        name=name, starts_on=starts_on, deadline=deadline, target_declared=target_declared,
        target_updated_daily=target_updated_daily, reminder_policy=reminder_policy,
    )
    if values["deadline"] < timezone.localdate():
        raise _field_error("deadline", _("The deadline is already past."))
    with transaction.atomic():
        campaign = Campaign.objects.create(unit=unit, created_by=actor, **values)
        audit_record(actor=actor, action="orgs.campaign_create", obj=campaign, ip=ip, data={"unit_id": unit.pk})
    return campaign


def campaign_update(
    *, actor: Account, campaign: Campaign, name: str, starts_on: date | None, deadline: date | None,
    target_declared: bool, target_updated_daily: bool, reminder_policy: str, ip: str = "",
) -> Campaign:
    """Change a campaign that is not archived."""
    if campaign.archived_at is not None:
        raise ServiceError(_("This campaign is archived."), code="archived", status=409)
    values = _campaign_fields(
        name=name, starts_on=starts_on, deadline=deadline, target_declared=target_declared,
        target_updated_daily=target_updated_daily, reminder_policy=reminder_policy,
    )
    with transaction.atomic():
        for key, value in values.items():
            setattr(campaign, key, value)
        campaign.save(update_fields=list(values))
        audit_record(actor=actor, action="orgs.campaign_update", obj=campaign, ip=ip)
    return campaign


def campaign_archive(*, actor: Account, campaign: Campaign, ip: str = "") -> Campaign:
    if campaign.archived_at is not None:
        return campaign
    with transaction.atomic():
        campaign.archived_at = timezone.now()
        campaign.save(update_fields=["archived_at"])
        audit_record(actor=actor, action="orgs.campaign_archive", obj=campaign, ip=ip)
    return campaign


def staff_password_set(*, account: Account, password: str, ip: str = "") -> None:
    """Set a staff password from the one-time link (validated by the caller's form)."""
    with transaction.atomic():
        account.set_password(password)
        account.save(update_fields=["password"])
        audit_record(actor=account, action="account.password_set", obj=account, ip=ip)
