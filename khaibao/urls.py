from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from khaibao.api.v1 import api
from khaibao.core.views import healthz
from khaibao.smsin.views import sms_inbound

urlpatterns = [
    # First: the API carries most requests (daily updates, status reads), and Django tries the
    # patterns in order (bench/RESULTS.md, "Hot path").
    path("api/v1/", api.urls),
    path("", include("khaibao.web.urls")),
    path("staff/", include("khaibao.backoffice.urls")),
    path("i18n/", include("khaibao.web.i18n_urls")),
    path("healthz", healthz, name="healthz"),
    # The SMS gateway's webhook (issue 10): signed, no session, no CSRF (docs/sms.md).
    path("sms/inbound", sms_inbound, name="sms_inbound"),
    # The admin's own login form has no lockout; staff sign in (password, lockout, TOTP) here.
    path("admin/login/", RedirectView.as_view(pattern_name="backoffice:sign_in"), name="admin_login"),
    path("admin/", admin.site.urls),
]

# DEBUG off: the API's error format under /api/, calm pages with a way back elsewhere; 503 +
# Retry-After when the database is unavailable (khaibao/core/error_views.py).
handler400 = "khaibao.core.error_views.bad_request"
handler403 = "khaibao.core.error_views.permission_denied"
handler404 = "khaibao.core.error_views.page_not_found"
handler500 = "khaibao.core.error_views.server_error"
