"""The staff pages of whole-village credit, driven like a user would, and blindness on every staff surface."""

import io

import pytest
from openpyxl import load_workbook

from puhui.core.services import business_date_set
from puhui.deliberation import approval, granting
from puhui.deliberation.models import Campaign, Proposal, Round, Vote
from puhui.deliberation.services import round_open, vote_save
from puhui.org import roles
from tests.deliberation.conftest import GOOD_VOTE, START
from tests.deliberation.test_workflow import DAY, vote_all

SECRET_AMOUNT = 12_345_600  # a distinctive suggestion (123,456.00 yuan) that must never leak before closing
SECRET_REASON = "邻里纠纷未了结XYZ"


def village_through_signing(world, village, *, sign: int = 0):
    """Round, votes, close, grey decisions, notice, batch, approval after the notice, `sign` signings."""
    manager, branch = world.users[roles.ACCOUNT_MANAGER], world.users[roles.BRANCH_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    vote_all(village, round_)
    granting.village_batch_close(user=manager, round_id=round_.pk)
    for proposal in Proposal.objects.filter(status=Proposal.Status.GREY_PENDING):
        granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=True, reason="征信正常")
    notice = approval.notice_publish(user=manager, campaign_id=village.campaign.pk, objection_phone="0579-1")
    batch = approval.batch_submit(user=manager, campaign_id=village.campaign.pk)
    business_date_set(business_date=notice.ends_on + DAY)
    approval.batch_decide(user=branch, batch_id=batch.pk, approve=True, reason="同意")
    for proposal in Proposal.objects.order_by("pk")[:sign]:
        approval.proposal_sign(
            user=manager, proposal_id=proposal.pk, contract_number=f"C{proposal.pk}", signed_on=notice.ends_on + DAY
        )
    return batch


def test_account_manager_runs_the_village_through_the_pages(world, village, login):
    manager = login(world.users[roles.ACCOUNT_MANAGER])
    campaign = village.campaign
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="current-stage"' in page and page.count('data-testid="household-row"') == 10
    response = manager.post(f"/campaigns/{campaign.pk}/rounds/")
    round_ = Round.objects.get()
    assert response.status_code == 302 and response.url == f"/rounds/{round_.pk}/"
    vote_all(village, round_)
    assert manager.post(f"/rounds/{round_.pk}/close/").status_code == 302
    proposal = Proposal.objects.order_by("pk").first()
    assert manager.post(f"/proposals/{proposal.pk}/grey/", {"decision": "approve", "reason": ""}).status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.GREY_PENDING  # no reason: refused
    for p in Proposal.objects.all():
        manager.post(f"/proposals/{p.pk}/grey/", {"decision": "approve", "reason": "征信正常"})
    assert manager.post(f"/campaigns/{campaign.pk}/notice/", {"objection_phone": "0579-88"}).status_code == 302
    assert Campaign.objects.get().stage == Campaign.Stage.NOTICE
    response = manager.post(f"/campaigns/{campaign.pk}/submit/")
    batch_url = response.url
    checker = login(world.users[roles.BRANCH_MANAGER])
    page = checker.post(f"{batch_url}decide/", {"decision": "approve", "reason": "同意"}, follow=True)
    assert Proposal.objects.filter(status=Proposal.Status.APPROVED).count() == 0  # the notice is still up
    assert 'data-testid="flash"' in page.content.decode()
    business_date_set(business_date=START + 7 * DAY)
    checker.post(f"{batch_url}decide/", {"decision": "approve", "reason": "同意"})
    assert Proposal.objects.filter(status=Proposal.Status.APPROVED).count() == 10
    response = manager.post(f"/proposals/{proposal.pk}/sign/", {"contract_number": "ZJ-1", "signed_on": "2017-05-09"})
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.SIGNED


