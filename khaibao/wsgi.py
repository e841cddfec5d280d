import os

from django.core.wsgi import get_wsgi_application

from khaibao.core.overload import ShedLateRequests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
# Requests that waited too long in the queue are refused before Django sees them
# (khaibao/core/overload.py); the rest go to Django.
application = ShedLateRequests(get_wsgi_application())
