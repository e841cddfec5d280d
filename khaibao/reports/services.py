"""Writing citizen reports (phản ánh) and the officials' handling of them."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account, Role
from khaibao.audit.services import audit_record
from khaibao.cases.services import case_assign
from khaibao.core import crypto
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.core.hotlines import hotline_params
from khaibao.core.http import rate_key_of
from khaibao.monitoring.assessment import person_contact_flag
from khaibao.people.access import visible_people
from khaibao.people.models import Person
from khaibao.places.box import in_viet_nam
from khaibao.places.selectors import ward_known
from khaibao.reports import pow as proof_of_work
from khaibao.reports.models import (
    PERSON_CATEGORIES,
    Category,
    Report,
    ReportNote,
    ReportPhoto,
    ReportReply,
    ReportStatus,
    ReportStatusChange,
)
from khaibao.reports.photos import MAX_PHOTOS, CleanPhoto, PhotoRejected, photo_clean, photo_relative_path
from khaibao.tracing import services as tracing

MAX_DESCRIPTION = 2000
MAX_ADDRESS = 300
MAX_TEXT = 2000
RATE_WINDOW_SECONDS = 3600

# Where an official may move a report; a closed report may be reopened for verification.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.RECEIVED: frozenset({ReportStatus.VERIFYING, ReportStatus.HANDLED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.VERIFYING: frozenset({ReportStatus.HANDLED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.HANDLED: frozenset({ReportStatus.VERIFYING}),
    ReportStatus.REJECTED: frozenset({ReportStatus.VERIFYING}),
    ReportStatus.DUPLICATE: frozenset({ReportStatus.VERIFYING}),
}


@dataclass(frozen=True)
class ReportInput:
    category: str
    ward_code: int | None
    address: str
    description: str
    happened_at: datetime | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class PhotoUpload:
    name: str
    content_type: str
    data: bytes


def tracking_hash(code: str) -> str:
    """The stored form of a tracking code (codes are case- and separator-insensitive)."""
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normal.encode()).hexdigest()


def _new_tracking_code() -> str:
    # 10 base32 characters = 50 random bits: unguessable at the rate limits we allow.
    return base64.b32encode(secrets.token_bytes(10)).decode()[:10]


def _clean(data: ReportInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.category not in Category.values:
        errors["category"] = _("Choose what the report is about from the list.")
    code = data.ward_code
    if code is None:
        errors["ward_code"] = _("Choose the ward where it happened.")
    elif not ward_known(code):
        errors["ward_code"] = _("This ward does not exist. Choose a ward from the list.")
    address = (data.address or "").strip()
    if not address:
        errors["address"] = _("Give the address or a description of the place.")
    elif len(address) > MAX_ADDRESS:
        errors["address"] = _("Keep the address under %(n)d characters.") % {"n": MAX_ADDRESS}
    description = (data.description or "").strip()
    if not description:
        errors["description"] = _("Say what happened.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("Keep it under %(n)d characters.") % {"n": MAX_DESCRIPTION}
    if data.happened_at is None:
        errors["happened_at"] = _("Give the date and time it happened.")
    # A time without an offset means Vietnam's time (the API promises it); compare aware times.
    elif as_aware(data.happened_at) > timezone.now() + timedelta(minutes=5):
        errors["happened_at"] = _("The date and time cannot be in the future.")
    errors.update(point_errors(data.lat, data.lon))
    return errors


def point_errors(lat: float | None, lon: float | None) -> dict[str, str]:
    """The field messages for an optional map point (none when it is fine): both or neither,
    and inside Viet Nam's bounding box (places.box). The web form shows them beside its fields before
    submitting; report_submit applies the same rule.
    """
    if (lat is None) != (lon is None):
        return {"lat": _("Give both latitude and longitude, or neither.")}
    if lat is not None and lon is not None and not in_viet_nam(lat, lon):
        return {"lat": _("This point is not in Viet Nam.")}
    return {}


def as_aware(value: datetime) -> datetime:
    """A naive date and time is Viet Nam's local time."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def date_time_join(day: Any, at: time | None) -> datetime:
    return as_aware(datetime.combine(day, at or time(0, 0)))


