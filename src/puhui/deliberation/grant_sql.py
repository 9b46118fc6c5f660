"""整村批量授信 in SQL: the panel outcome, screening, scorecard, grade, limit and rate of every household of
several rounds at once, written with one UPDATE … FROM and one INSERT … SELECT.

The SQL is generated from the same rule objects the pure modules apply (``aggregate.Rules``,
``eligibility.EligibilityRules``, ``rating.Scorecard`` / ``rating.Terms``), with the same integer arithmetic:

- panel (aggregate.decide): quorum, habit and refusal vetoes (``refusals × d > n × counted``), panel amount
  ``(low + high) // 2`` of the two middle counted suggestions (ROW_NUMBER windows), panel score
  ``(2 × points × 10^p + counted) // (2 × counted)`` in units of 10^-p, the high-interest flag;
- screening (eligibility.screen): the latest bureau record queried on or before the day, every reason in the
  module's order, the settled-overdue cut-off ``months_before(today, months)`` computed once in Python, ages in
  whole years (year difference minus one before the birthday);
- rating (rating.rate_household): a banded item scores the last band whose bound p/q the value a/b reaches,
  ``a × q ≥ p × b``; the score in units of 10^-p; grades by ``score × n ≥ m × 10^p`` for a minimum m/n;
  capacity floored (never below 0), the limit floored to the step, the binding constraint first in order on a tie.

Every value is either a bound parameter or an integer / code generated here from the rule objects.
"""

import datetime
from decimal import Decimal
from fractions import Fraction

from django.db import connection

from puhui.deliberation import aggregate, eligibility, rating
from puhui.deliberation.models import Ballot, BureauRecord, Campaign, Proposal, Round, RoundHousehold, Vote
from puhui.households.models import Household, Person

WORKING_AGES = (18, 60)  # a working member (劳动力) is 18–60 years old on the day, inclusive
PANEL = "puhui_grant_panel"
VOTE, BALLOT, ENTRY = Vote._meta.db_table, Ballot._meta.db_table, RoundHousehold._meta.db_table
ROUND, CAMPAIGN, PROPOSAL = Round._meta.db_table, Campaign._meta.db_table, Proposal._meta.db_table
HOUSEHOLD, PERSON, BUREAU = Household._meta.db_table, Person._meta.db_table, BureauRecord._meta.db_table


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _json(text: str) -> str:
    return f"CAST({text} AS jsonb)" if _pg() else text


def _code(value: str) -> str:
    """A code as an SQL literal; codes are plain identifiers of the rule modules."""
    if not value.replace("_", "").replace(" ", "").isalnum() or "'" in value:
        raise ValueError(f"unexpected code {value!r}")
    return f"'{value}'"


def _int(value: int) -> str:
    return str(int(value))


def _json_list(pieces: list[tuple[str, str]]) -> str:
    """The JSON text of the codes whose condition holds, in order (``json.dumps`` format)."""
    if not pieces:
        return "'[]'"
    parts = " || ".join(f"(CASE WHEN {cond} THEN ', \"{code}\"' ELSE '' END)" for cond, code in pieces)
    return f"('[' || SUBSTR({parts}, 3) || ']')"


def _units_text(units: str, places: int) -> str:
    """``str(Decimal(units).scaleb(-places))`` for units ≥ 0, digit by digit (portable, no LPAD)."""
    if places == 0:
        return f"CAST({units} AS TEXT)"
    digits = " || ".join(f"CAST(({units} / {10**i}) %% 10 AS TEXT)" for i in range(places - 1, -1, -1))
    return f"(CAST({units} / {10**places} AS TEXT) || '.' || {digits})"


def _year(column: str) -> str:
    if _pg():
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    return f"CAST(strftime('%%Y', {column}) AS INTEGER)"


def _month_day(column: str) -> str:
    if _pg():
        return f"CAST(EXTRACT(MONTH FROM {column}) * 100 + EXTRACT(DAY FROM {column}) AS INTEGER)"
    return f"CAST(strftime('%%m%%d', {column}) AS INTEGER)"


def _age(column: str, today: datetime.date) -> str:
    """eligibility.age_on in SQL: NULL without a birth date."""
    before = f"CASE WHEN {today.month * 100 + today.day} < {_month_day(column)} THEN 1 ELSE 0 END"
    return f"({today.year} - {_year(column)} - {before})"


