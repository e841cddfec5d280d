"""Roster imports (nhập danh sách): a file of members read by `orgs.roster`, checked row by row,
and upserted into the roster of a unit and the units below it.

One import is one transaction and leaves one audit event and one RosterImport record (with an
encrypted error CSV of the refused rows) in it. Callers pass a unit they obtained through
`orgs.access` (so scope is already checked); a unit named in a row is checked here against that
unit's subtree. A row is cleaned by the same rules as a member added by hand
(`members.member_fields_clean`). Audit data holds ids and counts only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO

from django.core.files import File
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.core import rowsql
from khaibao.core.errors import ServiceError
from khaibao.exports.cells import csv_cell
from khaibao.orgs import admin_limits
from khaibao.orgs.access import subtree_q
from khaibao.orgs.members import member_fields_clean
from khaibao.orgs.models import Member, OrgUnit, RosterImport
from khaibao.orgs.roster import RosterRow, read_roster


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[RosterRow, str]] = field(default_factory=list)
    record: RosterImport | None = None


# Rows per INSERT and UPDATE statement, phones per locking SELECT and unit names per look-up: an
# import of N rows sends O(N / _BATCH) statements (SQLite's bound on parameters makes an INSERT
# smaller there). 20,000 rows at most (roster.MAX_ROWS): a few dozen statements.
_BATCH = 1000


@dataclass
class _Accepted:
    """A row that passed every check: what it writes, and where."""

    name: str
    e164: str
    role: str
    unit: OrgUnit
    index: str


def _units_named(unit: OrgUnit, rows: list[RosterRow]) -> dict[str, list[OrgUnit]]:
    """The units of `unit`'s subtree (archived ones included) that the rows' unit cells name,
    keyed by the name as `_resolve_unit` reads it: a path if it has a "/", else a code.

    One query per _BATCH distinct names, never the whole subtree (5,000 units at the top). A cell
    with a NUL character names no unit (`_resolve_unit` says why) and is left out of the query:
    PostgreSQL refuses NUL in any text, and the whole import would be a 500."""
    names = {row.unit.strip().strip("/") for row in rows} - {""}
    names = {n for n in names if "\x00" not in n}
    paths = sorted(n for n in names if "/" in n)
    codes = sorted(n for n in names if "/" not in n)
    found: dict[int, OrgUnit] = {}
    for start in range(0, max(len(paths), len(codes)), _BATCH):
        named = Q(path__in=paths[start : start + _BATCH]) | Q(code__in=codes[start : start + _BATCH])
        found.update((u.pk, u) for u in OrgUnit.objects.filter(subtree_q(unit.path)).filter(named))
    wanted_paths, wanted_codes = set(paths), set(codes)
    by_name: dict[str, list[OrgUnit]] = {}
    for u in found.values():
        if u.path in wanted_paths:
            by_name.setdefault(u.path, []).append(u)
        if u.code in wanted_codes:
            by_name.setdefault(u.code, []).append(u)
    return by_name


def _resolve_unit(text: str, default: OrgUnit, units: dict[str, list[OrgUnit]]) -> OrgUnit | str:
    text = text.strip().strip("/")
    if not text:
        return default
    if "\x00" in text:
        return _("This text contains an invalid character. Please type it again.")
    matches = units.get(text, [])
    if len(matches) > 1:  # a code (paths are unique)
        return _("Several units have this code; write the unit's path instead.")
    if not matches:
        return _("This unit is not in your organisation.")
    if matches[0].archived_at is not None:
        return _("This unit is archived.")
    return matches[0]


def _check_rows(rows: list[RosterRow], unit: OrgUnit, result: RosterResult) -> list[_Accepted]:
    """The rows that may be written, in file order; the others go to `result.errors` with their
    reasons (a phone repeated in the file: every row after the first good one with it)."""
    units = _units_named(unit, rows)
    seen: dict[str, int] = {}
    accepted: list[_Accepted] = []
    for row in rows:
        name, e164, role, problems = member_fields_clean(row.full_name, row.phone, row.role)
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
        accepted.append(_Accepted(name, e164, role, target, index))
    return accepted


def _lock_imports_above(unit: OrgUnit) -> str:
    """Imports into overlapping subtrees (the same unit, or a unit and one below it) run one after
    the other; imports into disjoint subtrees (two provinces) run at the same time. Returns the
    unit's path as it is now: the caller's copy may predate a move, and nothing moves it until commit.

    Each import locks the chain from the tree's top unit down to its own unit, top down: FOR SHARE
    on the units strictly above it, FOR NO KEY UPDATE on its own unit. Two FOR SHARE locks do not
    conflict, so imports that meet only above their units (at the top, at a province) pass each
    other; FOR SHARE conflicts with FOR NO KEY UPDATE, so of an import into a unit and one into a
    unit below it, whichever comes second waits at the higher unit. Each lock is taken in path order
    along one chain and two chains share a prefix, so two imports never deadlock. (Before, every
    unit of the chain was FOR NO KEY UPDATE: every import of an organisation met at its top unit
    and a national organisation's provinces imported one at a time.)

    The top unit is locked first and alone (its path never changes; the rest of the chain is read
    after it): its FOR SHARE conflicts with the FOR NO KEY UPDATE that unit moves and creates take
    on it (services._lock_tree), so no path changes under an import — a move or create waits for
    the imports in flight in its organisation, and they for it. Not FOR KEY SHARE above: it does
    not conflict with FOR NO KEY UPDATE, so nested imports would not wait for each other. Members
    added, moved or linked meanwhile take FOR KEY SHARE on their unit (their foreign key), which
    conflicts with neither. SQLite has no row locks and runs one writer at a time."""
    top = unit.path.split("/", 1)[0]
    postgres = connection.vendor == "postgresql"
    if postgres and unit.path != top:
        _lock_for_share([top])
    path = OrgUnit.objects.values_list("path", flat=True).get(pk=unit.pk)
    parts = path.split("/")
    between = ["/".join(parts[: depth + 1]) for depth in range(1, len(parts) - 1)]
    if postgres and between:
        _lock_for_share(between)
    list(OrgUnit.objects.select_for_update(no_key=True).filter(pk=unit.pk).values_list("pk"))
    return path


def _lock_for_share(paths: list[str]) -> None:
    # Django's select_for_update has no FOR SHARE.
    table, column = connection.ops.quote_name(OrgUnit._meta.db_table), connection.ops.quote_name("path")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = ANY(%s) ORDER BY {column} FOR SHARE", [paths])  # noqa: S608
        cursor.fetchall()


def _lines_with_phones(unit: OrgUnit, indexes: list[str], *, lock: bool) -> dict[str, list[Member]]:
    """The active lines of `unit`'s subtree with one of these phone indexes; locked with `lock`."""
    existing: dict[str, list[Member]] = {}
    lines = Member.objects.select_for_update(of=("self",)) if lock else Member.objects.all()
    for start in range(0, len(indexes), _BATCH):
        for line in (
            lines.filter(subtree_q(unit.path, field="unit__path"), removed_at__isnull=True)
            .filter(phone_index__in=indexes[start : start + _BATCH])
            .only("pk", "unit_id", "full_name", "role", "phone_index")
            .order_by("pk")
        ):
            existing.setdefault(line.phone_index, []).append(line)
    return existing


class _LinesChanged(Exception):
    """A line the import read without a lock changed before it was locked: import again, locking."""


def _lock_changed(changed: list[tuple[Member, tuple[int, str, str]]]) -> None:
    """Lock the lines the import will update and check they are still as it read them (active, the
    same phone, unit, name and role). Only these lines stay locked until commit, and only from
    here: a sign-in or a confirmation of any other line in the file does not wait for the import.
    The rest need no lock: a line the import leaves unchanged and someone removes meanwhile ends as
    if the removal came after the import, and new lines are invisible until commit."""
    for start in range(0, len(changed), _BATCH):
        batch = changed[start : start + _BATCH]
        now = {
            pk: (unit_id, name, role, index)
            for pk, unit_id, name, role, index in Member.objects.select_for_update(no_key=True)
            .filter(pk__in=[m.pk for m, _before in batch], removed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "unit_id", "full_name", "role", "phone_index")
        }
        if any(now.get(m.pk) != (*before, m.phone_index) for m, before in batch):
            raise _LinesChanged


def roster_import(*, actor: Account, unit: OrgUnit, filename: str, handle: IO[bytes] | File, size: int, ip: str = "") -> RosterResult:
    """Import a roster for `unit`'s subtree.

    A row names its unit by code or path (empty: `unit`). Valid rows are upserted with key
    (unit, phone index); a phone already on the roster in another unit of the subtree moves
    that member (an update, not a second member). Invalid rows and repeated phones are
    reported with a reason and written to an encrypted error CSV. The file is processed
    synchronously and refused above MAX_ROWS rows, and beyond ORG_ROSTER_IMPORTS_PER_HOUR imports per
    admin and hour (orgs/admin_limits.py); the database sees O(rows / _BATCH)
    statements. Imports into disjoint subtrees run at the same time (`_lock_imports_above`); of
    the roster lines, only those the import updates are locked, from their update to commit
    (`_lock_changed`). One transaction: all or nothing.
    """
    if unit.archived_at is not None:
        raise ServiceError.for_field("unit", _("This unit is archived."))
    admin_limits.roster_import_count(actor, ip)
    rows = read_roster(filename, handle, size)
    checked = RosterResult()
    accepted = _check_rows(rows, unit, checked)
    try:
        return _write(actor, unit, filename, rows, checked, accepted, lock_lines=False, ip=ip)
    except _LinesChanged:
        # Rare (a line of the file removed or erased in the moment between the read and the
        # lock): nothing was kept; the same import again, its lines locked as it reads them.
        return _write(actor, unit, filename, rows, checked, accepted, lock_lines=True, ip=ip)


def _write(
    actor: Account, unit: OrgUnit, filename: str, rows: list[RosterRow], checked: RosterResult,
    accepted: list[_Accepted], *, lock_lines: bool, ip: str,
) -> RosterResult:
    result = RosterResult(errors=list(checked.errors))
    now = timezone.now()
    with transaction.atomic():
        path = _lock_imports_above(unit)
        if path != unit.path:  # moved since the caller read it: the rows against the tree as it is now
            unit.path = path
            result.errors = []
            accepted = _check_rows(rows, unit, result)
        existing = _lines_with_phones(unit, [a.index for a in accepted], lock=lock_lines)
        new: list[Member] = []
        changed: list[tuple[Member, tuple[int, str, str]]] = []
        for a in accepted:
            candidates = existing.get(a.index, [])
            match = next((m for m in candidates if m.unit_id == a.unit.pk), None)
            if match is None and len(candidates) == 1:
                match = candidates[0]  # in another unit of the subtree: it moves
            if match is None:
                new.append(Member(
                    unit=a.unit, full_name=a.name, phone=a.e164, phone_index=a.index, role=a.role, added_by=actor, created_at=now
                ))
            elif (match.full_name, match.role, match.unit_id) == (a.name, a.role, a.unit.pk):
                result.unchanged += 1
            else:
                changed.append((match, (match.unit_id, match.full_name, match.role)))
                match.full_name, match.role, match.unit = a.name, a.role, a.unit
        Member.objects.bulk_create(new, batch_size=_BATCH)
        _lock_changed(changed)
        # Not bulk_update: its CASE WHEN per row and column costs ~1 ms of Python a row (4 s for
        # 4,000 rows); the same UPDATE for each row, pipelined by psycopg, one call per batch.
        for start in range(0, len(changed), _BATCH):
            rowsql.update_many([m for m, _before in changed[start : start + _BATCH]], ["full_name", "role", "unit_id"])
        result.created, result.updated = len(new), len(changed)
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
