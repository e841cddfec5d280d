"""The contract other apps use: notify_account / notify_person / account_language."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.notifications.models import ChannelPreference, Notification
from khaibao.notifications.preferences import account_language
from khaibao.notifications.services import notify_account, notify_person
from khaibao.people.models import Delegation, HouseholdMembership, Person


def test_it_fans_out_to_own_account_household_owners_and_active_volunteers(world):
    child = world.lan_child
    HouseholdMembership.objects.create(owner=world.mai, person=child, relation="other")
    own = Account.objects.create_user(phone="+84900000077", phone_index="test-own-account")
    child.account = own
    child.save(update_fields=["account"])
    Delegation.objects.create(volunteer=world.volunteer, person=child, consent_method="witnessed")
    Delegation.objects.create(volunteer=world.hoa, person=child, ended_at=timezone.now())

    created = notify_person(person=child, kind="zone_warning", title="Cảnh báo", body="Xem hướng dẫn.", link="/zones/")

    assert sorted(n.account_id for n in created) == sorted([world.lan.id, world.mai.id, own.id, world.volunteer.id])
    assert not Notification.objects.filter(account=world.hoa).exists()  # the delegation ended
    assert all(n.person_id == child.id for n in created)


def test_it_reaches_an_assisted_person_through_the_volunteer_only(world):
    created = notify_person(person=world.ong_tu, kind="zone_warning", title="t", body="b")
    assert [n.account_id for n in created] == [world.volunteer.id]


def test_it_sends_a_deduplicated_notification_once_per_account(world):
    first = notify_account(account=world.lan, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:1:5")
    second = notify_account(account=world.lan, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:1:5")
    other = notify_account(account=world.mai, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:1:5")
    assert first is not None
    assert second is None
    assert other is not None
    assert Notification.objects.filter(dedupe_key="zone-warning:1:5").count() == 2
    again = notify_person(person=world.lan_child, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:1:5")
    assert again == []


def test_it_renders_lazy_texts_in_each_accounts_language(world):
    ChannelPreference.objects.create(account=world.mai, language="en")
    HouseholdMembership.objects.create(owner=world.mai, person=world.lan_child, relation="other")
    assert account_language(world.lan) == "vi"
    assert account_language(world.mai) == "en"

    # "Yes" is in Django's own Vietnamese catalogue, so the test does not wait for ours.
    notify_person(person=world.lan_child, kind="test", title=gettext_lazy("Yes"), body="")

    titles = dict(Notification.objects.values_list("account_id", "title"))
    assert titles[world.mai.id] == "Yes"
    assert titles[world.lan.id] == "Có"  # Vietnamese, the default language


def test_it_skips_inactive_accounts(world):
    world.lan.is_active = False
    world.lan.save(update_fields=["is_active"])
    assert notify_account(account=world.lan, kind="t", title="t", body="b") is None
    assert notify_person(person=world.lan_child, kind="t", title="t", body="b") == []


def test_it_notifies_a_batch_of_people_in_a_fixed_number_of_queries(world, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from khaibao.notifications.models import Delivery
    from khaibao.notifications.services import notify_people

    ChannelPreference.objects.create(account=world.mai, language="en", email=True, email_address="mai@example.com")
    ids = [world.lan_self.pk, world.lan_child.pk, world.mai_self.pk, world.ong_tu.pk, world.hung_self.pk]
    people = Person.objects.filter(pk__in=ids)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        count = notify_people(
            people=people, kind="zone_warning", title=gettext_lazy("Yes"), body="b",
            link="/zones/", dedupe_key="zone-warning:7:residents", sms=True,
        )
    assert len(queries) <= 9  # a fixed number, whatever the number of people
    # One per carer: Lan looks after two of them, the volunteer after Ông Tư.
    assert count == 4
    got = sorted(Notification.objects.values_list("account_id", flat=True))
    assert got == sorted([world.lan.id, world.mai.id, world.volunteer.id, world.hung.id])
    assert Notification.objects.get(account=world.mai).title == "Yes"
    assert Notification.objects.get(account=world.hung).title == "Có"
    assert set(Delivery.objects.filter(notification__account=world.mai).values_list("channel", flat=True)) == {"sms", "email"}
    assert Delivery.objects.filter(notification__account=world.lan, channel="sms").count() == 1
    # Idempotent per (account, key): again, or for another set of the same households.
    assert notify_people(people=people, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:7:residents") == 0
    parent = Person.objects.filter(pk=world.lan_parent.pk)
    assert notify_people(people=parent, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:7:residents") == 0
    assert Notification.objects.count() == 4


def test_it_reaches_an_account_outside_the_app_once_per_prefix(world):
    from khaibao.notifications.models import Delivery
    from khaibao.notifications.services import notify_people

    # Lan's child travelled (a message of its own, by SMS), then the household is warned as residents.
    notify_person(
        person=world.lan_child, kind="zone_warning", title="t", body="b", dedupe_key="zone-warning:8:1",
        sms=True, outside_once_per="zone-warning:8:",
    )
    assert notify_people(
        people=Person.objects.filter(pk__in=[world.lan_self.pk, world.lan_parent.pk]), kind="zone_warning",
        title="t", body="b", dedupe_key="zone-warning:8:residents", sms=True, outside_once_per="zone-warning:8:",
    ) == 1
    assert Notification.objects.filter(account=world.lan, dedupe_key__startswith="zone-warning:8:").count() == 2
    assert Delivery.objects.filter(notification__account=world.lan, channel="sms").count() == 1