def _rate_keys(*, actor: Account | None, ip: str) -> list[tuple[str, int]]:
    """The counters a report is charged to, with their limits: the account and its phone for a
    signed-in citizen, always the address — an IPv6 caller's /64 (`rate_key_of`) — as a keyed
    hash, in the cache for the window only."""
    keys: list[tuple[str, int]] = []
    if actor is not None:
        keys.append((f"report:account:{actor.pk}", settings.REPORT_RATE_PER_ACCOUNT))
        if actor.phone_index:
            keys.append((f"report:phone:{actor.phone_index}", settings.REPORT_RATE_PER_PHONE))
    ip_key = crypto.blind_index(rate_key_of(ip or "unknown"), purpose="report-ip")[:32]
    keys.append((f"report:ip:{ip_key}", settings.REPORT_RATE_PER_IP))
    return keys


def _rate_check(keys: list[tuple[str, int]]) -> None:
    """Refuse when a counter is at its limit. Only accepted reports are counted (`_rate_count`
    after the write): a refused photo or a typo must not lock a citizen out for an hour."""
    _hits, counts = ratelimit.hits_and_counts(peek=[key for key, _limit in keys], window_seconds=RATE_WINDOW_SECONDS)
    if any(count >= limit for count, (_key, limit) in zip(counts, keys, strict=True)):
        raise RateLimited(
            _("Too many reports in a short time. Try again in an hour, or call the hotline %(hotline)s.") % hotline_params(),
            retry_after=RATE_WINDOW_SECONDS,
        )


def _rate_count(keys: list[tuple[str, int]]) -> None:
    # After the outermost commit: a cache counter does not roll back, and a report the caller's
    # transaction rolls back (the losing twins of one Idempotency-Key or submission key, a 5xx)
    # was never accepted. Robust: the report is stored by then, and a failing cache must not turn
    # it into an error the client would answer by sending it again.
    transaction.on_commit(
        lambda: ratelimit.hits_and_counts(hit=[key for key, _limit in keys], window_seconds=RATE_WINDOW_SECONDS),
        robust=True,
    )


def _clean_photos(photos: list[PhotoUpload]) -> list[CleanPhoto]:
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(
            _("Some fields are not valid."),
            fields={"photos": _("Attach at most %(n)d photos.") % {"n": MAX_PHOTOS}},
        )
    clean = []
    for photo in photos:
        try:
            clean.append(photo_clean(name=photo.name, content_type=photo.content_type, data=photo.data))
        except PhotoRejected as exc:
            raise ServiceError(_("Some fields are not valid."), fields={"photos": exc.message}) from None
    return clean


def _store_photos(report: Report, photos: list[CleanPhoto], written: list[Path]) -> None:
    root = Path(settings.REPORT_MEDIA_ROOT)
    for photo in photos:
        relative = photo_relative_path(report.pk, photo.extension)
        target = root / relative
        _write_new(target, photo.data)
        written.append(target)
        ReportPhoto.objects.create(
            report=report, path=relative, content_type=photo.content_type, size=len(photo.data),
            width=photo.width, height=photo.height,
        )


def _write_new(target: Path, data: bytes) -> None:
    for attempt in range(2):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_bytes(data)
            return
        except FileNotFoundError:
            # The orphan sweep (reports/cleanup.py) removed the directory, empty and untouched for
            # an hour, between the two lines: on SQLite a rolled-back report's id is given again.
            if attempt:
                raise


def report_submit(
    *,
    actor: Account | None,
    data: ReportInput,
    photos: list[PhotoUpload] | None = None,
    pow_payload: str = "",
    ip: str = "",
) -> tuple[Report, str]:
    """Record a citizen's report; returns (report, tracking code) — the code is shown once.

    `actor` is the signed-in citizen, or None for an anonymous report, which must carry a
    solved proof-of-work challenge and keeps no identity: no account, no IP (`ip` only feeds
    the rate limits' cache). Photos are checked by content and re-encoded without metadata.
    Bad input raises ServiceError with field messages and writes nothing; the rate limits are
    asked before the photos are decoded, and only accepted reports count against them (per
    account, per phone and per address), once the caller's transaction commits. The proof of work
    is spent with the report's row, so a refused or rolled-back report can be sent again with the
    same solution. Photo files are written before the commit (a committed row always has its
    file); those of a failed write are deleted here, and those of a report the caller's own
    transaction rolls back (or a process killed before the commit) by the orphan sweep
    (reports/cleanup.py) about an hour later.
    """
    if actor is not None and actor.role != Role.CITIZEN:
        raise ServiceError(_("Reports are sent from a citizen account."), code="citizens_only", status=403)
    errors = _clean(data)
    pow_hash = None
    if actor is None and not errors:
        # Checked here, spent only with the write (Report.pow_hash): a refused photo, the rate
        # limit or a failed transaction must leave the solution for the retry.
        pow_hash = proof_of_work.solution_key(pow_payload)
        if pow_hash is None:
            errors["pow"] = _("The anti-spam check was not completed. Wait for it to finish and send again.")
        elif Report.objects.filter(pow_hash=pow_hash).exists():
            errors["pow"] = _pow_spent_message()
    if errors:
        raise ServiceError(_("Some fields are not valid."), fields=errors)
    # The rate limit before the photos: decoding them is the costly part, and a citizen past the
    # limit must not get it for free. It counts accepted reports only (_rate_count after the write).
    rate_keys = _rate_keys(actor=actor, ip=ip)
    _rate_check(rate_keys)
    clean_photos = _clean_photos(photos or [])
    written: list[Path] = []
    try:
        with transaction.atomic():
            report, code = _report_create(actor=actor, data=data, pow_hash=pow_hash)
            _store_photos(report, clean_photos, written)
            audit_record(
                actor=actor, action="report.submit", obj=report,
                ip=ip if actor is not None else "",
                data={"category": report.category, "anonymous": actor is None, "photos": len(clean_photos)},
            )
    except BaseException:
        # Only this block's failure is seen here: no hook tells of the caller's rollback.
        for path in written:
            path.unlink(missing_ok=True)
        raise
    _rate_count(rate_keys)
    return report, code


