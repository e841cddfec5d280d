"""How a zone's change differs from its current version (end, raise, lower, edit), and whether
a zone can still be changed at all (ended, or its validity passed)."""

from __future__ import annotations

from datetime import datetime

from khaibao.zones.geometry import haversine_m
from khaibao.zones.models import Change, ZoneVersion
from khaibao.zones.values import Circle, ZoneValues


def _circle_within(inner: Circle, outer: Circle) -> bool:
    return haversine_m(inner[0], inner[1], outer[0], outer[1]) + inner[2] <= outer[2]


def _area_grows(old: ZoneValues, new: ZoneValues) -> bool:
    if new.whole_province and not old.whole_province:
        return True
    if not old.whole_province and not new.ward_codes <= old.ward_codes:
        return True
    if new.circle is not None and (old.circle is None or not _circle_within(new.circle, old.circle)):
        return True
    if new.polygon is not None:
        old_shape, new_shape = old.shape, new.shape
        if old_shape is None or new_shape is None or not old_shape.covers(new_shape):
            return True
    return False


def _later(a: datetime | None, b: datetime | None) -> bool:
    """Whether end `a` is later than end `b` (None is open-ended)."""
    if a is None:
        return b is not None
    return b is not None and a > b


def _reaches_more(old: ZoneValues, new: ZoneValues) -> bool:
    """Whether `new` can reach more people or say more to them than `old`: a higher level, a
    new lockdown or isolation, a larger area, a longer validity."""
    return (
        new.level > old.level
        or (new.lockdown and not old.lockdown)
        or (new.isolation and not old.isolation)
        or _area_grows(old, new)
        or new.valid_from < old.valid_from
        or _later(new.valid_until, old.valid_until)
    )


def _same_text(old: ZoneValues, new: ZoneValues) -> bool:
    return (new.name, new.advice_vi, new.advice_en, new.polygon, new.circle, new.ward_codes) == (
        old.name, old.advice_vi, old.advice_en, old.polygon, old.circle, old.ward_codes
    )


def zone_change_kind(old: ZoneValues, new: ZoneValues, now: datetime) -> str | None:
    """How `new` differs from `old`: end, raise, lower, edit — or None when nothing changed.

    Raising is anything that can reach more people or say more to them; lowering the reverse
    (so one change can only be one of them: raising wins, since it warns).
    """
    if new.valid_until is not None and new.valid_until <= now and (old.valid_until is None or old.valid_until > now):
        return Change.END
    if _reaches_more(old, new):
        return Change.RAISE
    if _reaches_more(new, old):
        return Change.LOWER
    return None if _same_text(old, new) else Change.EDIT



# --- Whether a zone can still change ----------------------------------------------------------------


def zone_ended(version: ZoneVersion) -> bool:
    """Whether an official ended the zone whose current version is `version`: its warnings and
    history belong to that zone, and one needed again is declared anew."""
    return version.change == Change.END


def zone_expired(version: ZoneVersion, now: datetime) -> bool:
    """Whether the validity of the zone whose current version is `version` has passed without an
    official ending it: it no longer applies, and only a change that puts it back in force (an end
    in the future, or none) is taken (`zones.zone_update`)."""
    return not zone_ended(version) and version.valid_until is not None and version.valid_until <= now


def zone_changeable(version: ZoneVersion, now: datetime) -> bool:
    """Whether the zone whose current version is `version` can still be raised, lowered, edited or
    ended: neither ended nor expired. The service refuses the rest; the console offers only this."""
    return not zone_ended(version) and not zone_expired(version, now)
