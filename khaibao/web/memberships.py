"""The citizen's organisation memberships: roster lines linked to their phone at sign-in,
each confirmed or declined once. The organisation only learns "confirmed" or "declined".

An answer is final (orgs.members: a decided line cannot be changed), so each one goes through
the shared confirmation page (core.http.confirmed_post, templates/confirm.html), which says what
the organisation will see."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, confirmed_post
from khaibao.orgs import access, members, selectors
from khaibao.orgs.models import Member
from khaibao.web.household import citizen_required


@citizen_required
@require_GET
def membership_list(request: SignedInRequest) -> HttpResponse:
    memberships = list(selectors.my_memberships(request.user))
    context = {
        "pending": [m for m in memberships if m.confirmed_at is None and m.declined_at is None],
        "confirmed": [m for m in memberships if m.confirmed_at is not None],
        # Declining unlinks the line, so it is no longer "mine": found by the account's phone.
        "declined": list(selectors.declined_memberships(request.user)),
    }
    return render(request, "web/memberships.html", context)


def _confirm_page(member: Member, answer: str) -> dict[str, object]:
    """What the confirmation page says: what the organisation will see, and that it is final."""
    unit, name = member.unit.name, member.full_name
    final = _("Your answer is final: you cannot change it afterwards.")
    if answer == "confirm":
        return {
            "question": _("Confirm that you are a member of %(unit)s?") % {"unit": unit},
            "consequences": [
                _("Listed as %(name)s") % {"name": name},
                _(
                    "From now on %(unit)s sees, for you, only whether you have declared since its campaign "
                    "started, whether you sent today's update, and the date of your last update."
                ) % {"unit": unit},
                _("It never sees your answers, symptoms, risk level, test results or health status."),
                _("It may remind you to declare and to send your daily update."),
                final,
            ],
            "button": _("Yes, I am a member"),
        }
    return {
        "question": _("Tell %(unit)s that %(name)s on its list is not you?") % {"unit": unit, "name": name},
        "consequences": [
            _(
                "%(unit)s sees only that the owner of this phone number answered “this is not me”, so that it "
                "can correct its list."
            ) % {"unit": unit},
            _("Your account is unlinked from this line: the organisation sees nothing about you and sends you no "
              "reminders."),
            final,
        ],
        "button": _("Yes, this is not me"),
    }


@citizen_required
@require_http_methods(["GET", "POST"])
def membership_answer(request: SignedInRequest, member_id: int, answer: str) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what the answer
    means; the confirmation page's POST (`confirmed=1`) records it, for good."""
    if answer not in ("confirm", "decline"):
        raise Http404
    member = access.access_membership_for_citizen(request.user, member_id)
    # Answered from the home page (right after sign-in): stay there.
    from_home = (request.POST.get("back") or request.GET.get("back")) == "home"
    back = "web:home" if from_home else "web:memberships"
    if confirmed_post(request):
        try:
            if answer == "confirm":
                members.membership_confirm(actor=request.user, member=member, ip=client_ip(request))
                messages.success(request, _("Membership confirmed: %(unit)s.") % {"unit": member.unit.name})
            else:
                members.membership_decline(actor=request.user, member=member, ip=client_ip(request))
                messages.success(
                    request, _("Declined. %(unit)s will see that this is not you.") % {"unit": member.unit.name}
                )
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect(back)
    answered = member.confirmed_at is not None or member.declined_at is not None
    return render(request, "confirm.html", {
        "console": False,
        **_confirm_page(member, answer),
        "cancel_url": reverse(back),
        "carried": [("back", "home")] if from_home else [],
        "done": _("You have already answered for this membership.") if answered else "",
    })
