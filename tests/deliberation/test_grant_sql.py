"""The SQL batch close (`grant_sql`, through `granting.villages_batch_close`) equals the pure modules applied in
Python to the same data, field by field: panel results, screening, scorecard lines, score, grade, limit, rate.

The reference below is the former per-household Python implementation of `granting`: `aggregate.tally` /
`decide` on each household's submitted votes, `eligibility.screen` on the borrower's latest bureau facts,
`rating.rate_household` on the household's figures and the village medians."""

import datetime
import json
import random
import statistics
from decimal import Decimal

import pytest

from puhui.core.selectors import business_date_current
from puhui.deliberation import aggregate, bureau, eligibility, granting, rating
from puhui.deliberation.models import BureauRecord, DeliberationRules, Proposal, Round, RoundHousehold, Vote
from puhui.deliberation.selectors import aggregate_rules, deliberation_rules, eligibility_rules, lpr_on
from puhui.deliberation.services import ballot_submit, round_open, vote_save
from puhui.households.models import Household, Person
from puhui.org import roles
from tests.deliberation.test_tallies import random_answers

WORKING_AGES = (18, 60)


# --- the reference: the pure modules, household by household -------------------------------------------


def _age(birth, today):
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _village_medians(village_id):
    rows = Household.objects.filter(village_id=village_id).values_list("total_assets_fen", "annual_net_income_fen")
    assets = [a for a, _ in rows if a is not None]
    incomes = [i for _, i in rows if i is not None]
    return (
        max(1, int(statistics.median(assets))) if assets else 1,
        max(1, int(statistics.median(incomes))) if incomes else 1,
    )


def _history(fact):
    if fact is None:
        return rating.RepaymentHistory.NO_HISTORY
    if fact.current_overdue:
        return rating.RepaymentHistory.CURRENT_OVERDUE
    if fact.settled_overdue_on:
        return rating.RepaymentHistory.SETTLED_OVERDUE
    return rating.RepaymentHistory.CLEAN


def _pure_vote(v):
    if not v.knows_household:
        return aggregate.Vote.abstention()
    return aggregate.Vote(
        knows_household=True,
        integrity=v.integrity,
        debt=v.debt,
        suggested_fen=v.suggested_fen,
        habits=frozenset(v.habits),
        informal_high_interest=v.informal_high_interest,
        refusal_reasons=tuple(v.refusal_reasons),
    )


