"""Marker crawl (issue 8, suite item 2): where may each piece of personal data appear?

The world (conftest.py) holds a unique marker in every sensitive field. As every role, the crawl
fetches every page and GET endpoint with the world's ids (routes.py) and every same-site link
those pages show, then checks each marker against POLICY: the roles that may see that kind of
field. Everything logged meanwhile, at DEBUG for every logger, must hold no marker at all.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from khaibao.security_suite.conftest import MARKERS, ROLES
from khaibao.security_suite.test_authorisation_matrix import HANOI, READS, _request

OWNER = {"citizen_owner"}
# Field kind -> roles that may see it. Checkpoint staff, the DPO and the system admin appear
# nowhere: they get no personal data through pages or API. Organisation admins see their own
# roster's names (to chase who has not declared) and never health data.
POLICY: dict[str, set[str]] = {
    "person_name": OWNER | HANOI,
    # Whole ID and phone numbers: the owner's own download only; elsewhere they are masked, and
    # officials see them in full only after a stated, audited reveal (a POST).
    "person_id_number": OWNER,
    "person_phone": OWNER,
    "person_street": OWNER | HANOI,
    "case_notes": set(HANOI),
    "contact_name": set(HANOI),
    "contact_phone": set(),
    "report_address": OWNER | HANOI,
    "report_description": OWNER | HANOI,
    "report_note": set(HANOI),  # internal: never shown to the reporter
    "report_reply": OWNER | HANOI,
    "roster_name": {"org_admin_a"},
    "roster_phone": set(),  # masked even for the organisation's admin
    "roster_b_name": {"org_admin_b"},
    "roster_b_phone": set(),
    # A venue's name is on its poster; the venue's operator and the officials of its area see
    # it in their lists, and a citizen in their own check-ins (here the operator checked in).
    "venue_name": OWNER | HANOI,
}
LINK = re.compile(r'href="(/[^"#]*)"')
# Links the crawl must not follow: they act (sign out) or leave the site's data pages.
SKIP_LINKS = ("/sign-out/", "/staff/sign-out/", "/static/", "/i18n/", "/admin/")


def _forms(marker: str) -> list[str]:
    """The marker as written, and phone numbers as shown in international form."""
    forms = [marker]
    if marker.isdigit() and marker.startswith("0") and len(marker) == 10:
        forms.append("+84" + marker[1:])
    return forms


def _text(resp: Any) -> str:
    data = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
    return data.decode("utf-8", errors="replace")


def test_it_shows_each_marker_only_to_the_roles_the_policy_allows(sec, caplog):
    assert set(POLICY) == set(MARKERS), "every marker needs a line in POLICY"
    caplog.set_level(logging.DEBUG)
    seen: dict[str, dict[str, str]] = {kind: {} for kind in MARKERS}

    for role in ROLES:
        pages: dict[str, str] = {}
        for route in READS:
            resp = _request(sec, role, route)
            pages[route.key] = _text(resp)
        client = sec.web(role)
        for link in sorted({m for body in list(pages.values()) for m in LINK.findall(body)}):
            if link.startswith(SKIP_LINKS) or link in pages:
                continue
            pages[link] = _text(client.get(link))
        for kind, marker in MARKERS.items():
            for where, body in pages.items():
                if any(form in body for form in _forms(marker)):
                    seen[kind].setdefault(role, where)

    leaks = {
        kind: {role: where for role, where in shown.items() if role not in POLICY[kind]}
        for kind, shown in seen.items()
    }
    leaks = {kind: found for kind, found in leaks.items() if found}
    assert not leaks, f"markers shown to roles the policy does not allow (kind: role -> where): {leaks}"
    # The crawl must reach each marker somewhere it is allowed, or it proves nothing.
    unseen = [kind for kind, roles in POLICY.items() if roles and not seen[kind]]
    assert not unseen, f"the crawl never found these markers where they should be: {unseen}"

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    in_logs = [kind for kind, marker in MARKERS.items() if any(form in logged for form in _forms(marker))]
    assert not in_logs, f"markers in the logs: {in_logs}"


def test_it_keeps_markers_out_of_the_logs_while_the_world_is_built(sec_log):
    in_logs = [kind for kind, marker in MARKERS.items() if any(form in sec_log for form in _forms(marker))]
    assert not in_logs, f"markers logged while creating the data: {in_logs}"
