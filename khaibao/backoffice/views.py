from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from khaibao.accounts import second_factor, services
from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.forms import StaffSignInForm, TotpForm
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, mark_rate_limited
from khaibao.people.access import describe_scope


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = StaffSignInForm(request.POST or None)
    refusal: ServiceError | None = None
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            account = services.staff_authenticate(
                request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"], ip=ip
            )
        except ServiceError as exc:
            refusal = exc
            form.add_error(None, exc.message)
        else:
            # login() rotates the session key, so a planted session id is worthless.
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            if account.needs_second_factor:
                return redirect("backoffice:two_factor")
            services.staff_record_sign_in(account=account, ip=ip, second_factor=False)
            return redirect("backoffice:home")
    status = 400 if form.errors else 200
    return mark_rate_limited(render(request, "backoffice/sign_in.html", {"form": form}, status=status), refusal)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def two_factor(request: SignedInRequest) -> HttpResponse:
    """Enrol (first time, with a QR code) or verify the TOTP second factor."""
    account = request.user
    if not getattr(account, "needs_second_factor", False):
        return redirect("backoffice:home")
    device = second_factor.confirmed_device(account)
    enrolling = device is None
    if enrolling:
        device = second_factor.enrolment_device(account)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if second_factor.totp_check(account=account, device=device, code=form.cleaned_data["code"], ip=ip):
            otp_login(request, device)
            # Passing the second factor raises the session's privilege: a new key, as at sign-in,
            # so a key seen while half signed in is worth nothing afterwards.
            request.session.cycle_key()
            services.staff_record_sign_in(account=account, ip=ip, second_factor=True)
            return redirect("backoffice:home")
        form.add_error("code", _("The code is wrong. Check the time on your phone and try again."))
    context = {
        "form": form,
        "enrolling": enrolling,
        "qr_svg": second_factor.enrolment_qr_svg(device) if enrolling else "",
        # Authenticator apps take the secret in base32 when it is typed by hand.
        "secret": base64.b32encode(device.bin_key).decode().rstrip("=") if enrolling and device is not None else "",
    }
    return render(request, "backoffice/two_factor.html", context, status=400 if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
def home(request: SignedInRequest) -> HttpResponse:
    account = request.user
    if not getattr(account, "is_staff_role", False):
        return redirect("web:home")
    return render(request, "backoffice/home.html", {"scope": describe_scope(account)})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("backoffice:sign_in")
