"""GET /api/v1/me: the account's role and roles keep their codes and have their words beside them
(`role_label`, `role_labels`), in the language of the request; the OpenAPI says so."""

from __future__ import annotations

from typing import Any

EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


def _me(api: Any, account: Any, headers: dict[str, str]) -> dict[str, Any]:
    resp = api.as_(account).get("/me", headers=headers)
    assert resp.status_code == 200, resp.content
    body: dict[str, Any] = resp.json()
    return body


def test_it_names_an_officials_role_in_vietnamese(world: Any, api: Any) -> None:
    body = _me(api, world.ward_official, VI)

    assert (body["role"], body["role_label"]) == ("official", "Cán bộ y tế")
    assert (body["roles"], body["role_labels"]) == (["official"], ["Cán bộ y tế"])


def test_it_names_an_officials_role_in_english(world: Any, api: Any) -> None:
    body = _me(api, world.ward_official, EN)

    assert (body["role"], body["role_label"]) == ("official", "Health official")
    assert body["role_labels"] == ["Health official"]


def test_it_names_the_volunteer_role_beside_the_citizens(world: Any, api: Any) -> None:
    vi = _me(api, world.volunteer, VI)
    en = _me(api, world.volunteer, EN)

    assert (vi["role"], vi["role_label"]) == ("citizen", "Người dân")
    assert (vi["roles"], vi["role_labels"]) == (["citizen", "volunteer"], ["Người dân", "Tình nguyện viên"])
    assert en["role_labels"] == ["Citizen", "Volunteer"]


def test_the_openapi_documents_the_words(api: Any) -> None:
    properties = api.get("/openapi.json").json()["components"]["schemas"]["MeOut"]["properties"]
    assert {"role", "role_label", "roles", "role_labels"} <= set(properties)
