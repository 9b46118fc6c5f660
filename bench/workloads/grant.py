"""`puhui bench grant`: the county's whole-village batch — every village's round closed, screened, rated and
proposed by the real `villages_batch_close` — beside a raw-SQL baseline doing the same aggregation.

Setup (not timed): the county demo households (about 200,000, through the real register import), a campaign
per village with a five-member panel, one open round per village holding all its households, five submitted
votes per household (written in bulk: votes are input here, not what is measured) and a demo bureau record
for every head of household.

Measured: every round closed with `granting.villages_batch_close`, all rounds in one pass (aggregate the votes,
screen against the bureau, rate and limit, write the results and one proposal per decided household). Baseline,
same run, same data: one statement computing per household the counted votes, refusals, drugs and gambling flags and the
median suggestion (window functions) into a scratch table, one UPDATE writing each household's result and one INSERT
of its proposal into the real tables (their keys and indexes included), then rolled back — the aggregation and
the writes without the rules.
"""

import datetime
import json
import random
import time

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from bench.harness import Measurement
from puhui.core.bulk import insert_rows
from puhui.core.services import business_date_set
from puhui.deliberation import granting
from puhui.deliberation.bureau import DemoBureau
from puhui.deliberation.models import Ballot, Campaign, PanelMember, Proposal, Round, RoundHousehold, Vote
from puhui.demo.households import demo_households_load
from puhui.demo.services import demo_load
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import User, Village

NAME = "grant"
DEFAULT_SIZE = 0  # the county: every village of the demo city
DAY = datetime.date(2017, 7, 3)
PANEL = 5


def run(size: int = DEFAULT_SIZE) -> Measurement:
    demo_load()
    business_date_set(business_date=DAY)
    if Household.objects.count() < (1 if size else 150_000):  # a trial run on a few villages takes what is there
        demo_households_load(scale="county" if not size else "small")
    if not Round.objects.filter(status=Round.Status.OPEN).exists():
        _rounds_prepare(size)
    rounds = list(Round.objects.filter(status=Round.Status.OPEN).order_by("pk").values_list("pk", flat=True))
    households = RoundHousehold.objects.filter(round_id__in=rounds).count()
    votes = Vote.objects.filter(entry__round_id__in=rounds).count()
    print(f"  {len(rounds)} rounds, {households:,} households, {votes:,} votes")
    baseline = _baseline(rounds)
    user = User.objects.get(username="ho_analyst")
    start = time.perf_counter()
    granting.villages_batch_close(user=user, round_ids=rounds)  # every village's round, in one pass
    seconds = time.perf_counter() - start
    proposals = Proposal.objects.filter(entry__round_id__in=rounds).count()
    return Measurement(
        NAME,
        households,
        seconds,
        baseline,
        extra={"villages": len(rounds), "votes": votes, "proposals": proposals},
    )


def _rounds_prepare(size: int) -> None:
    start = time.perf_counter()
    manager = User.objects.get(username="ho_analyst")
    panel = _panel_users()
    busy = Campaign.objects.filter(plan_year=2017).values("village_id")
    villages = list(Village.objects.filter(households__isnull=False).exclude(pk__in=busy).distinct().order_by("code"))
    if size:
        villages = villages[:size]
    with transaction.atomic():
        Campaign.objects.bulk_create(
            Campaign(
                village=v, plan_year=2017, kind="rollout", stage="deliberation", launched_on=DAY, launched_by=manager
            )
            for v in villages
        )
        campaigns = list(Campaign.objects.filter(village__in=villages).order_by("pk"))
        PanelMember.objects.bulk_create(
            PanelMember(campaign=c, user=u, category="representative") for c in campaigns for u in panel
        )
        Round.objects.bulk_create(Round(campaign=c, number=1, opened_on=DAY, opened_by=manager) for c in campaigns)
        rounds = {
            r.campaign.village_id: r for r in Round.objects.filter(campaign__in=campaigns).select_related("campaign")
        }
        insert_rows(
            RoundHousehold,
            [
                "round_id",
                "household_id",
                "outcome",
                "counted_votes",
                "abstentions",
                "veto_reasons",
                "high_interest_flagged",
            ],
            [
                (rounds[v].pk, h, "pending", 0, 0, "[]", False)
                for h, v in Household.objects.filter(village__in=villages).values_list("pk", "village_id")
            ],
        )
        members = {(m.campaign_id, m.user_id): m.pk for m in PanelMember.objects.filter(campaign__in=campaigns)}
        now = timezone.now()
        Ballot.objects.bulk_create(
            Ballot(round=r, member_id=members[(r.campaign_id, u.pk)], entered_by=u, submitted_at=now)
            for r in rounds.values()
            for u in panel
        )
        _votes_insert(rounds)
    heads = list(Person.objects.filter(relation="head").values_list("pk", flat=True))
    DemoBureau().records_create(heads, queried_on=DAY)
    print(f"  setup: {len(villages)} villages ready in {time.perf_counter() - start:.0f} s")


