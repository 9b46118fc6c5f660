"""The soak run itself (see soak.py): data through the real services, the server and the worker, the traffic and
the faults on one asyncio loop, then the reconciliation (soak_reconcile.py)."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.db.models import Max

from bench.workloads.money import bench_grid, bench_lines, free_port, gunicorn_serving, processes
from puhui.core.models import JobRun
from puhui.core.selectors import business_date_current
from puhui.core.services import api_token_issue
from puhui.credit.models import Journal, Loan
from puhui.deliberation import selectors as deliberation
from puhui.demo.register import RegisterFile, person_row
from puhui.org.models import User, Village
from tests.reliability import soak_reconcile, soak_traffic
from tests.reliability.soak_traffic import Log

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
LINES = int(os.environ.get("SOAK_LINES", "640"))
KILL_WINDOW_SECONDS = float(os.environ.get("SOAK_KILL_WINDOW_SECONDS", "15"))
EOD_AT, KILL_AT = 0.3, 0.5  # of the run: end of day starts, then a gunicorn worker is killed while it may run
MONEY, VOTES, IMPORTS, KPI_API, DASHBOARD = 16, 4, 4, 6, 2  # 32 clients
IMPORT_HOUSEHOLDS = 12  # per import client: its own households, uploaded again and again


@dataclass
class World:
    lines: list[int]
    money_tokens: list[str]
    head_token: str
    password: str
    round_id: int
    positions: list[int]
    workbooks: list[bytes]
    register: dict[str, int]  # household number → members, what the imports must leave
    business_date: str
    marks: dict[str, int]  # the largest journal and loan ids before the traffic
    run_id: str


def run() -> int:
    if connection.vendor != "postgresql":
        print("the soak runs on PostgreSQL: bash scripts/with-postgres.sh .venv/bin/python -m tests.reliability.soak")
        return 2
    started = time.monotonic()
    world = prepare()
    print(f"soak: data ready in {time.monotonic() - started:.0f} s; {SOAK_SECONDS:.0f} s of traffic", flush=True)
    with worker_running(), gunicorn_serving(port := free_port()) as master:
        log = asyncio.run(traffic(port, world, master))
        jobs_drained(timeout=300)
    result = soak_reconcile.reconcile(log, world, kill_window=KILL_WINDOW_SECONDS, seconds=SOAK_SECONDS)
    print(soak_reconcile.report(result), flush=True)
    return 0 if result["passed"] else 1


# --- data, through the real services ---------------------------------------------------------------------------


def prepare() -> World:
    call_command("migrate", interactive=False, verbosity=0)
    with open(os.devnull, "w") as quiet:  # the demo: geography, staff, households, credit history, an open round
        call_command("demo", no_serve=True, stdout=quiet)
    grid = bench_grid()
    lines = bench_lines(LINES, grid)
    head, evaluator = User.objects.get(username="head"), User.objects.get(username="evaluator")
    round_ = deliberation.evaluator_rounds(evaluator)[0]
    entries = deliberation.evaluator_entries(deliberation.evaluator_seat(evaluator, round_), round_)
    workbooks, register = import_workbooks()
    return World(
        lines=lines,
        money_tokens=[api_token_issue(user=grid.account_manager)[0] for _ in range(MONEY)],
        head_token=api_token_issue(user=head)[0],
        password=os.environ["PUHUI_DEMO_PASSWORD"],
        round_id=round_.pk,
        positions=list(range(1, len(entries) + 1)),
        workbooks=workbooks,
        register=register,
        business_date=business_date_current().isoformat(),
        marks={
            "journal": Journal.objects.aggregate(m=Max("pk"))["m"] or 0,
            "loan": Loan.objects.aggregate(m=Max("pk"))["m"] or 0,
        },
        run_id=os.urandom(4).hex(),
    )


def import_workbooks() -> tuple[list[bytes], dict[str, int]]:
    """One register per import client, households of its own in the city's villages (the head office imports)."""
    rng, used = random.Random(7), set()
    villages = list(Village.objects.values_list("township__code", "code").order_by("code"))
    workbooks, register = [], {}
    folder = Path(tempfile.mkdtemp(prefix="puhui-soak-registers-"))
    for client in range(IMPORTS):
        sheet = RegisterFile()
        for n in range(IMPORT_HOUSEHOLDS):
            township, village = villages[(client * IMPORT_HOUSEHOLDS + n) % len(villages)]
            number, members = f"SOAK-{client}-{n:03d}", 1 + (n % 4)
            sheet.rows += [person_row(rng, used, township, village, number, m) for m in range(members)]
            register[number] = members
        workbooks.append(sheet.save(folder / f"register-{client}.xlsx").read_bytes())
    return workbooks, register


