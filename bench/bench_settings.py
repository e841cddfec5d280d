"""Settings for the benchmark: the product's settings with DEBUG off and the reference URLs.

Imported with DEBUG=1 in the environment only to get the development keys (the bench database
holds generated people, no real secrets); DEBUG is then switched off so that Django does not
record every SQL query and behaves as in production for the measured requests.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")

from khaibao.core.env import env_bool
from khaibao.settings import *  # noqa: F403
from khaibao.settings import API_LANE_PREFIXES, DATABASES, LOGGING

DEBUG = False
ROOT_URLCONF = "bench.reference_urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Connection reuse, as a production worker would be configured (docs/operations.md).
DATABASES["default"]["CONN_MAX_AGE"] = 600
LOGGING["root"]["level"] = "WARNING"
# The load driver sends every request from 127.0.0.1, standing for millions of phones behind
# many carriers' addresses: the per-address limit would turn the benchmark into a test of the
# limiter. It still runs (its cost is part of every request), with a ceiling it never reaches.
API_RATE_PER_IP_PER_MINUTE = 10**9
# The in-product references (bench/reference_urls.py) run on the API's lane, as the endpoints
# they are compared with do (khaibao/core/lanes.py); the bare reference has no product at all
# (bench/bare/).
API_LANE_PREFIXES = [*API_LANE_PREFIXES, "/bench/ninja/"]
# The load driver stamps X-Request-Start as the proxy would, as it sends each request (bench/load.py
# `request_start`, bench/rawclient.py; scripts/nginx-front.sh passes it through): the servers believe
# it, as production's believe the stamping proxy's (core/overload.py, OVERLOAD_TRUST_REQUEST_START).
OVERLOAD_TRUST_REQUEST_START = env_bool("OVERLOAD_TRUST_REQUEST_START", True)
