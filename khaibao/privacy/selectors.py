"""Reads for the "My data" page and API: consents given, the household export and the full
export ("download my data"), erasures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Choices, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.accounts.one_time_codes import codes_live
from khaibao.cases.citizen_view import result_label
from khaibao.cases.models import FollowUpCase
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.core.params import id_in_range
from khaibao.declarations.answer_labels import answers_labels, place_names, symptom_items
from khaibao.declarations.labels import declared_as_label
from khaibao.declarations.models import Declaration
from khaibao.declarations.selectors import declarations_for_export
from khaibao.monitoring.explain import explain_reasons, explain_recommendations, level_display
from khaibao.monitoring.labels import contact_level_label
from khaibao.monitoring.models import Assessment, feeling_label
from khaibao.monitoring.selectors import updates_for_export
from khaibao.notifications.labels import notification_kind_label
from khaibao.notifications.models import Notification
from khaibao.passes.models import PassCode
from khaibao.people.models import HouseholdMembership, Person, Relation
from khaibao.people.persons import person_current_values
from khaibao.people.selectors import person_code_labels
from khaibao.privacy.consent import ConsentNotice, current_notice, notice_by_version
from khaibao.privacy.models import ConsentWithdrawal, Erasure, ErasureCode, ErasureStatus
from khaibao.reports.models import Report
from khaibao.tracing.models import Contact
from khaibao.venues.models import CheckInVia
from khaibao.venues.selectors import exposures_of, person_checkins
from khaibao.zones.models import ZoneWarning

# The files hold the codes as stored, each with its words beside it (`<code>_label`, in the
# language of the request — as `answer_labels` and `symptom_labels`): a person reads the file
# too (issue 17). Every word comes from the code's owner; "" beside an empty code.


def _choice_label(choices: type[Choices], code: str | None) -> str:
    """The words of model choice `code` (`dict(X.choices)`, the model's own labels); an
    unknown code as it is, never hidden."""
    if not code:
        return ""
    return str(dict(choices.choices).get(code, code))


def _level_label(level: str | None) -> str:
    """A risk level's word (monitoring.explain.level_display, as the status page names it)."""
    return str(level_display(level)["word"]) if level else ""


def _status_dict(person: Person) -> dict[str, Any] | None:
    status = getattr(person, "status", None)
    if status is None:
        return None
    data = {
        field.name: getattr(status, field.attname)
        for field in status._meta.concrete_fields
        if field.name != "person"
    }
    return data | {
        "level_label": _level_label(status.level),
        "contact_level_label": contact_level_label(status.contact_level),
        "reason_labels": explain_reasons(status.reasons or []),
        "recommendation_labels": explain_recommendations(status.recommendations or []),
    }


def _assessment_labels(assessment: dict[str, Any] | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    return assessment | {
        "level_label": _level_label(assessment.get("level")),
        "reason_labels": explain_reasons(assessment.get("reasons") or []),
        "recommendation_labels": explain_recommendations(assessment.get("recommendations") or []),
    }


def _declaration_labels(declaration: dict[str, Any], names: Any) -> dict[str, Any]:
    # `kind_label` and `declared_as_label` come with the declaration (declarations.labels, through
    # declaration_dict): the API and the case view carry the same words.
    return declaration | {
        "answer_labels": answers_labels(declaration["answers"], names),
        "assessment": _assessment_labels(declaration.get("assessment")),
    }


def _update_labels(update: dict[str, Any]) -> dict[str, Any]:
    return update | {
        "symptom_labels": symptom_items(update.get("symptoms") or []),
        "feeling_label": feeling_label(update.get("feeling")) or "",
        "updated_as_label": declared_as_label(update.get("updated_as")),
    }


def household_export_data(*, account: Account) -> dict[str, Any]:
    """Everything stored about `account` and its household, unmasked (it is their own data).

    People assisted as a volunteer are not included: their data belongs to them, not to the
    volunteer's account.
    """
    memberships = (
        HouseholdMembership.objects.filter(owner=account)
        .select_related("person__home_ward__province", "person__status")
        .order_by("created_at", "pk")
    )
    people = []
    for membership in memberships:
        person = membership.person
        ward = person.home_ward
        item: dict[str, Any] = {
            "id": person.pk,
            "relation": membership.relation,
            "relation_label": str(membership.get_relation_display()),
            **person_current_values(person),
            **person_code_labels(person),
            "ward_name": ward.name,
            "province_code": ward.province_id,
            "province_name": ward.province.name,
            "added_at": membership.created_at,
            "status": _status_dict(person),
        }
        # The codes as stored, with their words beside them (issue 17: a person reads the file too).
        declarations = declarations_for_export(person)
        names = place_names(d["answers"] for d in declarations)
        item["declarations"] = [_declaration_labels(d, names) for d in declarations]
        item["daily_updates"] = [_update_labels(u) for u in updates_for_export(person)]
        people.append(item)
    return {
        "format": "khaibao-household-export/1",
        "exported_at": timezone.now(),
        "account": {
            "phone": account.phone or "",
            "display_name": account.display_name,
            "date_joined": account.date_joined,
        },
        "people": people,
    }


def export_json(data: dict[str, Any]) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def latest_consent_version(person: Person) -> str | None:
    """The consent version of `person`'s latest declaration, or None if they never declared."""
    return (
        Declaration.objects.filter(person=person).order_by("-version").values_list("consent_version", flat=True).first()
    )


@dataclass(frozen=True)
class PersonConsent:
    person: Person
    relation: str
    versions: list[tuple[str, ConsentNotice | None, int]]  # (version, notice, declarations)

    @property
    def is_self(self) -> bool:
        return self.relation == Relation.SELF


def household_consents(*, account: Account) -> list[PersonConsent]:
    """Per person of `account`'s household ("self" first): the consent versions they accepted,
    with the words each version showed and how many declarations were given under it."""
    memberships = list(
        HouseholdMembership.objects.filter(owner=account).select_related("person").order_by("created_at", "pk")
    )
    memberships.sort(key=lambda m: m.relation != Relation.SELF)
    counts: dict[int, dict[str, int]] = {}
    rows = Declaration.objects.filter(person__in=[m.person_id for m in memberships], consent=True).values_list(
        "person_id", "consent_version"
    )
    for person_id, version in rows:
        per = counts.setdefault(person_id, {})
        per[version] = per.get(version, 0) + 1
    return [
        PersonConsent(
            person=m.person,
            relation=m.relation,
            versions=[(v, notice_by_version(v), n) for v, n in sorted(counts.get(m.person_id, {}).items())],
        )
        for m in memberships
    ]


def consent_notice_dict(notice: ConsentNotice) -> dict[str, Any]:
    return {
        "version": notice.version,
        "effective_from": notice.effective_from,
        "consent": notice.consent_text,
        "purpose": str(notice.purpose),
        "legal_basis": str(notice.legal_basis),
        "retention": notice.retention_text(),
        "rights": str(notice.rights),
    }


def current_notice_dict() -> dict[str, Any]:
    return consent_notice_dict(current_notice())


def consent_withdrawn(person_ids: Iterable[int]) -> set[int]:
    """Which of `person_ids` had their consent withdrawn (officials show "consent withdrawn")."""
    return set(ConsentWithdrawal.objects.filter(person_id__in=list(person_ids)).values_list("person_id", flat=True))


def erasures_requested_by(*, account: Account, limit: int = 20) -> list[Erasure]:
    """The latest erasures `account` asked for, newest first (the page shows their progress)."""
    return erasures_requested_by_page(account=account, cursor=None, limit=limit, count=False).items


def erasures_requested_by_page(
    *, account: Account, cursor: str | None, limit: int, count: bool = True
) -> KeysetPage[Erasure]:
    """All the erasures `account` asked for, newest first: a keyset page of `limit` after `cursor`
    and, with `count`, how many there are in all (a damaged cursor: ServiceError on "cursor")."""
    qs = Erasure.objects.filter(requested_by=account).order_by("-requested_at", "-pk")
    return keyset_page(qs, cursor=cursor, limit=limit, count=count)


def pending_erasures(*, limit: int) -> list[Erasure]:
    return list(Erasure.objects.filter(status=ErasureStatus.PENDING).order_by("requested_at", "pk")[:limit])


def _assessments(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "created_at": a.created_at, "source": a.source, "level": a.level, "reasons": a.reasons,
            "recommendations": a.recommendations, "ruleset_version": a.ruleset_version,
            "monitoring_until": a.monitoring_until,
            "source_label": str(a.get_source_display()), "level_label": _level_label(a.level),
            "reason_labels": explain_reasons(a.reasons or []),
            "recommendation_labels": explain_recommendations(a.recommendations or []),
        }
        for a in Assessment.objects.filter(person=person).order_by("created_at", "pk")
    ]


def _followup(person: Person) -> list[dict[str, Any]]:
    cases = FollowUpCase.objects.filter(person=person).prefetch_related("actions").order_by("opened_at", "pk")
    return [
        {
            "opened_at": case.opened_at, "status": case.status, "closed_at": case.closed_at, "outcome": case.outcome,
            "status_label": str(case.get_status_display()),
            "outcome_label": str(case.get_outcome_display()) if case.outcome else "",
            "actions": [
                # Officials' free-text notes stay out of the household's file: the account holder
                # may not be the person, and a note may name others (a source case, a neighbour).
                # The person gets them through the DPO on request (docs/privacy.md §7).
                {
                    "at": a.at, "kind": a.kind, "test_result": a.test_result,
                    "kind_label": str(a.get_kind_display()), "test_result_label": result_label(a.test_result) or "",
                }
                for a in sorted(case.actions.all(), key=lambda a: (a.at, a.pk))
            ],
        }
        for case in cases
    ]


def _person_extras(person: Person) -> dict[str, Any]:
    return {
        "assessments": _assessments(person),
        "zone_warnings": [
            {
                "created_at": w.created_at, "reason": w.reason, "level_before": w.level_before,
                "level_after": w.level_after, "reason_label": str(w.get_reason_display()),
                "level_before_label": _level_label(w.level_before), "level_after_label": _level_label(w.level_after),
            }
            for w in ZoneWarning.objects.filter(person=person).order_by("created_at", "pk")
        ],
        "contacts": [
            {
                "contact_date": c.contact_date, "kind": c.kind, "level": c.level, "registered_at": c.registered_at,
                "kind_label": str(c.get_kind_display()), "level_label": contact_level_label(c.level),
            }
            for c in Contact.objects.filter(person=person).order_by("contact_date", "pk")
        ],
        "followup": _followup(person),
        "passes": [
            {"created_at": p.created_at, "expires_at": p.expires_at}
            for p in PassCode.objects.filter(person=person).order_by("created_at", "pk")
        ],
        # Venue check-ins (issue 20): where and when, unsealed for their owner.
        "checkins": [
            {"at": c.at, "venue_code": c.venue_code, "venue_name": c.venue_name, "venue_address": c.venue_address,
             "via": c.via, "via_label": _choice_label(CheckInVia, c.via)}
            for c in reversed(person_checkins(person.pk))
        ],
        "venue_exposures": [
            {"venue_name": e["venue"], "checked_in_at": e["at"], "subject": e["label"]}
            for e in exposures_of(person.pk)
        ],
    }


def household_data(*, account: Account) -> dict[str, Any]:
    """All that is stored about `account` and its household, unmasked (it is their own data):
    people, declarations, daily updates, assessments, zone warnings, contacts, follow-up,
    passes, the account's notifications and reports, and the consent texts accepted."""
    data = household_export_data(account=account)
    data["format"] = "khaibao-my-data/1"
    people = {p.pk: p for p in Person.objects.filter(pk__in=[p["id"] for p in data["people"]])}
    for item in data["people"]:
        item.update(_person_extras(people[item["id"]]))
    versions = {
        d["consent_version"] for item in data["people"] for d in item.get("declarations", []) if d.get("consent_version")
    }
    data["consent_texts"] = [consent_notice_dict(n) for v in sorted(versions) if (n := notice_by_version(v))]
    data["notifications"] = [
        {"created_at": n.created_at, "kind": n.kind, "title": n.title, "body": n.body, "person_id": n.person_id,
         "read_at": n.read_at, "kind_label": notification_kind_label(n.kind)}
        for n in Notification.objects.filter(account=account).order_by("created_at", "pk")
    ]
    data["reports"] = [
        {"created_at": r.created_at, "category": r.category, "status": r.status, "address": r.address or "",
         "description": r.description or "", "happened_at": r.happened_at, "ward_code": r.ward_id,
         "category_label": str(r.get_category_display()), "status_label": str(r.get_status_display())}
        for r in Report.objects.filter(Q(reporter=account)).order_by("created_at", "pk")
    ]
    data["erasures"] = [
        {"person_id": e.person_id, "reason": e.reason, "status": e.status, "requested_at": e.requested_at,
         "reason_label": str(e.get_reason_display()), "status_label": str(e.get_status_display())}
        for e in Erasure.objects.filter(requested_by=account).order_by("requested_at", "pk")
    ]
    data["exported_at"] = timezone.now()
    return data


def includes_self(account: Account, person_ids: Iterable[int]) -> bool:
    """Whether `person_ids` holds `account`'s own person (the account then closes)."""
    return HouseholdMembership.objects.filter(
        owner=account, relation=Relation.SELF, person_id__in=list(person_ids)
    ).exists()


def erasure_code_for_account(*, account: Account, code_id: int) -> ErasureCode | None:
    """`account`'s still usable erasure code `code_id`, or None (missing, used, expired, not theirs)."""
    if not id_in_range(code_id):
        return None
    return codes_live(ErasureCode.objects.filter(pk=code_id, account=account)).first()


def person_privacy_state(person_id: int) -> str:
    """What officials are told about a person whose data is going: "Consent withdrawn" or
    "Data erased at the person's request", else ""."""
    if ConsentWithdrawal.objects.filter(person_id=person_id).exists():
        return _("Consent withdrawn")
    if Erasure.objects.filter(person_id=person_id).exists():
        return _("Data erased at the person's request")
    return ""


def processing_stopped_ids() -> Any:
    """A subquery of the ids of people whose data may no longer be processed: consent
    withdrawn or erasure asked for (zones leave them out of warnings). A withdrawal always
    comes with an erasure, so the erasures say it all."""
    return Erasure.objects.values("person_id")


@dataclass(frozen=True)
class ErasureScope:
    person_ids: list[int]  # who would be erased
    closes_account: bool
    foreign: bool  # some id is not in the household (or does not exist)
    own_account: bool  # some chosen person has their own account (only they may erase)


def erasure_scope(*, account: Account, person_ids: Iterable[int]) -> ErasureScope:
    """Who an erasure of `person_ids` asked by `account` covers.

    Choosing the account holder's own person means the whole household (the account closes),
    except members who have their own account: they decide about their own data.
    """
    wanted = {int(pk) for pk in person_ids}
    household = dict(HouseholdMembership.objects.filter(owner=account).values_list("person_id", "relation"))
    own = set(
        HouseholdMembership.objects.filter(person_id__in=list(household), relation=Relation.SELF)
        .exclude(owner=account)
        .values_list("person_id", flat=True)
    )
    closes = any(household.get(pk) == Relation.SELF for pk in wanted)
    if closes:
        wanted = set(household) - own
    return ErasureScope(
        person_ids=sorted(wanted), closes_account=closes,
        foreign=not wanted <= set(household), own_account=bool(wanted & own),
    )
