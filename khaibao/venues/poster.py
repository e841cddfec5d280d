"""A venue's A4 poster: the QR code (segno), the code in text, the name and how to check in.

The QR code holds the poster's check-in URL (`/c/<code>`), so a phone's own camera app opens the
check-in page, and the PWA's scanner reads the code from the same URL. The poster is one SVG
document in millimetres (A4, 210 × 297), printed as it is or from the print page; its texts are
in the language of the request (Vietnamese by default).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from khaibao.venues.models import Venue

A4_W, A4_H = 210, 297
QR_SIZE = 150  # mm: scannable from a couple of metres away


def checkin_url(venue: Venue) -> str:
    """The absolute URL the poster's QR code holds."""
    return f"{settings.PUBLIC_BASE_URL}{reverse('web:checkin_code', args=[venue.code])}"


def spaced_code(code: str) -> str:
    """The code as printed: in groups of three, easier to read aloud and to type."""
    return " ".join(code[i:i + 3] for i in range(0, len(code), 3))


def qr_path(data: str, *, size_mm: float) -> tuple[str, float]:
    """An SVG path drawing the QR code of `data` in a square of `size_mm`, and the module size.

    Error correction "M": a poster gets scuffed and taped over at the corners."""
    qr = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(border=2)]
    module = size_mm / len(rows)
    parts = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start * module:.3f} {y * module:.3f}h{(x - start) * module:.3f}v{module:.3f}h-{(x - start) * module:.3f}z")
            else:
                x += 1
    return "".join(parts), module


def how_to_lines(venue: Venue) -> list[str]:
    """The lines on how to check in, and the SMS way for feature phones when the service's
    number is set (SMS_INBOUND_NUMBER): a poster that cannot say where to text promises nothing."""
    lines = [_("Open your phone's camera and scan the code, or open Khai Báo → Check in and type the code.")]
    number = settings.SMS_INBOUND_NUMBER
    if number:
        lines.append(
            _("No smartphone? Text CHECKIN %(code)s to %(number)s.") % {"code": venue.code, "number": number}
        )
    return lines


def poster_svg(venue: Venue) -> str:
    """The A4 poster of `venue` as an SVG document."""
    path, _module = qr_path(checkin_url(venue), size_mm=QR_SIZE)
    qr_x = (A4_W - QR_SIZE) / 2
    lines = how_to_lines(venue)
    title = escape(_("Check in here"))
    name = escape(venue.name[:60])
    address = escape(f"{venue.street}, {venue.ward.name}"[:90])
    code_label = escape(_("Venue code"))
    texts = "".join(
        f'<text x="105" y="{258 + i * 8}" font-size="5" text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{A4_W}mm" height="{A4_H}mm" viewBox="0 0 {A4_W} {A4_H}" '
        f'role="img" aria-labelledby="poster-title">'
        f'<title id="poster-title">{title}: {name}</title>'
        f'<rect width="{A4_W}" height="{A4_H}" fill="#fff"/>'
        f'<g font-family="Noto Sans, Arial, sans-serif" fill="#111">'
        f'<text x="105" y="24" font-size="12" font-weight="bold" text-anchor="middle">{title}</text>'
        f'<text x="105" y="38" font-size="9" text-anchor="middle">{name}</text>'
        f'<text x="105" y="47" font-size="5" text-anchor="middle">{address}</text>'
        f'<g transform="translate({qr_x:.2f} 58)"><path d="{path}" fill="#111"/></g>'
        f'<text x="105" y="225" font-size="6" text-anchor="middle">{code_label}</text>'
        f'<text x="105" y="242" font-size="16" font-weight="bold" text-anchor="middle" letter-spacing="2">'
        f'{escape(spaced_code(venue.code))}</text>'
        f"{texts}</g></svg>"
    )


def poster_page(venue: Venue) -> dict[str, Any]:
    """What the printable poster page shows (the citizen's and the organisation's page alike)."""
    return {"venue": venue, "svg": poster_svg(venue), "code": spaced_code(venue.code), "lines": how_to_lines(venue)}


def poster_download(venue: Venue) -> HttpResponse:
    """The poster as an SVG file to save or send to a print shop."""
    response = HttpResponse(poster_svg(venue), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="khaibao-{venue.code}.svg"'
    return response