def expected_close(round_ids, today):
    """entry id → (result fields, proposal fields or None), by the pure modules."""
    rules = deliberation_rules()
    agg_rules, screen_rules, lpr = aggregate_rules(rules), eligibility_rules(rules), lpr_on(today)
    expected = {}
    for entry in RoundHousehold.objects.filter(round_id__in=round_ids).select_related("household", "round__campaign"):
        votes = [_pure_vote(v) for v in Vote.objects.filter(entry=entry, ballot__submitted_at__isnull=False)]
        result = aggregate.aggregate(votes, agg_rules)
        fields = {
            "outcome": result.outcome.value,
            "counted_votes": result.counted,
            "abstentions": result.abstentions,
            "panel_amount_fen": result.panel_amount_fen,
            "panel_score": result.panel_score,
            "veto_reasons": list(result.veto_reasons),
            "high_interest_flagged": result.high_interest_flagged,
        }
        if result.outcome == aggregate.Outcome.UNDECIDED:
            expected[entry.pk] = (fields, None)
            continue
        household = entry.household
        people = list(
            Person.objects.filter(household=household).order_by("pk").values_list("pk", "relation", "birth_date")
        )
        borrower = next((p for p in people if p[1] == Person.Relation.HEAD), people[0] if people else None)
        fact = bureau.facts_for([borrower[0]], today).get(borrower[0]) if borrower else None
        screening = eligibility.screen(
            fact,
            borrower_birth=borrower[2] if borrower else None,
            today=today,
            panel_vetoed=result.outcome == aggregate.Outcome.VETOED,
            high_interest_flagged=result.high_interest_flagged,
            rules=screen_rules,
        )
        rated = None
        if screening.list != "black":
            ages = [_age(birth, today) for _p, _r, birth in people]
            working = sum(1 for age in ages if age is not None and WORKING_AGES[0] <= age <= WORKING_AGES[1])
            medians = _village_medians(entry.round.campaign.village_id)
            facts = rating.RatingInput(
                household_size=max(1, len(people)),
                working_members=min(working, max(1, len(people))),
                total_assets_fen=household.total_assets_fen or 0,
                debts_fen=household.debts_fen or 0,
                net_income_fen=household.annual_net_income_fen or 0,
                shareholding_fen=0,
                repayment_history=_history(fact),
                village_median_assets_fen=medians[0],
                village_median_income_fen=medians[1],
                panel_score=result.panel_score or Decimal(0),
                panel_amount_fen=result.panel_amount_fen or 0,
            )
            rated = rating.rate_household(facts, lpr)
        limit = rated.limit.limit_fen if rated else 0
        if screening.list == "black":
            status = Proposal.Status.REFUSED
        elif screening.list == "grey":
            status = Proposal.Status.GREY_PENDING
        else:
            status = Proposal.Status.PROPOSED if limit else Proposal.Status.NO_CREDIT
        proposal = {
            "campaign_id": entry.round.campaign_id,
            "household_id": household.pk,
            "borrower_id": borrower[0] if borrower else None,
            "screen": str(screening.list),
            "screen_reasons": list(screening.reasons),
            "grey_decision": "",
            "grey_reason": "",
            "score": rated.score if rated else None,
            "grade": rated.grade.value if rated and rated.grade else "",
            "score_items": [[i.item, str(i.points), i.reason] for i in rated.items] if rated else [],
            "limit_fen": limit,
            "limit_reason": rated.limit.reason if rated else "",
            "rate": rated.rate_percent if rated else None,
            "status": str(status),
            "decision_reason": "",
            "contract_number": "",
            "verification_code": "",
        }
        expected[entry.pk] = (fields, proposal)
    return expected


CUSTOM_RULES = {
    "quorum": 2,
    "habit_veto_evaluators": 1,
    "refusal_veto_numerator": 1,
    "refusal_veto_denominator": 2,
    "high_interest_evaluators": 1,
    "borrower_age_min": 20,
    "borrower_age_max": 60,
    "past_overdue_months": 13,
}


# --- random data --------------------------------------------------------------------------------------------


def _years_before(day, years, days=0):
    try:
        birth = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        birth = day.replace(year=day.year - years, day=28)
    return birth + datetime.timedelta(days=days)


def _birth(rng, today):
    choice = rng.random()
    if choice < 0.08:
        return None
    if choice < 0.5:  # the edges of 18, 60 (61) and 65 (66)
        return _years_before(today, rng.choice([18, 19, 60, 61, 65, 66]), rng.choice([-1, 0, 1]))
    if choice < 0.55:
        return datetime.date(rng.choice([1952, 1956, 1960, 1996, 2000]), 2, 29)
    return datetime.date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))


def _money(rng, *, negative=False):
    choice = rng.random()
    if choice < 0.1:
        return None
    if choice < 0.15:
        return 0
    if negative and choice < 0.3:
        return -rng.randint(1, 5_000_000)
    return rng.choice([rng.randint(1, 2_000_000), rng.randint(1, 100_000_000), rng.randint(1, 3_000_000_000)])