# --- the panel: tally and decide ---------------------------------------------------------------------


def _habit_has(habit: aggregate.Habit) -> str:
    # habits are a JSON list of codes: an element test on PostgreSQL, the quoted code as text on SQLite
    if _pg():
        return f"jsonb_exists(v.habits, '{habit.value}')"
    return f"CAST(v.habits AS TEXT) LIKE '%%\"{habit.value}\"%%'"


def _panel_sql(rules: aggregate.Rules, round_ids: list[int]) -> str:
    rounds = ", ".join(_int(r) for r in round_ids)
    points = " ".join(f"WHEN '{code.value}' THEN {int(p)}" for code, p in rules.integrity_points.items())
    counted = "CASE WHEN v.knows_household THEN 1 ELSE 0 END"
    habits = ", ".join(
        f"SUM(CASE WHEN v.knows_household AND {_habit_has(h)} THEN 1 ELSE 0 END) AS flag_{h.value}"
        for h in aggregate.Habit
    )
    tally = f"""
        SELECT v.entry_id,
               SUM({counted}) AS counted,
               SUM(1 - {counted}) AS abstentions,
               SUM(CASE WHEN v.knows_household AND v.suggested_fen = 0 THEN 1 ELSE 0 END) AS refusals,
               {habits},
               SUM(CASE WHEN v.knows_household AND v.informal_high_interest THEN 1 ELSE 0 END) AS high_interest,
               SUM(CASE WHEN v.knows_household THEN CASE v.integrity {points} ELSE 0 END ELSE 0 END) AS points,
               MIN(CASE WHEN v.knows_household AND v.rn = (v.n + 1) / 2 THEN v.suggested_fen END) AS low,
               MIN(CASE WHEN v.knows_household AND v.rn = (v.n + 2) / 2 THEN v.suggested_fen END) AS high
        FROM (
            SELECT v.entry_id, v.knows_household, v.suggested_fen, v.habits, v.informal_high_interest, v.integrity,
                   ROW_NUMBER() OVER w AS rn, COUNT(*) OVER w AS n
            FROM {VOTE} v JOIN {BALLOT} b ON b.id = v.ballot_id
            WHERE b.round_id IN ({rounds}) AND b.submitted_at IS NOT NULL
            WINDOW w AS (PARTITION BY v.entry_id, v.knows_household ORDER BY v.suggested_fen
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ) v
        GROUP BY v.entry_id
    """  # rn and n are over the household's counted votes when knows_household: one sort, not two
    flag_columns = ", ".join(f"COALESCE(t.flag_{h.value}, 0) AS flag_{h.value}" for h in aggregate.Habit)
    numerator, denominator = rules._share
    vetoes = [
        (f"t.flag_{aggregate.Habit(code.removeprefix('veto_')).value} >= {rules.veto_habit_min_evaluators}", code)
        for _index, code in rules._habit_vetoes
    ]
    vetoes.append((f"t.refusals * {denominator} > {numerator} * t.counted", aggregate.VETO_REFUSALS))
    vetoed = " OR ".join(f"({cond})" for cond, _code in vetoes)
    quorate = f"t.counted >= {rules.quorum}"
    scale = 10**rules.score_places
    outcome = (
        f"CASE WHEN NOT ({quorate}) THEN '{aggregate.Outcome.UNDECIDED.value}'"
        f" WHEN {vetoed} THEN '{aggregate.Outcome.VETOED.value}' ELSE '{aggregate.Outcome.PASSED.value}' END"
    )
    return f"""
        CREATE TEMPORARY TABLE {PANEL} AS
        SELECT t.entry_id, t.household_id, t.campaign_id, t.village_id, t.counted, t.abstentions,
               {outcome} AS outcome,
               CASE WHEN ({quorate}) AND NOT ({vetoed}) THEN (t.low + t.high) / 2 END AS amount,
               CASE WHEN {quorate} THEN (2 * t.points * {scale} + t.counted) / (2 * t.counted) END AS score_units,
               CASE WHEN {quorate} THEN {_json_list(vetoes)} ELSE '[]' END AS veto_reasons,
               CASE WHEN t.high_interest >= {rules.high_interest_min_evaluators} THEN 1 ELSE 0 END AS high_interest
        FROM (
            SELECT e.id AS entry_id, e.household_id, r.campaign_id, c.village_id,
                   COALESCE(t.counted, 0) AS counted, COALESCE(t.abstentions, 0) AS abstentions,
                   COALESCE(t.refusals, 0) AS refusals, {flag_columns},
                   COALESCE(t.high_interest, 0) AS high_interest, COALESCE(t.points, 0) AS points, t.low, t.high
            FROM {ENTRY} e
            JOIN {ROUND} r ON r.id = e.round_id
            JOIN {CAMPAIGN} c ON c.id = r.campaign_id
            LEFT JOIN ({tally}) t ON t.entry_id = e.id
            WHERE e.round_id IN ({rounds})
        ) t
    """


