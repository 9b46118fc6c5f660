"""整村批量授信 in one action (DOMAIN §3 steps 4–6): close a round, aggregate every household's blind votes,
screen the borrowers against the credit bureau, rate them and propose their limits.

Set-based: the votes are tallied in one SQL statement (`tallies`); the households, their members and the
bureau facts are each read in one query; the results are written with one UPDATE … FROM and one bulk INSERT.
The rules are the pure modules `aggregate` (decide on a tally), `eligibility` and `rating`, with the bank's
configured rules.
"""

import datetime
import json
import statistics
from collections import defaultdict
from decimal import Decimal

from auditlog.context import set_actor
from django.db import transaction
from django.utils import timezone

from puhui.core.bulk import insert_rows, update_rows
from puhui.core.selectors import business_date_current
from puhui.deliberation import aggregate, bureau, eligibility, rating
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.models import Proposal, Round, RoundHousehold
from puhui.deliberation.selectors import aggregate_rules, deliberation_rules, eligibility_rules, lpr_on
from puhui.deliberation.tallies import round_tallies
from puhui.households.models import Household, Person

WORKING_AGES = (18, 60)


@transaction.atomic
def village_batch_close(*, user, round_id: int) -> dict[str, int]:
    """评议结束 → 准入 → 评级定额 → 授信建议, for every household of the round at once; returns counts."""
    round_ = Round.objects.select_for_update().select_related("campaign").get(pk=round_id)
    if round_.status != Round.Status.OPEN:
        raise DeliberationRefused("round_closed")
    rules = deliberation_rules()
    today = business_date_current()
    with set_actor(user):
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED, closed_at=timezone.now(), closed_by=user)
        results = _aggregate_round(round_, aggregate_rules(rules))
        proposals = _proposals(round_, results, today, rules)
        insert_rows(Proposal, PROPOSAL_COLUMNS, proposals)
    counts: dict[str, int] = defaultdict(int)
    for result in results.values():
        counts[f"households_{result.outcome}"] += 1
    for row in proposals:
        counts[f"proposals_{row[PROPOSAL_COLUMNS.index('status')]}"] += 1
    return dict(counts)


ENTRY_RESULT = [
    "outcome",
    "counted_votes",
    "abstentions",
    "panel_amount_fen",
    "panel_score",
    "veto_reasons",
    "high_interest_flagged",
]


def _aggregate_round(round_: Round, rules: aggregate.Rules) -> dict[int, aggregate.Result]:
    """Every household's panel result (entry id → Result), written onto its RoundHousehold in one statement."""
    results = {entry_id: aggregate.decide(t, rules) for entry_id, t in round_tallies(round_.pk, rules).items()}
    update_rows(
        RoundHousehold,
        ENTRY_RESULT,
        [
            (
                entry_id,
                r.outcome.value,
                r.counted,
                r.abstentions,
                r.panel_amount_fen,
                r.panel_score,
                json.dumps(list(r.veto_reasons)),
                r.high_interest_flagged,
            )
            for entry_id, r in results.items()
        ],
    )
    return results


PROPOSAL_COLUMNS = [
    "campaign_id",
    "household_id",
    "entry_id",
    "borrower_id",
    "screen",
    "screen_reasons",
    "grey_decision",
    "grey_reason",
    "score",
    "grade",
    "score_items",
    "limit_fen",
    "limit_reason",
    "rate",
    "status",
    "decision_reason",
    "contract_number",
    "verification_code",
    "created_at",
]


def _proposals(round_, results, today: datetime.date, rules) -> list[tuple]:
    """A proposal row for each quorate household: screened (white/grey/black), rated and limited."""
    decided = {eid: r for eid, r in results.items() if r.outcome != aggregate.Outcome.UNDECIDED}
    # everything is read by round (a join), not through lists of ids: no IN list of a village's size
    entries = dict(RoundHousehold.objects.filter(round_id=round_.pk).values_list("pk", "household_id"))
    households = {
        h[0]: h
        for h in Household.objects.filter(round_entries__round_id=round_.pk).values_list(
            "pk", "total_assets_fen", "debts_fen", "annual_net_income_fen"
        )
    }
    members = _members_by_household(round_.pk)
    borrowers = {h: _borrower(people) for h, people in members.items()}
    facts = bureau.facts_for([p[0] for p in borrowers.values() if p], today)
    medians = _village_medians(round_.campaign.village_id)
    lpr, screen_rules, now = lpr_on(today), eligibility_rules(rules), timezone.now()
    rows = []
    for entry_id, result in decided.items():
        household_id = entries[entry_id]
        borrower = borrowers.get(household_id)
        fact = facts.get(borrower[0]) if borrower else None
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
            rated = _rate(households[household_id], members.get(household_id, []), fact, result, medians, lpr, today)
        rows.append(_proposal_row(round_, entry_id, household_id, borrower, screening, rated, now))
    return rows


