#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
    if sys.argv[1:2] == ["runserver"]:
        # The development server answers requests: the short database time limits, as khaibao.wsgi.
        os.environ.setdefault("DB_TIMEOUT_PROFILE", "web")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
