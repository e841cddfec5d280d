"""Console pages for contact tracing: the contacts section of a case and its form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import official_required
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip
from khaibao.core.keyset import keyset_pager
from khaibao.people.access import access_person_for_user
from khaibao.people.models import Person
from khaibao.tracing import selectors, services
from khaibao.tracing.forms import ContactForm
from khaibao.tracing.models import InvitationStatus

# Keyset pages of a case's contacts, each page shown audited (tracing.selectors.contacts_of_page).
CONTACTS_PAGE = 50


def case_url(person: Person) -> str:
    """The case view of `person` (cases app), falling back to this app's contacts page."""
    try:
        return reverse("backoffice:case", args=[person.pk])
    except NoReverseMatch:
        return reverse("backoffice:case_contacts", args=[person.pk])


@official_required
@require_http_methods(["GET", "POST"])
def case_contacts(request: SignedInRequest, person_id: int) -> HttpResponse:
    """The contacts of a case (GET) and registering one (POST, then back to the case view)."""
    posting = request.method == "POST"
    person = access_person_for_user(
        request.user, person_id, purpose="contacts_register" if posting else "contacts_view", ip=client_ip(request)
    )
    form = ContactForm(request.POST or None)
    if posting and form.is_valid():
        data = form.cleaned_data
        try:
            contact, created = services.contact_register(
                actor=request.user,
                source=person,
                data=services.ContactInput(
                    full_name=data["full_name"], ward_code=data["ward_code"], contact_date=data["contact_date"],
                    kind=data["kind"], phone=data["phone"], id_number=data["id_number"],
                    birth_year=data["birth_year"], sex=data["sex"],
                ),
                ip=client_ip(request),
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            if created and contact.invitation_status != InvitationStatus.NONE:
                messages.success(request, _("Contact registered. They will be asked by SMS to declare."))
            elif created:
                # No phone number given nor on record: nothing was sent (tracing.services.contact_register).
                messages.warning(
                    request, _("Contact registered. There is no phone number for them, so no SMS was sent: reach them another way.")
                )
            else:
                messages.info(request, _("This person was already registered as a contact of this case."))
            return redirect(case_url(person) + "#contacts")
    ip = client_ip(request)
    pager = keyset_pager(
        request, lambda cursor: selectors.contacts_of_page(
            person, viewer=request.user, cursor=cursor, limit=CONTACTS_PAGE, ip=ip
        ),
    )
    context = {
        "person": person,
        "contacts": pager.page.items if pager.page else [],
        **{f"contacts_{name}": value for name, value in pager.context.items()},
        "contact_form": form if posting else None,
        "case_url": case_url(person),
    }
    status = 400 if form.errors else pager.status
    return render(request, "backoffice/tracing/contacts.html", context, status=status)


@official_required
@require_GET
def tracing_wards(request: SignedInRequest) -> HttpResponse:
    """The ward <select> of the contact form for a province (swapped in by htmx)."""
    form = ContactForm()
    form.set_province(request.GET.get("province"))
    return render(request, "backoffice/tracing/_ward_field.html", {"form": form})
