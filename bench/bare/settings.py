"""The bare reference's own settings (issue 19 item 4): Django + django-ninja and nothing of the
product — no product middleware (none at all), no apps, no templates, no sessions, no i18n.

It answers the question the in-product references (bench/reference_urls.py) cannot: what does a
Django + ninja endpoint that upserts one row cost on this machine, when it pays for nothing the
product adds around it? The database connection is configured as the product's (persistent,
server-side binding and prepared statements unless DB_PREPARED_STATEMENTS=0), so the difference
measured is the product, not the driver's settings.
"""

from __future__ import annotations

import os

import dj_database_url

DEBUG = False
SECRET_KEY = "bench-bare-reference-not-a-secret-0123456789-0123456789-0123456789"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare.urls"
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
    "DB_PREPARED_STATEMENTS", "1"
) not in ("0", "false", "no", "off"):
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
