"""Console pages for official information: list, write, edit, unpublish (national and province officials).

The form's field names are the service's, so a ServiceError's field messages land next to the
fields. Province officials only ever see and choose their own province.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import Account, ScopeLevel
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.keyset import keyset_page, keyset_pager
from khaibao.core.submissions import submission_key_field, submission_once
from khaibao.news import selectors, services
from khaibao.news.models import BODY_MAX, TITLE_MAX, Announcement, Kind
from khaibao.news.text import render_markdown

WHOLE_COUNTRY = ""
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]


def publisher_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in national or province officials; other staff get 403, strangers the sign-in page."""

    @wraps(view)
    @login_required(login_url="backoffice:sign_in")
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_publish_news(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class AnnouncementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    province = forms.ChoiceField(label=gettext_lazy("Audience"), required=False)
    title = forms.CharField(
        label=gettext_lazy("Title (Vietnamese)"), required=False, widget=forms.TextInput(attrs={"maxlength": TITLE_MAX})
    )
    phone = forms.CharField(
        label=gettext_lazy("Hotline number (hotlines only)"), required=False,
        help_text=gettext_lazy("e.g. 1900 9095, 024 3825 3531 or 115"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "maxlength": 20}),
    )
    body = forms.CharField(
        label=gettext_lazy("Text (Vietnamese, Markdown)"), required=False,
        help_text=gettext_lazy("**bold**, *italic*, lists with -, links as [text](https://…), ## for a heading."),
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": BODY_MAX}),
    )
    title_en = forms.CharField(
        label=gettext_lazy("Title in English (optional)"), required=False,
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX}),
    )
    body_en = forms.CharField(
        label=gettext_lazy("Text in English (optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": BODY_MAX}),
    )
    pinned = forms.BooleanField(label=gettext_lazy("Pin to the top"), required=False)
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"), required=False, input_formats=_DATETIME_FORMATS,
        help_text=gettext_lazy("Leave empty to publish now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": gettext_lazy("Enter the date and time as dd/mm/yyyy hh:mm.")},
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires at (optional)"), required=False, input_formats=_DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": gettext_lazy("Enter the date and time as dd/mm/yyyy hh:mm.")},
    )
    submission_key = submission_key_field()

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = []
        if account.scope_level == ScopeLevel.NATIONAL:
            choices.append((WHOLE_COUNTRY, str(_("Whole country"))))
        choices += [(str(p.pk), p.name) for p in selectors.publishable_provinces(account)]
        self.fields["province"].choices = choices  # type: ignore[attr-defined]

    def data_for_service(self) -> dict[str, Any]:
        cleaned = dict(self.cleaned_data)
        cleaned.pop("submission_key", None)
        cleaned["province"] = int(cleaned["province"]) if cleaned.get("province") else None
        return cleaned


def _initial(item: Announcement) -> dict[str, Any]:
    local = timezone.localtime
    return {
        "kind": item.kind, "province": str(item.province_id or WHOLE_COUNTRY), "title": item.title,
        "phone": item.phone, "body": item.body, "title_en": item.title_en, "body_en": item.body_en,
        "pinned": item.pinned,
        # To the minute, as the datetime-local input shows it, so an untouched field is unchanged.
        "publish_at": local(item.publish_at).replace(second=0, microsecond=0),
        "expires_at": local(item.expires_at).replace(second=0, microsecond=0) if item.expires_at else None,
    }


_apply_errors = form_add_service_error


# Items shown a page at a time, newest first; "Older items" leads to the rest.
NEWS_PAGE = 50


@publisher_required
def news_list(request: SignedInRequest) -> HttpResponse:
    pager = keyset_pager(request, lambda cursor: keyset_page(
        selectors.news_editable(request.user), cursor=cursor, limit=NEWS_PAGE, count=True))
    now = timezone.now()
    rows = [(item, item.state(now)) for item in (pager.page.items if pager.page else [])]
    return render(request, "backoffice/news/list.html", {"rows": rows, **pager.context}, status=pager.status)


@publisher_required
@require_http_methods(["GET", "POST"])
@submission_once
def news_create(request: SignedInRequest) -> HttpResponse:
    account: Account = request.user
    form = AnnouncementForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.announcement_create(
                actor=account, data=services.AnnouncementData(**form.data_for_service()), ip=client_ip(request)
            )
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Published: %(title)s") % {"title": item.title})
            return redirect("backoffice:news")
    status = 400 if form.errors else 200
    return render(request, "backoffice/news/form.html", {"form": form, "item": None}, status=status)


@publisher_required
@require_http_methods(["GET", "POST"])
@submission_once
def news_edit(request: SignedInRequest, announcement_id: int) -> HttpResponse:
    account: Account = request.user
    item = selectors.access_announcement_for_editor(account, announcement_id)
    form = AnnouncementForm(request.POST or None, account=account, initial=_initial(item))
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.data_for_service().items() if name in form.changed_data}
        if "publish_at" in changes and changes["publish_at"] is None:
            # An emptied publish time keeps the current one rather than meaning "now".
            changes.pop("publish_at")
        try:
            services.announcement_update(actor=account, announcement=item, changes=changes, ip=client_ip(request))
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("backoffice:news")
    status = 400 if form.errors else 200
    return render(request, "backoffice/news/form.html", {"form": form, "item": item}, status=status)


@publisher_required
@require_http_methods(["GET", "POST"])
def news_unpublish(request: SignedInRequest, announcement_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what unpublishing
    means; the confirmation page's POST (`confirmed=1`) withdraws the item (it stays on record)."""
    account: Account = request.user
    item = selectors.access_announcement_for_editor(account, announcement_id)
    if confirmed_post(request):
        services.announcement_unpublish(actor=account, announcement=item, ip=client_ip(request))
        messages.success(request, _("Unpublished: %(title)s") % {"title": item.title})
        return redirect("backoffice:news")
    area = item.province.name if item.province else _("Whole country")
    return render(request, "confirm.html", {
        "console": True,
        "question": _("Unpublish %(title)s (%(area)s)?") % {"title": item.title, "area": area},
        "consequences": [_(
            "Citizens will no longer see it. It is kept on record and you can publish it again by editing its expiry."
        )],
        "button": _("Unpublish"),
        "cancel_url": reverse("backoffice:news"),
        "done": _("This item is already expired or unpublished.") if item.state() == "expired" else "",
    })


@publisher_required
@require_POST
def news_preview(request: SignedInRequest) -> HttpResponse:
    """The Markdown as citizens will see it (htmx live preview); nothing is saved."""
    source = request.POST.get("body", "")[:BODY_MAX]
    html = render_markdown(source)
    if not html:
        return HttpResponse(format_html('<p class="empty">{}</p>', _("Nothing to preview yet.")))
    return HttpResponse(html)
