import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
django_application = get_wsgi_application()

# Imported once Django is set up (the module reads settings). Requests that waited too long in
# the queue are refused before Django sees them (khaibao/core/overload.py).
from khaibao.core.overload import ShedLateRequests  # noqa: E402

application = ShedLateRequests(django_application)
