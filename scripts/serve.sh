#!/usr/bin/env bash
# Serve the registry on http://$HOST:$PORT with gunicorn. With REDIS_URL set, a Celery worker (with beat, for
# scheduled reminders) runs beside it; without, tasks run eagerly inside the web process.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Settings derive SITE_URL (invitation links, canonical URLs) from HOST and PORT unless SITE_URL is set.
export HOST PORT
WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [[ -n "${REDIS_URL:-}" ]]; then
  echo "Starting a Celery worker (with beat) against $REDIS_URL"
  .venv/bin/celery -A cos_registry worker --beat --loglevel INFO --concurrency 2 --schedule var/celerybeat-schedule &
  pids+=($!)
else
  echo "REDIS_URL is not set: Celery tasks run eagerly in the web process."
fi
echo "COS Registry: http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)"
echo "Links in emails and exports use ${SITE_URL:-http://$HOST:$PORT} (set SITE_URL to change it)."
if [[ -f var/demo_logins.txt ]]; then grep -A4 "^Demo logins" var/demo_logins.txt || true; fi
.venv/bin/gunicorn cos_registry.wsgi:application --config gunicorn.conf.py --bind "$HOST:$PORT" \
  --workers "$WEB_CONCURRENCY" --access-logfile - --graceful-timeout 5 &
pids+=($!)
wait -n "${pids[@]}"
