"""Soak run with faults (issue #7 items 8 and 9) on PostgreSQL:

    bash scripts/with-postgres.sh .venv/bin/python -m tests.reliability.soak      # SOAK_SECONDS=600 by default

Loads the demo and the bench's credit lines through the real services into the configured (throw-away)
database, serves it with gunicorn, runs a `db_worker`, and drives 32 concurrent clients for SOAK_SECONDS while
end of day runs and a gunicorn worker is SIGKILLed; then reconciles the clients' own log against the database and
writes tests/reliability/results/soak.md and soak.json. Exit status 0 only when every check passed.

Environment: SOAK_SECONDS (default 600), SOAK_LINES (credit lines, default 640), SOAK_KILL_WINDOW_SECONDS
(default 15), PUHUI_BENCH_GUNICORN_WORKERS / _THREADS (default: one per core, 4 threads).
"""

import os
import secrets
import sys
import tempfile


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puhui.settings")
    os.environ.setdefault("PUHUI_VAR_DIR", tempfile.mkdtemp(prefix="puhui-soak-"))  # keys, uploads: shared by all
    os.environ["PUHUI_DEBUG"] = "0"  # DEBUG keeps every query in memory; the server runs without it too
    os.environ.setdefault("PUHUI_DEMO_PASSWORD", secrets.token_urlsafe(12))  # the browsers log in with it
    # threads: requests in flight on the worker that is killed, as in a production deployment
    os.environ.setdefault("PUHUI_BENCH_GUNICORN_THREADS", "4")
    import django

    django.setup()
    from tests.reliability.soak_run import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
