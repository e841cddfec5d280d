"""Writes for an organisation's tree: units (create, rename, move, archive) and their sub-admins.

Campaigns: campaigns.py; roster imports: roster_import.py; members one by one: members.py; what a
name may be: names.py.
Every function runs in one transaction and leaves one audit event in it. Callers pass objects
they obtained through `orgs.access` (so scope is already checked); ids inside the payload (a
new parent) are checked here against the actor's subtree.
Audit data holds ids and counts only — never names or phones.
"""

from __future__ import annotations

import re

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.orgs.access import below_q, units_visible
from khaibao.orgs.models import Member, OrgUnit
from khaibao.orgs.names import clean_name, clean_unit_name

_CODE = re.compile(r"[A-Za-z0-9_-]{1,50}")
_USERNAME = re.compile(r"[\w.@+-]{3,150}")


def _usable_unit(actor: Account, unit_id: int | None, *, name: str, lock: bool = False) -> OrgUnit:
    units = units_visible(actor).select_for_update() if lock else units_visible(actor)
    unit = units.filter(pk=unit_id).first() if unit_id is not None else None
    if unit is None:
        raise ServiceError.for_field(name, _("Choose a unit of your organisation."))
    if unit.archived_at is not None:
        raise ServiceError.for_field(name, _("This unit is archived."))
    return unit


def _lock_tree(unit: OrgUnit) -> None:
    """Changes to the shape of one organisation's tree (a unit created or moved) run one after the
    other: each locks the tree's top unit first, whose path no admin can change. Locking only the
    units concerned is not enough — a move rewrites the paths of the units below it as it read
    them, so a unit put under one of them meanwhile, or created there, would keep the old path.
    FOR NO KEY UPDATE: rows that merely point at the top unit do not wait; roster imports take
    FOR SHARE on it (roster_import._lock_imports_above), which still conflicts — a move waits for the
    imports in flight, and they for it."""
    top = unit.path.split("/", 1)[0]
    list(OrgUnit.objects.select_for_update(no_key=True).filter(path=top).values_list("pk"))


def _fresh_unit(actor: Account, unit_id: int, *, name: str) -> OrgUnit:
    """The unit as it is now, locked, and still in the actor's subtree: the caller's copy was read
    before the transaction, and its path may have changed since (a move above it)."""
    unit = units_visible(actor).select_for_update().filter(pk=unit_id).first()
    if unit is None:
        raise ServiceError.for_field(name, _("Choose a unit of your organisation."))
    return unit


# --- units -------------------------------------------------------------------------------


def unit_create(*, actor: Account, parent: OrgUnit, code: str, name: str, ip: str = "") -> OrgUnit:
    """A child unit under `parent` (a unit of the actor's subtree); codes are unique among siblings."""
    code = (code or "").strip()
    if not _CODE.fullmatch(code):
        raise ServiceError.for_field("code", _("Use 1–50 letters, digits, - or _ (no spaces or slashes)."))
    clean = clean_unit_name(name)
    with transaction.atomic():
        _lock_tree(parent)
        parent = _fresh_unit(actor, parent.pk, name="parent")
        if parent.archived_at is not None:
            raise ServiceError.for_field("parent", _("This unit is archived."))
        if OrgUnit.objects.filter(path=f"{parent.path}/{code}").exists():
            raise ServiceError.for_field("code", _("Another unit here already has this code."), "duplicate")
        unit = OrgUnit.objects.create(code=code, name=clean, parent=parent)
        audit_record(actor=actor, action="orgs.unit_create", obj=unit, ip=ip, data={"parent_id": parent.pk})
    return unit