def _households(world, rng, count, prefix):
    today = business_date_current()
    households = []
    for n in range(count):
        household = Household.objects.create(
            village=world.village_mine,
            grid=world.grid_mine,
            number=f"{prefix}{n:03d}",
            annual_net_income_fen=_money(rng, negative=True),
            total_assets_fen=_money(rng),
            debts_fen=_money(rng),
        )
        size = rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 7])
        head_at = rng.randrange(size) if size and rng.random() < 0.85 else None
        for m in range(size):
            relation = "head" if m == head_at else rng.choice(["spouse", "child", "parent", "other"])
            Person.objects.create(
                household=household, relation=relation, name=f"{prefix}{n}人{m}", birth_date=_birth(rng, today)
            )
        households.append(household)
    return households


def _bureau_records(rng, today):
    cutoff = eligibility.months_before(today, eligibility_rules(deliberation_rules()).past_overdue_months)
    for person_id in Person.objects.values_list("pk", flat=True):
        if rng.random() < 0.2:
            continue  # no record: bureau_missing, no history
        for _ in range(rng.choice([1, 1, 2, 3])):
            queried = today + datetime.timedelta(days=rng.choice([-400, -30, -1, 0, 1, 30]))
            settled = None
            if rng.random() < 0.4:
                settled = cutoff + datetime.timedelta(days=rng.choice([-400, -1, 0, 1, 100]))
                settled = min(settled, queried)
            BureauRecord.objects.update_or_create(
                person_id=person_id,
                queried_on=queried,
                defaults={
                    "current_overdue": rng.random() < 0.1,
                    "non_performing": rng.random() < 0.05,
                    "serving_sentence": rng.random() < 0.03,
                    "drug_record": rng.random() < 0.03,
                    "litigation_defendant": rng.random() < 0.1,
                    "settled_overdue_on": settled,
                    "source": BureauRecord.Source.DEMO,
                },
            )


def _answers(rng, style):
    if style == "random":
        return random_answers(rng)
    if rng.random() < 0.1:
        return {"knows_household": False}
    return {
        "knows_household": True,
        "integrity": "poor" if style == "poor" else rng.choice(["very_good", "very_good", "good"]),
        "debt": rng.choice(["none", "little"]),
        "habits": [],
        "informal_high_interest": rng.random() < 0.05,
        "suggested_fen": rng.choice([100_000, 3_000_000, 15_000_000, 25_000_000, 40_000_000]),
        "refusal_reasons": [],
    }


def _vote(rng, round_, panel):
    submitters = rng.sample(panel, rng.randint(3, 5))
    styles = {
        entry.pk: rng.choice(["random", "random", "good", "good", "good", "poor"])
        for entry in RoundHousehold.objects.filter(round=round_)
    }
    for user in panel:
        for entry in RoundHousehold.objects.filter(round=round_):
            if rng.random() < 0.92 or user in submitters:
                vote_save(user=user, entry_id=entry.pk, answers=_answers(rng, styles[entry.pk]))
        if user in submitters:
            ballot_submit(user=user, round_id=round_.pk)


def _actual(round_ids):
    actual = {}
    for entry in RoundHousehold.objects.filter(round_id__in=round_ids):
        fields = {
            "outcome": entry.outcome,
            "counted_votes": entry.counted_votes,
            "abstentions": entry.abstentions,
            "panel_amount_fen": entry.panel_amount_fen,
            "panel_score": entry.panel_score,
            "veto_reasons": entry.veto_reasons,
            "high_interest_flagged": entry.high_interest_flagged,
        }
        proposals = list(Proposal.objects.filter(entry=entry))
        assert len(proposals) <= 1
        proposal = None
        if proposals:
            p = proposals[0]
            proposal = {
                "campaign_id": p.campaign_id,
                "household_id": p.household_id,
                "borrower_id": p.borrower_id,
                "screen": p.screen,
                "screen_reasons": p.screen_reasons,
                "grey_decision": p.grey_decision,
                "grey_reason": p.grey_reason,
                "score": p.score,
                "grade": p.grade,
                "score_items": p.score_items,
                "limit_fen": p.limit_fen,
                "limit_reason": p.limit_reason,
                "rate": p.rate,
                "status": p.status,
                "decision_reason": p.decision_reason,
                "contract_number": p.contract_number,
                "verification_code": p.verification_code,
            }
            assert p.created_at is not None
        actual[entry.pk] = (fields, proposal)
    return actual


