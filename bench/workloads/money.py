"""`puhui bench money`: drawdowns and repayments over HTTP from 16 concurrent keep-alive clients against the
app served by gunicorn on loopback, beside `pgbench` tpcb-like with 16 clients on the same PostgreSQL.

Each client is an account manager's device with its own bearer token, working through its own share of the
credit lines: a drawdown, then the repayment of the same amount, and now and then a drawdown above the limit
(refused with 422). Every request carries a fresh Idempotency-Key. Throughput and latency are taken over a
fixed window after a warm-up; afterwards the books must balance and every 201 must be exactly one journal.

On SQLite there is no pgbench: the baseline is the same tpcb-like transaction in raw SQL from 16 threads
on a scratch SQLite file beside the database (pgbench_tps stays null).

The CPU the server and the database spend per request is read from /proc (Linux, database on this machine):
with both at full load it says why the throughput is what it is. Knobs for exploring, not for the record:
PUHUI_BENCH_MONEY_SECONDS, PUHUI_BENCH_WARMUP_SECONDS, PUHUI_BENCH_GUNICORN_WORKERS, PUHUI_BENCH_GUNICORN_THREADS.
"""

import asyncio
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

from bench.harness import Measurement, backend_name
from puhui.core.selectors import business_date_current
from puhui.core.services import api_token_issue, api_token_revoke
from puhui.credit.models import CreditLine, Journal, Leg
from puhui.credit.selectors import trial_balance
from puhui.credit.services import line_activate
from puhui.demo.services import demo_load
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import Grid

NAME = "money"
DEFAULT_SIZE = 2_000  # credit lines, shared out among the clients
CLIENTS = 16
WARMUP_SECONDS = float(os.environ.get("PUHUI_BENCH_WARMUP_SECONDS", "5"))
MEASURE_SECONDS = float(os.environ.get("PUHUI_BENCH_MONEY_SECONDS", "25"))
BASELINE_SECONDS = 15
PGBENCH_SCALE = CLIENTS  # pgbench's advice: scale at least the number of clients
PREFIX = "MONEY-"  # the benchmark's own households (their lines and postings stay: the ledger is append-only)
LINE_LIMIT_FEN = 20_000_000
OVER_LIMIT = "200000.01"  # one fen above every bench line's limit: refused with 422 exceeds_available
REFUSED_EVERY = 16  # one cycle in 16 starts with a drawdown above the limit
# One single-threaded worker per core measured best: a money request is CPU-bound Python, so threads only
# contend for the GIL and extra workers only switch more (2 cores, idle machine: 2×1 131 rps, 3×1 113 rps).
GUNICORN_WORKERS = int(os.environ.get("PUHUI_BENCH_GUNICORN_WORKERS", str(os.cpu_count() or 2)))
GUNICORN_THREADS = int(os.environ.get("PUHUI_BENCH_GUNICORN_THREADS", "1"))
EXPECTED = {"drawdown": 201, "repayment": 201, "over_limit": 422}


# --- setup: households, lines and tokens through the real services -----------------------------------


def bench_grid() -> Grid:
    """The grid holding the bench households: the one used before, else the first grid with a manager."""
    used = Household.objects.filter(number__startswith=PREFIX).values_list("grid_id", flat=True).first()
    grids = Grid.objects.select_related("account_manager")
    if used is not None:
        return grids.get(pk=used)
    return grids.filter(account_manager__isnull=False).order_by("code").first()