def _pow_spent_message() -> str:
    # Most often the same form sent twice (a double tap, the back button): say so, not "not completed".
    return _("A report was already sent with this anti-spam check. To send another one, wait for a new check to finish and send again.")


def _report_create(*, actor: Account | None, data: ReportInput, pow_hash: str | None) -> tuple[Report, str]:
    assert data.happened_at is not None
    assert data.ward_code is not None
    for _attempt in range(3):
        code = _new_tracking_code()
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    category=data.category, ward_id=data.ward_code, address=data.address.strip(),
                    lat=data.lat, lon=data.lon, description=data.description.strip(),
                    happened_at=as_aware(data.happened_at), reporter=actor,
                    tracking_hash=tracking_hash(code), pow_hash=pow_hash,
                )
            return report, code
        except IntegrityError:
            # The same solution sent twice at once: the other report committed first with it.
            if pow_hash is not None and Report.objects.filter(pow_hash=pow_hash).exists():
                raise ServiceError(_("Some fields are not valid."), fields={"pow": _pow_spent_message()}) from None
            continue  # pragma: no cover — a 50-bit collision of tracking codes
    raise IntegrityError("no free tracking code in three draws")  # pragma: no cover


def _official(actor: Any) -> Account:
    if getattr(actor, "role", None) != Role.OFFICIAL:
        raise ServiceError(_("Only health officials handle reports."), code="officials_only", status=403)
    return actor  # type: ignore[no-any-return]


@transaction.atomic
def report_status_change(
    *, actor: Any, report: Report, status: str, duplicate_of: Report | None = None, ip: str = ""
) -> Report:
    """Move `report` along received → verifying → handled | rejected | duplicate (of
    `duplicate_of`, another report the official can see — found by the caller through the
    selectors). Writes a ReportStatusChange row and an audit event.
    """
    actor = _official(actor)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if status not in ReportStatus.values:
        raise ServiceError(_("Some fields are not valid."), fields={"status": _("Choose a status from the list.")})
    if status not in TRANSITIONS[report.status]:
        raise ServiceError(
            _("A report that is “%(from)s” cannot become “%(to)s”.")
            % {"from": ReportStatus(report.status).label, "to": ReportStatus(status).label},
            code="invalid_transition", fields={"status": _("Not possible from the current status.")}, status=409,
        )
    if status == ReportStatus.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == report.pk:
            raise ServiceError(
                _("Some fields are not valid."),
                fields={"duplicate_of": _("Give the number of the other report this one repeats.")},
            )
        report.duplicate_of = duplicate_of
    else:
        report.duplicate_of = None
    previous = report.status
    report.status = status
    report.save(update_fields=["status", "duplicate_of", "updated_at"])
    ReportStatusChange.objects.create(report=report, from_status=previous, to_status=status, actor=actor)
    audit_record(
        actor=actor, action="report.status", obj=report, ip=ip,
        data={"from": previous, "to": status, "duplicate_of": report.duplicate_of_id},
    )
    return report


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Some fields are not valid."), fields={"text": _("Write something first.")})
    if len(text) > MAX_TEXT:
        raise ServiceError(
            _("Some fields are not valid."), fields={"text": _("Keep it under %(n)d characters.") % {"n": MAX_TEXT}}
        )
    return text


