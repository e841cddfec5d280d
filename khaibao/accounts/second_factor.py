"""Officials' TOTP second factor (django-otp): enrolment with a QR code, then verification."""

from __future__ import annotations

import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record


def confirmed_device(account: Account) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=account, confirmed=True).first()


def enrolment_device(account: Account) -> TOTPDevice:
    """The pending (unconfirmed) device for `account`, created on first visit."""
    device = TOTPDevice.objects.filter(user=account, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=account, name="authenticator", confirmed=False)
    return device


def enrolment_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def totp_check(*, account: Account, device: TOTPDevice, code: str, ip: str) -> bool:
    """Verify `code`; a first success confirms an enrolment. django-otp throttles failures."""
    if not device.verify_token(code):
        return False
    with transaction.atomic():
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(actor=account, action="account.totp_enrolled", obj=account, ip=ip)
    return True
