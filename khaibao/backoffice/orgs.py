"""Organisation admins' console: the unit tree, a unit's page (sub-units, roster, admins),
roster import with its error file, and the one-time set-password page for invited sub-admins
(campaigns: backoffice/org_campaigns.py). The same services as the API (khaibao.orgs.services, khaibao.orgs.members, khaibao.orgs.roster_import). Members are shown with name,
role and membership state only — never health details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post, csv_attachment
from khaibao.core.keyset import keyset_pager, keyset_query
from khaibao.core.params import ID_MAX, id_in_range
from khaibao.orgs import access, compliance, members, selectors, services
from khaibao.orgs import roster_import as roster_imports  # the view below is named roster_import
from khaibao.orgs.models import Campaign, MemberRole, OrgUnit
from khaibao.orgs.roster import MAX_ROWS


def org_admin(request: HttpRequest) -> Any:
    """The signed-in organisation admin, or 403 (every view of the organisations' console)."""
    if not access.is_org_admin(request.user):
        raise PermissionDenied
    return request.user


_apply_errors = form_add_service_error


class ChildUnitForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code (letters, digits, - or _)"), max_length=50)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)


class RenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("New name"), max_length=200)


class MoveForm(forms.Form):
    """The new parent by its code or path (a select of every unit would carry a national tree:
    tens of thousands of options on every unit page). The service checks it lies in the admin's
    subtree (services.unit_move). `parent_id` is the form's former field, for a page or script
    from before: an id, checked the same way."""

    target = forms.CharField(
        label=gettext_lazy("Move under (code or path of the unit)"), max_length=500, required=False,
        help_text=gettext_lazy(
            "The code of a unit of your organisation (e.g. DCS-HK), or its path when several units share "
            "the code (e.g. TWD/HN/DCS-HK). Find it by searching on the units page."
        ),
    )
    parent_id = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("target") or "").strip() and data.get("parent_id") is None and not self.errors:
            self.add_error("target", _("Enter the code or path of the unit to move this one under."))
        return data


class MemberForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=MemberRole.choices, initial=MemberRole.OTHER)


class InviteForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    display_name = forms.CharField(label=gettext_lazy("Name shown"), max_length=150, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.csv or .xlsx)"),
        help_text=gettext_lazy("Columns: full name, phone, unit (code or path; empty = this unit), role."),
    )


def _move(user: Any, unit: OrgUnit, data: dict[str, Any], ip: str) -> OrgUnit:
    """Move `unit` under the unit the form names; the scope rule and its refusals are the
    service's (`services.unit_move` → `_usable_unit`: only a usable unit of the admin's subtree)."""
    parent_id = data.get("parent_id")
    if parent_id is None:
        target = selectors.unit_by_code_or_path(user, data.get("target") or "")
        if target is None:
            raise ServiceError.for_field("parent_id", _("Choose a unit of your organisation."))
        parent_id = target.pk
    return services.unit_move(actor=user, unit=unit, new_parent_id=parent_id, ip=ip)


# The move form's errors are the service's about `parent_id`: shown beside the text box.
_MOVE_FIELDS = {"parent_id": "target"}

# The units page: a subtree of at most this many units below the unit shown is shown whole
# (indented); a bigger one a level at a time, UNITS_PAGE units per page, with a search box.
UNITS_TREE_MAX = 40
UNITS_PAGE = 50
# A unit's page lists its first units under it; the rest are on the units page.
UNIT_CHILDREN_SHOWN = 50


# Members shown a page at a time ("Next page" by name): a roster import may bring 20,000.
MEMBERS_PAGE = 200


def _members_context(request: SignedInRequest, unit: OrgUnit) -> tuple[dict[str, Any], int | None]:
    cursor = request.GET.get("members_cursor") or None
    try:
        page = selectors.unit_members_page(unit, cursor=cursor, limit=MEMBERS_PAGE)
    except ServiceError as exc:
        return {"members": [], "members_error": exc.message}, 400
    return {
        "members": [selectors.member_row(m) for m in page.items],
        "members_total": page.total,
        "members_first_url": request.path + "#members" if cursor else "",
        "members_next_url": keyset_query({}, page.next_cursor, name="members_cursor") + "#members"
        if page.next_cursor else "",
    }, None