def _results_update_sql(places: int) -> str:
    score = f"p.score_units / {10**places}.0"
    flagged = "p.high_interest = 1"
    return f"""
        UPDATE {ENTRY} SET outcome = p.outcome, counted_votes = p.counted, abstentions = p.abstentions,
               panel_amount_fen = p.amount, panel_score = {score}, veto_reasons = {_json("p.veto_reasons")},
               high_interest_flagged = {flagged}
        FROM {PANEL} p WHERE {ENTRY}.id = p.entry_id
    """


# --- screening, rating and the proposals ---------------------------------------------------------------


def _median(column: str) -> str:
    """Per village: max(1, the median of the households' figure truncated like int()) — `_village_medians`."""
    ranked = f"""
        SELECT village_id, {column} AS value,
               ROW_NUMBER() OVER (PARTITION BY village_id ORDER BY {column}) AS rn,
               COUNT(*) OVER (PARTITION BY village_id) AS n
        FROM {HOUSEHOLD}
        WHERE {column} IS NOT NULL AND village_id IN (SELECT village_id FROM {PANEL})
    """
    return f"""
        SELECT village_id, MIN(CASE WHEN rn = (n + 1) / 2 THEN value END) AS low,
               MIN(CASE WHEN rn = (n + 2) / 2 THEN value END) AS high
        FROM ({ranked}) ranked GROUP BY village_id
    """


def _median_value(alias: str) -> str:
    middle = f"({alias}.low + {alias}.high) / 2"
    return f"CASE WHEN {alias}.low IS NULL OR {middle} < 1 THEN 1 ELSE {middle} END"


def _band(value: str, per: str, bands: tuple[rating.Band, ...]) -> str:
    """The index of the last band whose bound p/q value/per reaches: value × q ≥ p × per (rating._line)."""
    whens = " ".join(
        f"WHEN {value} * {band.at_least.denominator} >= {band.at_least.numerator} * {per} THEN {index}"
        for index, band in reversed(list(enumerate(bands)))
        if band.at_least is not None
    )
    return f"CASE {whens} ELSE 0 END"


def _band_points(item: str, bands: tuple[rating.Band, ...]) -> str:
    return f"CASE b_{item} " + " ".join(f"WHEN {i} THEN {int(b.points)}" for i, b in enumerate(bands)) + " END"


def _band_json(item: str, bands: tuple[rating.Band, ...]) -> str:
    whens = " ".join(
        f'WHEN {i} THEN \'["{item}", "{Decimal(b.points)}", "{_code(b.reason)[1:-1]}"]\'' for i, b in enumerate(bands)
    )
    return f"CASE b_{item} {whens} END"


HISTORY = (  # rating.RepaymentHistory by bureau fact, in granting's order
    ("fact = 0", rating.RepaymentHistory.NO_HISTORY),
    ("cur = 1", rating.RepaymentHistory.CURRENT_OVERDUE),
    ("settled_on IS NOT NULL", rating.RepaymentHistory.SETTLED_OVERDUE),
)


