"""Reads of the deliberation workflow. Vote content leaves the database only through `round_votes`, which
refuses it while the round is open and to anyone but auditors after (DOMAIN §3 step 4: blind)."""

import datetime
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.http import Http404

from puhui.core.selectors import singleton_row
from puhui.deliberation import aggregate, eligibility, rating
from puhui.deliberation.models import (
    Ballot,
    Campaign,
    DeliberationRules,
    Exclusion,
    LprRate,
    PanelMember,
    Round,
    RoundHousehold,
    Vote,
)
from puhui.org import roles


def deliberation_rules() -> DeliberationRules:
    return singleton_row(DeliberationRules)


def aggregate_rules(rules: DeliberationRules) -> aggregate.Rules:
    return aggregate.Rules(
        quorum=rules.quorum,
        veto_habit_min_evaluators=rules.habit_veto_evaluators,
        refusal_veto_share=Fraction(rules.refusal_veto_numerator, rules.refusal_veto_denominator),
        high_interest_min_evaluators=rules.high_interest_evaluators,
    )


def eligibility_rules(rules: DeliberationRules) -> eligibility.EligibilityRules:
    return eligibility.EligibilityRules(
        age_min=rules.borrower_age_min, age_max=rules.borrower_age_max, past_overdue_months=rules.past_overdue_months
    )


def lpr_on(day: datetime.date) -> Decimal:
    """The one-year rate in force on a day (rating.lpr_on over the bank's table)."""
    table = list(LprRate.objects.values_list("effective_on", "rate"))
    if not table:  # the published rates come with a migration; a flushed test database gets them again
        import importlib

        published = importlib.import_module("puhui.deliberation.migrations.0002_lpr_table").RATES
        LprRate.objects.bulk_create(
            [LprRate(effective_on=datetime.date.fromisoformat(d), rate=Decimal(r)) for d, r in published],
            ignore_conflicts=True,
        )
        table = list(LprRate.objects.values_list("effective_on", "rate"))
    return rating.lpr_on(table, day)


def campaign_get(*, user, pk: int) -> Campaign:
    campaign = Campaign.objects.visible_to(user).filter(pk=pk).select_related("village__township").first()
    if campaign is None:
        raise Http404
    return campaign


def round_get(*, user, pk: int) -> Round:
    round_ = Round.objects.filter(pk=pk, campaign__in=Campaign.objects.visible_to(user)).first()
    if round_ is None:
        raise Http404
    return round_


def round_submissions(round_: Round) -> list[Ballot]:
    """Who has submitted, how and when — the only thing staff see of an open round's ballots."""
    return list(round_.ballots.select_related("member__user").order_by("member__user__username"))


def round_exclusions(round_: Round) -> list[Exclusion]:
    return list(round_.exclusions.select_related("member__user", "household").order_by("household__number"))


def round_votes(*, user, round_: Round) -> list[Vote]:
    """Single votes: auditors only, and only once the round is closed."""
    if round_.status != Round.Status.CLOSED or not user.has_role(roles.AUDITOR):
        raise PermissionDenied
    return list(
        Vote.objects.filter(entry__round=round_)
        .select_related("ballot__member__user", "entry__household")
        .order_by("entry__household__number", "ballot__member__user__username")
    )


def evaluator_rounds(user) -> list[Round]:
    """The open rounds the evaluator sits on, with their own ballot."""
    seats = PanelMember.objects.filter(user=user).values("campaign_id")
    return list(
        Round.objects.filter(campaign_id__in=seats, status=Round.Status.OPEN)
        .select_related("campaign__village")
        .order_by("opened_on", "pk")
    )


def evaluator_seat(user, round_: Round) -> PanelMember:
    """The evaluator's seat on the round's panel; 404 for a round they do not sit on (or a closed one)."""
    member = PanelMember.objects.filter(campaign_id=round_.campaign_id, user=user).first()
    if member is None or round_.status != Round.Status.OPEN:
        raise Http404
    return member