def test_only_checkers_decide_and_makers_act(world, village, login):
    batch = village_through_signing(world, village)
    for role in (roles.LIAISON, roles.AUDITOR, roles.ACCOUNT_MANAGER):
        assert login(world.users[role]).post(f"/batches/{batch.pk}/decide/", {"decision": "approve"}).status_code == 403
    for role in (roles.LIAISON, roles.AUDITOR):
        assert login(world.users[role]).post(f"/campaigns/{village.campaign.pk}/rounds/").status_code == 403


def test_out_of_scope_staff_get_404(world, village, login):
    from tests.conftest import make_user

    outsider = make_user("outsider", roles.BRANCH_MANAGER, branch=world.branch_out)
    batch = village_through_signing(world, village)
    client = login(outsider)
    proposal = Proposal.objects.first()
    for url in (
        f"/campaigns/{village.campaign.pk}/",
        f"/rounds/{Round.objects.get().pk}/",
        f"/proposals/{proposal.pk}/",
        f"/batches/{batch.pk}/",
        f"/batches/{batch.pk}/export.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/batches/{batch.pk}/decide/", {"decision": "approve", "reason": "x"}).status_code == 404


def test_batch_approval_sheet_export(world, village, login):
    batch = village_through_signing(world, village)
    response = login(world.users[roles.BRANCH_MANAGER]).get(f"/batches/{batch.pk}/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 + 10
    assert {row[1] for row in rows[3:]} == {h.number for h in village.households}


def _secret_vote(village, round_):
    entry = round_.entries.order_by("pk").first()
    vote_save(
        user=village.panel[0],
        entry_id=entry.pk,
        answers={**GOOD_VOTE, "suggested_fen": 0, "refusal_reasons": [SECRET_REASON]},
    )
    vote_save(user=village.panel[1], entry_id=entry.pk, answers={**GOOD_VOTE, "suggested_fen": SECRET_AMOUNT})
    return entry


@pytest.mark.parametrize(
    "role", [roles.HEAD_OFFICE, roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER, roles.LIAISON, roles.AUDITOR]
)
def test_an_open_round_shows_no_vote_content_to_anyone(world, village, login, api_client, role):
    round_ = round_open(
        user=world.users[roles.ACCOUNT_MANAGER], campaign=village.campaign, households=village.households
    )
    _secret_vote(village, round_)
    user = world.users[role]
    surfaces = [
        login(user).get(f"/rounds/{round_.pk}/").content.decode(),
        login(user).get(f"/campaigns/{village.campaign.pk}/").content.decode(),
        login(user).get("/campaigns/").content.decode(),
        api_client(user).get(f"/api/v1/villages/{world.village_mine.code}/progress").content.decode(),
    ]
    if user.is_staff:
        surfaces.append(login(user).get("/admin/").content.decode())
    for body in surfaces:
        assert SECRET_REASON not in body and "123,456" not in body and "12345600" not in body
    assert 'data-testid="blind"' in surfaces[0]


def test_after_closing_staff_see_aggregates_and_only_auditors_single_votes(world, village, login):
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    vote_all(village, round_)
    entry = round_.entries.order_by("pk").first()
    Vote.objects.filter(entry=entry, ballot__member__user=village.panel[0]).update(
        suggested_fen=0, refusal_reasons=[SECRET_REASON]
    )
    granting.village_batch_close(user=manager, round_id=round_.pk)
    for role in (roles.HEAD_OFFICE, roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER):
        page = login(world.users[role]).get(f"/rounds/{round_.pk}/").content.decode()
        assert 'data-testid="results"' in page and 'data-testid="single-votes"' not in page
        assert SECRET_REASON not in page
    page = login(world.users[roles.AUDITOR]).get(f"/rounds/{round_.pk}/").content.decode()
    assert 'data-testid="single-votes"' in page and page.count("<tr>") >= 50


def test_votes_are_not_in_the_admin(world, village, login):
    page = login(world.users[roles.HEAD_OFFICE]).get("/admin/").content.decode()
    assert "/admin/deliberation/vote/" not in page and "/admin/deliberation/ballot/" not in page
    assert login(world.users[roles.HEAD_OFFICE]).get("/admin/deliberation/vote/").status_code == 404
