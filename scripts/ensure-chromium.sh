#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (Playwright's own download does not
# work offline). Install it with apt when missing and we are allowed to.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Browser tests need Debian's chromium: run 'sudo apt-get install chromium'." >&2
  exit 1
fi
