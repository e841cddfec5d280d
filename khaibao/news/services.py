"""Writes of official information. One transaction each, with its audit event.

Who may publish (decided here, for the API and the console alike): national officials for the
whole country or any province; province officials for their own province only; nobody else.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.news.models import BODY_MAX, TITLE_MAX, Announcement, Kind
from khaibao.news.selectors import may_publish_for, require_publisher
from khaibao.news.text import clean_hotline, render_markdown
from khaibao.places.models import Province
from khaibao.places.selectors import province_of

# A form filled in a minute ago says "now" a minute late: allow that much backdating, no more,
# so that the feed never claims information was issued earlier than it was.
PUBLISH_SKEW = timedelta(minutes=10)

EDITABLE_FIELDS = (
    "kind", "title", "body", "title_en", "body_en", "phone", "province", "pinned", "publish_at", "expires_at",
)


@dataclass
class AnnouncementData:
    """What an official writes. `province` is a province code, None for the whole country."""

    kind: str = Kind.ANNOUNCEMENT
    title: str = ""
    body: str = ""
    title_en: str = ""
    body_en: str = ""
    phone: str = ""
    province: int | None = None
    pinned: bool = False
    publish_at: datetime | None = None
    expires_at: datetime | None = None


def _forbidden(message: str, fields_: dict[str, str] | None = None) -> ServiceError:
    return ServiceError(message, code="forbidden", fields=fields_, status=403)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _texts(errors: dict[str, str], data: AnnouncementData) -> tuple[str, str, str, str]:
    """Title and text in both languages, stripped; a Vietnamese title always, a text unless a hotline."""
    title = (data.title or "").strip()
    title_en = (data.title_en or "").strip()
    body = (data.body or "").strip()
    body_en = (data.body_en or "").strip()
    too_long_title = _("Keep the title to %(max)s characters or fewer.") % {"max": TITLE_MAX}
    too_long_body = _("Keep the text to %(max)s characters or fewer.") % {"max": number_format(BODY_MAX, force_grouping=True)}
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = too_long_title
    if len(title_en) > TITLE_MAX:
        errors["title_en"] = too_long_title
    if len(body) > BODY_MAX:
        errors["body"] = too_long_body
    elif not body and data.kind != Kind.HOTLINE:
        errors["body"] = _("Write the text of the announcement.")
    if len(body_en) > BODY_MAX:
        errors["body_en"] = too_long_body
    if body_en and not title_en:
        errors["title_en"] = _("Give the English text a title too.")
    return title, title_en, body, body_en


def _phone(errors: dict[str, str], data: AnnouncementData) -> str:
    """A hotline's phone number (required), cleaned; nothing else carries one."""
    given = (data.phone or "").strip()
    if data.kind != Kind.HOTLINE:
        if given:
            errors["phone"] = _("Only a hotline has a phone number. Choose the kind 'hotline' or leave it empty.")
        return ""
    if not given:
        errors["phone"] = _("Enter the hotline's phone number.")
        return ""
    try:
        return clean_hotline(data.phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
        return ""


def _province(errors: dict[str, str], code: int | None) -> Province | None:
    if code is None:
        return None
    province = province_of(code)
    if province is None:
        errors["province"] = _("Unknown province code.")
    return province


def _clean(data: AnnouncementData, *, publish_changed: bool) -> tuple[dict[str, Any], Province | None]:
    """Validate `data`; the cleaned column values, or ServiceError naming every bad field."""
    errors: dict[str, str] = {}
    if data.kind not in Kind.values:
        errors["kind"] = _("Choose announcement, recommendation or hotline.")
    title, title_en, body, body_en = _texts(errors, data)
    phone = _phone(errors, data)
    province = _province(errors, data.province)
    now = timezone.now()
    publish_at = _aware(data.publish_at) or now
    expires_at = _aware(data.expires_at)
    if publish_changed and publish_at < now - PUBLISH_SKEW:
        errors["publish_at"] = _("The publish time cannot be in the past. Leave it empty to publish now.")
    if expires_at is not None and expires_at <= publish_at:
        errors["expires_at"] = _("The expiry must be after the publish time.")
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=errors)
    values = {
        "kind": data.kind, "title": title, "body": body, "body_html": render_markdown(body),
        "title_en": title_en, "body_en": body_en, "body_en_html": render_markdown(body_en),
        "phone": phone, "province": province, "pinned": bool(data.pinned),
        "publish_at": publish_at, "expires_at": expires_at,
    }
    return values, province


