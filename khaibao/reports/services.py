"""Writing citizen reports (phản ánh): the submission, signed in or anonymous — checks, rate
limits, proof of work, photos, tracking code. The officials' handling of a report (status, notes,
replies, turning it into a case) is in handling.py.
"""

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
from khaibao.core import crypto
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.core.hotlines import hotline_params
from khaibao.core.http import rate_key_of
from khaibao.places.box import in_viet_nam
from khaibao.places.selectors import ward_known
from khaibao.reports import pow as proof_of_work
from khaibao.reports.models import Category, Report, ReportPhoto
from khaibao.reports.photos import MAX_PHOTOS, CleanPhoto, PhotoRejected, photo_clean, photo_relative_path

MAX_DESCRIPTION = 2000
MAX_ADDRESS = 300
RATE_WINDOW_SECONDS = 3600


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
