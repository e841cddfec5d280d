import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
# Requests get the short database time limits (settings.DB_TIMEOUTS_MS); read when the settings load.
os.environ.setdefault("DB_TIMEOUT_PROFILE", "web")
application = get_asgi_application()