def evaluator_entries(member: PanelMember, round_: Round) -> list[RoundHousehold]:
    """The households this evaluator rates (conflicts excluded), in household-number order."""
    excluded = Exclusion.objects.filter(round=round_, member=member).values("household_id")
    return list(
        RoundHousehold.objects.filter(round=round_)
        .exclude(household_id__in=excluded)
        .select_related("household")
        .order_by("household__number")
    )


def own_votes(member: PanelMember, round_: Round) -> dict[int, Vote]:
    """The evaluator's own answers (entry id → vote), shown back only to their author while editing."""
    return {v.entry_id: v for v in Vote.objects.filter(ballot__round=round_, ballot__member=member)}


def village_credit_progress(village) -> dict:
    """The campaign stage, households put into evaluation (ZC3) and households with a valid line (ZC4)."""
    from puhui.credit.models import CreditLine

    campaign = village.campaigns.order_by("-plan_year").first()
    evaluated = RoundHousehold.objects.filter(round__campaign__village=village).values("household_id").distinct()
    granted = (
        CreditLine.objects.filter(household__village=village, status__in=["active", "frozen"])
        .values("household_id")
        .distinct()
    )
    return {
        "campaign_status": campaign.stage if campaign else "not_started",
        "evaluated_households": evaluated.count(),
        "granted_households": granted.count(),
    }


def campaign_list(*, user):
    """Campaigns in scope with their household and proposal counts, latest plan year first."""
    from django.db.models import Count, Q

    return (
        Campaign.objects.visible_to(user)
        .select_related("village__township")
        .annotate(
            evaluated=Count("rounds__entries", distinct=True),
            proposals_count=Count("proposals", distinct=True),
            signed=Count("proposals", filter=Q(proposals__status="signed"), distinct=True),
        )
        .order_by("-plan_year", "village__code")
    )


def campaign_households(campaign: Campaign):
    """Every profiled household of the village with where it stands: last round outcome, proposal, line."""
    from django.db.models import OuterRef, Subquery

    from puhui.deliberation.models import Proposal
    from puhui.households.models import Household

    last_entry = RoundHousehold.objects.filter(household=OuterRef("pk"), round__campaign=campaign).order_by("-pk")
    proposal = Proposal.objects.filter(household=OuterRef("pk"), campaign=campaign)
    return (
        Household.objects.filter(village_id=campaign.village_id)
        .annotate(
            outcome=Subquery(last_entry.values("outcome")[:1]),
            round_status=Subquery(last_entry.values("round__status")[:1]),
            proposal_id=Subquery(proposal.values("pk")[:1]),
            proposal_status=Subquery(proposal.values("status")[:1]),
            proposal_limit=Subquery(proposal.values("limit_fen")[:1]),
            proposal_grade=Subquery(proposal.values("grade")[:1]),
        )
        .order_by("number")
    )


def households_ready_for_round(campaign: Campaign):
    """Profiled households not yet in a round of this campaign (or undecided in every round so far)."""
    from puhui.households.models import Household

    busy = RoundHousehold.objects.filter(round__campaign=campaign).exclude(outcome=RoundHousehold.Outcome.UNDECIDED)
    return Household.objects.filter(village_id=campaign.village_id).exclude(pk__in=busy.values("household_id"))


def proposal_get(*, user, pk: int):
    from puhui.deliberation.models import Proposal

    proposal = (
        Proposal.objects.visible_to(user)
        .select_related("household__village", "borrower", "entry__round", "notice", "batch", "campaign", "line")
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


def batch_get(*, user, pk: int):
    from puhui.deliberation.models import ApprovalBatch

    batch = (
        ApprovalBatch.objects.filter(pk=pk, campaign__in=Campaign.objects.visible_to(user))
        .select_related("campaign__village__township", "submitted_by")
        .first()
    )
    if batch is None:
        raise Http404
    return batch


def batches_awaiting(*, user):
    from puhui.deliberation.models import ApprovalBatch

    return (
        ApprovalBatch.objects.filter(campaign__in=Campaign.objects.visible_to(user), status="submitted")
        .select_related("campaign__village", "submitted_by")
        .order_by("submitted_at")
    )
