import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
# Requests get the short database time limits (settings.DB_TIMEOUTS_MS); read when the settings load.
os.environ.setdefault("DB_TIMEOUT_PROFILE", "web")
# Pages through the full middleware stack; /api/ through its own (khaibao/core/lanes.py).
site = get_asgi_application()  # sets Django up

from khaibao.core.lanes import ApiASGIHandler, AsgiLanes  # noqa: E402 -- after django.setup()

application = AsgiLanes(api=ApiASGIHandler(), site=site)
