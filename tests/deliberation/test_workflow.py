"""The whole-village workflow end to end through the services: round → blind votes → close, screen, rate,
propose → notice → objection → maker–checker approval → signing → an active three-year line."""

import datetime

import pytest

from puhui.core.selectors import business_date_current
from puhui.core.services import business_date_set
from puhui.credit.models import CreditLine
from puhui.deliberation import approval, granting
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.models import Campaign, Exclusion, PanelMember, Proposal, Round, RoundHousehold
from puhui.deliberation.services import ballot_submit, paper_ballot_enter, round_open, vote_save
from puhui.households.models import Person
from puhui.org import roles
from tests.deliberation.conftest import GOOD_VOTE, START

DAY = datetime.timedelta(days=1)


def vote_all(village, round_, answers=GOOD_VOTE, skip=()):
    for user in village.panel:
        if user.username in skip:
            continue
        member = PanelMember.objects.get(campaign=village.campaign, user=user)
        excluded = set(Exclusion.objects.filter(round=round_, member=member).values_list("household_id", flat=True))
        for entry in RoundHousehold.objects.filter(round=round_).exclude(household_id__in=excluded):
            vote_save(user=user, entry_id=entry.pk, answers=answers)
        ballot_submit(user=user, round_id=round_.pk)


def refused(code, fn, **kwargs):
    with pytest.raises(DeliberationRefused) as exc:
        fn(**kwargs)
    assert exc.value.code == code, exc.value.code
    return exc.value


def test_a_village_from_round_to_active_lines(world, village):
    manager, branch = world.users[roles.ACCOUNT_MANAGER], world.users[roles.BRANCH_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    vote_all(village, round_)
    counts = granting.village_batch_close(user=manager, round_id=round_.pk)
    assert counts["households_passed"] == 10
    # no bureau record for anyone: every borrower is on the grey list until a staff member decides
    assert Proposal.objects.filter(status=Proposal.Status.GREY_PENDING).count() == 10
    for proposal in Proposal.objects.all():
        granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=True, reason="人行征信查询正常，补录")
    proposed = Proposal.objects.filter(status=Proposal.Status.PROPOSED)
    assert proposed.count() == 10
    assert all(p.limit_fen % 100_000 == 0 and 0 < p.limit_fen <= 15_000_000 for p in proposed)  # ≤ panel median
    notice = approval.notice_publish(user=manager, campaign_id=village.campaign.pk, objection_phone="0579-88888888")
    assert notice.ends_on == START + 6 * DAY
    batch = approval.batch_submit(user=manager, campaign_id=village.campaign.pk)
    first = batch.proposals.order_by("pk").first()
    refused("notice_not_ended", approval.batch_decide, user=branch, batch_id=batch.pk, approve=True, reason="同意")
    objection = approval.objection_record(user=manager, proposal_id=first.pk, content="邻居反映其有赌博行为")
    business_date_set(business_date=notice.ends_on + DAY)
    refused(
        "maker_is_checker",
        approval.proposal_decide,
        user=manager,
        proposal_id=batch.proposals.last().pk,
        approve=True,
        reason="同意",
    )
    refused("objection_open", approval.proposal_decide, user=branch, proposal_id=first.pk, approve=True, reason="同意")
    assert Proposal.objects.filter(status=Proposal.Status.APPROVED).count() == 0  # nothing changed by refusals
    approval.objection_resolve(user=manager, objection_id=objection.pk, resolution="经核实不属实")
    approval.batch_decide(user=branch, batch_id=batch.pk, approve=True, reason="同意授信")
    assert Proposal.objects.filter(status=Proposal.Status.APPROVED).count() == 10
    signed = approval.proposal_sign(
        user=manager, proposal_id=first.pk, contract_number="ZJLX-2017-0001", signed_on=business_date_current()
    )
    line = CreditLine.objects.get(pk=signed.line_id)
    assert (line.status, line.limit_fen, line.grade) == ("active", signed.limit_fen, signed.grade)
    assert line.end_date == business_date_current().replace(year=2020)
    assert signed.verification_code


def test_conflicts_of_interest_are_excluded_automatically(world, village):
    manager = world.users[roles.ACCOUNT_MANAGER]
    own, relative = village.households[0], village.households[1]
    evaluator = village.panel[1]
    Person.objects.filter(household=own, relation="spouse").update(user=evaluator)
    member = PanelMember.objects.get(campaign=village.campaign, user=evaluator)
    member.relatives.set([relative])
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    pairs = set(Exclusion.objects.filter(round=round_).values_list("member__user__username", "household_id", "reason"))
    assert pairs == {(evaluator.username, own.pk, "member"), (evaluator.username, relative.pk, "relative")}
    entry = RoundHousehold.objects.get(round=round_, household=own)
    refused("excluded", vote_save, user=evaluator, entry_id=entry.pk, answers=GOOD_VOTE)


