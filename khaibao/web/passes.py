"""The citizen's QR health pass image, for the status page's <img> (session auth)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from khaibao.passes.qr import pass_qr_response
from khaibao.passes.services import pass_issue
from khaibao.people.access import access_person_for_declarer


@require_GET
def pass_svg(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person_for_declarer(request.user, person_id)
    return pass_qr_response(pass_issue(person=person).token)
