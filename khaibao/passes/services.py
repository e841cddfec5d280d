"""The QR health pass (thẻ thông hành / mã QR sức khỏe): the colour rule and issuing — the
signed token, and the short code to type stored beside it (read with the status, `STATUS_PASS_CODE`).
Checking a shown pass at a checkpoint is passes/verify.py's.

A pass says only: a pseudonymous id, the holder's initials, a colour and an expiry — signed,
so a checkpoint can trust it without seeing any health detail (issue 3 §6, DESIGN.md §1).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, LiteralString

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, router, transaction
from django.db.models import Q
from django.utils import timezone

from khaibao.core import rowsql
from khaibao.core.crypto import blind_index
from khaibao.monitoring.models import LEVEL_ORDER
from khaibao.monitoring.sources import StatusReadSource
from khaibao.passes import labels
from khaibao.passes.models import PassCode
from khaibao.passes.signing import TOKEN_VERSION, token_sign

if TYPE_CHECKING:
    from khaibao.monitoring.models import PersonStatus
    from khaibao.people.models import Person

GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
COLOURS = (GREEN, YELLOW, RED, GREY)
# Crockford-like base32 without I, L, O, U: nothing a checkpoint could misread when typing.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10

PASS_LIFETIME = timedelta(hours=24)
# "Recent" for green: a declaration or daily update no older than this.
RECENT_ACTIVITY = timedelta(hours=24)
MAX_INITIALS = 5


@dataclass(frozen=True)
class IssuedPass:
    token: str
    colour: str
    expires_at: datetime
    code: str = ""  # the short code to type, when issued with pass_issue_with_code

    @property
    def code_display(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}" if self.code else ""

    @property
    def colour_label(self) -> str:
        return labels.colour_label(self.colour)

    @property
    def colour_meaning(self) -> str:
        return labels.colour_meaning(self.colour)


def _last_activity(status: PersonStatus) -> datetime | None:
    # The person's own declaration or daily update only (docs/health-pass.md): neither an
    # official's action nor a re-assessment of the system (`last_activity_at`, the retention
    # clock) says they declared recently.
    moments = [m for m in (status.last_update_at, status.last_declaration_at) if m]
    return max(moments, default=None)


def pass_colour(status: PersonStatus | None, *, now: datetime) -> str:
    """The pass colour for a person's latest status at `now` — a pure rule (issue 3 §6).

    Precedence red > yellow > grey > green, so that a stale or missing update never hides
    a known risk, and only a recent, low, declared status is green:

    * red: level high or urgent, or a confirmed case (F0);
    * yellow: level medium, or under monitoring (``monitoring_until`` is today or later, local date);
    * grey: no status, never declared, or no declaration/update in the last 24 hours;
    * green: declared, level low, and active within the last 24 hours (inclusive).
    """
    if status is None:
        return GREY
    order = LEVEL_ORDER.get(status.level, -1)
    if status.is_f0 or order >= LEVEL_ORDER["high"]:
        return RED
    monitoring = status.monitoring_until is not None and status.monitoring_until >= timezone.localdate(now)
    if order == LEVEL_ORDER["medium"] or monitoring:
        return YELLOW
    activity = _last_activity(status)
    if order != LEVEL_ORDER["low"] or status.last_declaration_at is None or activity is None:
        return GREY
    if activity < now - RECENT_ACTIVITY:
        return GREY
    return GREEN


def pass_expiry(colour: str, status: PersonStatus | None, *, expires: datetime) -> datetime:
    """`expires`, or earlier for a green pass: it never outlives the activity that made it green
    (it ends when `pass_colour` would turn grey). One rule for tokens and short codes."""
    if colour == GREEN and status is not None:
        activity = _last_activity(status)
        if activity is not None:
            return min(expires, activity + RECENT_ACTIVITY)
    return expires


def pass_subject(person_id: int) -> str:
    """The pseudonymous id a pass carries: a keyed hash of the person id, never the id itself.

    Only the operator (who holds BLIND_INDEX_KEY) can link it back to a person.
    """
    return blind_index(str(person_id), purpose="health-pass")[:16]


def pass_initials(person: Person) -> str:
    """The initials a pass shows (at most MAX_INITIALS letters)."""
    return person.initials[:MAX_INITIALS]


def person_status_or_none(person: Person) -> PersonStatus | None:
    """The person's status row, or None when they never had one."""
    try:
        return person.status  # type: ignore[attr-defined, no-any-return]
    except ObjectDoesNotExist:
        return None


