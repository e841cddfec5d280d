"""core/rowsql answers exactly what the ORM answers, in one statement each."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts.models import ApiToken
from khaibao.accounts.tokens import token_issue
from khaibao.audit.models import AuditEvent
from khaibao.core import rowsql
from khaibao.core.rowsql import writes as rowsql_writes
from khaibao.monitoring.models import DailyUpdate, PersonStatus
from khaibao.people.models import HouseholdMembership, Person


def _values(instance: object, model: type) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields}


def _status(person: Person) -> PersonStatus:
    now = timezone.now().replace(microsecond=123456)
    return PersonStatus.objects.create(
        person=person, level="high", reasons=["r1", "r2"], recommendations=["five_k"], ruleset_version="2026.1",
        priority=7, assessed_at=now, monitoring_from=timezone.localdate(now), needs_attention=True,
    )


def test_it_reads_a_row_as_the_orm_does(world):
    _status(world.lan_child)
    with CaptureQueriesContext(connection) as queries:
        row = rowsql.fetch(PersonStatus, "person_id = %s", [world.lan_child.pk])
    assert len(queries) == 1
    assert _values(row, PersonStatus) == _values(PersonStatus.objects.get(pk=world.lan_child.pk), PersonStatus)
    assert row._state.adding is False


def test_it_decrypts_personal_fields_as_the_orm_does(world):
    row = rowsql.fetch(Person, "id = %s", [world.lan_child.pk])
    assert _values(row, Person) == _values(Person.objects.get(pk=world.lan_child.pk), Person)
    assert row.full_name == world.lan_child.full_name


def test_it_answers_none_when_nothing_matches(world):
    assert rowsql.fetch(PersonStatus, "person_id = %s", [-1]) is None
    assert rowsql.fetch_related(ApiToken, "account", "a.token_hash = %s", ["nothing"]) is None
    assert rowsql.fetch_with(PersonStatus, ("1",), "person_id = %s", [-1]) is None


def test_it_defers_the_columns_it_did_not_read(world):
    _status(world.lan_child)
    row = rowsql.fetch(PersonStatus, "person_id = %s", [world.lan_child.pk], columns=["person_id", "level"])
    assert row.level == "high"
    assert "reasons" in row.get_deferred_fields()
    assert row.reasons == ["r1", "r2"]  # loaded on access, like .only()


def test_it_refuses_an_unknown_column(world):
    with pytest.raises(ValueError, match="no column 'nope'"):
        rowsql.fetch(PersonStatus, "person_id = %s", [1], columns=["nope"])


def test_it_reads_a_row_with_its_foreign_key_target_in_one_statement(world):
    _value, token = token_issue(account=world.lan)
    with CaptureQueriesContext(connection) as queries:
        row = rowsql.fetch_related(ApiToken, "account", "a.token_hash = %s", [token.token_hash])
        assert row.account.phone == world.lan.phone
    assert len(queries) == 1
    assert _values(row, ApiToken) == _values(token, ApiToken)
    membership = rowsql.fetch_related(
        HouseholdMembership, "person", "a.owner_id = %s AND a.person_id = %s", [world.lan.pk, world.lan_child.pk]
    )
    assert membership.person.full_name == world.lan_child.full_name


def test_it_converts_values_as_values_list_does(world):
    day = timezone.localdate()
    DailyUpdate.objects.create(person=world.lan_child, day=day, symptoms=["cough"], temperature=Decimal("37.5"),
                               feeling="unwell", updated_as="self")
    rows = rowsql.fetch_values(DailyUpdate, ("day", "symptoms", "temperature"), "person_id = %s",
                               [world.lan_child.pk])
    expected = list(DailyUpdate.objects.filter(person=world.lan_child).values_list("day", "symptoms", "temperature"))
    assert rows == expected == [(day, ["cough"], Decimal("37.5"))]


def test_it_inserts_a_new_instance_and_sets_its_key(world):
    event = AuditEvent(at=timezone.now(), actor=world.lan, action="test.rowsql", person_id=world.lan_child.pk,
                       reason="a reason with a name", data={"k": [1, 2]}, prev_hash="", hash=None)
    with CaptureQueriesContext(connection) as queries:
        rowsql.create(event)
    assert len(queries) == 1
    assert event.pk is not None
    assert event._state.adding is False
    stored = AuditEvent.objects.get(pk=event.pk)
    assert _values(stored, AuditEvent) == _values(event, AuditEvent)
    assert stored.reason == "a reason with a name"


def test_it_updates_only_the_columns_named(world):
    status = _status(world.lan_child)
    PersonStatus.objects.filter(pk=status.pk).update(priority=99)
    status.level, status.reasons = "low", []
    assert rowsql.update(status, ["level", "reasons"]) == 1
    stored = PersonStatus.objects.get(pk=status.pk)
    assert (stored.level, stored.reasons, stored.priority) == ("low", [], 99)


def test_it_updates_many_rows_with_each_rows_values(world):
    statuses = [_status(world.lan_child), _status(world.lan_self)]
    PersonStatus.objects.filter(pk__in=[s.pk for s in statuses]).update(priority=99)
    statuses[0].level, statuses[0].reasons = "low", []
    statuses[1].level, statuses[1].reasons = "urgent", ["urgent.breathing_with_fever"]
    rowsql.update_many(statuses, ["level", "reasons"])
    stored = {s.pk: s for s in PersonStatus.objects.filter(pk__in=[s.pk for s in statuses])}
    assert (stored[statuses[0].pk].level, stored[statuses[0].pk].reasons) == ("low", [])
    assert (stored[statuses[1].pk].level, stored[statuses[1].pk].reasons) == ("urgent", ["urgent.breathing_with_fever"])
    assert {s.priority for s in stored.values()} == {99}  # columns not named are left alone
    rowsql.update_many([], ["level"])  # nothing to write: no statement


def test_it_reads_extra_expressions_with_the_row(world):
    _status(world.lan_child)
    found = rowsql.fetch_with(
        PersonStatus, ("(SELECT COUNT(*) FROM people_person WHERE id = %s)",), "person_id = %s",
        [world.lan_child.pk, world.lan_child.pk], for_update=True,
    )
    assert found is not None
    row, (count,) = found
    assert row.level == "high"
    assert count == 1


def test_it_formats_parameters_for_the_column(world):
    now = timezone.now()
    _value, token = token_issue(account=world.lan)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now - timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM accounts_apitoken WHERE id = %s AND last_used_at < %s",
            [token.pk, rowsql.param(ApiToken, "last_used_at", now)],
        )
        assert cursor.fetchone()[0] == 1


# Values of every kind the hot writes hand over, and some they never do (the chain's own cases).
_SAMPLES: tuple[object, ...] = (
    None, 0, 7, -3, 2**40, True, False, "", "text", "7", 1.5, Decimal("36.6"),
    timezone.now(), timezone.now().replace(tzinfo=None), timezone.localdate(), [], ["cough"], {"a": 1},
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # naive datetimes, as the chain warns
@pytest.mark.parametrize("model", [DailyUpdate, PersonStatus, AuditEvent, HouseholdMembership, Person, ApiToken])
def test_its_conversions_answer_what_get_db_prep_save_answers(model):
    from khaibao.core.fields import EncryptedBinaryField, EncryptedTextField, SealedField

    for field in model._meta.concrete_fields:
        if isinstance(field, SealedField | EncryptedTextField | EncryptedBinaryField):
            continue  # never shortened (a fresh token each time): the chain itself
        save = rowsql_writes._saver(field, connection.alias)
        for value in _SAMPLES:
            try:
                expected = field.get_db_prep_save(value, connection)
            except (TypeError, ValueError, AttributeError, ValidationError) as exc:
                with pytest.raises(type(exc)):
                    save(value)
                continue
            got = save(value)
            assert type(got) is type(expected), (field, value)
            # psycopg's wrappers (Jsonb) compare by what they wrap.
            assert getattr(got, "obj", got) == getattr(expected, "obj", expected), (field, value)


def test_sealed_fields_take_the_whole_chain(world):
    from khaibao.core.fields import SealedField

    field = DailyUpdate._meta.get_field("symptoms")
    assert isinstance(field, SealedField)
    token = rowsql_writes._saver(field, connection.alias)(["cough"])
    assert field.from_db_value(token, None, connection) == ["cough"]


def test_a_joined_read_behind_a_guard_answers_only_when_the_guard_has_a_row(world):
    _status(world.lan_child)
    guard = ("SELECT h.relation AS relation FROM people_householdmembership h WHERE h.owner_id = %s AND h.person_id = %s",)

    def read(owner: int) -> object:
        return rowsql.fetch_with_related(
            PersonStatus, "person", ["guard.relation"], "monitoring_personstatus.person_id = %s", [world.lan_child.pk],
            related_columns=("id", "birth_year"), for_update=True, guard=(guard[0], [owner, world.lan_child.pk]),
        )

    with CaptureQueriesContext(connection) as queries:
        found = read(world.lan.pk)
    assert found is not None
    status, (relation,) = found
    assert relation == HouseholdMembership.objects.get(owner=world.lan, person=world.lan_child).relation
    assert _values(status, PersonStatus) == _values(PersonStatus.objects.get(pk=world.lan_child.pk), PersonStatus)
    assert status.person.birth_year == world.lan_child.birth_year
    assert status.person.get_deferred_fields() >= {"full_name", "phone"}
    assert len(queries) == 1
    if connection.vendor == "postgresql":  # the status row locked, the person row only read
        assert queries[0]["sql"].endswith('FOR UPDATE OF "monitoring_personstatus"')
    assert read(world.mai.pk) is None
