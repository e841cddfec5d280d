"""The contract other apps use: notify_account / notify_person / account_language."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.notifications.models import ChannelPreference, Notification
from khaibao.notifications.services import account_language, notify_account, notify_person
from khaibao.people.models import Delegation, HouseholdMembership


def test_it_fans_out_to_own_account_household_owners_and_active_volunteers(world):
    child = world.lan_child
    HouseholdMembership.objects.create(owner=world.mai, person=child, relation="other")
    own = Account.objects.create_user(phone="+84900000077", phone_index="test-own-account")
    child.account = own
    child.save(update_fields=["account"])
    Delegation.objects.create(volunteer=world.volunteer, person=child)
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
    people = [world.lan_self, world.lan_child, world.mai_self, world.ong_tu, world.hung_self]
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        created = notify_people(
            people=people, kind="zone_warning", title=gettext_lazy("Yes"), body="b",
            link=lambda p: f"/people/{p.pk}/", dedupe_key=lambda p: f"zone-warning:7:{p.pk}", sms=True,
        )
    assert len(queries) <= 20
    got = sorted((n.account_id, n.person_id) for n in created)
    assert got == sorted([
        (world.lan.id, world.lan_self.id), (world.lan.id, world.lan_child.id), (world.mai.id, world.mai_self.id),
        (world.volunteer.id, world.ong_tu.id), (world.hung.id, world.hung_self.id),
    ])
    assert Notification.objects.get(account=world.mai).title == "Yes"
    assert Notification.objects.get(account=world.hung).title == "Có"
    assert set(Delivery.objects.filter(notification__account=world.mai).values_list("channel", flat=True)) == {"sms", "email"}
    # Idempotent per (account, key), and consistent with notify_person.
    assert notify_people(people=people, kind="zone_warning", title="t", body="b", dedupe_key=lambda p: f"zone-warning:7:{p.pk}") == []
    assert notify_person(person=world.lan_child, kind="zone_warning", title="t", body="b", dedupe_key=f"zone-warning:7:{world.lan_child.pk}") == []
