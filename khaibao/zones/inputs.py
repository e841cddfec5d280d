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
from shapely.geometry import shape

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


# Where each province lies, as boxes (min lat, max lat, min lon, max lon) in WGS84 degrees — the
# 34 provinces since 1 July 2025, each the union of the provinces merged into it; islands far
# offshore (Hoàng Sa, Trường Sa, Côn Đảo) have a box of their own. The figures are approximate
# extents rounded outwards to 0.05°, not surveyed borders: the project holds no border geometry
# (vietnam-provinces publishes codes and names only). So this is a sanity check, not a border:
# neighbouring boxes overlap, and a province's box holds some of its neighbours (and the sea) too.
# It stops a shape drawn far from the province — another province's city — and lets everything
# near the border through; PROVINCE_BOX_MARGIN on every side keeps an error of several km in
# these figures from refusing a real zone. A circle is held by its centre alone — its radius (at
# most 50 km) may reach over the border, as an outbreak does — and a polygon, which has no such
# bound, by every point (zones._area_checked); a place by its point (places._point_checked).
ProvinceBox = tuple[float, float, float, float]
PROVINCE_BOX_MARGIN: Final = 0.1  # degrees, about 11 km
PROVINCE_BOXES: Final[dict[int, tuple[ProvinceBox, ...]]] = {
    1: ((20.50, 21.40, 105.25, 106.05),),  # Hà Nội
    4: ((22.30, 23.15, 105.25, 106.85),),  # Cao Bằng
    8: ((21.45, 23.40, 104.30, 105.70),),  # Tuyên Quang (+ Hà Giang)
    11: ((20.85, 22.60, 102.10, 103.65),),  # Điện Biên
    12: ((21.65, 22.85, 102.30, 104.00),),  # Lai Châu
    14: ((20.60, 22.05, 103.15, 105.05),),  # Sơn La
    15: ((21.30, 22.90, 103.50, 105.15),),  # Lào Cai (+ Yên Bái)
    19: ((21.30, 22.75, 105.45, 106.30),),  # Thái Nguyên (+ Bắc Kạn)
    20: ((21.30, 22.50, 106.05, 107.40),),  # Lạng Sơn
    22: ((20.70, 21.70, 106.40, 108.10),),  # Quảng Ninh
    24: ((20.95, 21.65, 105.85, 107.05),),  # Bắc Ninh (+ Bắc Giang)
    25: ((20.25, 21.75, 104.75, 105.90),),  # Phú Thọ (+ Vĩnh Phúc, Hòa Bình)
    31: ((20.10, 21.25, 106.05, 107.80),),  # Hải Phòng (+ Hải Dương; Bạch Long Vĩ)
    33: ((20.25, 21.05, 105.85, 106.75),),  # Hưng Yên (+ Thái Bình)
    37: ((19.85, 20.75, 105.50, 106.60),),  # Ninh Bình (+ Hà Nam, Nam Định)
    38: ((19.25, 20.70, 104.35, 106.10),),  # Thanh Hóa
    40: ((18.50, 20.00, 103.85, 105.85),),  # Nghệ An
    42: ((17.85, 18.85, 105.10, 106.55),),  # Hà Tĩnh
    44: ((16.25, 18.10, 105.55, 107.45),),  # Quảng Trị (+ Quảng Bình; Cồn Cỏ)
    46: ((15.95, 16.80, 107.00, 108.25),),  # Huế
    48: ((14.90, 16.25, 107.20, 108.80), (15.60, 17.20, 111.00, 113.00)),  # Đà Nẵng (+ Quảng Nam), Hoàng Sa
    51: ((13.90, 15.45, 107.30, 109.20),),  # Quảng Ngãi (+ Kon Tum; Lý Sơn)
    52: ((12.95, 14.75, 107.40, 109.40),),  # Gia Lai (+ Bình Định)
    56: ((11.25, 12.90, 108.50, 109.50), (7.80, 11.60, 111.50, 114.90)),  # Khánh Hòa (+ Ninh Thuận), Trường Sa
    66: ((12.10, 13.75, 107.45, 109.50),),  # Đắk Lắk (+ Phú Yên)
    68: ((10.45, 12.85, 107.15, 109.00),),  # Lâm Đồng (+ Đắk Nông, Bình Thuận; Phú Quý)
    75: ((10.50, 12.35, 106.40, 107.60),),  # Đồng Nai (+ Bình Phước)
    79: ((10.30, 11.55, 106.30, 107.60), (8.50, 8.85, 106.45, 106.80)),  # TP.HCM (+ Bình Dương, Bà Rịa–Vũng Tàu), Côn Đảo
    80: ((10.35, 11.85, 105.45, 106.85),),  # Tây Ninh (+ Long An)
    82: ((10.10, 11.00, 105.15, 106.85),),  # Đồng Tháp (+ Tiền Giang)
    86: ((9.50, 10.35, 105.65, 106.85),),  # Vĩnh Long (+ Bến Tre, Trà Vinh)
    91: ((9.20, 11.00, 103.40, 105.60),),  # An Giang (+ Kiên Giang; Phú Quốc, Thổ Châu)
    92: ((9.15, 10.35, 105.20, 106.35),),  # Cần Thơ (+ Sóc Trăng, Hậu Giang)
    96: ((8.35, 9.70, 104.40, 105.90),),  # Cà Mau (+ Bạc Liêu)
}


def _box_holds(box: ProvinceBox, min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> bool:
    south, north, west, east = box
    m = PROVINCE_BOX_MARGIN
    return south - m <= min_lat and max_lat <= north + m and west - m <= min_lon and max_lon <= east + m


def in_province_box(province_code: int, *, min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> bool:
    """Whether the extent given lies within one of the province's boxes (a point: min = max).
    True for a province without a box: the check cannot tell, and a test keeps the table whole."""
    boxes = PROVINCE_BOXES.get(province_code)
    if boxes is None:
        return True
    return any(_box_holds(box, min_lat, max_lat, min_lon, max_lon) for box in boxes)


def point_in_province(province_code: int, lat: float, lon: float) -> bool:
    return in_province_box(province_code, min_lat=lat, max_lat=lat, min_lon=lon, max_lon=lon)


def province_map_bounds(province_code: int | None) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the province's first box (its mainland), for a map to open
    on the province the official draws in; None for no province or one without a box."""
    boxes = PROVINCE_BOXES.get(province_code) if province_code is not None else None
    if not boxes:
        return None
    south, north, west, east = boxes[0]
    return [[south, west], [north, east]]


def shape_outside_province(
    actor: Account, province: Province, *, point: tuple[float, float] | None = None,
    polygon: dict[str, Any] | None = None,
) -> bool:
    """Whether `point` (a circle's centre, a place) or any point of `polygon` (validated GeoJSON)
    lies outside the province's box — for everyone but national officials, who declare anywhere."""
    if selectors.declarable_province_codes(actor) is None:
        return False
    if point is not None and not point_in_province(province.code, point[0], point[1]):
        return True
    if polygon is not None:
        min_lon, min_lat, max_lon, max_lat = shape(polygon).bounds
        return not in_province_box(province.code, min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon)
    return False


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
