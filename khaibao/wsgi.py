import os

from django.core.wsgi import get_wsgi_application

from khaibao.core.overload import ShedLateRequests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
# Requests get the short database time limits (settings.DB_TIMEOUTS_MS); read when the settings load.
os.environ.setdefault("DB_TIMEOUT_PROFILE", "web")
# Pages through the full middleware stack; /api/ through its own (khaibao/core/lanes.py).
site = get_wsgi_application()  # sets Django up

from khaibao.core.lanes import ApiWSGIHandler, WsgiLanes  # noqa: E402 -- after django.setup()

# Requests that waited too long in the queue are refused before Django sees them
# (khaibao/core/overload.py); the rest go to their lane.
application = ShedLateRequests(WsgiLanes(api=ApiWSGIHandler(), site=site))
