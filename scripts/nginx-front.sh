#!/usr/bin/env bash
# A reverse proxy in front of the app servers, as production runs one (docs/operations.md,
# "Overload"): nginx on 127.0.0.1, proxying to granian over keep-alive connections, that admits at
# most ADMIT_RATE requests a second to the app tier and answers the rest itself — at once, in C —
# with 503, Retry-After and the API's error body. The app's own shedding (core/overload.py) then
# only has to handle what the proxy admitted.
#
#   FRONT_PORT=8768 UPSTREAM_PORT=8767 ADMIT_RATE=1200 scripts/nginx-front.sh start
#   scripts/nginx-front.sh stop
#
# Used by bench/rush.py --front-factor (make bench-rush). Its files live in var/nginx-front/.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$PWD/var/nginx-front"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
FRONT_PORT="${FRONT_PORT:-8768}"
UPSTREAM_PORT="${UPSTREAM_PORT:-8767}"
ADMIT_RATE="${ADMIT_RATE:-1000}"
# Requests admitted above the rate at once (nginx's `burst`, `nodelay`): a fifth of a second's worth.
ADMIT_BURST="${ADMIT_BURST:-$(( ADMIT_RATE / 5 + 1 ))}"
RETRY_AFTER="${RETRY_AFTER:-2}"

case "${1:-}" in
start)
  mkdir -p "$DIR"
  cat > "$DIR/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $DIR/body;
  proxy_temp_path $DIR/proxy;
  fastcgi_temp_path $DIR/fastcgi;
  uwsgi_temp_path $DIR/uwsgi;
  scgi_temp_path $DIR/scgi;
  # One bucket for every client: the admission bound protects the app tier as a whole.
  map \$host \$khaibao_all { default all; }
  # The refusal in the words the app uses (its catalogue's), in the first language the request
  # lists (Django weighs the whole Accept-Language; this is that choice for what phones send).
  map \$http_accept_language \$khaibao_busy {
    default "Hệ thống đang quá tải. Vui lòng thử lại sau vài giây.";
    ~*^\s*en "The service is busy. Please try again in a few seconds.";
  }
  map \$http_accept_language \$khaibao_lang { default vi; ~*^\s*en en; }
  limit_req_zone \$khaibao_all zone=khaibao_admit:1m rate=${ADMIT_RATE}r/s;
  limit_req_status 503;
  limit_req_log_level warn;
  upstream khaibao_app {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 64;
  }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host \$host;
  proxy_set_header X-Forwarded-For \$remote_addr;
  # X-Request-Start passes through as the client sent it: the bench's client stamps each request
  # when it sends it, and the bench's settings believe it (bench/bench_settings.py). Production's
  # proxy sets it itself (docs/operations.md, "Overload"): only then may the app believe it.
  proxy_read_timeout 30s;
  server {
    listen 127.0.0.1:$FRONT_PORT backlog=4096;
    # The app checks each route's own limit (reports' photos are the largest).
    client_max_body_size 20m;
    # Never refused, as the app never sheds it (core/overload.py): a busy node is still alive.
    location = /healthz {
      proxy_pass http://khaibao_app;
    }
    location /api/ {
      limit_req zone=khaibao_admit burst=$ADMIT_BURST nodelay;
      proxy_pass http://khaibao_app;
      error_page 503 = @shed_api;
    }
    location / {
      limit_req zone=khaibao_admit burst=$ADMIT_BURST nodelay;
      proxy_pass http://khaibao_app;
      error_page 503 = @shed_page;
    }
    # Only the proxy's own refusals land here: the app's 503s (with their Retry-After) pass
    # through (proxy_intercept_errors is off). The API's error format for the API, plain text
    # for pages, as the app refuses them.
    location @shed_api {
      add_header Retry-After $RETRY_AFTER always;
      add_header Cache-Control "no-store" always;
      add_header Content-Language \$khaibao_lang always;
      add_header Vary "Accept-Language" always;
      default_type "application/json; charset=utf-8";
      return 503 '{"error": {"code": "overloaded", "message": "\$khaibao_busy", "fields": {}}}';
    }
    location @shed_page {
      add_header Retry-After $RETRY_AFTER always;
      add_header Cache-Control "no-store" always;
      add_header Content-Language \$khaibao_lang always;
      add_header Vary "Accept-Language" always;
      default_type "text/plain; charset=utf-8";
      return 503 "\$khaibao_busy";
    }
  }
}
EOF
  "$NGINX" -t -q -c "$DIR/nginx.conf" -p "$DIR"
  "$NGINX" -c "$DIR/nginx.conf" -p "$DIR"
  echo "nginx front on 127.0.0.1:$FRONT_PORT → 127.0.0.1:$UPSTREAM_PORT, admitting $ADMIT_RATE/s (burst $ADMIT_BURST)"
  ;;
stop)
  if [ -f "$DIR/nginx.pid" ]; then
    "$NGINX" -c "$DIR/nginx.conf" -p "$DIR" -s quit || true
    for _ in $(seq 50); do [ -f "$DIR/nginx.pid" ] || break; sleep 0.1; done
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
