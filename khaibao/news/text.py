"""Markdown → safe HTML, and officials' hotline numbers checked (core.hotlines formats them).

Officials' Markdown may hold raw HTML (Markdown passes it through), so the rendered HTML is
always cleaned by nh3 with a small allow-list. No images: a remote image would tell a third
party who reads the news. Links keep only http(s), tel and mailto targets; relative links are
dropped too, since a feed reader or mobile app would resolve them against the wrong host.
"""

from __future__ import annotations

import re

import markdown  # type: ignore[import-untyped]
import nh3
import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_TAGS = frozenset(
    {"p", "a", "strong", "em", "ul", "ol", "li", "h2", "h3", "blockquote", "code", "br"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "tel", "mailto"})
# Their text is dropped with the tag: it is code or an embedded document, never prose.
_DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"})
_TOP_HEADING = re.compile(r"<(/?)h1>")
_DEEP_HEADING = re.compile(r"<(/?)h[4-6]>")


def sanitise_html(html: str) -> str:
    """Keep only the allow-listed tags and safe link targets; links get rel="noopener"."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener",
        strip_comments=True,
        url_relative="deny",
    )


def render_markdown(source: str) -> str:
    """The official's Markdown as sanitised HTML (headings folded into h2/h3, the page owns h1)."""
    if not source.strip():
        return ""
    html = markdown.markdown(source, extensions=["nl2br", "sane_lists"], output_format="html")
    html = _TOP_HEADING.sub(r"<\1h2>", html)
    html = _DEEP_HEADING.sub(r"<\1h3>", html)
    return sanitise_html(html)


_HOTLINE_CHARS = re.compile(r"\+?\d{3,15}")


def clean_hotline(raw: str) -> str:
    """A Vietnamese number people can dial, as national digits, or ValidationError.

    Accepted: fixed-line and mobile numbers, 1800 (free) and 1900 (paid) service numbers, and
    short codes valid in Vietnam (113 police, 114 fire, 115 ambulance, 111 child protection).
    Foreign numbers are refused: a hotline in this app is for people in Vietnam.
    """
    text = "".join(ch for ch in (raw or "").strip() if ch not in " .-()\u00a0")
    message = _("Enter a Vietnamese hotline, e.g. 1900 9095, 024 3825 3531 or 115.")
    if not _HOTLINE_CHARS.fullmatch(text):
        raise ValidationError(message, code="invalid")
    if text.startswith("84") and len(text) > 8:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(message, code="invalid") from exc
    if number.country_code != 84:
        raise ValidationError(message, code="invalid")
    if phonenumbers.is_valid_number(number):
        digits = phonenumbers.national_significant_number(number)
        return f"0{digits}" if _needs_trunk_zero(number) else digits
    if not text.startswith("+") and phonenumbers.is_valid_short_number_for_region(number, "VN"):
        return text
    raise ValidationError(message, code="invalid")


def _needs_trunk_zero(number: phonenumbers.PhoneNumber) -> bool:
    # 1800/1900 service numbers are dialled as is; every other national number starts with 0.
    return phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
    )

