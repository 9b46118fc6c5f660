"""After the soak: the clients' own log against the database, and the table the README quotes.

Lost: a posting a device was told was accepted (201) that the books do not hold. Duplicated: a journal no accepted
request accounts for (a retry posted twice). Drawdowns are matched one to one by the loan the 201 named;
repayments by (line, amount) as multisets. A request killed in flight and retried with its key is answered from
the key (201 replayed) or by the retry that posted it — either way one journal.
"""

import datetime
import json
import platform
from collections import Counter
from pathlib import Path

from django.db.models import Count, Q, Sum

from bench.workloads.money import percentile_ms
from puhui.core.models import IdempotencyKey, JobRun
from puhui.core.selectors import business_date_current
from puhui.credit.models import EodRun, Journal, Leg, Loan
from puhui.credit.selectors import trial_balance
from puhui.deliberation.models import Vote
from puhui.households.models import Household
from tests.reliability.soak_traffic import EXPECTED, Log

RESULTS = Path(__file__).resolve().parent / "results"


def reconcile(log: Log, world, *, kill_window: float, seconds: float) -> dict:
    checks: dict[str, bool] = {}
    money = _money(log, world, checks)
    answers = _answers(log, kill_window, checks)
    books = _books(checks)
    jobs = _jobs(log, world, checks)
    votes = _votes(log, world, checks)
    faults = _faults(log, checks)
    return {
        "passed": all(checks.values()),
        "checks": checks,
        "seconds": seconds,
        "clients": 32,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "money": money,
        "answers": answers,
        "books": books,
        "jobs": jobs,
        "votes": votes,
        "faults": faults,
        "samples": log.samples,
    }


def _money(log: Log, world, checks: dict) -> dict:
    accepted = [p for p in log.postings if p.status == 201]
    drawn = [p for p in accepted if p.kind in ("drawdown", "over_limit")]
    repaid = [p for p in accepted if p.kind == "repayment"]
    journals = list(
        Journal.objects.filter(
            pk__gt=world.marks["journal"], line_id__in=world.lines, kind__in=["drawdown", "repayment"]
        )
        .annotate(amount=Sum("legs__amount_fen", filter=Q(legs__amount_fen__gt=0)))
        .values_list("pk", "kind", "line_id", "amount")
    )
    loans = dict(
        Leg.objects.filter(journal_id__in=[j[0] for j in journals if j[1] == "drawdown"], loan__isnull=False)
        .values_list("journal_id", "loan_id")
        .distinct()
    )
    new_loans = set(
        Loan.objects.filter(pk__gt=world.marks["loan"], line_id__in=world.lines).values_list("pk", flat=True)
    )
    told = Counter(p.loan_id for p in drawn)
    booked = Counter(loans.get(pk) for pk, kind, _line, _amount in journals if kind == "drawdown")
    want = Counter((p.line, p.amount_fen) for p in repaid)
    have = Counter((line, amount) for _pk, kind, line, amount in journals if kind == "repayment")
    lost = sum((told - booked).values()) + sum((want - have).values())
    duplicated = sum((booked - told).values()) + sum((have - want).values()) + len(new_loans - set(told))
    amounts_match = Counter((p.line, p.amount_fen) for p in drawn) == Counter(
        (line, amount) for _pk, kind, line, amount in journals if kind == "drawdown"
    )
    keys = [p.key for p in accepted]
    recorded = IdempotencyKey.objects.filter(key__in=keys, state="done", status_code=201).count()
    stuck = IdempotencyKey.objects.filter(key__startswith=f"SOAK-{world.run_id}-", state="in_progress").count()
    checks["every accepted posting is one journal (0 lost)"] = lost == 0
    checks["no journal without an accepted request (0 duplicated)"] = duplicated == 0
    checks["drawdown amounts match their journals"] = amounts_match
    checks["every accepted key is recorded done"] = recorded == len(keys)
    # a key is written with its posting (core.idempotency): none may be in progress, the kill notwithstanding
    checks["no idempotency key left in progress"] = stuck == 0
    return {
        "requests": len(log.postings),
        "accepted": {"drawdown": len(drawn), "repayment": len(repaid)},
        "journals": len(journals),
        "final_answers": dict(Counter(f"{p.kind} {p.status} {p.code}".strip() for p in log.postings)),
        "retried": sum(p.tries > 1 for p in log.postings),
        "lost": lost,
        "duplicated": duplicated,
        "keys_stuck_in_progress": stuck,
    }


