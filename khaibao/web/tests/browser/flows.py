"""Steps that several browser tests share: signing in as a citizen or as staff."""

from __future__ import annotations

from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from khaibao.demo import DEMO_PASSWORD


def citizen_sign_in(page: Any, sms: Any, *, phone: str, e164: str) -> None:
    """Type the phone, read the code from the file SMS backend, type it; end off the sign-in pages."""
    page.goto("/sign-in/")
    page.fill("input[name=phone]", phone)
    page.click("form:has(input[name=phone]) button[type=submit]")
    page.wait_for_url("**/sign-in/code/")
    page.fill("input[name=code]", sms.last_code(e164))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/sign-in" not in url)


def totp_now(device: TOTPDevice) -> str:
    """The code an authenticator app holding `device`'s secret would show right now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def staff_sign_in(page: Any, *, username: str, password: str = DEMO_PASSWORD) -> None:
    """Username + password; officials land on the second-factor page, others on the console."""
    page.goto("/staff/sign-in/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/sign-in/" not in url)
