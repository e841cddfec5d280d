"""Errors that services raise and every interface (API, pages, commands) renders the same way."""

from __future__ import annotations

from django.utils.functional import Promise


class ServiceError(Exception):
    """A refusal the user can act on: `code` for machines, `message` (translated) for people.

    `fields` maps a field name to its message. `status` is the HTTP status the API answers with.
    """

    status = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str = "invalid",
        fields: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        if status is not None:
            self.status = status

    @classmethod
    def for_field(cls, name: str, message: str | Promise, code: str = "invalid") -> ServiceError:
        """A refusal about one field, the message shown beside it and as the whole message."""
        return cls(message, code=code, fields={name: str(message)})


class RateLimited(ServiceError):
    status = 429

    def __init__(self, message: str | Promise, *, retry_after: int = 60) -> None:
        super().__init__(message, code="rate_limited")
        self.retry_after = retry_after


class Unauthorized(ServiceError):
    status = 401

    def __init__(self, message: str | Promise) -> None:
        super().__init__(message, code="unauthorized")