def test_votes_are_refused_after_submission_and_after_closing(world, village):
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households[:3])
    evaluator = village.panel[0]
    entries = list(RoundHousehold.objects.filter(round=round_))
    vote_save(user=evaluator, entry_id=entries[0].pk, answers=GOOD_VOTE)
    refused("votes_missing", ballot_submit, user=evaluator, round_id=round_.pk)
    refused("invalid_vote", vote_save, user=evaluator, entry_id=entries[1].pk, answers={"knows_household": True})
    for entry in entries[1:]:
        vote_save(user=evaluator, entry_id=entry.pk, answers=GOOD_VOTE)
    ballot_submit(user=evaluator, round_id=round_.pk)
    refused("ballot_submitted", vote_save, user=evaluator, entry_id=entries[0].pk, answers=GOOD_VOTE)
    granting.village_batch_close(user=manager, round_id=round_.pk)
    refused("round_closed", vote_save, user=village.panel[1], entry_id=entries[0].pk, answers=GOOD_VOTE)
    # one submitted ballot is below the quorum of 3: every household is undecided and can go to a later round
    assert set(RoundHousehold.objects.filter(round=round_).values_list("outcome", flat=True)) == {"undecided"}
    assert not Proposal.objects.exists()
    again = round_open(user=manager, campaign=village.campaign, households=village.households[:3])
    assert again.number == 2


def test_paper_votes_entered_by_the_account_manager(world, village):
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households[:2])
    member = PanelMember.objects.get(campaign=village.campaign, user=village.panel[2])
    entries = list(RoundHousehold.objects.filter(round=round_).values_list("pk", flat=True))
    ballot = paper_ballot_enter(
        user=manager, round_id=round_.pk, member_id=member.pk, kind="paper", answers=dict.fromkeys(entries, GOOD_VOTE)
    )
    assert (ballot.kind, ballot.entered_by, ballot.submitted_at is not None) == ("paper", manager, True)


def test_two_drugs_flags_refuse_the_household(world, village):
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households[:1])
    vote_all(village, round_, skip={village.panel[0].username, village.panel[1].username})
    for user in village.panel[:2]:
        entry = RoundHousehold.objects.get(round=round_)
        vote_save(user=user, entry_id=entry.pk, answers={**GOOD_VOTE, "habits": ["drugs"]})
        ballot_submit(user=user, round_id=round_.pk)
    granting.village_batch_close(user=manager, round_id=round_.pk)
    proposal = Proposal.objects.get()
    assert (proposal.screen, proposal.status) == ("black", Proposal.Status.REFUSED)
    assert "deliberation_veto" in proposal.screen_reasons


def test_panel_must_have_five_members(world, village):
    PanelMember.objects.filter(campaign=village.campaign, user=village.panel[4]).delete()
    refused(
        "panel_too_small",
        round_open,
        user=world.users[roles.ACCOUNT_MANAGER],
        campaign=village.campaign,
        households=village.households,
    )
    assert not Round.objects.exists() and Campaign.objects.get().stage == Campaign.Stage.PROFILING


def test_branch_authority_tier(world, village):
    manager, branch, head = (world.users[r] for r in (roles.ACCOUNT_MANAGER, roles.BRANCH_MANAGER, roles.HEAD_OFFICE))
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households[9:])
    vote_all(village, round_, answers={**GOOD_VOTE, "suggested_fen": 30_000_000})
    granting.village_batch_close(user=manager, round_id=round_.pk)
    proposal = Proposal.objects.get()
    granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=True, reason="核实")
    Proposal.objects.filter(pk=proposal.pk).update(limit_fen=25_000_000)  # above the branch's 200,000
    approval.notice_publish(user=manager, campaign_id=village.campaign.pk, objection_phone="0579-1")
    approval.batch_submit(user=manager, campaign_id=village.campaign.pk)
    business_date_set(business_date=START + 10 * DAY)
    refused(
        "above_authority", approval.proposal_decide, user=branch, proposal_id=proposal.pk, approve=True, reason="同意"
    )
    assert (
        approval.proposal_decide(user=head, proposal_id=proposal.pk, approve=True, reason="同意").status == "approved"
    )


def test_progress_endpoint_counts_evaluated_and_granted_households(world, village, api_client):
    from tests.deliberation.test_workflow_pages import village_through_signing

    village_through_signing(world, village, sign=3)
    response = api_client(world.users[roles.ACCOUNT_MANAGER]).get(
        f"/api/v1/villages/{world.village_mine.code}/progress"
    )
    body = response.json()
    assert (body["campaign_status"], body["evaluated_households"], body["granted_households"]) == ("signing", 10, 3)
    assert body["evaluation_rate"] == f"{10 / 900:.4f}" and body["grant_rate"] == f"{3 / 900:.4f}"
