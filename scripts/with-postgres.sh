#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster (pg_virtualenv), with DATABASE_URL set.
# `--scratch` first: a cluster that skips durability (fsync, synchronous commit, full-page writes) — for the test
# suite only, whose data dies with the cluster; benchmarks run on the durable defaults.
set -euo pipefail
options=(-o unix_socket_directories=/tmp)
if [[ "${1:-}" == "--scratch" ]]; then
  shift
  options+=(-o fsync=off -o synchronous_commit=off -o full_page_writes=off)
fi
exec pg_virtualenv -t "${options[@]}" -- bash -c '
  export DATABASE_URL="postgresql://${PGUSER}:${PGPASSWORD}@${PGHOST}:${PGPORT}/${PGDATABASE}"
  exec "$@"' with-postgres "$@"
