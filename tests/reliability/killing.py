"""Separate databases for the SIGKILL tests: each a fresh SQLite file or, when the suite runs on PostgreSQL, a
database of its own in the same cluster; `puhui` commands run in child processes against them."""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

PUHUI = [sys.executable, "-m", "puhui.cli"]


@dataclass
class Database:
    """One database the child processes use: its environment, and how to copy it."""

    env: dict = field(default_factory=dict)
    name: str = ""

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*PUHUI, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*PUHUI, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def scalar(self, sql: str):
        """One value read straight from the database (no Django: the test process has its own)."""
        if "DATABASE_URL" in self.env:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
                return conn.execute(sql).fetchone()[0]
        import sqlite3

        if not Path(self.name).exists():
            return 0
        with sqlite3.connect(self.name, timeout=10) as conn:
            try:
                return conn.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:  # no such table yet
                return 0

    def shell(self, code: str) -> str:
        """Run code in `puhui shell`; returns the last line it printed (the shell may print notices before)."""
        lines = self.run("shell", "-c", code).stdout.strip().splitlines()
        return lines[-1] if lines else ""


def killed_when(process: subprocess.Popen, database: "Database", sql: str, at_least: int, timeout: float = 120) -> int:
    """SIGKILL the process as soon as `sql` (a count) reaches `at_least` in its database; returns its exit code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if database.scalar(sql) >= at_least:
            break
        time.sleep(0.01)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return process.returncode


def killed_after(process: subprocess.Popen, seconds: float) -> int:
    """SIGKILL the process after `seconds` (if it is still running); returns its exit code."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return process.returncode


def _base_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUHUI_VAR_DIR")}
    env["DJANGO_SETTINGS_MODULE"] = "puhui.settings_test"
    env["PUHUI_VAR_DIR"] = str(tmp)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def database_new(tmp: Path) -> Database:
    tmp.mkdir(parents=True, exist_ok=True)
    env = _base_env(tmp)
    if connection.vendor != "postgresql":
        return Database(env, str(tmp / "puhui.sqlite3"))
    name = f"puhui_kill_{uuid.uuid4().hex[:10]}"
    _postgres_admin(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = _url(name)
    return Database(env, name)


def database_copy(source: Database, tmp: Path) -> Database:
    """A copy of a database no process is using."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = _base_env(tmp)
    if connection.vendor != "postgresql":
        import sqlite3

        target = tmp / "puhui.sqlite3"
        with sqlite3.connect(source.name) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return Database(env, str(target))
    name = f"puhui_kill_{uuid.uuid4().hex[:10]}"
    _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source.name}"')
    env["DATABASE_URL"] = _url(name)
    return Database(env, name)


def database_drop(database: Database) -> None:
    if connection.vendor == "postgresql":
        _postgres_admin(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def _url(name: str) -> str:
    url = os.environ["DATABASE_URL"]
    return url.rsplit("/", 1)[0] + f"/{name}"


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(statement)