def _inherited_campaigns(unit: OrgUnit) -> list[Campaign]:
    # A campaign covers its unit's whole subtree: those started above this unit and in force
    # today apply here too, as the compliance page counts them (the rule is compliance's).
    today = timezone.localdate()
    return [c for c in compliance.campaigns_for_unit(unit) if c.unit_id != unit.pk and c.in_force(today)]


def _unit_page(request: SignedInRequest, unit: OrgUnit, status: int = 200, **bound: forms.Form) -> HttpResponse:
    user = request.user
    members, refused = _members_context(request, unit)
    children = list(selectors.unit_children(unit)[: UNIT_CHILDREN_SHOWN + 1])
    context: dict[str, Any] = {
        "unit": unit,
        "is_root": unit.pk == user.org_unit_id,
        "children": children[:UNIT_CHILDREN_SHOWN],
        # More than a page of them: the units page lists them all, a page at a time.
        "children_total": selectors.unit_children(unit).count() if len(children) > UNIT_CHILDREN_SHOWN else None,
        **members,
        "campaigns": list(selectors.unit_campaigns(unit)),
        "inherited_campaigns": _inherited_campaigns(unit),
        "admins": list(selectors.unit_admins(unit)),
        "imports": list(selectors.recent_imports(user, unit)),
        "child_form": bound.get("child_form") or ChildUnitForm(),
        "rename_form": bound.get("rename_form") or RenameForm(initial={"name": unit.name}),
        "move_form": bound.get("move_form") or MoveForm(),
        "member_form": bound.get("member_form") or MemberForm(),
        "invite_form": bound.get("invite_form") or InviteForm(),
    }
    return render(request, "backoffice/orgs/unit.html", context, status=refused or status)


@login_required(login_url="backoffice:sign_in")
@require_GET
def orgs_index(request: SignedInRequest) -> HttpResponse:
    """The units of the admin's subtree below one unit (`?parent=`, default their own): a small
    subtree whole, a big one a level at a time (keyset pages) with a search by name or code
    (`?q=`, the whole subtree below that unit). Never the whole of a national tree at once."""
    user = org_admin(request)
    root = user.org_unit
    parent = root
    raw_parent = request.GET.get("parent") or ""
    if raw_parent:
        try:
            parent_id = int(raw_parent)
        except ValueError:
            raise Http404 from None
        if not id_in_range(parent_id):
            raise Http404
        parent = access.access_unit_for_user(user, parent_id)
    query = (request.GET.get("q") or "").strip()[: selectors.UNIT_SEARCH_MAX]
    params: dict[str, Any] = {"parent": parent.pk} if parent.pk != root.pk else {}
    context: dict[str, Any] = {
        "parent": parent, "at_root": parent.pk == root.pk, "trail": selectors.unit_trail(user, parent), "q": query,
        "total": None, "page_error": "", "first_url": "", "next_url": "",
    }
    status = 200
    rows: list[tuple[OrgUnit, int]]
    below = selectors.units_below_count(parent)
    if query or below > UNITS_TREE_MAX:
        if query:
            params["q"] = query
        pager = keyset_pager(request, lambda cursor: (
            selectors.units_search_page(parent, query, cursor=cursor, limit=UNITS_PAGE) if query
            else selectors.unit_children_page(parent, cursor=cursor, limit=UNITS_PAGE)
        ), params=params)
        rows = [(u, 0) for u in pager.page.items] if pager.page else []
        context.update(pager.context, paged=True, searchable=True)
        status = pager.status
    else:
        rows = selectors.units_below(parent, limit=UNITS_TREE_MAX)
        context.update(paged=False, searchable=False)
    counts = selectors.unit_counts([u for u, _depth in rows])
    context["units"] = [
        {"unit": u, "depth": depth, "units": counts[u.pk][0], "members": counts[u.pk][1]} for u, depth in rows
    ]
    context["below"] = below
    return render(request, "backoffice/orgs/index.html", context, status=status)