@pytest.mark.parametrize(("seed", "bank_rules"), [(11, {}), (12, {}), (13, {}), (14, CUSTOM_RULES)])
def test_sql_close_equals_the_pure_modules(world, village, seed, bank_rules):
    rng = random.Random(seed)
    if bank_rules:  # the SQL follows the bank's configured rules, not fixed defaults
        DeliberationRules.objects.filter(pk=deliberation_rules().pk).update(**bank_rules)
    manager = world.users[roles.ACCOUNT_MANAGER]
    today = business_date_current()
    first = _households(world, rng, 60, "A")
    second = _households(world, rng, 40, "B")
    _households(world, rng, rng.randint(0, 6), "C")  # in the village's medians, in no round
    _bureau_records(rng, today)
    round_1 = round_open(user=manager, campaign=village.campaign, households=village.households + first)
    round_2 = round_open(user=manager, campaign=village.campaign, households=second)
    _vote(rng, round_1, village.panel)
    _vote(rng, round_2, village.panel)
    round_ids = [round_1.pk, round_2.pk]
    expected = expected_close(round_ids, today)

    counts = granting.villages_batch_close(user=manager, round_ids=round_ids)

    actual = _actual(round_ids)
    assert actual.keys() == expected.keys()
    for entry_id, (fields, proposal) in expected.items():
        got_fields, got_proposal = actual[entry_id]
        assert got_fields == fields, entry_id
        assert got_proposal == proposal, entry_id
        if proposal is not None:  # the JSON texts are those json.dumps writes
            raw = Proposal.objects.filter(entry_id=entry_id).values_list("score_items", flat=True).get()
            assert json.loads(json.dumps(raw)) == proposal["score_items"]
    assert set(Round.objects.filter(pk__in=round_ids).values_list("status", flat=True)) == {Round.Status.CLOSED}
    outcomes = [f["outcome"] for f, _p in expected.values()]
    statuses = [p["status"] for _f, p in expected.values() if p]
    want = {f"households_{o}": outcomes.count(o) for o in set(outcomes)}
    want |= {f"proposals_{s}": statuses.count(s) for s in set(statuses)}
    assert counts == want
    # the data reached the interesting cases
    assert {"passed", "vetoed"} <= set(outcomes)
    assert {"refused", "grey_pending"} <= set(statuses)
    seen = set()
    for _f, p in expected.values():
        if p:
            seen |= {p["status"], p["grade"] or "no_grade", p["limit_reason"], *p["screen_reasons"]}
            seen |= {item[2] for item in p["score_items"]}
            if p["score_items"] and p["score_items"][6][1] == "0":
                seen.add("panel_score_zero")
    assert seen >= COVERED, COVERED - seen


COVERED = {
    "AAA", "AA", "A", "no_grade", "proposed", "no_credit", "grey_pending", "refused",
    "limit_by_grade_cap", "limit_by_panel", "limit_by_capacity", "limit_below_minimum",
    "bureau_current_overdue", "bureau_missing", "settled_overdue_recent", "age_outside_range", "age_unknown",
    "deliberation_veto", "repayment_clean", "repayment_no_history", "repayment_settled_overdue",
    "net_assets_negative", "income_negative", "panel_score_zero",
}  # fmt: skip


def test_close_of_one_round_and_reclose_refused(world, village):
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    counts = granting.village_batch_close(user=manager, round_id=round_.pk)
    assert counts == {"households_undecided": len(village.households)}  # nobody voted
    assert not Proposal.objects.exists()
    from puhui.deliberation.errors import DeliberationRefused

    with pytest.raises(DeliberationRefused):
        granting.villages_batch_close(user=manager, round_ids=[round_.pk])
