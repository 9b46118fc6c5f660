"""整村批量授信 in one action (DOMAIN §3 steps 4–6): close a round, aggregate every household's blind votes,
screen the borrowers against the credit bureau, rate them and propose their limits.

Set-based: the round's votes, the households, their members and the bureau facts are each read in one query;
the results are written with bulk_update / bulk_create. The rules are the pure modules `aggregate`,
`eligibility` and `rating` with the bank's configured rules.
"""

import datetime
import statistics
from collections import defaultdict
from decimal import Decimal

from auditlog.context import set_actor
from django.db import transaction
from django.utils import timezone

from puhui.core.selectors import business_date_current
from puhui.deliberation import aggregate, bureau, eligibility, rating
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.models import Proposal, Round, RoundHousehold, Vote
from puhui.deliberation.selectors import aggregate_rules, deliberation_rules, eligibility_rules, lpr_on
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
        Proposal.objects.bulk_create(proposals)
    counts = defaultdict(int)
    for result in results.values():
        counts[f"households_{result.outcome}"] += 1
    for proposal in proposals:
        counts[f"proposals_{proposal.status}"] += 1
    return dict(counts)


def _aggregate_round(round_: Round, rules: aggregate.Rules) -> dict[int, aggregate.Result]:
    """Every household's panel result (entry id → Result), written onto its RoundHousehold."""
    votes: dict[int, list[aggregate.Vote]] = defaultdict(list)
    for row in Vote.objects.filter(entry__round=round_, ballot__submitted_at__isnull=False).values(
        "entry_id",
        "knows_household",
        "integrity",
        "habits",
        "debt",
        "informal_high_interest",
        "suggested_fen",
        "refusal_reasons",
    ):
        votes[row.pop("entry_id")].append(_vote(row))
    entries = list(RoundHousehold.objects.filter(round=round_))
    results = {}
    for entry in entries:
        result = aggregate.aggregate(votes.get(entry.pk, ()), rules)
        results[entry.pk] = result
        entry.outcome = result.outcome.value
        entry.counted_votes, entry.abstentions = result.counted, result.abstentions
        entry.panel_amount_fen, entry.panel_score = result.panel_amount_fen, result.panel_score
        entry.veto_reasons, entry.high_interest_flagged = list(result.veto_reasons), result.high_interest_flagged
    RoundHousehold.objects.bulk_update(
        entries,
        [
            "outcome",
            "counted_votes",
            "abstentions",
            "panel_amount_fen",
            "panel_score",
            "veto_reasons",
            "high_interest_flagged",
        ],
        batch_size=2000,
    )
    return results


def _vote(row: dict) -> aggregate.Vote:
    if not row["knows_household"]:
        return aggregate.Vote.abstention()
    return aggregate.Vote(
        knows_household=True,
        integrity=row["integrity"],
        debt=row["debt"],
        suggested_fen=row["suggested_fen"] or 0,
        habits=frozenset(row["habits"]),
        informal_high_interest=row["informal_high_interest"],
        refusal_reasons=tuple(row["refusal_reasons"]),
    )


def _proposals(round_, results, today: datetime.date, rules) -> list[Proposal]:
    """A proposal for each quorate household: screened (white/grey/black), rated and limited."""
    decided = {eid: r for eid, r in results.items() if r.outcome != aggregate.Outcome.UNDECIDED}
    entries = {e.pk: e for e in RoundHousehold.objects.filter(pk__in=list(decided))}
    household_ids = [e.household_id for e in entries.values()]
    households = Household.objects.in_bulk(household_ids)
    members = _members_by_household(household_ids)
    borrowers = {h: _borrower(people) for h, people in members.items()}
    facts = bureau.facts_for([p.pk for p in borrowers.values() if p], today)
    medians = _village_medians(round_.campaign.village_id)
    lpr = lpr_on(today)
    screen_rules = eligibility_rules(rules)
    proposals = []
    for entry_id, result in decided.items():
        entry = entries[entry_id]
        household, borrower = households[entry.household_id], borrowers.get(entry.household_id)
        fact = facts.get(borrower.pk) if borrower else None
        screening = eligibility.screen(
            fact,
            borrower_birth=borrower.birth_date if borrower else None,
            today=today,
            panel_vetoed=result.outcome == aggregate.Outcome.VETOED,
            high_interest_flagged=result.high_interest_flagged,
            rules=screen_rules,
        )
        proposal = Proposal(
            campaign_id=round_.campaign_id,
            household=household,
            entry=entry,
            borrower=borrower,
            screen=screening.list,
            screen_reasons=list(screening.reasons),
        )
        if screening.list != "black":
            _rate(proposal, household, members.get(household.pk, []), fact, result, medians, lpr, today)
        proposal.status = _status(proposal)
        proposals.append(proposal)
    return proposals


def _members_by_household(household_ids: list[int]) -> dict[int, list[Person]]:
    members: dict[int, list[Person]] = defaultdict(list)
    for person in Person.objects.filter(household_id__in=household_ids).only(
        "pk", "household_id", "relation", "birth_date", "name"
    ):
        members[person.household_id].append(person)
    return members


def _borrower(people: list[Person]) -> Person | None:
    """The proposed borrower: the head of household (another adult member may be chosen by staff later)."""
    return next((p for p in people if p.relation == Person.Relation.HEAD), people[0] if people else None)


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


def _rate(proposal, household, people, fact, result, medians, lpr: Decimal, today) -> None:
    working = sum(
        1
        for p in people
        if (age := _age(p.birth_date, today)) is not None and WORKING_AGES[0] <= age <= WORKING_AGES[1]
    )
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
    proposal.score, proposal.grade = rated.score, rated.grade.value if rated.grade else ""
    proposal.score_items = [[item.item, str(item.points), item.reason] for item in rated.items]
    proposal.limit_fen, proposal.limit_reason = rated.limit.limit_fen, rated.limit.reason
    proposal.rate = rated.rate_percent


def _status(proposal: Proposal) -> str:
    if proposal.screen == "black":
        return Proposal.Status.REFUSED
    if proposal.screen == "grey":
        return Proposal.Status.GREY_PENDING
    if not proposal.limit_fen:
        return Proposal.Status.NO_CREDIT
    return Proposal.Status.PROPOSED


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