def _answers(log: Log, window: float, checks: dict) -> dict:
    kill = log.events.get("kill_at")

    def inside(a) -> bool:
        return kill is not None and a.finished >= kill and a.started <= kill + window

    by_kind = Counter(a.kind for a in log.attempts)
    server_errors = [a for a in log.attempts if 500 <= a.status < 599]
    broken = [a for a in log.attempts if a.status == 599]
    unexpected = Counter(
        f"{a.kind} {a.status}"
        for a in log.attempts
        if a.status not in EXPECTED[a.kind]
        and a.status < 500
        and not (a.kind in ("drawdown", "repayment") and a.status in (409, 422))
    )
    outside = sum(not inside(a) for a in server_errors) + sum(not inside(a) for a in broken)
    checks["no 5xx and no broken connection outside the kill window"] = outside == 0
    checks["no unexpected answer (4xx) anywhere"] = not unexpected
    return {
        "requests": len(log.attempts),
        "by_kind": dict(by_kind),
        "statuses": dict(Counter(f"{a.kind} {a.status}" for a in log.attempts)),
        "5xx_inside_kill_window": sum(inside(a) for a in server_errors),
        "5xx_outside_kill_window": sum(not inside(a) for a in server_errors),
        "broken_inside_kill_window": sum(inside(a) for a in broken),
        "broken_outside_kill_window": sum(not inside(a) for a in broken),
        "unexpected": dict(unexpected),
        "latency_ms": {
            kind: {"p50": percentile_ms(values, 50), "p99": percentile_ms(values, 99)}
            for kind in sorted(by_kind)
            if (values := [a.finished - a.started for a in log.attempts if a.kind == kind and a.status < 500])
        },
    }


def _books(checks: dict) -> dict:
    balance = trial_balance()
    unbalanced = Journal.objects.annotate(total=Sum("legs__amount_fen")).exclude(total=0).count()
    checks["trial balance balanced"] = balance.balanced
    checks["principal control = Σ loans outstanding"] = balance.principal_difference_fen == 0
    checks["interest control = Σ loans' interest"] = balance.interest_difference_fen == 0
    checks["no unbalanced journal"] = unbalanced == 0
    return {
        "balanced": balance.balanced,
        "debits_fen": balance.debits_fen,
        "principal_difference_fen": balance.principal_difference_fen,
        "interest_difference_fen": balance.interest_difference_fen,
        "unbalanced_journals": unbalanced,
    }


def _jobs(log: Log, world, checks: dict) -> dict:
    imports = JobRun.objects.filter(pk__in=list(log.import_jobs))
    statuses = dict(Counter(imports.values_list("status", flat=True)))
    eod = JobRun.objects.filter(pk=log.events.get("eod_job") or 0).first()
    day = datetime.date.fromisoformat(world.business_date)
    closed = EodRun.objects.filter(business_date=day, status=EodRun.Status.SUCCEEDED).exists()
    checks["every import job succeeded"] = bool(statuses) and set(statuses) == {"succeeded"}
    checks.update(_register_checked(log, world))
    checks["end of day ran during the traffic and closed the date"] = bool(eod and eod.status == "succeeded" and closed)
    checks["business date advanced by one day"] = business_date_current() == day + datetime.timedelta(days=1)
    checks["no job left running"] = not JobRun.objects.filter(status__in=["queued", "running"]).exists()
    return {
        "import_jobs": statuses,
        "households": Household.objects.filter(number__startswith="SOAK-").count(),
        "eod_job": None if eod is None else {"id": eod.pk, "status": eod.status, "error": eod.error},
        "eod_refused": log.events.get("eod_refused"),
    }


