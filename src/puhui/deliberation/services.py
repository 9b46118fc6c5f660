"""Deliberation services (DOMAIN §3 steps 1–4): launch a campaign, seat the panel, open a round with its
conflict-of-interest exclusions, take blind votes (phone, paper or meeting) and submissions.

Closing, screening, rating and proposing a round is `granting.village_batch_close`; the notice, approval and
signing are in `approval`.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from puhui.core.audit import set_actor
from puhui.core.selectors import business_date_current
from puhui.deliberation import aggregate
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.models import Ballot, Campaign, Exclusion, PanelMember, Round, RoundHousehold, Vote
from puhui.deliberation.selectors import deliberation_rules
from puhui.households.models import Household, Person
from puhui.org import roles


@transaction.atomic
def campaign_launch(*, user, village, plan_year: int, kind: str) -> Campaign:
    """启动: the village now counts as having carried out whole-village credit; profiling begins."""
    try:
        with transaction.atomic(), set_actor(user):
            return Campaign.objects.create(
                village=village,
                plan_year=plan_year,
                kind=kind,
                stage=Campaign.Stage.PROFILING,
                launched_on=business_date_current(),
                launched_by=user,
            )
    except IntegrityError as exc:
        raise DeliberationRefused("campaign_exists") from exc


@transaction.atomic
def panel_member_add(*, user, campaign: Campaign, evaluator, category: str, relatives=()) -> PanelMember:
    """Seat an evaluator on the village panel; own household and declared relatives are recorded for exclusion."""
    if not evaluator.has_role(roles.EVALUATOR):
        raise DeliberationRefused("not_an_evaluator")
    own = Person.objects.filter(user=evaluator).values_list("household_id", flat=True).first()
    with set_actor(user):
        member, _ = PanelMember.objects.update_or_create(
            campaign=campaign, user=evaluator, defaults={"category": category, "own_household_id": own}
        )
        member.relatives.set(relatives)
        for round_ in campaign.rounds.filter(status=Round.Status.OPEN):  # a late seat joins the open rounds
            Ballot.objects.get_or_create(round=round_, member=member, defaults={"entered_by": evaluator})
            ids = list(round_.entries.values_list("household_id", flat=True))
            Exclusion.objects.filter(round=round_, member=member).delete()
            Exclusion.objects.bulk_create(_exclusions(round_, [member], ids))
    return member


@transaction.atomic
def round_open(*, user, campaign: Campaign, households) -> Round:
    """发起评价: a round of households for the panel, each evaluator's conflicts excluded automatically."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.stage not in (Campaign.Stage.PROFILING, Campaign.Stage.DELIBERATION):
        raise DeliberationRefused("wrong_stage")
    members = list(campaign.panel.select_related("user").prefetch_related("relatives"))
    minimum = deliberation_rules().panel_min_size
    if len(members) < minimum:
        raise DeliberationRefused("panel_too_small", minimum=minimum)
    ids = sorted({h.pk for h in households})
    if Household.objects.filter(pk__in=ids).exclude(village_id=campaign.village_id).exists():
        raise DeliberationRefused("household_not_in_village")
    busy = RoundHousehold.objects.filter(household_id__in=ids, round__campaign=campaign).exclude(
        outcome=RoundHousehold.Outcome.UNDECIDED
    )
    if busy.exists():
        raise DeliberationRefused("household_in_open_round")
    number = (campaign.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    with set_actor(user):
        round_ = Round.objects.create(
            campaign=campaign, number=number, opened_on=business_date_current(), opened_by=user
        )
        RoundHousehold.objects.bulk_create(RoundHousehold(round=round_, household_id=h) for h in ids)
        Ballot.objects.bulk_create(Ballot(round=round_, member=m, entered_by=m.user) for m in members)
        Exclusion.objects.bulk_create(_exclusions(round_, members, ids))
        Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.DELIBERATION)
    return round_


def _exclusions(round_: Round, members: list[PanelMember], household_ids: list[int]) -> list[Exclusion]:
    """Own household, a household where the evaluator is a listed member, a declared relative's household."""
    listed = dict(
        Person.objects.filter(household_id__in=household_ids, user__in=[m.user_id for m in members]).values_list(
            "user_id", "household_id"
        )
    )
    wanted = set(household_ids)
    pairs: dict[tuple[int, int], str] = {}
    for member in members:
        for household_id in {h.pk for h in member.relatives.all()} & wanted:
            pairs[(member.pk, household_id)] = Exclusion.Reason.RELATIVE
        if listed.get(member.user_id) in wanted:
            pairs[(member.pk, listed[member.user_id])] = Exclusion.Reason.MEMBER
        if member.own_household_id in wanted:
            pairs[(member.pk, member.own_household_id)] = Exclusion.Reason.OWN
    return [Exclusion(round=round_, member_id=m, household_id=h, reason=r) for (m, h), r in pairs.items()]


