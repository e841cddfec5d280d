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
  # The refusal in the request's language, in the words the app uses (its catalogue's).
  map \$http_accept_language \$khaibao_busy {
    default "Hệ thống đang quá tải. Vui lòng thử lại sau vài giây.";
    ~*^en "The service is busy. Please try again in a few seconds.";
  }
  map \$http_accept_language \$khaibao_lang { default vi; ~*^en en; }
  limit_req_zone \$khaibao_all zone=khaibao_admit:1m rate=${ADMIT_RATE}r/s;
  limit_req_status 503;
  limit_req_log_level warn;
  upstream khaibao_app {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$FRONT_PORT backlog=4096;
    client_max_body_size 1m;
    location / {
      limit_req zone=khaibao_admit burst=$ADMIT_BURST nodelay;
      proxy_pass http://khaibao_app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_read_timeout 30s;
      error_page 503 = @shed;
    }
    # Only the proxy's own refusals land here: the app's 503s (with their Retry-After) pass through.
    location @shed {
      add_header Retry-After $RETRY_AFTER always;
      add_header Cache-Control "no-store" always;
      default_type "application/json; charset=utf-8";
      add_header Content-Language \$khaibao_lang always;
      return 503 '{"error": {"code": "overloaded", "message": "\$khaibao_busy", "fields": {}}}';
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