def _register_checked(log: Log, world) -> dict[str, bool]:
    """Every imported household whole; the ones missing are exactly those every job of its client rejected
    (the generated register may hold a household the rules refuse, e.g. two spouses)."""
    present = dict(
        Household.objects.filter(number__startswith="SOAK-").annotate(n=Count("members")).values_list("number", "n")
    )
    missing = Counter(number.split("-")[1] for number in set(world.register) - set(present))
    rejected: dict[str, set] = {}
    for job in log.import_jobs.values():
        if job["status"] == "succeeded":
            rejected.setdefault(job["client"].split("-")[1], set()).add(job["result"]["rejected_households"])
    return {
        "imported households whole (every member)": all(world.register.get(k) == n for k, n in present.items()),
        "households missing = households the jobs rejected": bool(rejected)
        and all(counts == {missing.get(client, 0)} for client, counts in rejected.items()),
    }


def _votes(log: Log, world, checks: dict) -> dict:
    saved_positions = {n for n, count in log.votes_saved.items() if count}
    stored = Vote.objects.filter(ballot__round_id=world.round_id, ballot__member__user__username="evaluator").count()
    checks["every card an evaluator saved holds a vote"] = stored >= len(saved_positions) > 0
    return {"saved_answers": sum(log.votes_saved.values()), "cards": len(saved_positions), "votes_stored": stored}


def _faults(log: Log, checks: dict) -> dict:
    restarted = log.events.get("restarted_after")
    checks["the killed gunicorn worker was replaced"] = restarted is not None
    return {
        "gunicorn_worker_sigkill": 1 if "killed_pid" in log.events else 0,
        "worker_replaced_after_seconds": None if restarted is None else round(restarted, 2),
        "end_of_day_during_traffic": 1 if log.events.get("eod_job") else 0,
        "kill_at_second": _offset(log, "kill_at"),
        "eod_at_second": _offset(log, "eod_started_at"),
    }


def _offset(log: Log, event: str) -> float | None:
    moment = log.events.get(event)
    return None if moment is None else round(moment - log.events["started_at"], 1)


LEGEND = (
    "Lost: a 201 in a client's log without its journal. Duplicated: a journal no 201 accounts for. Broken"
    " connections: requests in flight on the killed worker or queued on its socket; the devices retried them with"
    " the same Idempotency-Key. Keys left in progress: none may be — a key is written in the"
    " transaction of its posting, so a request the kill cut off left neither, and its retry posted once."
)


def report(result: dict) -> str:
    """The table, printed and written with the figures to results/soak.md and soak.json."""
    money, answers, books, faults = result["money"], result["answers"], result["books"], result["faults"]
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(answers["by_kind"].items()))
    passed = sum(result["checks"].values())
    accepted, kill = money["accepted"], f"at {faults['kill_at_second']} s"
    replaced = f"replaced after {faults['worker_replaced_after_seconds']} s"
    balanced = "balanced" if books["balanced"] else "NOT balanced"
    rows = [
        ("checks run", f"{len(result['checks'])} ({passed} passed)"),
        ("duration, clients", f"{result['seconds']:.0f} s, {result['clients']} concurrent clients"),
        ("requests", f"{answers['requests']:,} ({kinds})"),
        (
            "postings accepted (201)",
            f"{sum(accepted.values()):,} ({accepted['drawdown']:,} drawdowns, {accepted['repayment']:,} repayments);"
            f" {money['journals']:,} journals; {money['retried']:,} requests retried with their key",
        ),
        (
            "faults injected",
            f"{faults['gunicorn_worker_sigkill']} gunicorn worker SIGKILL {kill} ({replaced});"
            f" end of day from {faults['eod_at_second']} s",
        ),
        (
            "5xx inside / outside the kill window",
            f"{answers['5xx_inside_kill_window']} / {answers['5xx_outside_kill_window']}",
        ),
        (
            "broken connections inside / outside",
            f"{answers['broken_inside_kill_window']} / {answers['broken_outside_kill_window']}",
        ),
        ("lost", str(money["lost"])),
        ("duplicated", str(money["duplicated"])),
        ("unbalanced", f"{books['unbalanced_journals']} journals; trial balance {balanced}"),
        ("idempotency keys left in progress", str(money["keys_stuck_in_progress"])),
    ]
    lines = ["| soak run (PostgreSQL) | result |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    failed = [name for name, ok in result["checks"].items() if not ok]
    lines += ["", "Failed checks: " + ("none" if not failed else "; ".join(failed)), "", LEGEND]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.md").write_text(text)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    return text
