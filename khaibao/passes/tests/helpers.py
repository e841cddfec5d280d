from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from khaibao.monitoring.models import PersonStatus


def give_status(person: Any, *, level: str = "low", hours_ago: float = 1, **fields: Any) -> PersonStatus:
    """A latest-status row as the declaration service would leave it (its API is not built yet)."""
    at = timezone.now() - timedelta(hours=hours_ago)
    row, _ = PersonStatus.objects.update_or_create(
        person=person,
        defaults={"level": level, "last_declaration_at": at, "last_activity_at": at, **fields},
    )
    person.refresh_from_db()
    return row


def payload_of(token: str) -> dict[str, Any]:
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def with_payload(token: str, **changes: Any) -> str:
    """The same signature over a changed payload — a forgery attempt."""
    payload = {**payload_of(token), **changes}
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{body}.{token.split('.')[1]}"


def sign_in_staff(client: Any, account: Any) -> None:
    """A staff session that has passed the second factor where the role needs one."""
    client.force_login(account)
    if account.needs_second_factor:
        device = TOTPDevice.objects.create(user=account, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def iso(dt: datetime) -> str:
    return dt.isoformat()
