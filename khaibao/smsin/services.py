"""Inbound SMS: one message from a feature phone → the same services as the web and the API.

`sms_inbound_receive` is the one entry point (the webhook calls it after checking the
signature). It stores the message under the gateway's `message_id` first, so a second
delivery of the same message — even at the same moment — waits for the first and gets its
answer back; then it reads the command (`grammar.parse`), calls the household, daily-update
or membership service, and queues one reply SMS, which the worker sends once the message is
committed, with retries (smsin/outbox.py; its words: smsin/replies.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.accounts.sms import sms_fit
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.declarations.labels import SYMPTOM_LABELS
from khaibao.monitoring.models import Feeling
from khaibao.monitoring.services import daily_update_put
from khaibao.notifications.preferences import account_language
from khaibao.orgs.members import membership_confirm, membership_decline
from khaibao.orgs.selectors import pending_memberships
from khaibao.people.households import household_person_add, owner_self_person
from khaibao.people.models import Person, Relation
from khaibao.signin.services import citizen_account_open, citizen_links_refresh
from khaibao.smsin import grammar, replies
from khaibao.smsin.models import InboundSms, ReplyStatus
from khaibao.smsin.outbox import reply_queue
from khaibao.venues.models import CheckInVia
from khaibao.venues.services import checkin_create

# What the row's `command` and the `sms.inbound` audit event record of a daily update, well
# ("OK") or unwell (symptoms) alike: which one it was is health data, kept only in the sealed
# update and the encrypted text (docs/privacy.md, "Inbound SMS").
DAILY_UPDATE = "daily_update"

@dataclass
class _Outcome:
    outcome: str
    reply: str
    account: Account | None = None
    person: Person | None = None


def sms_inbound_receive(
    *, phone: str, text: str, message_id: str, received_at: datetime | None = None, ip: str = ""
) -> tuple[InboundSms, bool]:
    """Act on one inbound SMS from `phone` (E.164) and queue the reply; (row, processed now).

    Idempotent on `message_id`: a message already received returns its stored row and
    `False` — no second update, no second reply. The command runs in the same transaction as
    the row: if anything unexpected fails, neither is kept and the gateway's retry runs it again.
    Refusals (an ID already registered, an unknown ward…) are never errors here: they become
    the reply.
    """
    earlier = InboundSms.objects.filter(message_id=message_id).first()
    if earlier is not None:
        return earlier, False
    index = phone_index(phone)
    try:
        with transaction.atomic():
            # The row first: a concurrent delivery of the same message blocks on the unique
            # index here, before doing anything, and fails once this transaction commits.
            row = InboundSms.objects.create(
                message_id=message_id, phone=phone, phone_index=index, text=text, received_at=received_at,
                command="", outcome="",
            )
            command = grammar.parse(text)
            account = Account.objects.filter(phone_index=index).first()
            language = account_language(account) if account is not None else settings.LANGUAGE_CODE
            with translation.override(language):
                result = _handle(command, phone=phone, account=account, received_at=received_at, ip=ip)
                reply = _fit(result.reply)
            row.command = recorded_command(command.kind)
            row.outcome = result.outcome
            row.reply = reply
            row.account = result.account
            row.person = result.person
            row.reply_queued = _reply_allowed(index)
            row.reply_status = ReplyStatus.QUEUED if row.reply_queued else ReplyStatus.HELD
            row.save()
            audit_record(
                actor=result.account or "sms", action="sms.inbound", obj=row,
                person_id=result.person.pk if result.person else None, ip=ip,
                data={"command": row.command, "outcome": result.outcome},
            )
            if row.reply_queued:
                # Sent by the worker, retried, never in this request (outbox.py).
                reply_queue(row)
    except IntegrityError:
        winner = InboundSms.objects.filter(message_id=message_id).first()
        if winner is None:
            raise
        return winner, False
    return row, True


def recorded_command(kind: str) -> str:
    """The code kept in clear for a command of `kind` (grammar): a daily update's is the same
    whether the person is well or not."""
    return DAILY_UPDATE if kind in (grammar.OK, grammar.SYMPTOMS) else kind


def inbound_sms_prune(*, now: datetime | None = None) -> int:
    """Delete inbound messages older than SMS_INBOUND_KEEP_DAYS; returns how many.

    What a message did lives on in the records it wrote (the person, the daily update, their
    audit events); the message itself — an ID number, a risk level — is only kept while a
    gateway might still deliver it again and someone might ask what was answered.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.SMS_INBOUND_KEEP_DAYS)
    due = InboundSms.objects.filter(created_at__lt=cutoff).order_by("created_at").values_list("pk", flat=True)
    size = settings.RETENTION_BATCH_SIZE
    deleted = 0
    # Batches of RETENTION_BATCH_SIZE, each its own transaction (privacy/retention.py's pattern):
    # one DELETE of everything due was one scan of the table and, after a pause of the job or a
    # shorter keep period, millions of rows in one transaction (review "scale" #11).
    while True:
        with transaction.atomic():
            ids = list(due[:size])
            if ids:
                InboundSms.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < size:
            return deleted