def pass_issue(*, person: Person, now: datetime | None = None, until: datetime | None = None) -> IssuedPass:
    """Sign a fresh pass for `person` from their latest status; writes nothing.

    The pass lives 24 hours (or until `until`: the stamp of the code shown with it,
    `pass_issue_with_code`), and a green pass never outlives the activity that made it green
    (it expires when the person would turn grey).
    """
    now = now or timezone.now()
    status = person_status_or_none(person)
    colour = pass_colour(status, now=now)
    expires = pass_expiry(colour, status, expires=until or now + PASS_LIFETIME)
    issued_at, expires_at = int(now.timestamp()), int(expires.timestamp())
    token = token_sign(
        {
            "v": TOKEN_VERSION,
            "sub": pass_subject(person.pk),
            "ini": pass_initials(person),
            "col": colour,
            "iat": issued_at,
            "exp": expires_at,
        }
    )
    return IssuedPass(token=token, colour=colour, expires_at=datetime.fromtimestamp(expires_at, tz=UTC))


def _new_code() -> str:
    # 32 letters: each random byte's low 5 bits pick one uniformly (as secrets.choice would, once
    # per letter, at ten times the cost: a status read makes a code once a day per person).
    return "".join(CODE_ALPHABET[byte & 31] for byte in secrets.token_bytes(CODE_LENGTH))


# A code is handed out again only while its row outlives any pass signed now (which lives at most
# PASS_LIFETIME), so that the row is still there when that pass ends. So a row lives two pass
# lifetimes and a code is replaced once a day, when it has a pass lifetime left — one rule in the
# status read's own statement, no read of the code's expiry.
CODE_MIN_LEFT = PASS_LIFETIME
CODE_LIFETIME = 2 * PASS_LIFETIME
# The typed code answers only until the pass shown with it ends (review-browser finding 1): one
# card, one "valid until", for the QR and the code beside it. That expiry is stamped on the code
# (`PassCode.pass_exp`) and moves forward at most once per CODE_STAMP_STEP: a pass handed out with
# the code ends at the stamp, so the hour's other status reads stay one statement — no write — and
# the card's date stays put within the hour. A pass with a code lives PASS_LIFETIME less at most
# CODE_STAMP_STEP.
CODE_STAMP_STEP = timedelta(hours=1)


def _current_code_sql(vendor: str) -> LiteralString:
    # "CODE:exp" (exp 0 when not stamped): a status read source is one expression, and the stamp
    # read with the code spares the read a write when it need not move (`pass_issue_with_code`).
    return (
        "(SELECT c.code || ':' || COALESCE(c.pass_exp, 0) FROM passes_passcode c"
        " WHERE c.person_id = monitoring_personstatus.person_id"
        " AND c.expires_at > %s ORDER BY c.expires_at DESC LIMIT 1)"
    )


def _current_code_params(now: datetime) -> list[object]:
    return [rowsql.param(PassCode, "expires_at", now + CODE_MIN_LEFT)]


def _made_code_sql(vendor: str) -> LiteralString | None:
    # The holder's read on PostgreSQL: the current code, or a new one made by the same statement
    # (the function passes_code_make, migration 0004: the row as given, stamped with the pass signed
    # now; "CODE:stamp" as above, NULL when the code is taken). COALESCE evaluates the function
    # only when there is no current code.
    if vendor != "postgresql":
        return None
    return (
        "COALESCE(" + _current_code_sql(vendor)
        + ", passes_code_make(monitoring_personstatus.person_id, %s, %s, %s, CAST(%s AS bigint), %s))"
    )


def _pass_exp(now: datetime) -> int:
    # The `exp` of a pass signed at `now` before a green one is clipped (whole seconds, as the token's).
    return int((now + PASS_LIFETIME).timestamp())


