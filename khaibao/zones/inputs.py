"""What an official gives to declare or change a zone or a place, the checks both share, and
what making a new version current means for both.

The API and the console fill the same typed inputs. A field left `UNSET` was not given: a
new zone or place takes the default, a change keeps the current value. Values are still
checked here (not only by the API's schema): the console's form and commands call the
services too, and every bad field is named at once.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, TypeVar

from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.days import day_end, day_start
from khaibao.core.errors import ServiceError
from khaibao.core.params import code_in_range
from khaibao.places.models import Province, Ward
from khaibao.places.selectors import province_of
from khaibao.zones import selectors
from khaibao.zones.index import index_invalidate
from khaibao.zones.models import Place, PlaceVersion, Zone, ZoneVersion

NAME_MAX = 200
PLACE_NAME_MAX = 300
ADVICE_MAX = 5000
MAX_WARDS = 5000

T = TypeVar("T")


class Unset(enum.Enum):
    UNSET = "unset"


UNSET: Final = Unset.UNSET

# A point in time as given: an aware or local datetime, a date, or ISO text.
Moment = datetime | date | str | None


@dataclass(frozen=True, kw_only=True)
class CircleInput:
    """A circle as given; a missing part is reported, not guessed."""

    lat: float | None
    lon: float | None
    radius_m: float | None


@dataclass(frozen=True, kw_only=True)
class ZoneInput:
    """An epidemic zone (vùng dịch) as given: name, level 1–4, lockdown, isolation, the area
    (whole province, ward codes, a circle, a GeoJSON polygon — as a dict or its text), the
    province (default: the official's, or the wards'), validity and advice in both languages."""

    name: str | Unset | None = UNSET
    level: int | Unset | None = UNSET
    lockdown: bool | Unset | None = UNSET
    isolation: bool | Unset | None = UNSET
    whole_province: bool | Unset | None = UNSET
    province_code: int | Unset | None = UNSET
    ward_codes: Sequence[int] | Unset | None = UNSET
    circle: CircleInput | Unset | None = UNSET
    polygon: dict[str, Any] | str | Unset | None = UNSET
    valid_from: Moment | Unset = UNSET
    valid_until: Moment | Unset = UNSET
    advice_vi: str | Unset | None = UNSET
    advice_en: str | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class PlaceInput:
    """A place with a time window (mốc dịch tễ) as given: name or address, the ward and/or a
    point with a radius, the window, whether it is withdrawn, advice in both languages."""

    name: str | Unset | None = UNSET
    province_code: int | Unset | None = UNSET
    ward_code: int | Unset | None = UNSET
    lat: float | Unset | None = UNSET
    lon: float | Unset | None = UNSET
    radius_m: float | Unset | None = UNSET
    window_start: Moment | Unset = UNSET
    window_end: Moment | Unset = UNSET
    withdrawn: bool | Unset | None = UNSET
    advice_vi: str | Unset | None = UNSET
    advice_en: str | Unset | None = UNSET


def given(value: T | Unset, current: T) -> T:
    """`value` when it was given, else `current`."""
    return current if isinstance(value, Unset) else value


def moment(value: Any, *, end_of_day: bool = False) -> datetime | None:
    """An aware datetime from a datetime, a date or an ISO string; naive values are local time
    (TIME_ZONE, Asia/Ho_Chi_Minh, whatever time zone is active). A bare date means the start of
    that day — or its end for `end_of_day`, so "valid until 20/11" includes the 20th. Raises
    ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(value) from None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.get_default_timezone())
    if isinstance(value, date):
        # The local day's instants are core/days.py's. The validity is inclusive (`when <=
        # valid_until`), so the end is the last instant before the next day starts.
        return day_end(value) - timedelta(microseconds=1) if end_of_day else day_start(value)
    raise ValueError(value)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def text(fields: dict[str, str], name: str, value: Any, *, required: bool, limit: int) -> str:
    """`value` stripped; a field error when it is not text, missing but required, or too long."""
    result = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        fields[name] = _("Give text here.")
    elif required and not result:
        fields[name] = _("This field is required.")
    elif len(result) > limit:
        fields[name] = _("At most %(limit)d characters.") % {"limit": limit}
    return result


def flag(fields: dict[str, str], name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fields[name] = _("Give true or false.")
        return False
    return value


def numbers(fields: dict[str, str], **values: Any) -> bool:
    """Whether every value is a finite number; "Give a number." against each one that is not."""
    bad = [name for name, value in values.items() if not is_number(value)]
    for name in bad:
        fields[name] = _("Give a number.")
    return not bad


def forbidden(message: str) -> ServiceError:
    return ServiceError(message, code="forbidden", status=403)


def needs_correcting(fields: dict[str, str]) -> ServiceError:
    return ServiceError(_("Some fields need correcting."), fields=fields or {"province_code": _("Unknown province code.")})


def declarer_provinces(actor: Account) -> list[int] | None:
    """The provinces `actor` declares zones and places in (None: all); 403 for anyone else."""
    if not selectors.can_declare_zones(actor):
        if selectors.can_view_zones_console(actor):
            raise forbidden(_("Ward health stations see zones; the province or the Ministry declares them."))
        raise forbidden(_("Only province and national health officials declare epidemic zones."))
    return selectors.declarable_province_codes(actor)


def province_for(
    actor: Account, province_code: int | Unset | None, wards: Sequence[Ward], fields: dict[str, str]
) -> Province | None:
    """The province a new zone or place belongs to: the one given (in the actor's scope), else
    the actor's own, else the one all `wards` lie in."""
    allowed = declarer_provinces(actor)
    if not isinstance(province_code, Unset) and province_code is not None:
        if not is_int(province_code) or not code_in_range(province_code):
            fields["province_code"] = _("Unknown province code.")
            return None
        if allowed is not None and province_code not in allowed:
            raise forbidden(_("You can only declare zones in your own province."))
        province = province_of(province_code)
        if province is None:
            fields["province_code"] = _("Unknown province code.")
        return province
    if allowed is not None:
        return Province.objects.get(code=allowed[0])
    codes = {w.province_id for w in wards}
    if len(codes) == 1:
        return Province.objects.get(code=codes.pop())
    fields["province_code"] = _("Choose the province the zone belongs to.")
    return None


def province_kept(current: int, province_code: int | Unset | None, message: str) -> None:
    """A zone or place never moves to another province: refuse a change that asks it to."""
    if not isinstance(province_code, Unset) and province_code not in (None, current):
        raise ServiceError(_("Some fields need correcting."), fields={"province_code": message})


def outside_province(actor: Account, province: Province, wards: Sequence[Ward], *, what: str) -> list[int]:
    """Codes of `wards` outside `province`; 403 when the actor may not declare elsewhere anyway."""
    outside = [w.code for w in wards if w.province_id != province.code]
    if outside and selectors.declarable_province_codes(actor) is not None:
        raise forbidden(
            _("You can only declare places in your own province.") if what == "place"
            else _("You can only declare zones in your own province.")
        )
    return outside


def version_published(
    *, actor: Account, owner: Zone | Place, version: ZoneVersion | PlaceVersion, ip: str, data: dict[str, Any]
) -> None:
    """After `owner.current` moved to `version`: every process rebuilds its check index, and the
    change is audited as `zone.<change>` or `place.<change>` — in the caller's transaction."""
    index_invalidate()
    audit_record(
        actor=actor, action=f"{owner._meta.model_name}.{version.change}", obj=owner, ip=ip,
        data={"version": version.number, "province": owner.province_id, **data},
    )
