"""WSGI entry point of the bare reference (bench/load.py targets `bare` and `bare-read`)."""

import os

from django.core.wsgi import get_wsgi_application

# Its own settings, whatever the caller's environment says (bench/load.py starts every server
# with the product's bench settings in DJANGO_SETTINGS_MODULE).
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare.settings"
application = get_wsgi_application()
