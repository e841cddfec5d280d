#!/usr/bin/env bash
# The Debian packages the tests need, installed with apt when missing and we are allowed to:
# - chromium: browser tests drive Debian's chromium through Playwright (Playwright's own
#   download does not work offline);
# - pgbouncer: `make test-pgbouncer` runs the API tests and a short load through PgBouncer in
#   transaction mode (scripts/pgbouncer.sh, docs/operations.md);
# - nginx: the reverse proxy in front of the app server in `make bench-rush`, as production runs
#   one (scripts/nginx-front.sh); its test checks how it refuses what it does not admit.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}..."
  apt-get update -qq
  # The pgbouncer and nginx packages' own services are left alone (policy-rc.d or no init: not started);
  # the tests start their own instance on another port.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: run 'sudo apt-get install ${missing[*]}'." >&2
  exit 1
fi