@transaction.atomic
def report_note_add(*, actor: Any, report: Report, text: str, ip: str = "") -> ReportNote:
    """Add an official's internal note (never shown to the reporter)."""
    actor = _official(actor)
    note = ReportNote.objects.create(report=report, author=actor, text=_clean_text(text))
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    audit_record(actor=actor, action="report.note", obj=report, ip=ip, data={"note_id": note.pk})
    return note


@transaction.atomic
def report_reply_add(*, actor: Any, report: Report, text: str, ip: str = "") -> ReportReply:
    """Add a reply the reporter sees (in their account or through the tracking code); a
    signed-in reporter is notified (REPORT_REPLIED_HOOKS), an anonymous one follows the code."""
    actor = _official(actor)
    reply = ReportReply.objects.create(report=report, author=actor, text=_clean_text(text))
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    audit_record(actor=actor, action="report.reply", obj=report, ip=ip, data={"reply_id": reply.pk})
    if report.reporter is not None:
        hooks_call("REPORT_REPLIED_HOOKS", account=report.reporter, report_id=report.pk)
    return reply


@dataclass(frozen=True)
class CaseInput:
    person_id: int | None = None
    full_name: str = ""
    phone: str = ""
    id_number: str = ""
    birth_year: int | None = None
    sex: str = ""


def _case_person(*, actor: Account, report: Report, data: CaseInput, ip: str) -> Person:
    if data.person_id is not None:
        person = visible_people(actor).filter(pk=data.person_id).first()
        if person is None:
            raise ServiceError(
                _("Some fields are not valid."), fields={"person_id": _("No person with this number in your area.")}
            )
        return person
    clean, errors = tracing.identity_clean(data, today=timezone.localdate())
    clean["ward_code"] = report.ward_id
    if errors:
        raise ServiceError(_("Some fields are not valid."), fields=errors)
    # The same matching and creation as contact tracing: an ID number or phone finds an
    # existing person; otherwise a new person in the report's ward, in no household.
    person, how = tracing.person_match(clean)
    if person is None:
        return tracing.person_create_outside_households(actor=actor, clean=clean, ip=ip)
    if not visible_people(actor).filter(pk=person.pk).exists():
        # Answered as a person_id outside the area is (the access layer's "not in your area"):
        # the person's id — and the case that would open in their name — stay out of reach;
        # break the glass is the audited way to them.
        field = "id_number" if how == "id_number" else "phone"
        raise tracing.LookupRefused(
            _("Some fields are not valid."), fields={field: _("No person with this number in your area.")},
            lookup=tracing.lookup_indexes(clean), outcome="outside_area", person_id=person.pk,
        )
    return person


def report_to_case(*, actor: Any, report: Report, data: CaseInput, ip: str = "") -> Person:
    """Turn a report about a person (a suspected case, or someone back from an epidemic area
    not declared or not isolating) into a case: find or create the person (as contact
    tracing does), flag them as a suspected case (F1, which puts them in their ward's triage
    queue) and open a follow-up case assigned to `actor`. A report already turned into a case
    returns its person.

    An ID number or phone that finds someone outside `actor`'s area (people.access) is refused
    as a person_id outside it is, and one that finds no one without the birth year and sex to
    register them is refused too; both refusals are audited (`report.to_case_refused`, with the
    blind indexes of what was looked up), so trying numbers is never silent.
    """
    try:
        return _report_to_case(actor=actor, report=report, data=data, ip=ip)
    except tracing.LookupRefused as refused:
        # After the rollback of the refused write: the event must stay although nothing else does.
        tracing.lookup_refused_record(
            actor=actor, action="report.to_case_refused", purpose="report_to_case", refused=refused, obj=report, ip=ip,
        )
        raise


@transaction.atomic
def _report_to_case(*, actor: Any, report: Report, data: CaseInput, ip: str) -> Person:
    actor = _official(actor)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.person_id is not None:
        return report.person  # type: ignore[return-value]
    if report.category not in PERSON_CATEGORIES:
        raise ServiceError(
            _("Only a report about a person (a suspected case, or someone not declaring or isolating) becomes a case."),
            code="not_about_a_person", status=409,
        )
    person = _case_person(actor=actor, report=report, data=data, ip=ip)
    person_contact_flag(person=person, contact_level="F1", now=timezone.now())
    case_assign(actor=actor, person=person, ip=ip)
    report.person = person
    report.save(update_fields=["person", "updated_at"])
    audit_record(actor=actor, action="report.to_case", obj=report, person_id=person.pk, ip=ip)
    return person

