"""Citizen pages for notifications: the inbox and channel preferences.

Same services and selectors as the API (khaibao/api/notifications.py). Web Push is a
progressive enhancement: the preferences page works without JavaScript; with it, a small
inline script subscribes the browser through the Push API and posts the subscription.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip
from khaibao.core.params import positive_id
from khaibao.notifications import selectors
from khaibao.notifications.channels import webpush_configured
from khaibao.notifications.inbox import notification_mark_read, notifications_mark_all_read
from khaibao.notifications.labels import daily_reminder_switch_label, daily_reminder_switch_scope
from khaibao.notifications.models import Language
from khaibao.notifications.preferences import (
    PreferenceChanges,
    preference_for,
    preferences_update,
    webpush_subscription_save,
)
from khaibao.web.household import citizen_required


class PreferencesForm(forms.Form):
    """Field names are the service's, so its field messages land next to the right field."""

    # A notification is written once, when it is sent (notifications.services.notify_account):
    # the help text says so, and that the header's language switch changes this choice too.
    language = forms.ChoiceField(
        label=gettext_lazy("Language of notifications"), choices=Language.choices,
        help_text=gettext_lazy(
            "Notifications are written in this language when they are sent; those already in your inbox "
            "keep theirs. Changing the language at the top of the page changes this choice too."
        ),
        widget=forms.Select(attrs={"aria-describedby": "id_language_helptext"}),
    )
    # The one switch for every SMS to the account: warnings, and the reminders (campaign, daily
    # when DAILY_REMINDER_SMS is on) that notifications.services.delivery_channels gates by it too.
    sms = forms.BooleanField(label=gettext_lazy("SMS for warnings and reminders"), required=False)
    email = forms.BooleanField(label=gettext_lazy("E-mail"), required=False)
    email_address = forms.CharField(
        label=gettext_lazy("E-mail address"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    webpush = forms.BooleanField(label=gettext_lazy("Notifications in this browser (Web Push)"), required=False)
    # Its words are the notifications app's (labels.py): the hour is a setting, and the switch
    # covers the daily reminder only, not an organisation's campaign reminders.
    daily_reminder = forms.BooleanField(
        required=False, widget=forms.CheckboxInput(attrs={"aria-describedby": "id_daily_reminder_helptext"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["daily_reminder"]
        field.label = daily_reminder_switch_label()
        field.help_text = daily_reminder_switch_scope()


@citizen_required
@require_GET
def inbox(request: SignedInRequest) -> HttpResponse:
    account = request.user
    before = request.GET.get("before", "")
    page = selectors.inbox_page(account, before=positive_id(before))
    return render(
        request,
        "web/notifications/inbox.html",
        {"page": page, "unread": selectors.unread_count(account)},
    )


@citizen_required
@require_POST
def mark_read(request: SignedInRequest, notification_id: int) -> HttpResponse:
    account = request.user
    notification = selectors.notification_for_account(account, notification_id)
    notification_mark_read(actor=account, notification=notification)
    # "Open" follows the link once it is marked read; "Mark read" stays on the inbox.
    if request.POST.get("open") and notification.link.startswith("/") and not notification.link.startswith("//"):
        return redirect(notification.link)
    return redirect("web:notifications")


@citizen_required
@require_POST
def mark_all_read(request: SignedInRequest) -> HttpResponse:
    marked = notifications_mark_all_read(actor=request.user)
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("web:notifications")


@citizen_required
@require_http_methods(["GET", "POST"])
def preferences(request: SignedInRequest) -> HttpResponse:
    account = request.user
    pref = preference_for(account)
    initial = {name: getattr(pref, name) for name in ("language", "sms", "email", "email_address", "webpush", "daily_reminder")}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            # The form's fields are the preferences' own names (PreferencesForm).
            changes = cast(PreferenceChanges, form.cleaned_data)
            preferences_update(actor=account, changes=changes, ip=client_ip(request))
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("web:notification_preferences")
    return render(
        request,
        "web/notifications/preferences.html",
        {
            "form": form,
            "webpush_available": webpush_configured(),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY if webpush_configured() else "",
        },
    )


@citizen_required
@require_POST
def webpush_subscribe(request: SignedInRequest) -> HttpResponse:
    """The preferences page's script posts `PushSubscription.toJSON()` here (session + CSRF)."""
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        endpoint, p256dh, auth = str(data.get("endpoint", "")), str(keys.get("p256dh", "")), str(keys.get("auth", ""))
    except (ValueError, AttributeError):
        return JsonResponse({"error": {"code": "malformed_json", "message": _("The request body is not valid JSON."), "fields": {}}}, status=400)
    try:
        subscription = webpush_subscription_save(
            actor=request.user, endpoint=endpoint, p256dh=p256dh, auth=auth, ip=client_ip(request)
        )
    except ServiceError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, status=exc.status)
    return JsonResponse({"id": subscription.pk}, status=201)
