"""The one error format of the API: {"error": {"code", "message", "fields": {name: message}}}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


_PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "extra_forbidden": lambda: _("Unknown field."),
    "string_type": lambda: _("Must be text."),
    "int_type": lambda: _("Must be a whole number."),
    "int_parsing": lambda: _("Must be a whole number."),
    "bool_type": lambda: _("Must be true or false."),
    "bool_parsing": lambda: _("Must be true or false."),
    "date_type": lambda: _("Must be a date (YYYY-MM-DD)."),
    "date_parsing": lambda: _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": lambda: _("Must be a date (YYYY-MM-DD)."),
    "list_type": lambda: _("Must be a list."),
    "dict_type": lambda: _("Must be an object."),
    "model_attributes_type": lambda: _("Must be an object."),
    "string_too_long": lambda: _("Too long."),
    "string_too_short": lambda: _("Too short."),
    "too_long": lambda: _("Too many items."),
    "json_invalid": lambda: _("The request body is not valid JSON."),
    "enum": lambda: _("Not one of the allowed values."),
    "literal_error": lambda: _("Not one of the allowed values."),
}


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes body errors with ("body", "<param name>"); the client only knows its fields.
    if parts and parts[0] in {"body", "query", "path", "form", "file"}:
        parts = parts[2:] if parts[0] == "body" and len(parts) > 2 else parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        name = _field_name(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "value_error" and err.get("ctx", {}).get("error") is not None:
            message = str(err["ctx"]["error"])
        elif kind in _PYDANTIC_MESSAGES:
            message = _PYDANTIC_MESSAGES[kind]()
        else:
            message = str(err.get("msg") or _("Invalid value."))
        fields.setdefault(name, message)
    return fields


def invalid_request(request: HttpRequest, fields: dict[str, str]) -> JsonResponse:
    if set(fields) == {"body"} and "JSON" in fields["body"]:
        return error_response(400, "malformed_json", fields["body"], fields)
    return error_response(400, "invalid", _("Some fields are not valid."), fields)
