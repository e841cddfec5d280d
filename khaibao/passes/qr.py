"""The pass as a QR code image (segno, SVG): small, sharp at any size, no raster library."""

from __future__ import annotations

import io

import segno
from django.http import HttpResponse
from django.utils.translation import gettext as _


def pass_qr_svg(token: str) -> str:
    """An SVG document of the QR code for `token`.

    Error correction "M" survives a scuffed phone screen while keeping the code small enough to
    scan from a cheap camera at arm's length.
    """
    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(
        buffer, kind="svg", scale=4, border=4, dark="#111", light="#fff", xmldecl=False,
        title=_("Health pass QR code"),
    )
    return buffer.getvalue().decode("utf-8")


def pass_qr_response(token: str) -> HttpResponse:
    """The QR image as an HTTP response; `no-store` because every response is a fresh pass."""
    response = HttpResponse(pass_qr_svg(token), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
