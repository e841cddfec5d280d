"""The named demo world: two provinces with two wards each, citizens, households and staff.

`seed_demo` loads it for people trying the product, and the test suite's `world` fixture
loads the same world, so documentation, demos and tests all speak of the same Lan and Mai.
Idempotent: running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import transaction

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.accounts.phones import normalise_vn_phone, phone_index
from khaibao.orgs.models import Member, MemberRole, OrgUnit
from khaibao.people.households import household_person_add
from khaibao.people.models import ConsentMethod, Person, VolunteerAppointment
from khaibao.people.volunteers import assisted_person_start
from khaibao.places.models import Province, Ward

DEMO_PASSWORD = "khaibao-demo-2026"  # noqa: S105 - documented demo credential, DEBUG only

HANOI, HCMC = 1, 79
HOAN_KIEM, BA_DINH = 70, 4  # wards of Hà Nội
SAI_GON, BEN_THANH = 26740, 26743  # wards of TP Hồ Chí Minh

# (phone, display name, home ward, household [(relation, full name, sex, birth date, id number)])
CITIZENS: list[tuple[str, str, int, list[tuple[str, str, str, date, str]]]] = [
    ("0900000001", "Nguyễn Thị Lan", HOAN_KIEM, [
        ("self", "Nguyễn Thị Lan", "female", date(1988, 3, 14), "001188000001"),
        ("child", "Trần Minh An", "male", date(2016, 9, 2), ""),
        ("parent", "Nguyễn Văn Bình", "male", date(1955, 1, 20), "001055000003"),
    ]),
    ("0900000002", "Lê Thị Mai", BA_DINH, [
        ("self", "Lê Thị Mai", "female", date(1992, 7, 5), "001192000002"),
    ]),
    ("0900000003", "Phạm Văn Hùng", SAI_GON, [
        ("self", "Phạm Văn Hùng", "male", date(1979, 11, 30), "079079000004"),
        ("spouse", "Đặng Thị Thu", "female", date(1981, 4, 18), "079181000005"),
    ]),
    ("0900000004", "Võ Thị Hoa", BEN_THANH, [
        ("self", "Võ Thị Hoa", "female", date(2000, 2, 29), "079300000006"),
    ]),
    ("0900000005", "Đỗ Văn Nam", HOAN_KIEM, [
        ("self", "Đỗ Văn Nam", "male", date(1965, 6, 1), "001065000007"),
    ]),
]
VOLUNTEER = ("0900000009", "Trần Thu Hà", BA_DINH, date(1999, 12, 12), "001199000009")
# Ông Tư: elderly, no phone; he agreed in front of a neighbour (witnessed consent).
ASSISTED = ("Nguyễn Văn Tư", "male", date(1938, 5, 10), HOAN_KIEM, "001038000010", "Ngõ 5 phố Demo")
ASSISTED_WITNESS = "Phạm Thị Sáu"

# (username, display name, role, scope level, province, ward)
STAFF: list[tuple[str, str, str, str, int | None, int | None]] = [
    ("demo-national", "Cán bộ Bộ Y tế", Role.OFFICIAL, ScopeLevel.NATIONAL, None, None),
    ("demo-province", "Cán bộ Sở Y tế Hà Nội", Role.OFFICIAL, ScopeLevel.PROVINCE, HANOI, None),
    ("demo-province-hcm", "Cán bộ Sở Y tế TP.HCM", Role.OFFICIAL, ScopeLevel.PROVINCE, HCMC, None),
    ("demo-ward", "Trạm Y tế phường Hoàn Kiếm", Role.OFFICIAL, ScopeLevel.WARD, None, HOAN_KIEM),
    ("demo-checkpoint", "Chốt kiểm soát Ga Hà Nội", Role.CHECKPOINT, "", None, None),
    ("demo-org", "Văn phòng Trung ương Đoàn", Role.ORG_ADMIN, "", None, None),
    ("demo-dpo", "Cán bộ bảo vệ dữ liệu", Role.DPO, "", None, None),
]


@dataclass
class World:
    provinces: dict[int, Province] = field(default_factory=dict)
    wards: dict[int, Ward] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)  # by phone or username
    people: dict[str, Person] = field(default_factory=dict)  # by full name

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def _citizen(phone_raw: str, name: str) -> Account:
    phone = normalise_vn_phone(phone_raw)
    account, _ = Account.objects.get_or_create(
        phone_index=phone_index(phone),
        defaults={"phone": phone, "display_name": name, "role": Role.CITIZEN},
    )
    return account


def _add(owner: Account, relation: str, name: str, sex: str, born: date, id_number: str, ward: int, phone: str = "") -> Person:
    existing = Person.objects.filter(households__owner=owner, full_name=name).first()
    if existing:
        return existing
    return household_person_add(
        actor=owner, owner=owner, relation=relation, full_name=name, sex=sex, home_ward_id=ward,
        date_of_birth=born, id_number=id_number, phone=phone if relation == "self" else "",
        street="Số 1 phố Demo",
    )


@transaction.atomic
def build_world() -> World:
    world = World()
    world.provinces = {p.code: p for p in Province.objects.filter(code__in=[HANOI, HCMC])}
    world.wards = {w.code: w for w in Ward.objects.filter(code__in=[HOAN_KIEM, BA_DINH, SAI_GON, BEN_THANH])}

    for phone, display, ward, household in CITIZENS:
        account = _citizen(phone, display)
        world.accounts[phone] = account
        for relation, name, sex, born, id_number in household:
            world.people[name] = _add(account, relation, name, sex, born, id_number, ward, normalise_vn_phone(phone))

    v_phone, v_name, v_ward, v_born, v_id = VOLUNTEER
    # A volunteer by her appointment below (people.access.is_active_volunteer), not by a flag.
    volunteer = _citizen(v_phone, v_name)
    world.accounts[v_phone] = volunteer
    world.people[v_name] = _add(volunteer, "self", v_name, "female", v_born, v_id, v_ward, normalise_vn_phone(v_phone))

    central = OrgUnit.objects.filter(path="TWD").first() or OrgUnit.objects.create(
        code="TWD", name="Trung ương Đoàn"
    )
    if not OrgUnit.objects.filter(path="TWD/HN").exists():
        OrgUnit.objects.create(code="HN", name="Thành đoàn Hà Nội", parent=central)
    _demo_roster(OrgUnit.objects.get(path="TWD/HN"))
    for username, display, role, level, scope_province, scope_ward in STAFF:
        staff = Account.objects.filter(username=username).first()
        if staff is None:
            staff = Account.objects.create_user(
                username, DEMO_PASSWORD, display_name=display, role=role, scope_level=level,
                scope_province_id=scope_province, scope_ward_id=scope_ward,
                org_unit=central if role == Role.ORG_ADMIN else None,
            )
        world.accounts[username] = staff
    # Hà's volunteer appointment, by the organisation admin for the central unit; long enough
    # that tests travelling in time keep her a volunteer unless they revoke it.
    if not VolunteerAppointment.objects.filter(account=volunteer).exists():
        VolunteerAppointment.objects.create(
            account=volunteer, appointed_by=world.accounts["demo-org"], org_unit=central,
            starts_at=datetime(2020, 1, 1, tzinfo=UTC), expires_at=datetime(2099, 1, 1, tzinfo=UTC),
        )
    # Ông Tư belongs to no one's household; the volunteer declares for him by delegation —
    # registered as a volunteer registers anyone (after her appointment: only an appointed
    # volunteer may), with his witnessed consent, so the demo shows the real route.
    t_name, t_sex, t_born, t_ward, t_id, t_street = ASSISTED
    tu = Person.objects.filter(full_name=t_name, delegations__volunteer=volunteer).first()
    if tu is None:
        tu = assisted_person_start(
            actor=volunteer, consent_method=ConsentMethod.WITNESSED, full_name=t_name, sex=t_sex,
            home_ward_id=t_ward, date_of_birth=t_born, id_number=t_id, street=t_street,
            witness_name=ASSISTED_WITNESS, attested=True,
        ).person
    world.people[t_name] = tu
    return world


# Two Đoàn cơ sở under Thành đoàn Hà Nội, with the demo citizens on their rosters (not linked
# until each signs in, as in real life).
DEMO_ROSTER = [
    ("DCS-HK", "Đoàn cơ sở phường Hoàn Kiếm", [("0900000001", MemberRole.UNION_MEMBER), ("0900000002", MemberRole.CADRE),
                                              ("0900000003", MemberRole.WORKER)]),
    ("DCS-BD", "Đoàn cơ sở phường Ba Đình", [("0900000004", MemberRole.CIVIL_SERVANT), ("0900000005", MemberRole.UNION_MEMBER)]),
]


def _demo_roster(hanoi: OrgUnit) -> None:
    for code, name, members in DEMO_ROSTER:
        unit = OrgUnit.objects.filter(path=f"{hanoi.path}/{code}").first() or OrgUnit.objects.create(
            code=code, name=name, parent=hanoi
        )
        for raw, role in members:
            phone = normalise_vn_phone(raw)
            account = Account.objects.get(phone_index=phone_index(phone))
            if not Member.objects.filter(unit=unit, phone_index=phone_index(phone), removed_at__isnull=True).exists():
                Member.objects.create(
                    unit=unit, full_name=account.display_name, phone=phone, phone_index=phone_index(phone), role=role
                )
