"""One SQL statement that tallies every household's submitted votes of a round for `aggregate.decide`:
counted votes, abstentions, refusals, flags per habit, high-interest reports, integrity points, debt levels and
the two middle counted suggestions (window functions), so 1,000,000 votes never become Python objects."""

from django.db import connection

from puhui.deliberation import aggregate
from puhui.deliberation.models import Ballot, RoundHousehold, Vote

VOTE, BALLOT = Vote._meta.db_table, Ballot._meta.db_table


def _habit_has(habit: aggregate.Habit) -> str:
    # habits are a JSON list of codes; the quoted code is unique text in it on both backends
    return f"CAST(v.habits AS TEXT) LIKE '%%\"{habit.value}\"%%'"


def _tally_sql(rules: aggregate.Rules) -> str:
    points = " ".join(f"WHEN '{code.value}' THEN {int(p)}" for code, p in rules.integrity_points.items())
    counted = "CASE WHEN v.knows_household THEN 1 ELSE 0 END"
    habits = ", ".join(
        f"SUM(CASE WHEN v.knows_household AND {_habit_has(h)} THEN 1 ELSE 0 END)" for h in aggregate.Habit
    )
    debts = ", ".join(
        f"SUM(CASE WHEN v.knows_household AND v.debt = '{d.value}' THEN 1 ELSE 0 END)" for d in aggregate.Debt
    )
    return f"""
        SELECT v.entry_id,
               SUM({counted}),
               SUM(1 - {counted}),
               SUM(CASE WHEN v.knows_household AND v.suggested_fen = 0 THEN 1 ELSE 0 END),
               {habits},
               SUM(CASE WHEN v.knows_household AND v.informal_high_interest THEN 1 ELSE 0 END),
               SUM(CASE WHEN v.knows_household THEN CASE v.integrity {points} ELSE 0 END ELSE 0 END),
               {debts},
               MIN(CASE WHEN v.knows_household AND v.rn = (v.n + 1) / 2 THEN v.suggested_fen END),
               MIN(CASE WHEN v.knows_household AND v.rn = (v.n + 2) / 2 THEN v.suggested_fen END)
        FROM (
            SELECT v.*,
                   ROW_NUMBER() OVER (PARTITION BY v.entry_id, v.knows_household ORDER BY v.suggested_fen) AS rn,
                   SUM({counted}) OVER (PARTITION BY v.entry_id) AS n
            FROM {VOTE} v JOIN {BALLOT} b ON b.id = v.ballot_id
            WHERE b.round_id = %s AND b.submitted_at IS NOT NULL
        ) v
        GROUP BY v.entry_id
    """


EMPTY = aggregate.Tally(
    counted=0,
    abstentions=0,
    refusals=0,
    habit_flags=tuple((h, 0) for h in aggregate.Habit),
    high_interest_count=0,
    points_sum=0,
    median_low_fen=None,
    median_high_fen=None,
    debt_counts=tuple((d, 0) for d in aggregate.Debt),
    refusal_reasons=(),
)


def round_tallies(round_id: int, rules: aggregate.Rules) -> dict[int, aggregate.Tally]:
    """entry id → the tally of its submitted votes (an entry nobody voted on gets the empty tally)."""
    habits, debts = list(aggregate.Habit), list(aggregate.Debt)
    tallies = dict.fromkeys(RoundHousehold.objects.filter(round_id=round_id).values_list("pk", flat=True), EMPTY)
    with connection.cursor() as cursor:
        cursor.execute(_tally_sql(rules), [round_id])
        for row in cursor.fetchall():
            entry_id, counted, abstentions, refusals, *rest = (int(x) if x is not None else None for x in row)
            flags, rest = rest[: len(habits)], rest[len(habits) :]
            high_interest, points, *rest = rest
            debt_counts, (low, high) = rest[: len(debts)], rest[len(debts) :]
            # the query's counts are consistent by construction: no per-household re-checking
            tallies[entry_id] = aggregate.Tally.trusted(
                counted=counted,
                abstentions=abstentions,
                refusals=refusals,
                habit_flags=tuple(zip(habits, flags, strict=True)),
                high_interest_count=high_interest,
                points_sum=points,
                median_low_fen=low,
                median_high_fen=high,
                debt_counts=tuple(zip(debts, debt_counts, strict=True)),
                refusal_reasons=(),
            )
    return tallies
