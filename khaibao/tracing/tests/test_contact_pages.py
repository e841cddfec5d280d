"""`GET /cases/{id}/contacts` in keyset pages (it was one unbounded array): the array stays, the
next page is in `X-Next-Cursor`/`Link`, the count in `X-Total-Count`; each page shown is audited
with its own contacts; every contact says in words how it was found (`matched_by_label`)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from khaibao.audit.models import AuditEvent
from khaibao.tracing.selectors import matched_by_label
from khaibao.tracing.tests.helpers import contact, make_f0


def test_it_pages_a_cases_contacts(world: Any, api: Any, sms: Any) -> None:
    make_f0(world, api, world.lan_self)
    client = api.as_(world.ward_official)
    made = []
    for i, name in enumerate(["An", "Bình", "Chi", "Dũng", "Hà"]):
        resp = client.post(
            f"/cases/{world.lan_self.id}/contacts", contact(full_name=f"Nguyễn Văn {name}", phone=f"091234560{i}")
        )
        assert resp.status_code == 201, resp.content
        with translation.override("vi"):
            assert resp.json()["matched_by_label"] == matched_by_label("new") != "new"
        made.append(resp.json()["id"])

    whole = client.get(f"/cases/{world.lan_self.id}/contacts")
    assert [c["id"] for c in whole.json()] == made[::-1]  # newest first, all on the first page
    assert whole.headers["X-Total-Count"] == "5"
    assert "X-Next-Cursor" not in whole.headers

    AuditEvent.objects.filter(action="list.contacts").delete()
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        resp = client.get(f"/cases/{world.lan_self.id}/contacts", data={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.content
        seen += [c["id"] for c in resp.json()]
        pages += 1
        cursor = resp.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert seen == made[::-1]
    assert pages == 3
    assert AuditEvent.objects.filter(action="list.contacts").count() == 3
    bad = client.get(f"/cases/{world.lan_self.id}/contacts?cursor=nope")
    assert bad.status_code == 400
    assert "cursor" in bad.json()["error"]["fields"]