@login_required(login_url="backoffice:sign_in")
@require_GET
def unit_detail(request: SignedInRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_for_user(org_admin(request), unit_id)
    return _unit_page(request, unit)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def unit_action(request: SignedInRequest, unit_id: int, action: str) -> HttpResponse:
    """One POST target per form on the unit page; a refusal re-renders the page with the errors.
    Archiving asks first: its GET is the confirmation page (`_unit_archive`)."""
    if request.method != "POST" and action != "archive":
        return HttpResponseNotAllowed(["POST"])
    user = org_admin(request)
    unit = access.access_unit_for_user(user, unit_id)
    ip = client_ip(request)
    if action == "archive":
        return _unit_archive(request, user=user, unit=unit, ip=ip)
    form: forms.Form
    # action -> (its form, the service call with the form's data, the message, the unit to show).
    submits: dict[str, tuple[Callable[[Any], forms.Form], Callable[[dict[str, Any]], Any], str, Callable[[Any], int]]] = {
        "child": (
            ChildUnitForm, lambda data: services.unit_create(actor=user, parent=unit, ip=ip, **data),
            _("Unit created."), lambda child: child.pk,
        ),
        "rename": (
            RenameForm, lambda data: services.unit_rename(actor=user, unit=unit, name=data["name"], ip=ip),
            _("Unit renamed."), lambda _result: unit.pk,
        ),
        "move": (
            MoveForm, lambda data: _move(user, unit, data, ip),
            _("Unit moved."), lambda _result: unit.pk,
        ),
        "member": (
            MemberForm, lambda data: members.member_add(actor=user, unit=unit, ip=ip, **data),
            _("Member added."), lambda _result: unit.pk,
        ),
    }
    key = f"{action}_form"
    if action in submits:
        make_form, call, done, shown = submits[action]
        form = make_form(request.POST)
        if form.is_valid():
            try:
                result = call(form.cleaned_data)
            except ServiceError as exc:
                _apply_errors(form, exc, rename=_MOVE_FIELDS)
            else:
                messages.success(request, done)
                return redirect("backoffice:org_unit", unit_id=shown(result))
    elif action == "invite":
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                account, path = services.subadmin_invite(actor=user, unit=unit, ip=ip, **form.cleaned_data)
            except ServiceError as exc:
                _apply_errors(form, exc)
            else:
                link = request.build_absolute_uri(path)
                response = render(request, "backoffice/orgs/invite_done.html", {"unit": unit, "account": account, "link": link})
                response["Cache-Control"] = "no-store"
                return response
    else:
        raise Http404
    return _unit_page(request, unit, status=400, **{key: form})


def _unit_archive(request: SignedInRequest, *, user: Any, unit: OrgUnit, ip: str) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what archiving the
    unit means — or why it cannot be archived yet, with no button; the confirmation page's POST
    (`confirmed=1`) archives it. A refusal then (the unit filled up meanwhile) is shown the same way."""
    refusal, status = "", 200
    if confirmed_post(request):
        try:
            services.unit_archive(actor=user, unit=unit, ip=ip)
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
        else:
            messages.success(request, _("Unit archived."))
            return redirect("backoffice:orgs")
    else:
        refused = services.unit_archive_refusal(actor=user, unit=unit)
        refusal = refused.message if refused is not None else ""
    return render(request, "confirm.html", {
        "console": True,
        "question": _("Archive the unit %(name)s?") % {"name": unit.name},
        "consequences": [
            _("Only a unit without active members or units under it can be archived."),
            _("Once archived, no member, unit or campaign can be added to it, and it cannot be restored from "
              "the console."),
        ],
        "kept": _("The unit stays on record, marked archived, with its history."),
        "button": _("Yes, archive"),
        "cancel_url": reverse("backoffice:org_unit", args=[unit.pk]),
        "done": refusal or (_("This unit is archived.") if unit.archived_at else ""),
    }, status=status)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def member_remove(request: SignedInRequest, member_id: int) -> HttpResponse:
    """GET asks for confirmation; the confirmed POST takes the member off the roster."""
    user = org_admin(request)
    member = access.access_member_for_user(user, member_id)
    if confirmed_post(request):
        members.member_remove(actor=user, member=member, ip=client_ip(request))
        messages.success(request, _("Member removed from the roster."))
        return redirect("backoffice:org_unit", unit_id=member.unit_id)
    return render(request, "confirm.html", {
        "console": True,
        "question": _("Remove %(name)s from the roster of %(unit)s?") % {"name": member.full_name, "unit": member.unit.name},
        "consequences": [_(
            "They come off the roster now: they are no longer counted in this unit's campaigns and get no more "
            "reminders from it."
        )],
        "kept": _(
            "Their account and their own declarations are not touched, and the roster line is kept, marked "
            "removed, for past figures. You can add them again later."
        ),
        "button": _("Yes, remove"),
        "cancel_url": reverse("backoffice:org_unit", args=[member.unit_id]),
        "done": _("This member is already off the roster.") if member.removed_at else "",
    })


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def roster_import(request: SignedInRequest, unit_id: int) -> HttpResponse:
    user = org_admin(request)
    unit = access.access_unit_for_user(user, unit_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 400
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = roster_imports.roster_import(
                actor=user, unit=unit, filename=upload.name or "", handle=upload.file, size=upload.size or 0,
                ip=client_ip(request),
            )
        except ServiceError as exc:
            _apply_errors(form, exc)
            status = exc.status
    context = {"unit": unit, "form": form, "result": result, "max_rows": number_format(MAX_ROWS, force_grouping=True)}
    return render(request, "backoffice/orgs/import.html", context, status=status if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
@require_GET
def roster_errors(request: SignedInRequest, import_id: int) -> HttpResponse:
    record = access.access_roster_import_for_user(org_admin(request), import_id)
    return csv_attachment(record.error_csv, filename=record.error_file_name)


# The set-password page follows Django's PasswordResetConfirmView: the link's token moves into
# the session and the browser is sent to the same address with this word in its place, so the
# page with the form carries no secret in its address and keeps the site's referrer policy.
# (`no-referrer` made Chromium post the form with `Origin: null`, which CSRF refuses.)
SET_PASSWORD_URL_TOKEN = "set"  # noqa: S105 - a placeholder, never a token (those hold a "-")
SET_PASSWORD_SESSION_KEY = "_set_password_token"  # noqa: S105 - a session key's name


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """An invited staff member chooses a password; the link stops working once one is set."""
    if token == SET_PASSWORD_URL_TOKEN:
        token = request.session.get(SET_PASSWORD_SESSION_KEY, "")
        account = selectors.account_for_password_link(uidb64, token) if token else None
    else:
        account = selectors.account_for_password_link(uidb64, token)
        if account is not None and request.method == "GET":
            request.session[SET_PASSWORD_SESSION_KEY] = token
            return redirect("backoffice:set_password", uidb64=uidb64, token=SET_PASSWORD_URL_TOKEN)
    if account is None:
        return render(request, "backoffice/orgs/set_password.html", {"invalid": True}, status=404)
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.staff_password_set(account=account, password=form.cleaned_data["new_password1"], ip=client_ip(request))
        request.session.pop(SET_PASSWORD_SESSION_KEY, None)
        messages.success(request, _("Your password is set. Sign in with your username and new password."))
        return redirect("backoffice:sign_in")
    return render(request, "backoffice/orgs/set_password.html", {"form": form, "account": account}, status=400 if form.errors else 200)