def _proposals_sql(
    screen_rules: eligibility.EligibilityRules,
    scorecard: rating.Scorecard,
    terms: rating.Terms,
    today: datetime.date,
    lpr: Decimal,
    places: int,
) -> str:
    scale = 10**places
    low_work, high_work = WORKING_AGES
    person_age = _age("birth_date", today)
    members = f"""
        SELECT household_id, COUNT(*) AS n,
               SUM(CASE WHEN {person_age} BETWEEN {low_work} AND {high_work} THEN 1 ELSE 0 END) AS working,
               COALESCE(MIN(CASE WHEN relation = 'head' THEN id END), MIN(id)) AS borrower_id
        FROM {PERSON} WHERE household_id IN (SELECT household_id FROM {PANEL})
        GROUP BY household_id
    """
    # the borrower's latest record queried on or before the day (one per person and day): an index probe
    latest = f"SELECT MAX(x.queried_on) FROM {BUREAU} x WHERE x.person_id = m.borrower_id AND x.queried_on <= %(today)s"
    # level 1: one row per decided household with its figures, members, borrower, facts and village medians
    base = f"""
        SELECT p.entry_id, p.household_id, p.campaign_id, p.outcome, p.amount, p.score_units, p.high_interest,
               COALESCE(h.total_assets_fen, 0) AS assets, COALESCE(h.debts_fen, 0) AS debts,
               COALESCE(h.annual_net_income_fen, 0) AS income,
               CASE WHEN m.n IS NULL OR m.n < 1 THEN 1 ELSE m.n END AS size, COALESCE(m.working, 0) AS working,
               m.borrower_id, bp.birth_date AS birth, {_age("bp.birth_date", today)} AS age,
               CASE WHEN f.person_id IS NULL THEN 0 ELSE 1 END AS fact,
               CASE WHEN f.current_overdue THEN 1 ELSE 0 END AS cur,
               CASE WHEN f.non_performing THEN 1 ELSE 0 END AS npl,
               CASE WHEN f.serving_sentence THEN 1 ELSE 0 END AS sentence,
               CASE WHEN f.drug_record THEN 1 ELSE 0 END AS drugs,
               CASE WHEN f.litigation_defendant THEN 1 ELSE 0 END AS litigation,
               f.settled_overdue_on AS settled_on,
               {_median_value("ma")} AS median_assets, {_median_value("mi")} AS median_income
        FROM {PANEL} p
        JOIN {HOUSEHOLD} h ON h.id = p.household_id
        LEFT JOIN ({members}) m ON m.household_id = p.household_id
        LEFT JOIN {PERSON} bp ON bp.id = m.borrower_id
        LEFT JOIN {BUREAU} f ON f.person_id = m.borrower_id AND f.queried_on = ({latest})
        LEFT JOIN ({_median("total_assets_fen")}) ma ON ma.village_id = p.village_id
        LEFT JOIN ({_median("annual_net_income_fen")}) mi ON mi.village_id = p.village_id
        WHERE p.outcome <> '{aggregate.Outcome.UNDECIDED.value}'
    """
    e = eligibility
    reasons = [
        ("cur = 1", e.BUREAU_CURRENT_OVERDUE),
        ("npl = 1", e.BUREAU_NON_PERFORMING),
        ("sentence = 1", e.SERVING_SENTENCE),
        ("drugs = 1", e.DRUG_RECORD),
        (f"outcome = '{aggregate.Outcome.VETOED.value}'", e.DELIBERATION_VETO),
        ("fact = 0", e.BUREAU_MISSING),
        ("litigation = 1", e.LITIGATION_DEFENDANT),
        ("settled_on >= %(cutoff)s", e.SETTLED_OVERDUE_RECENT),
        (f"birth IS NOT NULL AND (age < {screen_rules.age_min} OR age > {screen_rules.age_max})", e.AGE_OUTSIDE_RANGE),
        ("birth IS NULL", e.AGE_UNKNOWN),
        ("high_interest = 1", e.INFORMAL_HIGH_INTEREST),
    ]
    black = " OR ".join(f"({cond})" for cond, code in reasons if code in e.BLACK_REASONS)
    grey = " OR ".join(f"({cond})" for cond, code in reasons if code in e.GREY_REASONS)
    screen = (
        f"CASE WHEN {black} THEN '{e.ScreenList.BLACK.value}' WHEN {grey} THEN '{e.ScreenList.GREY.value}'"
        f" ELSE '{e.ScreenList.WHITE.value}' END"
    )
    history = (
        "CASE "
        + " ".join(f"WHEN {cond} THEN '{h.value}'" for cond, h in HISTORY)
        + f" ELSE '{rating.RepaymentHistory.CLEAN.value}' END"
    )
    # level 2: the list, reasons, history and the band of every scorecard item
    screened = f"""
        SELECT b.*, {screen} AS screen, {_json_list(reasons)} AS reasons, {history} AS history,
               {_band("size", "1", scorecard.household_size)} AS b_household_size,
               {_band("working", "1", scorecard.working_members)} AS b_working_members,
               {_band("assets", "median_assets", scorecard.assets_vs_median)} AS b_assets_vs_median,
               {_band("assets - debts", "1", scorecard.net_assets)} AS b_net_assets,
               {_band("0", "1", scorecard.bank_shareholding)} AS b_bank_shareholding,
               {_band("income", "median_income", scorecard.income_vs_median)} AS b_income_vs_median
        FROM grant_base b
    """
    repayment = scorecard.repayment_points
    repayment_points = (
        "CASE history " + " ".join(f"WHEN '{h.value}' THEN {int(p)}" for h, p in repayment.items()) + " END"
    )
    repayment_json = (
        "CASE history "
        + " ".join(
            f'WHEN \'{h.value}\' THEN \'["repayment_history", "{Decimal(p)}", "repayment_{h.value}"]\''
            for h, p in repayment.items()
        )
        + " END"
    )
    band_points = " + ".join(_band_points(item, getattr(scorecard, item)) for item in rating.BANDED_ITEMS)
    panel_units = "COALESCE(score_units, 0)"
    panel_text = f"CASE WHEN {panel_units} = 0 THEN '0' ELSE {_units_text(panel_units, places)} END"
    items_json = (
        "'[' || "
        + " || ', ' || ".join(
            [_band_json(item, getattr(scorecard, item)) for item in rating.BANDED_ITEMS]
            + [f'\'["panel_score", "\' || {panel_text} || \'", "panel_score"]\'', repayment_json]
        )
        + " || ']'"
    )
    # level 3: score (units of 10^-places) and the scorecard lines as JSON text
    scored = f"""
        SELECT s.*, ({band_points} + {repayment_points}) * {scale} + {panel_units} AS score, {items_json} AS items
        FROM grant_screened s
    """
    grade_whens = []
    for g in terms.grades:
        minimum = Fraction(g.min_score)
        grade_whens.append(
            (f"score * {minimum.denominator} >= {minimum.numerator * scale}", g.grade.value, g.cap_fen, g.spread)
        )
    grade = "CASE " + " ".join(f"WHEN {c} THEN '{v}'" for c, v, _cap, _s in grade_whens) + " END"
    income_times, assets_times, per = terms._capacity
    numerator = (
        f"({income_times} * income + {assets_times} * CASE WHEN assets - debts > 0 THEN assets - debts ELSE 0 END)"
    )
    capacity = f"CASE WHEN {numerator} <= 0 THEN 0 ELSE {numerator} / {per} END"
    # level 4: grade and capacity
    graded = f"""
        SELECT r.*, {grade} AS grade, {capacity} AS capacity, COALESCE(amount, 0) AS panel_fen
        FROM grant_scored r
    """
    cap = "CASE grade " + " ".join(f"WHEN '{v}' THEN {int(c)}" for _c, v, c, _s in grade_whens) + " END"
    # level 5: the binding constraint and its amount (grade cap, panel, capacity: the first on a tie)
    bound = f"""
        SELECT g.*,
               CASE WHEN capacity < (CASE WHEN panel_fen < cap THEN panel_fen ELSE cap END)
                    THEN '{rating.LIMIT_BY_CAPACITY}'
                    WHEN panel_fen < cap THEN '{rating.LIMIT_BY_PANEL}' ELSE '{rating.LIMIT_BY_GRADE_CAP}' END
                   AS binding,
               CASE WHEN capacity < (CASE WHEN panel_fen < cap THEN panel_fen ELSE cap END) THEN capacity
                    WHEN panel_fen < cap THEN panel_fen ELSE cap END AS smallest
        FROM (SELECT g.*, {cap} AS cap FROM grant_graded g) g
    """
    step = terms.step_fen
    floored = f"(CASE WHEN smallest < {terms.ceiling_fen} THEN smallest ELSE {terms.ceiling_fen} END) / {step} * {step}"
    limited = f"""
        SELECT l.*,
               CASE WHEN grade IS NULL OR {floored} < {terms.minimum_fen} THEN 0 ELSE {floored} END AS limit_fen,
               CASE WHEN grade IS NULL THEN '{rating.NO_GRADE}'
                    WHEN {floored} < {terms.minimum_fen} THEN '{rating.LIMIT_BELOW_MINIMUM}' ELSE binding END
                   AS limit_reason
        FROM grant_bound l
    """
    black_list = f"screen = '{e.ScreenList.BLACK.value}'"
    rate = (
        "CASE grade "
        + " ".join(f"WHEN '{v}' THEN {_decimal_literal(lpr + s)}" for _c, v, _cap, s in grade_whens)
        + " END"
    )
    status = (
        f"CASE WHEN {black_list} THEN '{Proposal.Status.REFUSED.value}'"
        f" WHEN screen = '{e.ScreenList.GREY.value}' THEN '{Proposal.Status.GREY_PENDING.value}'"
        f" WHEN limit_fen > 0 THEN '{Proposal.Status.PROPOSED.value}' ELSE '{Proposal.Status.NO_CREDIT.value}' END"
    )
    columns = [
        "campaign_id", "household_id", "entry_id", "borrower_id", "screen", "screen_reasons", "grey_decision",
        "grey_reason", "score", "grade", "score_items", "limit_fen", "limit_reason", "rate", "status",
        "decision_reason", "contract_number", "verification_code", "created_at",
    ]  # fmt: skip
    # each level is materialised once (SQLite would otherwise flatten the levels and repeat their expressions)
    levels = [("grant_base", base), ("grant_screened", screened), ("grant_scored", scored)]
    levels += [("grant_graded", graded), ("grant_bound", bound), ("grant_limited", limited)]
    ctes = ",\n".join(f"{name} AS MATERIALIZED ({body})" for name, body in levels)
    return f"""
        WITH {ctes}
        INSERT INTO {PROPOSAL} ({", ".join(columns)})
        SELECT campaign_id, household_id, entry_id, borrower_id, screen, {_json("reasons")}, '', '',
               CASE WHEN {black_list} THEN NULL ELSE score / {scale}.0 END,
               CASE WHEN {black_list} OR grade IS NULL THEN '' ELSE grade END,
               {_json(f"CASE WHEN {black_list} THEN '[]' ELSE items END")},
               CASE WHEN {black_list} THEN 0 ELSE limit_fen END,
               CASE WHEN {black_list} THEN '' ELSE limit_reason END,
               CASE WHEN {black_list} OR limit_fen = 0 THEN NULL ELSE {rate} END,
               {status}, '', '', '', %(now)s
        FROM grant_limited z
    """