def inbound_sms_erase_person(*, person_id: int) -> dict[str, int]:
    """Erasure of a person (privacy.erasure, PERSON_ERASE_HOOKS): the messages that acted for
    them go — their text holds the ID number and symptoms, their reply the name and level.

    Called in the erasure's transaction; returns the rows deleted per table.
    """
    _total, by_model = InboundSms.objects.filter(person_id=person_id).delete()
    # The messages only: a reply still waiting (InboundSmsReply) goes with its message.
    return {"inbound_sms": by_model.get(InboundSms._meta.label, 0)}


def inbound_sms_erase_account(*, account: Account) -> dict[str, int]:
    """Closing a citizen account (privacy.erasure, ACCOUNT_CLOSE_HOOKS): every message from its
    phone goes, also those that named no person (a refused registration, a command before
    registering), and the phone's reply counter is forgotten.

    Called in the closing transaction, before the account's phone index is cleared.
    """
    messages = InboundSms.objects.filter(account=account)
    if account.phone_index:
        messages = messages | InboundSms.objects.filter(phone_index=account.phone_index)
        ratelimit.reset(_reply_key(account.phone_index))
    _total, by_model = messages.delete()
    return {"inbound_sms": by_model.get(InboundSms._meta.label, 0)}


def _reply_key(index: str) -> str:
    return f"smsin-reply:{index}"


def _reply_allowed(index: str) -> bool:
    # Replies cost money: a phone (or a loop between two gateways) texting without end must
    # not run up the bill. Messages over the limit are still acted on, only not answered.
    hits = ratelimit.hit(_reply_key(index), window_seconds=3600)
    return hits <= settings.SMS_INBOUND_REPLIES_PER_HOUR


def _fit(text: str) -> str:
    """Vietnamese without diacritics (as every SMS we send), within SMS_MAX_CHARS: a reply too
    long ends at a word with "…" (`accounts.sms.sms_fit`)."""
    return sms_fit(body=text)


def _handle(
    command: grammar.Command, *, phone: str, account: Account | None, received_at: datetime | None, ip: str
) -> _Outcome:
    if account is not None and account.role != Role.CITIZEN:
        # A staff account's phone: health declarations are made from citizen accounts only.
        return _Outcome("not_citizen", _(
            "Khai Bao: this phone belongs to a staff account and cannot declare by SMS. Use a citizen's phone."
        ), account)
    if command.kind == grammar.HELP:
        return _Outcome("help", replies.help_text(), account, _self_of(account))
    if command.kind == grammar.REGISTER:
        assert command.registration is not None
        return _register(command.registration, phone=phone, account=account, ip=ip)
    if account is not None and not account.is_active:
        return _Outcome("account_inactive", _(
            "Khai Bao: the account of this phone is locked. Contact your ward health station."
        ), account)
    person = _self_of(account)
    if account is None or person is None:
        if command.kind == grammar.UNKNOWN:
            return _Outcome("unknown_not_registered", replies.not_registered_text(), account)
        return _Outcome("not_registered", replies.not_registered_text(), account)
    if command.kind in (grammar.OK, grammar.SYMPTOMS):
        return _daily_update(command, account=account, person=person, received_at=received_at, ip=ip)
    if command.kind == grammar.STATUS:
        return _Outcome("status", replies.status_text(person), account, person)
    if command.kind in (grammar.CONFIRM, grammar.DECLINE):
        return _memberships_answer(command.kind, account=account, person=person, ip=ip)
    if command.kind == grammar.CHECKIN:
        return _checkin(command.venue_code, account=account, person=person, received_at=received_at, ip=ip)
    return _Outcome("unknown", _(
        "Khai Bao did not understand your message. Text OK if you are well today, your symptoms "
        "(e.g. SOT HO KHOTHO), TT for your level, TROGIUP for help."
    ), account, person)