def _check_scope(actor: Account, province_code: int | None) -> None:
    require_publisher(actor)
    if not may_publish_for(actor, province_code):
        message = _("You can publish only for your own province.")
        raise _forbidden(message, {"province": message})


def _audit_data(item: Announcement, *, fields: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": item.kind, "province": item.province_id, "pinned": item.pinned}
    if fields is not None:
        data["fields"] = fields  # which columns an update changed
    return data


@transaction.atomic
def announcement_create(*, actor: Account, data: AnnouncementData, ip: str = "") -> Announcement:
    """Publish (or schedule) an item for the whole country or one province.

    Refuses (403) anyone who may not publish for that audience, and (400) bad fields.
    """
    require_publisher(actor)
    values, province = _clean(data, publish_changed=data.publish_at is not None)
    _check_scope(actor, province.pk if province else None)
    item = Announcement.objects.create(**values, created_by=actor, updated_by=actor)
    audit_record(actor=actor, action="news.create", obj=item, ip=ip, data=_audit_data(item))
    return item


@transaction.atomic
def announcement_update(
    *, actor: Account, announcement: Announcement, changes: dict[str, Any], ip: str = ""
) -> Announcement:
    """Change the fields in `changes` (only those); the result is validated as a whole.

    The actor must be allowed both the item's current audience and its new one. Access to the
    item itself was checked by the caller (news.selectors.access_announcement_for_editor).
    """
    _check_scope(actor, announcement.province_id)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(_("Some fields are not valid."), fields={name: _("Unknown field.") for name in unknown})
    current = {name: getattr(announcement, name) for name in EDITABLE_FIELDS if name != "province"}
    current["province"] = announcement.province_id
    merged = {**current, **changes}
    data = AnnouncementData(**{f.name: merged[f.name] for f in fields(AnnouncementData) if f.name in merged})
    publish_changed = "publish_at" in changes and _aware(changes["publish_at"]) != announcement.publish_at
    values, province = _clean(data, publish_changed=publish_changed)
    _check_scope(actor, province.pk if province else None)
    changed = [name for name, value in values.items() if getattr(announcement, name) != value]
    for name in changed:
        setattr(announcement, name, values[name])
    if changed:
        announcement.updated_by = actor
        announcement.save()
        fields_changed = sorted(n for n in changed if n not in {"body_html", "body_en_html"})
        audit_record(
            actor=actor, action="news.update", obj=announcement, ip=ip,
            data=_audit_data(announcement, fields=fields_changed),
        )
    return announcement


@transaction.atomic
def announcement_unpublish(*, actor: Account, announcement: Announcement, ip: str = "") -> Announcement:
    """Withdraw an item now by closing its window (`expires_at`); the row stays as a record.

    A scheduled item gets `expires_at = publish_at`, so it never appears. Already expired: no-op.
    """
    _check_scope(actor, announcement.province_id)
    now = timezone.now()
    if announcement.expires_at is not None and announcement.expires_at <= now:
        return announcement
    announcement.expires_at = max(now, announcement.publish_at)
    announcement.updated_by = actor
    announcement.save(update_fields=["expires_at", "updated_by", "updated_at"])
    audit_record(actor=actor, action="news.unpublish", obj=announcement, ip=ip, data=_audit_data(announcement))
    return announcement
