"""Template pieces of the offline-capable forms."""

from __future__ import annotations

import uuid

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from khaibao.web.submissions import FIELD

register = template.Library()


@register.simple_tag
def submission_key() -> SafeString:
    """A fresh key per rendering; static/js/offline.js renews it on each page load, which also
    covers a page served again from the service worker's cache."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4())