def bench_lines(size: int, grid: Grid) -> list[int]:
    """`size` active lines in `grid`, made once (households in bulk, lines by the activation service)."""
    numbers = [f"{PREFIX}{n:05d}" for n in range(size)]
    existing = set(Household.objects.filter(village=grid.village, number__in=numbers).values_list("number", flat=True))
    Household.objects.bulk_create(
        Household(village=grid.village, grid=grid, number=number) for number in numbers if number not in existing
    )
    households = Household.objects.filter(village=grid.village, number__in=numbers)
    Person.objects.bulk_create(
        Person(household=h, relation=Person.Relation.HEAD, name="测试户主")
        for h in households.filter(members__isnull=True)
    )
    today = business_date_current()
    heads = Person.objects.filter(household__in=households.filter(credit_lines__isnull=True), relation="head")
    for head in heads.select_related("household"):
        line_activate(
            user=grid.account_manager,
            household=head.household,
            borrower=head,
            limit_fen=LINE_LIMIT_FEN,
            grade="AA",
            rate=Decimal("5.20"),
            start_date=today,
        )
    return list(
        CreditLine.objects.filter(household__in=households, status=CreditLine.Status.ACTIVE, end_date__gt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_argv(port: int, error_log: Path) -> list[str]:
    # A worker that keeps connections alive (sync workers close each one after the answer): with one thread,
    # puhui's KeepAliveWorker — gthread's event loop handling each request in its own thread (core/serving.py).
    # --reuse-port: a listening socket per worker, the kernel spreads new connections over them. On one shared
    # socket the first worker awake accepted them all (16 kept-alive connections on one worker of two, often).
    options = f"--bind 127.0.0.1:{port} --reuse-port --worker-class {worker_class()} --workers {GUNICORN_WORKERS}"
    options += f" --threads {GUNICORN_THREADS} --keep-alive 30 --graceful-timeout 5 --log-level warning"
    app = [sys.executable, "-m", "gunicorn", "puhui.wsgi:application"]
    return [*app, *options.split(), "--error-logfile", str(error_log)]


def worker_class() -> str:
    return "puhui.core.serving.KeepAliveWorker" if GUNICORN_THREADS == 1 else "gthread"


@contextmanager
def gunicorn_serving(port: int):
    """Gunicorn on loopback with this process's environment (same DATABASE_URL), stopped on any exit."""
    error_log = Path(tempfile.mkstemp(prefix="puhui-bench-gunicorn-", suffix=".log")[1])
    env = {**os.environ, "PUHUI_DEBUG": "0"}  # DEBUG would keep every query of every request in memory
    # A session of its own: the master and its workers are signalled together, and only they.
    with error_log.open("ab") as log:  # Django's 4xx warnings and any traceback: kept out of the report
        server = subprocess.Popen(
            gunicorn_argv(port, error_log), env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_answering(server, port, error_log)
        yield server.pid  # the process group of the master and its workers
    finally:
        stop(server)
        text = error_log.read_text(errors="replace")
        if server.returncode not in (0, -signal.SIGTERM) or "Traceback" in text:  # a server error: shown
            print(text[text.find("Traceback") :][:8000], file=sys.stderr)
        error_log.unlink(missing_ok=True)


def wait_answering(server: subprocess.Popen, port: int, error_log: Path, timeout: float = 60) -> None:
    """Until a worker answers HTTP (the master listens before the workers have loaded Django)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{error_log.read_text()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
                probe.sendall(b"GET /api/v1/business-date HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if probe.recv(12).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after 15 s; then nothing of the group may be left."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


# --- the load: 16 keep-alive clients on one asyncio loop ---------------------------------------------


@dataclass
class Tally:
    """Statuses over the whole run (warm-up included: they must match the postings); latencies measured."""

    window: tuple[float, float]
    statuses: Counter = field(default_factory=Counter)  # (kind, status) → requests
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in EXPECTED})
    samples: list[str] = field(default_factory=list)  # a few unexpected answers, for the report
    cpu: dict[str, float | None] = field(default_factory=dict)  # CPU seconds spent within the window

    def add(self, kind: str, status: int, body: bytes, started: float, finished: float) -> None:
        self.statuses[kind, status] += 1
        if self.window[0] <= started and finished <= self.window[1]:
            self.latencies[kind].append(finished - started)
        if status != EXPECTED[kind] and len(self.samples) < 5:
            self.samples.append(f"{kind} {status} {body[:300]!r}")


class Connection:
    """One keep-alive HTTP/1.1 connection: requests written by hand, answers read with minimal parsing
    (the generator shares two cores with gunicorn and the database, so every microsecond here is theirs)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        self.reader = self.writer = None

    async def post(self, path: str, key: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"POST {path} HTTP/1.1\r\n{self.head}Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        return await self.answer()

    async def answer(self) -> tuple[int, bytes]:
        head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        length = re.search(rb"\r\ncontent-length: *(\d+)", head)  # Django's CommonMiddleware always sets it
        body = await (self.reader.readexactly(int(length[1])) if length else self.reader.read())
        if not length or b"\r\nconnection: close" in head:
            self.close()
        return int(head[9:12]), body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def plan(lines: list[int]):
    """(kind, line, action, body) forever: draw an amount, repay it; now and then an over-limit drawdown."""
    cycle = 0
    while True:
        line = lines[cycle % len(lines)]
        amount = f"{(cycle % 50 + 1) * 100}.00"
        if cycle % REFUSED_EVERY == REFUSED_EVERY - 1:
            yield "over_limit", line, "drawdowns", {"amount": OVER_LIMIT, "channel": "field"}
        yield "drawdown", line, "drawdowns", {"amount": amount, "channel": "field", "purpose": "茶叶"}
        yield "repayment", line, "repayments", {"amount": amount, "channel": "counter"}
        cycle += 1


async def client(port: int, token: str, lines: list[int], tally: Tally, name: str) -> None:
    conn = Connection(port, token)
    try:
        for n, (kind, line, action, payload) in enumerate(plan(lines)):
            started = time.perf_counter()
            if started >= tally.window[1]:
                return
            body = json.dumps(payload, ensure_ascii=False).encode()
            try:
                status, answer = await conn.post(f"/api/v1/credit-lines/{line}/{action}", f"{name}-{n}", body)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                conn.close()
                status, answer = 599, repr(exc).encode()  # counted as an error, like a 5xx
                await asyncio.sleep(0.05)  # a server that is gone refuses at once: no busy loop
            tally.add(kind, status, answer, started, time.perf_counter())
    finally:
        conn.close()


# --- CPU per request, read from /proc ---------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_stat(pid: int | str) -> tuple[str, int, int, float, float]:
    """(name, parent, process group, own CPU s, reaped children's CPU s) of a process (Linux /proc)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
    own, children = int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])
    return name, int(rest[1]), int(rest[2]), own / CLOCK_TICKS, children / CLOCK_TICKS


def processes() -> dict[int, tuple[str, int, int, float, float]]:
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, ValueError, IndexError):  # gone meanwhile
                table[int(entry.name)] = proc_stat(entry.name)
    return table


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process when it runs on this machine: its children are the backends."""
    if backend_name() != "postgresql" or not Path("/proc/self/stat").exists():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    with suppress(OSError, ValueError, IndexError):
        name, parent, *_ = proc_stat(backend)
        if name.startswith("postgres"):
            return parent
    return None  # a database on another machine


@dataclass
class CpuProbe:
    server_group: int
    postmaster: int | None

    def sample(self) -> dict[str, float | None]:
        table = processes()
        database = None
        if self.postmaster in table:  # live backends, plus those that ended (their parent's reaped time)
            database = table[self.postmaster][4] + sum(p[3] for p in table.values() if p[1] == self.postmaster)
        return {
            "server": sum(p[3] for p in table.values() if p[2] == self.server_group),
            "database": database,
            "generator": time.process_time(),
            "machine": machine_busy_seconds(),
        }


def machine_busy_seconds() -> float:
    """CPU time of the whole machine, idle and I/O wait excepted (first line of /proc/stat)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


async def cpu_in_window(tally: Tally, probe: CpuProbe) -> None:
    await asyncio.sleep(max(0.0, tally.window[0] - time.perf_counter()))
    start = probe.sample()
    await asyncio.sleep(max(0.0, tally.window[1] - time.perf_counter()))
    end = probe.sample()
    tally.cpu = {k: None if start[k] is None or end[k] is None else end[k] - start[k] for k in start}


async def load(port: int, tokens: list[str], lines: list[int], run_id: str, probe: CpuProbe | None) -> Tally:
    start = time.perf_counter() + WARMUP_SECONDS
    tally = Tally(window=(start, start + MEASURE_SECONDS))
    # each client its own lines, as in a branch: no two devices work on one household's line
    clients = [client(port, tokens[c], lines[c::CLIENTS], tally, f"{PREFIX}{run_id}-{c}") for c in range(CLIENTS)]
    statistics = statistics_taken(at=start - WARMUP_SECONDS / 2)
    await asyncio.gather(*clients, statistics, *([cpu_in_window(tally, probe)] if probe else []))
    return tally


async def statistics_taken(at: float) -> None:
    """ANALYZE halfway through the warm-up. On a fresh database the ledger tables are empty when the run
    starts, and plans made for empty tables (the foreign-key checks' and the ledger triggers' among them) scan
    them whole — dearer with every posting, until autovacuum first analyzes them, a minute or so into the life
    of any new database. The measured window is the steady state after that."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    await asyncio.to_thread(tables_analyzed)


def tables_analyzed() -> None:
    if backend_name() != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    finally:
        connection.close()  # this worker thread's own connection


def load_figures(tally: Tally) -> dict:
    measured = [x for values in tally.latencies.values() for x in values]
    if len(measured) < 100:
        raise RuntimeError(f"only {len(measured)} requests in the window; statuses {dict(tally.statuses)}")
    errors = sum(n for (kind, status), n in tally.statuses.items() if status != EXPECTED[kind])
    return {
        "requests": len(measured),
        "requests_per_second": round(len(measured) / MEASURE_SECONDS, 1),
        "p50_ms": percentile_ms(measured, 50),
        "p99_ms": percentile_ms(measured, 99),
        "max_ms": round(max(measured) * 1000, 1),
        "by_kind": {
            kind: {"requests": len(v), "p50_ms": percentile_ms(v, 50), "p99_ms": percentile_ms(v, 99)}
            for kind, v in tally.latencies.items()
            if v
        },
        "statuses": {f"{kind} {status}": n for (kind, status), n in sorted(tally.statuses.items())},
        "errors": errors,
        "error_samples": tally.samples,
        "clients": CLIENTS,
        "workers": GUNICORN_WORKERS,
        "threads": GUNICORN_THREADS,
        "worker_class": worker_class(),
        "warmup_seconds": WARMUP_SECONDS,
        **cpu_figures(tally.cpu, len(measured)),
    }


def cpu_figures(cpu: dict[str, float | None], requests: int) -> dict:
    """CPU ms per request of server, database and generator; the share of the cores others took meanwhile
    (a benchmark on a shared machine says so rather than reporting a slow run as a slow app)."""
    if not cpu:
        return {}
    figures = {
        f"{part}_cpu_ms_per_request": None if cpu[part] is None else round(cpu[part] * 1000 / requests, 2)
        for part in ("server", "database", "generator")
    }
    ours = sum(cpu[part] or 0.0 for part in ("server", "database", "generator"))
    figures["other_processes_cpu_share"] = round((cpu["machine"] - ours) / (MEASURE_SECONDS * os.cpu_count()), 3)
    return figures


def percentile_ms(values: list[float], p: int) -> float:
    """Nearest rank: the smallest latency that p % of the requests did not exceed."""
    ranked = sorted(values)
    return round(ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)] * 1000, 1)


# --- baselines: pgbench tpcb-like on PostgreSQL; the same transaction in raw SQL on SQLite ----------


def pgbench_tps() -> dict:
    """`pgbench -c 16 -j 2 -T 15` (tpcb-like) in a database of its own beside the app's."""
    if shutil.which("pgbench") is None:
        raise RuntimeError("pgbench is not installed (Debian: postgresql-client)")
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": pgbench_database(db["NAME"]),
    }
    try:
        pgbench(["-i", "-q", "-s", str(PGBENCH_SCALE)], env)
        out = pgbench(["-c", str(CLIENTS), "-j", "2", "-T", str(BASELINE_SECONDS)], env)
    finally:
        pgbench_cleanup(env, db["NAME"])
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{out}")
    return {"tps": float(tps[1]), "latency_ms": float(latency[1]) if latency else None, "scale": PGBENCH_SCALE}


def pgbench(args: list[str], env: dict) -> str:
    done = subprocess.run(["pgbench", *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"pgbench {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def pgbench_database(app_database: str) -> str:
    """A scratch database for pgbench's tables; the app's own when this role may not create one."""
    name = f"{app_database}_pgbench"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    except DatabaseError:  # no CREATEDB: pgbench_* tables do not clash with the app's
        return app_database
    return name


def pgbench_cleanup(env: dict, app_database: str) -> None:
    if env["PGDATABASE"] == app_database:
        subprocess.run(["pgbench", "-i", "-I", "d"], env=env, capture_output=True, check=False)
    else:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{env["PGDATABASE"]}"')


TPCB = (
    "UPDATE accounts SET abalance = abalance + ? WHERE aid = ?",
    "SELECT abalance FROM accounts WHERE aid = ?",
    "UPDATE tellers SET tbalance = tbalance + ? WHERE tid = ?",
    "UPDATE branches SET bbalance = bbalance + ? WHERE bid = ?",
    "INSERT INTO history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
)


def sqlite_tpcb_tps() -> dict:
    """pgbench's tpcb-like transaction in raw SQL from 16 threads, on a scratch file beside the database."""
    path = Path(settings.DATABASES["default"]["NAME"]).with_name("bench-tpcb.sqlite3")
    tpcb_init(path)
    counts = [0] * CLIENTS
    stop_at = time.perf_counter() + BASELINE_SECONDS
    threads = [threading.Thread(target=tpcb_client, args=(path, stop_at, counts, c)) for c in range(CLIENTS)]
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {"tps": sum(counts) / (time.perf_counter() - started), "latency_ms": None, "scale": 1}


def tpcb_init(path: Path) -> None:
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(
            "DROP TABLE IF EXISTS accounts; DROP TABLE IF EXISTS tellers; DROP TABLE IF EXISTS branches;"
            " DROP TABLE IF EXISTS history;"
            " CREATE TABLE accounts (aid INTEGER PRIMARY KEY, bid INTEGER, abalance INTEGER, filler TEXT);"
            " CREATE TABLE tellers (tid INTEGER PRIMARY KEY, bid INTEGER, tbalance INTEGER, filler TEXT);"
            " CREATE TABLE branches (bid INTEGER PRIMARY KEY, bbalance INTEGER, filler TEXT);"
            " CREATE TABLE history (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER, mtime TEXT, filler TEXT);"
        )
        db.execute("BEGIN")
        db.execute("INSERT INTO branches VALUES (1, 0, '')")
        db.executemany("INSERT INTO tellers VALUES (?, 1, 0, '')", ((t,) for t in range(1, 11)))
        db.executemany("INSERT INTO accounts VALUES (?, 1, 0, '')", ((a,) for a in range(1, 100_001)))
        db.execute("COMMIT")
    db.close()


def tpcb_client(path: Path, stop_at: float, counts: list[int], n: int) -> None:
    rng = secrets.SystemRandom()
    db = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous=NORMAL")  # as the app's own connections
    try:
        while time.perf_counter() < stop_at:
            aid, tid, delta = rng.randint(1, 100_000), rng.randint(1, 10), rng.randint(-5000, 5000)
            db.execute("BEGIN IMMEDIATE")
            db.execute(TPCB[0], (delta, aid))
            db.execute(TPCB[1], (aid,)).fetchone()
            db.execute(TPCB[2], (delta, tid))
            db.execute(TPCB[3], (delta, 1))
            db.execute(TPCB[4], (tid, 1, aid, delta))
            db.execute("COMMIT")
            counts[n] += 1
    finally:
        db.close()


# --- the run ----------------------------------------------------------------------------------------


def books_checked(journals_before: int, legs_before: int, tally: Tally) -> dict:
    """The books balance, and every 201 of the run is exactly one journal (no lost or doubled posting)."""
    balance = trial_balance()
    if not balance.balanced:
        raise AssertionError(f"the books do not balance after the money run: {balance}")
    journals = Journal.objects.count() - journals_before
    created = sum(n for (_kind, status), n in tally.statuses.items() if status == 201)
    if journals != created:
        raise AssertionError(f"{created} requests answered 201 but {journals} journals were posted")
    return {"postings": journals, "legs": Leg.objects.count() - legs_before, "balanced": True}


def money_run(line_ids: list[int], grid: Grid) -> Tally:
    """Tokens issued by the real service for 16 devices, the load against gunicorn, tokens revoked after."""
    issued = [api_token_issue(user=grid.account_manager) for _ in range(CLIENTS)]
    tokens, postmaster = [raw for raw, _token in issued], postmaster_pid()
    try:
        with gunicorn_serving(port := free_port()) as server_group:
            probe = CpuProbe(server_group, postmaster) if Path("/proc/self/stat").exists() else None
            return asyncio.run(load(port, tokens, line_ids, secrets.token_hex(4), probe))
    finally:
        for _raw, token in issued:
            api_token_revoke(token=token, actor=grid.account_manager)


def database_settled() -> None:
    """After the setup's bulk writes: VACUUM ANALYZE and a CHECKPOINT before the clock starts (as pgbench
    vacuums before its run) — else autovacuum and the checkpointer work through the freshly loaded tables
    inside the measured window, and their CPU is counted as the database's share of the requests."""
    if backend_name() != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        with suppress(DatabaseError):  # a role without pg_checkpoint: the vacuum is the larger part
            cursor.execute("CHECKPOINT")


def run(size: int = DEFAULT_SIZE) -> Measurement:
    demo_load()
    grid = bench_grid()
    assert grid.account_manager.has_role(roles.ACCOUNT_MANAGER), grid.account_manager
    line_ids = bench_lines(size, grid)
    database_settled()
    journals_before, legs_before = Journal.objects.count(), Leg.objects.count()
    tally = money_run(line_ids, grid)
    figures = load_figures(tally)
    books = books_checked(journals_before, legs_before, tally)
    baseline = pgbench_tps() if backend_name() == "postgresql" else sqlite_tpcb_tps()
    return Measurement(
        NAME,
        len(line_ids),
        MEASURE_SECONDS,
        figures["requests"] / baseline["tps"],  # the database alone, for the same number of transactions
        extra={
            **figures,
            "pgbench_tps": round(baseline["tps"], 1) if backend_name() == "postgresql" else None,
            "pgbench_latency_ms": baseline["latency_ms"],
            "baseline": "pgbench tpcb-like" if backend_name() == "postgresql" else "tpcb-like in raw SQL (sqlite3)",
            "baseline_tps": round(baseline["tps"], 1),
            "baseline_scale": baseline["scale"],
            "lines": len(line_ids),
            **books,
            "business_date": business_date_current().isoformat(),
        },
    )
