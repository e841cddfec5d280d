"""How a check-in holds its venue: sealed, like every other health answer (DESIGN.md §7).

`venue_index` is a keyed blind index of the venue's id (core/crypto.py): the exposure job finds
everyone at a venue with one equality on it, but a dump of the table cannot be joined to the
venues without the key. `venue_sealed` is the id encrypted, for the person's own list.

The rows that follow from a check-in hold the venue the same way, sealed (`venue_seal`): a venue
exposure (`VenueExposure.venue_sealed`, shown on the person's own pages), a case's recorded visit
(`CaseVisit.venue_sealed`) and the venues a run covers (`VenueExposureRun.venue_ids`, sealed JSON).
None of them needs a blind index: nothing looks them up by venue.
"""

from __future__ import annotations

from khaibao.core.crypto import blind_index

PURPOSE = "venue-checkin"


def venue_index(venue_id: int) -> str:
    return venue_index_of(str(venue_id))


def venue_index_of(value: str) -> str:
    """The index of a sealed value (key rotation recomputes it from `venue_sealed`: core/rotation.py)."""
    return blind_index(value, purpose=PURPOSE)


def venue_seal(venue_id: int) -> str:
    """The value to store in a `venue_sealed` column (the field encrypts it)."""
    return str(venue_id)


def venue_unseal(value: str) -> int:
    return int(value)
