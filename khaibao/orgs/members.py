"""Writes for an organisation's members one at a time: a member added or removed by hand, and
the link between a roster line and the citizen who signs in with its phone (confirmed once, or
declined). Roster imports are in `orgs.roster_import`; they clean each row with
`member_fields_clean` here.

Every function runs in one transaction and leaves one audit event in it. Callers pass objects
they obtained through `orgs.access` (so scope is already checked). Audit data holds ids and
counts only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import normalise_vn_phone, phone_index
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.orgs.models import Member, MemberRole, OrgUnit
from khaibao.orgs.roster import parse_role
from khaibao.people import validators as v
from khaibao.people.models import HouseholdMembership

# --- members -----------------------------------------------------------------------------


def member_fields_clean(full_name: str, phone: str, role: str) -> tuple[str, str, str, dict[str, str]]:
    """A member's name, E.164 phone and role code as typed (by hand or on a roster row), cleaned:
    `(name, e164, role, problems)`, with the reason for each field that is refused in `problems`."""
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


def member_add(
    *, actor: Account, unit: OrgUnit, full_name: str, phone: str, role: str = MemberRole.OTHER, ip: str = ""
) -> Member:
    """Add one person to `unit`'s roster (same rules as an import row)."""
    if unit.archived_at is not None:
        raise ServiceError.for_field("unit", _("This unit is archived."))
    name, e164, code, problems = member_fields_clean(full_name, phone, role)
    if problems:
        raise ServiceError(_("Check the highlighted fields."), fields=problems)
    index = phone_index(e164)
    with transaction.atomic():
        if Member.objects.filter(unit=unit, phone_index=index, removed_at__isnull=True).exists():
            raise ServiceError.for_field("phone", _("This phone is already on this unit's roster."), "duplicate")
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


def _lock_unanswered(member: Member) -> None:
    """Lock the line and refuse it if it is already answered. The caller's copy was read before
    the transaction: a confirmation and a decline sent at the same moment would both pass a check
    on it and leave the line both confirmed and declined; the second one waits here instead and
    then sees the first's answer."""
    answered = (
        Member.objects.select_for_update()
        .filter(pk=member.pk)
        .values_list("confirmed_at", "declined_at")
        .first()
    )
    if answered is None or any(answered):
        raise ServiceError(_("You have already answered for this membership."), code="already_answered", status=409)


def membership_confirm(*, actor: Account, member: Member, ip: str = "") -> Member:
    """The citizen confirms a linked membership. Final: a decided line cannot be changed — the
    faces say so before the member answers (the web's confirmation page, the API's docs)."""
    with transaction.atomic():
        _lock_unanswered(member)
        member.confirmed_at = timezone.now()
        if member.person_id is None:
            self_row = HouseholdMembership.objects.filter(owner=actor, relation="self").first()
            member.person_id = self_row.person_id if self_row else None
        member.save(update_fields=["confirmed_at", "person"])
        audit_record(actor=actor, action="orgs.membership_confirm", obj=member, ip=ip)
    return member


def membership_decline(*, actor: Account, member: Member, ip: str = "") -> Member:
    """The citizen says the roster line is not them: unlinked, and the admin sees "declined".
    Final, as a confirmation is; the citizen still finds the line by their phone
    (selectors.declined_memberships)."""
    with transaction.atomic():
        _lock_unanswered(member)
        member.declined_at = timezone.now()
        member.account = None
        member.person = None
        member.save(update_fields=["declined_at", "account", "person"])
        audit_record(actor=actor, action="orgs.membership_decline", obj=member, ip=ip)
    return member