def _made_code_params(now: datetime) -> list[object]:
    # A new code each read (10 random bytes), made as `pass_code_get` makes one: used only when the
    # person has none. Its commit waits for no disk only when the read is a transaction of its own
    # (autocommit): a code is made again at the next read, what a caller's transaction holds is not.
    connection = transaction.get_connection(router.db_for_write(PassCode))
    return [
        *_current_code_params(now), _new_code(),
        rowsql.param(PassCode, "created_at", now), rowsql.param(PassCode, "expires_at", now + CODE_LIFETIME),
        _pass_exp(now), not connection.in_atomic_block,
    ]


# The status read (monitoring.selectors.person_status_read) reads the current code in its own
# statement (settings.STATUS_READ_SOURCES): a code that outlives a pass signed now, with its stamp,
# or None. The holder's own read makes it there when there is none (PostgreSQL; elsewhere
# `pass_code_get` makes it after): the day's first read was two statements, the read and the code's INSERT.
STATUS_PASS_CODE = StatusReadSource(
    name="pass_code", sql=_current_code_sql, params=_current_code_params,
    holder_sql=_made_code_sql, holder_params=_made_code_params,
)


def pass_code_get(
    *, person: Person, now: datetime, read: Mapping[str, Any] | None = None
) -> tuple[str, int | None]:
    """The person's current short code and its stamp (`PassCode.pass_exp`, None when unset),
    creating one when none outlives a pass signed now (CODE_MIN_LEFT), stamped with that pass.
    `read`: a status read's sources (`person_status_read`), which may hold the current code already
    (or the one the holder's read made: `STATUS_PASS_CODE`; None when its random code was taken)."""
    if read is not None and STATUS_PASS_CODE.name in read:
        raw = read[STATUS_PASS_CODE.name]
        if raw:
            code, _sep, exp = str(raw).partition(":")
            return code, int(exp or 0) or None
    else:
        # A precompiled statement (core/rowsql) instead of the ORM's per-call compilation,
        # which cost more CPU than PostgreSQL spends running it.
        current = rowsql.fetch_values(
            PassCode, ("code", "pass_exp"), "person_id = %s AND expires_at > %s",
            [person.pk, rowsql.param(PassCode, "expires_at", now + CODE_MIN_LEFT)],
            suffix="ORDER BY expires_at DESC LIMIT 1",
        )
        if current:
            return current[0][0], current[0][1]
    # In autocommit (the API and pages) the one INSERT is its own transaction: no BEGIN and
    # COMMIT round trips. Inside a caller's transaction a savepoint keeps a collision from
    # spoiling it.
    connection = transaction.get_connection(router.db_for_write(PassCode))
    for _attempt in range(5):
        code = _new_code()
        row = PassCode(
            code=code, person=person, created_at=now, expires_at=now + CODE_LIFETIME, pass_exp=_pass_exp(now)
        )
        try:
            if connection.in_atomic_block:
                with transaction.atomic(using=connection.alias):
                    rowsql.create(row)
            else:
                rowsql.create(row)
        except IntegrityError:
            continue  # 50 random bits colliding: try another
        return code, row.pass_exp
    raise RuntimeError("could not allocate a pass code")  # pragma: no cover


def pass_issue_with_code(
    *, person: Person, now: datetime | None = None, read: Mapping[str, Any] | None = None
) -> IssuedPass:
    """`pass_issue` plus the short code to type; stores the code (once a day per person). The pass
    ends at the code's stamp, moved forward to a full PASS_LIFETIME once it is more than
    CODE_STAMP_STEP behind: the typed code answers until the pass ends, and no longer.
    `read`: a status read's sources, which may hold the current code (`pass_code_get`)."""
    now = now or timezone.now()
    target = _pass_exp(now)
    code, stamp = pass_code_get(person=person, now=now, read=read)
    if stamp is None or stamp < target - int(CODE_STAMP_STEP.total_seconds()):
        # Only forward: a card printed this morning with the same code keeps its own date.
        PassCode.objects.filter(Q(pass_exp__isnull=True) | Q(pass_exp__lt=target), code=code).update(pass_exp=target)
        stamp = target
    # min(): never a pass longer than PASS_LIFETIME, even after a later pass stamped the code.
    until = datetime.fromtimestamp(min(stamp, target), tz=UTC)
    return replace(pass_issue(person=person, now=now, until=until), code=code)