def _decimal_literal(value: Decimal) -> str:
    text = format(Decimal(value), "f")
    if not text.replace(".", "").replace("-", "").isdigit():
        raise ValueError(f"unexpected rate {value!r}")
    return f"CAST({text} AS NUMERIC)" if _pg() else text


def rounds_close_sql(
    round_ids: list[int],
    *,
    rules: aggregate.Rules,
    screen_rules: eligibility.EligibilityRules,
    today: datetime.date,
    lpr: Decimal,
    now: datetime.datetime,
    scorecard: rating.Scorecard = rating.DEFAULT_SCORECARD,
    terms: rating.Terms = rating.DEFAULT_TERMS,
) -> tuple[dict[str, int], dict[str, int]]:
    """Decide, screen, rate and propose every household of the rounds (the caller holds the transaction and
    the rounds' locks); returns (outcome → households, proposal status → proposals)."""
    cutoff = eligibility.months_before(today, screen_rules.past_overdue_months)
    params = {
        "today": connection.ops.adapt_datefield_value(today),
        "cutoff": connection.ops.adapt_datefield_value(cutoff),
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    with connection.cursor() as cursor:
        if _pg():  # one big batch: sorts and hashes in memory, no JIT compilation (seconds of it for the insert)
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"DROP TABLE IF EXISTS {PANEL}")
        cursor.execute(_panel_sql(rules, round_ids), {})
        cursor.execute(_results_update_sql(rules.score_places), {})
        cursor.execute(_proposals_sql(screen_rules, scorecard, terms, today, lpr, rules.score_places), params)
        cursor.execute(f"SELECT outcome, COUNT(*) FROM {PANEL} GROUP BY outcome")
        outcomes = {outcome: int(n) for outcome, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT status, COUNT(*) FROM {PROPOSAL} WHERE entry_id IN (SELECT entry_id FROM {PANEL}) GROUP BY status"
        )
        statuses = {status: int(n) for status, n in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {PANEL}")
    return outcomes, statuses
