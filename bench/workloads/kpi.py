"""`puhui bench kpi`: the city dashboard's data (`kpi.dashboard.dashboard_city_data`: every indicator as of the
business date beside its target with state and projection, the township ranking, the default trend) at county
scale, beside a baseline running the same aggregate queries as raw SQL.

Setup (not timed): the county demo households (about 200,000, through the real register import); a campaign in four
villages of five with a round holding all their households; a credit line for one household in four with
SIZE / lines loans each, drawn over the previous year (one in three on a self-service channel), booked with one
opening journal (a principal leg per loan); the trend's history (120 days of snapshot values for the city, townships
and branches) and the real end-of-day snapshot of the last closed date (`kpi_snapshot_take`, every scope, as end of
day stores it); tables analysed.

Measured: seven calls of `dashboard_city_data` for the head office as of the business date (after one warm-up),
median: the page reads the last closed date's snapshot. Baseline, same run: the SQL statements that one call sent,
captured and replayed as they are through a raw cursor seven times, median — the reads without the ORM and the
Python around them. Reported beside them, once: the same figures computed live from the loans (`kpi_values` and the
township aggregates), which is what end of day pays for the snapshot.
"""

import datetime
import random
import statistics
import time
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.harness import Measurement
from bench.workloads import eod as eod_bench
from puhui.core.bulk import insert_rows
from puhui.core.services import business_date_set
from puhui.credit.models import CreditLine, Loan
from puhui.deliberation.models import Campaign, Round, RoundHousehold
from puhui.demo.households import demo_households_load
from puhui.demo.services import demo_load
from puhui.households.models import Household, Person
from puhui.kpi.dashboard import dashboard_city_data, zc_grouped
from puhui.kpi.models import Indicator, KpiSnapshot
from puhui.kpi.selectors import kpi_values
from puhui.kpi.snapshots import kpi_snapshot_take
from puhui.org import roles
from puhui.org.models import Branch, Township, User, Village

NAME = "kpi"
DEFAULT_SIZE = 1_000_000
ROUNDS = 7
DAY = eod_bench.ROUND_DATES[0]
LINE_SHARE = 4  # one household in four holds a line
SNAPSHOT_DAYS = 120


def run(size: int = DEFAULT_SIZE) -> Measurement:
    demo_load()
    if Household.objects.count() < 150_000:
        demo_households_load(scale="county")
    user = User.objects.filter(groups__name=roles.HEAD_OFFICE).order_by("pk").first()
    if not Loan.objects.exists():
        _portfolio_create(size, user)
    business_date_set(business_date=DAY)
    closed = DAY - datetime.timedelta(days=1)
    start = time.perf_counter()
    rows = kpi_snapshot_take(date=closed, current=True)  # what end of day stores before moving the date on
    snapshot_seconds = time.perf_counter() - start
    _analyse()
    start = time.perf_counter()
    kpi_values(user=user, scope="city", date=closed)
    zc_grouped(villages=Village.objects.all(), date=closed, by="township_id")
    live_seconds = time.perf_counter() - start
    dashboard_city_data(user=user, date=DAY)  # warm-up: caches, the catalogue, connection
    connection.queries_log.clear()  # the setup's statements filled the log: capture from empty
    with CaptureQueriesContext(connection) as captured:
        dashboard_city_data(user=user, date=DAY)
    statements = [q["sql"] for q in captured.captured_queries]
    ours, baseline = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        dashboard_city_data(user=user, date=DAY)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        baseline.append(time.perf_counter() - start)
    print(f"  snapshot of {closed}: {rows:,} rows in {snapshot_seconds:.2f} s; live figures {live_seconds:.2f} s")
    print(f"  {len(statements)} statements; dashboard {[round(s, 3) for s in ours]}")
    print(f"  baseline {[round(s, 3) for s in baseline]}")
    return Measurement(
        NAME,
        Loan.objects.count(),
        statistics.median(ours),
        statistics.median(baseline),
        extra={
            "households": Household.objects.count(),
            "lines": CreditLine.objects.count(),
            "statements": len(statements),
            "median_ms": round(statistics.median(ours) * 1000, 1),
            "live_seconds": round(live_seconds, 2),
            "snapshot_seconds": round(snapshot_seconds, 2),
            "snapshot_rows": rows,
        },
    )


