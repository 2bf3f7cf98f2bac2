#!/usr/bin/env bash
# Fill a separate PostgreSQL database with hot issues and time the log.
#   bash bench/issues.sh [ISSUES] [PROGRAMS]      (defaults: 1000000 50)
# Uses the database baton_bench (BENCH_DATABASE_URL to choose another); never the test databases.
set -euo pipefail
cd "$(dirname "$0")/.."
ISSUES="${1:-1000000}"
PROGRAMS="${2:-50}"
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/baton_bench}"
export DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0 LOG_LEVEL="${LOG_LEVEL:-WARNING}"
db="${DATABASE_URL##*/}"
psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || psql "${DATABASE_URL%/*}/postgres" -c "CREATE DATABASE $db"
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/issues_fill.py --issues "$ISSUES" --programs "$PROGRAMS"
.venv/bin/python bench/issues_bench.py --runs 50 --explain