def _self_of(account: Account | None) -> Person | None:
    return owner_self_person(account) if account is not None else None


# --- venue check-in (issue 20) -------------------------------------------------------------


def _checkin(code: str, *, account: Account, person: Person, received_at: datetime | None, ip: str) -> _Outcome:
    """`CHECKIN <code>`: the sender's own person checked in at the venue, at the time the
    gateway received the message (the same service as the page and the API)."""
    if not code:
        return _Outcome("checkin_no_code", _(
            "Khai Bao: text CHECKIN and the code on the venue's poster, e.g. CHECKIN ABC234."
        ), account, person)
    at = received_at if received_at is not None and received_at <= timezone.now() else None
    try:
        (result, *_others) = checkin_create(
            actor=account, venue_code=code, person_ids=[person.pk], at=at, via=CheckInVia.SMS, ip=ip,
        )
    except ServiceError as exc:
        if exc.status == 404 and "venue_code" in exc.fields:
            return _Outcome("checkin_unknown", _(
                "Khai Bao: no venue has the code %(code)s, or it is closed for check-in. Check the code on the poster."
            ) % {"code": code}, account, person)
        return _Outcome("checkin_refused", _("Khai Bao: %(message)s") % {"message": exc.message}, account, person)
    when = timezone.localtime(result.checkin.at)
    return _Outcome("checkin", _("Khai Bao: %(name)s checked in at %(venue)s at %(time)s.") % {
        "name": person.full_name, "venue": result.venue.name, "time": when.strftime("%H:%M %d/%m"),
    }, account, person)


# --- registration ------------------------------------------------------------------------


def _register(reg: grammar.Registration, *, phone: str, account: Account | None, ip: str) -> _Outcome:
    if account is not None and not account.is_active:
        return _Outcome("account_inactive", _(
            "Khai Bao: the account of this phone is locked. Contact your ward health station."
        ), account)
    existing = _self_of(account)
    if existing is not None:
        return _already_registered(account, existing)
    if reg.old_id_card:
        return _Outcome("invalid_old_id_card", _(
            "Khai Bao: old 9-digit ID cards (CMND) are no longer valid. Register with your 12-digit "
            "citizen ID (CCCD): %(syntax)s"
        ) % {"syntax": replies.REGISTER_SYNTAX}, account)
    missing = [
        label for label, absent in (
            (_("12-digit CCCD number"), not reg.id_number),
            (_("birth year"), reg.birth_year is None),
            (_("ward code"), reg.ward_code is None),
            (_("full name"), not reg.full_name),
        ) if absent
    ]
    if missing:
        return _Outcome("invalid_incomplete", _(
            "Khai Bao: to register, text %(syntax)s, e.g. %(example)s. Missing: %(missing)s. "
            "Your ward health station gives the ward code."
        ) % {"syntax": replies.REGISTER_SYNTAX, "example": replies.REGISTER_EXAMPLE, "missing": ", ".join(missing)}, account)
    facts = grammar.cccd_facts(reg.id_number)
    assert facts is not None
    assert reg.birth_year is not None
    assert reg.ward_code is not None
    born, sex = facts
    if born != reg.birth_year:
        return _Outcome("invalid_birth_year", _(
            "Khai Bao: the birth year does not match the CCCD number. Check both and text KB again."
        ), account)
    try:
        # A savepoint: a refused registration leaves no account behind either.
        with transaction.atomic():
            # The same first sign-in as with a code (account, audit, an assisted person handed over).
            signed = citizen_account_open(phone=phone, channel="sms", ip=ip)
            assert signed is not None  # a locked account was answered above
            account = signed.account
            if signed.assisted is not None:
                # A volunteer had registered this phone's owner: that record is now theirs.
                person = signed.assisted
            else:
                person = household_person_add(
                    actor=account, owner=account, relation=Relation.SELF, full_name=reg.full_name, sex=sex,
                    home_ward_id=reg.ward_code, birth_year=reg.birth_year, id_number=reg.id_number,
                    phone=phone, ip=ip,
                )
    except ServiceError as exc:
        return _Outcome(f"refused_{exc.code}"[:30], replies.refusal_text(exc), _existing_account(phone))
    # As after a sign-in with a code, now that the person exists: roster lines find them.
    citizen_links_refresh(account=account)
    reply = _(
        "Khai Bao: registered %(name)s, born %(year)s. Every day text OK if you are well, or your "
        "symptoms, e.g. SOT HO. TT: your level. TROGIUP: help."
    ) % {"name": person.full_name, "year": person.birth_year}
    return _Outcome("registered", reply + replies.memberships_hint(account), account, person)


