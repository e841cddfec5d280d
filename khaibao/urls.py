from django.contrib import admin
from django.urls import include, path

from khaibao.api.v1 import api
from khaibao.core.views import healthz

urlpatterns = [
    path("", include("khaibao.web.urls")),
    path("staff/", include("khaibao.backoffice.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
