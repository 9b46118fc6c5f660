#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster (pg_virtualenv), with DATABASE_URL set.
set -euo pipefail
exec pg_virtualenv -t -o unix_socket_directories=/tmp -- bash -c '
  export DATABASE_URL="postgresql://${PGUSER}:${PGPASSWORD}@${PGHOST}:${PGPORT}/${PGDATABASE}"
  exec "$@"' with-postgres "$@"