def _proposal_row(round_, entry_id, household_id, borrower, screening, rated, now) -> tuple:
    limit = rated.limit.limit_fen if rated else 0
    if screening.list == "black":
        status = Proposal.Status.REFUSED
    elif screening.list == "grey":
        status = Proposal.Status.GREY_PENDING
    else:
        status = Proposal.Status.PROPOSED if limit else Proposal.Status.NO_CREDIT
    items = [[i.item, str(i.points), i.reason] for i in rated.items] if rated else []
    return (
        round_.campaign_id,
        household_id,
        entry_id,
        borrower[0] if borrower else None,
        str(screening.list),
        json.dumps(list(screening.reasons)),
        "",
        "",
        rated.score if rated else None,
        rated.grade.value if rated and rated.grade else "",
        json.dumps(items),
        limit,
        rated.limit.reason if rated else "",
        rated.rate_percent if rated else None,
        str(status),
        "",
        "",
        "",
        now,
    )


def _members_by_household(round_id: int) -> dict[int, list[tuple]]:
    """household id → its members as (pk, relation, birth_date), for the households of a round."""
    members: dict[int, list[tuple]] = defaultdict(list)
    for pk, household_id, relation, birth in Person.objects.filter(
        household__round_entries__round_id=round_id
    ).values_list("pk", "household_id", "relation", "birth_date"):
        members[household_id].append((pk, relation, birth))
    return members


def _borrower(people: list[tuple]) -> tuple | None:
    """The proposed borrower: the head of household (another adult member may be chosen by staff later)."""
    return next((p for p in people if p[1] == Person.Relation.HEAD), people[0] if people else None)


def _village_medians(village_id: int) -> tuple[int, int]:
    """Median total assets and net income of the village's profiled households (at least 1 fen)."""
    rows = Household.objects.filter(village_id=village_id).values_list("total_assets_fen", "annual_net_income_fen")
    assets = [a for a, _ in rows if a is not None]
    incomes = [i for _, i in rows if i is not None]
    return (
        max(1, int(statistics.median(assets))) if assets else 1,
        max(1, int(statistics.median(incomes))) if incomes else 1,
    )


def _age(birth: datetime.date | None, today: datetime.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _history(fact) -> str:
    if fact is None:
        return rating.RepaymentHistory.NO_HISTORY
    if fact.current_overdue:
        return rating.RepaymentHistory.CURRENT_OVERDUE
    if fact.settled_overdue_on:
        return rating.RepaymentHistory.SETTLED_OVERDUE
    return rating.RepaymentHistory.CLEAN


def _rate(household: tuple, people: list[tuple], fact, result, medians, lpr: Decimal, today) -> rating.Rating:
    """The scorecard on the household's figures (pk, assets, debts, income) and members (pk, relation, birth)."""
    _pk, assets, debts, income = household
    ages = [_age(birth, today) for _person, _relation, birth in people]
    working = sum(1 for age in ages if age is not None and WORKING_AGES[0] <= age <= WORKING_AGES[1])
    facts = rating.RatingInput(
        household_size=max(1, len(people)),
        working_members=min(working, max(1, len(people))),
        total_assets_fen=assets or 0,
        debts_fen=debts or 0,
        net_income_fen=income or 0,
        shareholding_fen=0,
        repayment_history=_history(fact),
        village_median_assets_fen=medians[0],
        village_median_income_fen=medians[1],
        panel_score=result.panel_score or Decimal(0),
        panel_amount_fen=result.panel_amount_fen or 0,
    )
    return rating.rate_household(facts, lpr)


@transaction.atomic
def grey_decide(*, user, proposal_id: int, accept: bool, reason: str) -> Proposal:
    """灰名单: a staff member accepts (→ proposed, or no credit when the rating gives none) or refuses, in writing."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != Proposal.Status.GREY_PENDING:
        raise DeliberationRefused("not_grey")
    if not reason.strip():
        raise DeliberationRefused("grey_reason_required")
    with set_actor(user):
        proposal.grey_decision = "accept" if accept else "refuse"
        proposal.grey_reason, proposal.grey_decided_by = reason.strip(), user
        if not accept:
            proposal.status = Proposal.Status.REFUSED
        else:
            proposal.status = Proposal.Status.PROPOSED if proposal.limit_fen else Proposal.Status.NO_CREDIT
        proposal.save()
    return proposal