def _ballot_writable(round_id: int, member_id: int) -> Ballot:
    ballot = Ballot.objects.select_for_update().select_related("round").get(round_id=round_id, member_id=member_id)
    if ballot.round.status != Round.Status.OPEN:
        raise DeliberationRefused("round_closed")
    if ballot.submitted_at is not None:
        raise DeliberationRefused("ballot_submitted")
    return ballot


def vote_checked(answers: dict) -> aggregate.Vote:
    """The answers as the pure rule's Vote, or a refusal (nothing saved). Nothing is filled in silently: the
    evaluator says whether they know the household and, if so, gives an amount (0 is a refusal)."""
    knows, amount = answers.get("knows_household"), answers.get("suggested_fen")
    if knows is False:
        return aggregate.Vote.abstention()
    if knows is not True or type(amount) is not int:
        raise DeliberationRefused("invalid_vote")
    try:
        return aggregate.Vote(
            knows_household=True,
            integrity=answers.get("integrity") or None,
            debt=answers.get("debt") or None,
            suggested_fen=amount,
            habits=frozenset(answers.get("habits") or ()),
            informal_high_interest=answers.get("informal_high_interest") is True,
            refusal_reasons=tuple(answers.get("refusal_reasons") or ()),
        )
    except (TypeError, ValueError) as exc:  # the rule's own text may quote the answers: never shown
        raise DeliberationRefused("invalid_vote") from exc


def _vote_write(ballot: Ballot, entry: RoundHousehold, vote: aggregate.Vote) -> Vote:
    if Exclusion.objects.filter(
        round_id=ballot.round_id, member_id=ballot.member_id, household_id=entry.household_id
    ).exists():
        raise DeliberationRefused("excluded")
    row, _ = Vote.objects.update_or_create(
        ballot=ballot,
        entry=entry,
        defaults={
            "knows_household": vote.knows_household,
            "integrity": vote.integrity or "",
            "habits": sorted(vote.habits),
            "debt": vote.debt or "",
            "informal_high_interest": vote.informal_high_interest,
            "suggested_fen": vote.suggested_fen,
            "refusal_reasons": list(vote.refusal_reasons),
        },
    )
    return row


@transaction.atomic
def vote_save(*, user, entry_id: int, answers: dict) -> Vote:
    """背靠背评议: the evaluator's own vote on one household of an open round (autosaved, changeable until
    the ballot is submitted). Partial answers are kept as a draft only when they already form a valid vote."""
    entry = RoundHousehold.objects.select_related("round").filter(pk=entry_id).first()
    member = entry and PanelMember.objects.filter(campaign_id=entry.round.campaign_id, user=user).first()
    if member is None or not Ballot.objects.filter(round_id=entry.round_id, member=member).exists():
        raise DeliberationRefused("not_on_panel")
    ballot = _ballot_writable(entry.round_id, member.pk)
    return _vote_write(ballot, entry, vote_checked(answers))


@transaction.atomic
def ballot_submit(*, user, round_id: int) -> Ballot:
    """提交: every household the evaluator may rate has a vote; from now on the ballot cannot change."""
    member = PanelMember.objects.filter(campaign__rounds=round_id, user=user).first()
    if member is None or not Ballot.objects.filter(round_id=round_id, member=member).exists():
        raise DeliberationRefused("not_on_panel")
    ballot = _ballot_writable(round_id, member.pk)
    missing = _households_to_rate(ballot).exclude(votes__ballot=ballot).count()
    if missing:
        raise DeliberationRefused("votes_missing", missing=missing)
    ballot.submitted_at = timezone.now()
    ballot.save(update_fields=["submitted_at"])
    return ballot


def _households_to_rate(ballot: Ballot):
    excluded = Exclusion.objects.filter(round_id=ballot.round_id, member_id=ballot.member_id).values("household_id")
    return RoundHousehold.objects.filter(round_id=ballot.round_id).exclude(household_id__in=excluded)


@transaction.atomic
def paper_ballot_enter(*, user, round_id: int, member_id: int, kind: str, answers: dict[int, dict]) -> Ballot:
    """纸质/会议评议: the account manager enters a panel member's paper or meeting votes (entry id → answers)
    and submits them, marked as such. All or nothing: one bad vote refuses the whole sheet."""
    ballot = _ballot_writable(round_id, member_id)
    entries = {e.pk: e for e in RoundHousehold.objects.filter(round_id=round_id, pk__in=list(answers))}
    checked = {entry_id: vote_checked(a) for entry_id, a in answers.items() if entry_id in entries}
    for entry_id, vote in checked.items():
        _vote_write(ballot, entries[entry_id], vote)
    missing = _households_to_rate(ballot).exclude(votes__ballot=ballot).count()
    if missing:
        raise DeliberationRefused("votes_missing", missing=missing)
    ballot.kind, ballot.entered_by, ballot.submitted_at = kind, user, timezone.now()
    ballot.save(update_fields=["kind", "entered_by", "submitted_at"])
    return ballot
