"""The citizen's organisation memberships: roster lines linked to their phone at sign-in,
each confirmed or declined once. The organisation only learns "confirmed" or "declined"."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.orgs import access, members, selectors
from khaibao.web.household import citizen_required


@citizen_required
@require_GET
def membership_list(request: SignedInRequest) -> HttpResponse:
    memberships = list(selectors.my_memberships(request.user))
    context = {
        "pending": [m for m in memberships if m.confirmed_at is None and m.declined_at is None],
        "confirmed": [m for m in memberships if m.confirmed_at is not None],
    }
    return render(request, "web/memberships.html", context)


@citizen_required
@require_POST
def membership_answer(request: SignedInRequest, member_id: int, answer: str) -> HttpResponse:
    if answer not in ("confirm", "decline"):
        raise Http404
    member = access.access_membership_for_citizen(request.user, member_id)
    try:
        if answer == "confirm":
            members.membership_confirm(actor=request.user, member=member, ip=client_ip(request))
            messages.success(request, _("Membership confirmed: %(unit)s.") % {"unit": member.unit.name})
        else:
            members.membership_decline(actor=request.user, member=member, ip=client_ip(request))
            messages.success(request, _("Declined. %(unit)s will see that this is not you.") % {"unit": member.unit.name})
    except ServiceError as exc:
        messages.error(request, exc.message)
    # Answered from the home page (right after sign-in): stay there.
    return redirect("web:home" if request.POST.get("back") == "home" else "web:memberships")