def _portfolio_create(size: int, user: User) -> None:
    start = time.perf_counter()
    rng = random.Random(size)
    villages = list(Village.objects.order_by("code").values_list("pk", flat=True))
    launched = [v for v in villages if rng.random() < 0.8]
    _campaigns_create(launched, user, rng)
    households = list(Household.objects.filter(village_id__in=launched).order_by("pk").values_list("pk", flat=True))[
        ::LINE_SHARE
    ]
    heads = dict(Person.objects.filter(household_id__in=households, relation="head").values_list("household_id", "pk"))
    households = [h for h in households if h in heads]
    per_line = max(1, size // len(households))
    loans, lines = eod_bench._loan_rows(rng, households, heads, per_line, user)
    insert_rows(CreditLine, eod_bench.LINE_COLUMNS, lines)
    line_ids = dict(CreditLine.objects.values_list("household_id", "pk"))
    insert_rows(Loan, eod_bench.LOAN_COLUMNS, [(line_ids[households[row[0]]], *row[1:]) for row in loans])
    with connection.cursor() as cursor:  # a third drawn on a self-service channel (QD2)
        cursor.execute(f"UPDATE {Loan._meta.db_table} SET channel = 'mobile' WHERE id % 3 = 0")
    eod_bench._opening_journal()
    _snapshots_create(rng)
    print(f"  setup: {len(loans):,} loans on {len(lines):,} lines in {time.perf_counter() - start:.0f} s")


def _campaigns_create(villages: list[int], user: User, rng: random.Random) -> None:
    with transaction.atomic():
        campaigns = Campaign.objects.bulk_create(
            Campaign(
                village_id=v,
                plan_year=2017,
                kind=Campaign.Kind.ROLLOUT,
                stage=Campaign.Stage.DELIBERATION,
                launched_on=datetime.date(2016, 4, 1) + datetime.timedelta(days=rng.randrange(400)),
                launched_by=user,
            )
            for v in villages
        )
        rounds = Round.objects.bulk_create(
            Round(campaign=c, number=1, opened_on=c.launched_on + datetime.timedelta(days=30), opened_by=user)
            for c in campaigns
        )
        by_village = {r.campaign.village_id: r.pk for r in rounds}
        entries = Household.objects.filter(village_id__in=villages).values_list("pk", "village_id")
        insert_rows(
            RoundHousehold,
            ["round_id", "household_id", "outcome", "counted_votes", "abstentions", "veto_reasons",
             "high_interest_flagged"],
            [(by_village[village], pk, "passed", 5, 0, "[]", False) for pk, village in entries],
        )  # fmt: skip


def _snapshots_create(rng: random.Random) -> None:
    """Past days' values (input of the trend and the projection, not what is measured)."""
    scopes = ["city"]
    scopes += [f"township:{code}" for code in Township.objects.values_list("code", flat=True)]
    scopes += [f"branch:{code}" for code in Branch.objects.values_list("code", flat=True)]
    indicators = list(Indicator.objects.values_list("pk", "unit"))
    rows = []
    for n in range(SNAPSHOT_DAYS - 1):  # the last closed date gets the real snapshot
        day = DAY - datetime.timedelta(days=SNAPSHOT_DAYS - n)
        for scope in scopes:
            for pk, unit in indicators:
                value = (
                    Decimal(rng.randrange(0, 10_000)) / 10_000 if unit == "percent" else Decimal(rng.randrange(10**6))
                )
                rows.append((day, scope, pk, value))
    insert_rows(KpiSnapshot, ["date", "scope", "indicator_id", "value"], rows)


def _analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
