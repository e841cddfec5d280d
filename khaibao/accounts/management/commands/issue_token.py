"""Print a new API token for a staff account (checkpoint devices, integrations)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from khaibao.accounts.models import Account
from khaibao.accounts.phones import normalise_vn_phone, phone_index
from khaibao.accounts.tokens import token_issue


def _citizen_by_phone(text: str) -> Account | None:
    # Someone may pass a citizen's phone number: say clearly why that cannot work.
    try:
        phone = normalise_vn_phone(text)
    except ValidationError:
        return None
    return Account.objects.filter(phone_index=phone_index(phone)).first()


class Command(BaseCommand):
    help = (
        "Print a new bearer token for a staff account. The value is shown once and stored "
        "only as a hash; revoke it with POST /api/v1/auth/logout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days", type=int, default=None, help="Validity in days (default: API_TOKEN_TTL_DAYS)."
        )
        parser.add_argument("--label", default="", help="What the token is for, e.g. 'gate 3 scanner'.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        days: int | None = options["days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--days must be between 1 and 3650.")
        account = Account.objects.filter(username=username).first() or _citizen_by_phone(username)
        if account is None:
            raise CommandError(f"No account with username {username!r}.")
        if not account.is_staff_role:
            raise CommandError(
                f"{username!r} is not a staff account: citizens sign in with their phone and a code."
            )
        if not account.is_active:
            raise CommandError(f"{username!r} is deactivated.")
        value, token = token_issue(
            account=account,
            label=options["label"] or "issue_token",
            ttl_days=days,
            actor="manage.py issue_token",
        )
        self.stderr.write(
            f"Token for {username} ({account.role}), valid until {token.expires_at:%Y-%m-%d %H:%M} UTC:"
        )
        self.stdout.write(value)