def unit_rename(*, actor: Account, unit: OrgUnit, name: str, ip: str = "") -> OrgUnit:
    """A new display name; the code (and so the path) stays."""
    clean = clean_unit_name(name)
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
        raise ServiceError.for_field("parent_id", _("You cannot move the unit you administer."))
    with transaction.atomic():
        _lock_tree(unit)
        unit = _fresh_unit(actor, unit.pk, name="unit")
        new_parent = _usable_unit(actor, new_parent_id, name="parent_id", lock=True)
        if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path + "/"):
            raise ServiceError.for_field(
                "parent_id", _("A unit cannot be moved under itself or one of its own units."), "cycle"
            )
        if new_parent.pk == unit.parent_id:
            return unit
        old_path = unit.path
        new_path = f"{new_parent.path}/{unit.code}"
        if OrgUnit.objects.filter(path=new_path).exists():
            raise ServiceError.for_field("parent_id", _("That unit already has a unit with this code."), "duplicate")
        descendants = list(OrgUnit.objects.select_for_update().filter(below_q(old_path)))
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


def unit_archive_refusal(*, actor: Account, unit: OrgUnit) -> ServiceError | None:
    """Why `unit_archive` refuses the unit now, or None: the one rule, asked by the service and by
    the console's confirmation page before it offers the button."""
    if unit.pk == actor.org_unit_id:
        return ServiceError.for_field("unit", _("You cannot archive the unit you administer."))
    if unit.archived_at is not None:
        return None
    if OrgUnit.objects.filter(parent=unit, archived_at__isnull=True).exists():
        return ServiceError.for_field("unit", _("Move or archive the units under this one first."), "has_children")
    if Member.objects.filter(unit=unit, removed_at__isnull=True).exists():
        return ServiceError.for_field("unit", _("Move or remove this unit's members first."), "has_members")
    return None


def unit_archive(*, actor: Account, unit: OrgUnit, ip: str = "") -> OrgUnit:
    """Archive an empty unit. No cascade: units and active members below must be moved or
    removed first, so nobody drops out of a roster by one click."""
    with transaction.atomic():
        # Locked before the check: a unit moved or created under it meanwhile (they lock it too)
        # either waits and then finds it archived, or is there when the check looks.
        unit.archived_at = OrgUnit.objects.select_for_update().values_list("archived_at", flat=True).get(pk=unit.pk)
        refusal = unit_archive_refusal(actor=actor, unit=unit)
        if refusal is not None:
            raise refusal
        if unit.archived_at is not None:
            return unit
        unit.archived_at = timezone.now()
        OrgUnit.objects.filter(pk=unit.pk).update(archived_at=unit.archived_at)
        audit_record(actor=actor, action="orgs.unit_archive", obj=unit, ip=ip)
    return unit


def unit_update(
    *, actor: Account, unit: OrgUnit, name: str | None = None, new_parent_id: int | None = None,
    archive: bool = False, ip: str = "",
) -> OrgUnit:
    """Rename, move and archive in that order, all or nothing: a refusal of a later step (a cycle,
    members left) leaves the name and its audit event as they were, as a 400 promises."""
    with transaction.atomic():
        if name is not None:
            unit = unit_rename(actor=actor, unit=unit, name=name, ip=ip)
        if new_parent_id is not None:
            unit = unit_move(actor=actor, unit=unit, new_parent_id=new_parent_id, ip=ip)
        if archive:
            unit = unit_archive(actor=actor, unit=unit, ip=ip)
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
        raise ServiceError.for_field("username", _("Use 3–150 letters, digits and . @ + - _ only."))
    display = clean_name(display_name, name="display_name", max_length=150) if display_name.strip() else ""
    if unit.archived_at is not None:
        raise ServiceError.for_field("unit", _("This unit is archived."))
    with transaction.atomic():
        if Account.objects.filter(username__iexact=username).exists():
            raise ServiceError.for_field("username", _("This username is taken."), "duplicate")
        account = Account.objects.create_user(username, None, display_name=display, role=Role.ORG_ADMIN, org_unit=unit)
        audit_record(actor=actor, action="orgs.subadmin_invite", obj=account, ip=ip, data={"unit_id": unit.pk})
    return account, set_password_path(account)


def staff_password_set(*, account: Account, password: str, ip: str = "") -> None:
    """Set a staff password from the one-time link (validated by the caller's form)."""
    with transaction.atomic():
        account.set_password(password)
        account.save(update_fields=["password"])
        audit_record(actor=account, action="account.password_set", obj=account, ip=ip)