def _existing_account(phone: str) -> Account | None:
    return Account.objects.filter(phone_index=phone_index(phone)).first()


def _already_registered(account: Account | None, person: Person) -> _Outcome:
    reply = _(
        "Khai Bao: this phone is already registered (%(name)s). Text OK if you are well today, or your "
        "symptoms, e.g. SOT HO."
    ) % {"name": person.full_name}
    return _Outcome("already_registered", reply + replies.memberships_hint(account), account, person)


# --- daily update and status ---------------------------------------------------------------


def _update_day(received_at: datetime | None) -> date:
    # A message the gateway held past midnight still counts for the day it was sent on, as
    # the daily-update service allows (today or yesterday).
    today = timezone.localdate()
    if received_at is not None:
        sent = timezone.localdate(received_at)
        if today - timedelta(days=1) <= sent <= today:
            return sent
    return today


def _daily_update(
    command: grammar.Command, *, account: Account, person: Person, received_at: datetime | None, ip: str
) -> _Outcome:
    day = _update_day(received_at)
    symptoms = list(command.symptoms)
    _update, assessment, _created = daily_update_put(
        actor=account, person=person, day=day, symptoms=symptoms,
        feeling=Feeling.UNWELL if symptoms else Feeling.WELL, ip=ip,
        declared_as="self",  # an SMS updates the sender's own person (`_self_of`)
    )
    if symptoms:
        head = _("Khai Bao: received for %(day)s: %(symptoms)s.") % {
            "day": day.strftime("%d/%m"), "symptoms": ", ".join(str(SYMPTOM_LABELS[c]) for c in symptoms),
        }
    else:
        head = _("Khai Bao: received, you are well on %(day)s.") % {"day": day.strftime("%d/%m")}
    reply = replies.with_level_and_advice(head, assessment.level, assessment.recommendations)
    return _Outcome("daily_update", reply, account, person)


# --- organisation memberships ------------------------------------------------------------


def _memberships_answer(kind: str, *, account: Account, person: Person, ip: str) -> _Outcome:
    pending = list(pending_memberships(account))
    if not pending:
        return _Outcome("no_membership", _(
            "Khai Bao: no organisation membership is waiting for your answer."
        ), account, person)
    units = ", ".join(dict.fromkeys(m.unit.name for m in pending))
    for member in pending:
        if kind == grammar.CONFIRM:
            membership_confirm(actor=account, member=member, ip=ip)
        else:
            membership_decline(actor=account, member=member, ip=ip)
    if kind == grammar.CONFIRM:
        reply = _("Khai Bao: you confirmed that you are a member of %(units)s.") % {"units": units}
        return _Outcome("memberships_confirmed", reply, account, person)
    reply = _("Khai Bao: you told %(units)s that this is not you.") % {"units": units}
    return _Outcome("memberships_declined", reply, account, person)