def _panel_users() -> list[User]:
    group = Group.objects.get(name=roles.EVALUATOR)
    users = []
    for n in range(PANEL):
        user, created = User.objects.get_or_create(username=f"bench_eval_{n}")
        if created:
            user.groups.add(group)
        users.append(user)
    return users


def _votes_insert(rounds) -> None:
    rng = random.Random(2017)
    ballots = {}
    for ballot_id, round_id in Ballot.objects.filter(round__in=rounds.values()).values_list("pk", "round_id"):
        ballots.setdefault(round_id, []).append(ballot_id)
    rows = []
    for entry_id, round_id in RoundHousehold.objects.filter(round__in=rounds.values()).values_list("pk", "round_id"):
        for ballot_id in ballots[round_id]:
            rows.append((ballot_id, entry_id, *_vote_values(rng), timezone.now()))
    insert_rows(
        Vote,
        [
            "ballot_id",
            "entry_id",
            "knows_household",
            "integrity",
            "habits",
            "debt",
            "informal_high_interest",
            "suggested_fen",
            "refusal_reasons",
            "updated_at",
        ],
        rows,
    )


def _vote_values(rng: random.Random) -> tuple:
    """A vote's columns; the JSON columns as JSON text (the bulk path writes them as they are)."""
    if rng.random() < 0.05:
        return (False, "", "[]", "", False, 0, "[]")
    refuse = rng.random() < 0.08
    return (
        True,
        rng.choices(["very_good", "good", "fair", "poor"], weights=[55, 30, 12, 3])[0],
        json.dumps(["gambling"] if rng.random() < 0.03 else []),
        rng.choices(["none", "little", "high"], weights=[60, 32, 8])[0],
        rng.random() < 0.03,
        0 if refuse else rng.randrange(20, 301) * 100_000,
        json.dumps(["负债过高"] if refuse else [], ensure_ascii=False),
    )


BASELINE_SQL = """
    CREATE TEMPORARY TABLE bench_grant_panel AS
    SELECT entry_id, MAX(n) AS counted, SUM(CASE WHEN suggested_fen = 0 THEN 1 ELSE 0 END) AS refusals,
           CAST(AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN suggested_fen END) AS BIGINT) AS median_fen
    FROM (
        SELECT v.entry_id, v.suggested_fen,
               ROW_NUMBER() OVER (PARTITION BY v.entry_id ORDER BY v.suggested_fen) AS rn,
               COUNT(*) OVER (PARTITION BY v.entry_id) AS n
        FROM deliberation_vote v JOIN deliberation_roundhousehold e ON e.id = v.entry_id
        WHERE v.knows_household AND e.round_id IN ({rounds})
    ) ranked
    GROUP BY entry_id
"""
BASELINE_RESULTS_SQL = """
    UPDATE deliberation_roundhousehold SET outcome = 'passed', counted_votes = p.counted,
           panel_amount_fen = p.median_fen
    FROM bench_grant_panel p WHERE deliberation_roundhousehold.id = p.entry_id
"""
BASELINE_PROPOSALS_SQL = """
    INSERT INTO deliberation_proposal (campaign_id, household_id, entry_id, screen, screen_reasons, grey_decision,
           grey_reason, grade, score_items, limit_fen, limit_reason, status, decision_reason, contract_number,
           verification_code, created_at)
    SELECT r.campaign_id, e.household_id, e.id, 'white', '[]', '', '', '', '[]',
           CASE WHEN p.median_fen > 30000000 THEN 30000000 ELSE p.median_fen END, '', 'proposed', '', '', '', %s
    FROM bench_grant_panel p
    JOIN deliberation_roundhousehold e ON e.id = p.entry_id
    JOIN deliberation_round r ON r.id = e.round_id
"""


def _baseline(rounds: list[int]) -> float:
    """The same data through the bare statements, into the same tables, then rolled back: aggregate the votes
    (counts, refusals, median), write each household's result and insert its proposal — with the tables' own
    keys and indexes (on PostgreSQL the deferred key checks are forced before the clock stops), without the rules.
    """
    placeholders = ", ".join(["%s"] * len(rounds))
    with transaction.atomic(), connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(BASELINE_SQL.format(rounds=placeholders), rounds)
        cursor.execute(BASELINE_RESULTS_SQL)
        cursor.execute(BASELINE_PROPOSALS_SQL, [connection.ops.adapt_datetimefield_value(timezone.now())])
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_grant_panel")
        transaction.set_rollback(True)  # the real batch then starts from the same open rounds
    return seconds