# --- the processes ---------------------------------------------------------------------------------------------


@contextmanager
def worker_running():
    """`puhui db_worker` beside the server (imports, end of day), stopped with SIGTERM at the end."""
    log = Path(tempfile.mkstemp(prefix="puhui-soak-worker-", suffix=".log")[1])
    argv = [sys.executable, "-m", "puhui.cli", "db_worker", "--interval", "0.5", "--no-startup-delay", "--no-reload"]
    with log.open("ab") as out:
        worker = subprocess.Popen(argv, stdout=out, stderr=out, start_new_session=True)  # noqa: S603
    try:
        yield worker
    finally:
        with suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        if worker.returncode not in (0, -signal.SIGTERM):
            print(log.read_text()[-3000:], file=sys.stderr)
        log.unlink(missing_ok=True)


def jobs_drained(timeout: float) -> None:
    """Until no job is queued or running: the end of day and the last imports finish before the books are read."""
    deadline = time.monotonic() + timeout
    unfinished = JobRun.objects.filter(status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING])
    while unfinished.exists() and time.monotonic() < deadline:
        time.sleep(1)


# --- traffic and faults ----------------------------------------------------------------------------------------


async def traffic(port: int, world: World, master: int) -> Log:
    head = await soak_traffic.login(port, "head", world.password)
    evaluator = await soak_traffic.login(port, "evaluator", world.password)
    start = time.perf_counter()
    log = Log(stop_at=start + SOAK_SECONDS)
    log.events["started_at"] = start
    t = soak_traffic
    clients = [
        *(
            t.money_client(log, port, token, world.lines[c::MONEY], f"SOAK-{world.run_id}-{c}")
            for c, token in enumerate(world.money_tokens)
        ),
        *(t.vote_client(log, port, evaluator, world.round_id, world.positions[c::VOTES]) for c in range(VOTES)),
        *(t.import_client(log, port, world.head_token, world.workbooks[c], f"soak-{c}") for c in range(IMPORTS)),
        *(
            t.reader_client(log, port, "kpi_api", "/api/v1/kpis?scope=city", 0.5, token=world.head_token)
            for _ in range(KPI_API)
        ),
        *(t.reader_client(log, port, "dashboard", "/kpi/", 1.0, cookies=head) for _ in range(DASHBOARD)),
    ]
    assert len(clients) == 32
    faults = [
        at(start + EOD_AT * SOAK_SECONDS, t.eod_started(log, port, head, world.business_date)),
        at(start + KILL_AT * SOAK_SECONDS, worker_killed(log, master)),
    ]
    await asyncio.gather(*clients, *faults)
    return log


async def at(moment: float, action) -> None:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))
    await action


def gunicorn_workers(master: int) -> set[int]:
    return {pid for pid, stat in processes().items() if stat[1] == master}


async def worker_killed(log: Log, master: int) -> None:
    """SIGKILL the gunicorn worker that has spent the most CPU (the busiest), then wait for its replacement."""
    workers = {pid: processes().get(pid) for pid in gunicorn_workers(master)}
    victim = max(workers, key=lambda pid: workers[pid][3] if workers[pid] else 0)
    os.kill(victim, signal.SIGKILL)
    log.events.update(kill_at=time.perf_counter(), killed_pid=victim, workers=len(workers))
    while time.perf_counter() < log.events["kill_at"] + 60:
        await asyncio.sleep(0.1)
        if gunicorn_workers(master) - set(workers):
            log.events["restarted_after"] = time.perf_counter() - log.events["kill_at"]
            return
