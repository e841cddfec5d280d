"""The API's error answers (the format itself is `core.http.error_response`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from khaibao.core.http import error_response

logger = logging.getLogger(__name__)

_PYDANTIC_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: _("This field is required."),
    "extra_forbidden": lambda ctx: _("Unknown field."),
    "string_type": lambda ctx: _("Must be text."),
    "string_unicode": lambda ctx: _("Must be text."),
    "int_type": lambda ctx: _("Must be a whole number."),
    "int_parsing": lambda ctx: _("Must be a whole number."),
    "int_from_float": lambda ctx: _("Must be a whole number."),
    "int_parsing_size": lambda ctx: _("This number is too large."),
    "float_type": lambda ctx: _("Must be a number."),
    "float_parsing": lambda ctx: _("Must be a number."),
    "finite_number": lambda ctx: _("Must be a number."),
    "greater_than": lambda ctx: _("Must be more than %(limit)s.") % {"limit": ctx.get("gt")},
    "greater_than_equal": lambda ctx: _("Must be at least %(limit)s.") % {"limit": ctx.get("ge")},
    "less_than": lambda ctx: _("Must be less than %(limit)s.") % {"limit": ctx.get("lt")},
    "less_than_equal": lambda ctx: _("Must be at most %(limit)s.") % {"limit": ctx.get("le")},
    "bool_type": lambda ctx: _("Must be true or false."),
    "bool_parsing": lambda ctx: _("Must be true or false."),
    "date_type": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "date_parsing": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "datetime_type": lambda ctx: _("Must be a date and time (ISO 8601)."),
    "datetime_parsing": lambda ctx: _("Must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": lambda ctx: _("Must be a date and time (ISO 8601)."),
    "list_type": lambda ctx: _("Must be a list."),
    "dict_type": lambda ctx: _("Must be an object."),
    "model_type": lambda ctx: _("Must be an object."),
    "model_attributes_type": lambda ctx: _("Must be an object."),
    "string_too_long": lambda ctx: _("Too long."),
    "string_too_short": lambda ctx: _("Too short."),
    "string_pattern_mismatch": lambda ctx: _("Not in the expected format."),
    "too_long": lambda ctx: _("Too many items."),
    "too_short": lambda ctx: _("Too few items."),
    "uuid_type": lambda ctx: _("Must be a UUID."),
    "uuid_parsing": lambda ctx: _("Must be a UUID."),
    "json_invalid": lambda ctx: _("The request body is not valid JSON."),
    "enum": lambda ctx: _("Not one of the allowed values."),
    "literal_error": lambda ctx: _("Not one of the allowed values."),
}


class MalformedJson(Exception):
    """The body is not JSON at all: one answer for the whole body, not per field."""


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes body errors with ("body", "<param name>"); the client only knows its
    # fields, and an error about the whole body (not an object, empty) is about "body".
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in {"query", "path", "form", "file"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        if err.get("type") == "json_invalid":
            raise MalformedJson
        name = _field_name(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "value_error" and err.get("ctx", {}).get("error") is not None:
            message = str(err["ctx"]["error"])
        elif kind in _PYDANTIC_MESSAGES:
            message = _PYDANTIC_MESSAGES[kind](err.get("ctx") or {})
        else:
            # pydantic's own text is English only: say it in the request's language, and log the
            # type so that it gets its own message here.
            logger.warning("validation error type without a message: %s", kind)
            message = _("Invalid value.")
        fields.setdefault(name, message)
    return fields


def malformed_json() -> JsonResponse:
    message = _("The request body is not valid JSON.")
    return error_response(400, "malformed_json", message, {"body": message})


def invalid_request(request: HttpRequest, errors: list[dict[str, Any]]) -> JsonResponse:
    try:
        fields = validation_fields(errors)
    except MalformedJson:
        return malformed_json()
    return error_response(400, "invalid", _("Some fields are not valid."), fields)
