"""On the desktop a branch manager opens the village batch awaiting approval, approves it with a reason, and the
account manager then records a signing that activates the line; screenshots kept as artifacts."""

import pytest

from puhui.core.services import business_date_set
from puhui.deliberation import approval, granting
from puhui.deliberation.models import Proposal
from puhui.deliberation.services import round_open
from puhui.org import roles
from tests.conftest import PASSWORD
from tests.deliberation.conftest import village  # noqa: F401 — the fixture
from tests.deliberation.test_workflow import DAY, vote_all
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def batch_awaiting_approval(world, village):  # noqa: F811
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    vote_all(village, round_)
    granting.village_batch_close(user=manager, round_id=round_.pk)
    for proposal in Proposal.objects.filter(status=Proposal.Status.GREY_PENDING):
        granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=True, reason="征信正常")
    notice = approval.notice_publish(user=manager, campaign_id=village.campaign.pk, objection_phone="0579-88812345")
    batch = approval.batch_submit(user=manager, campaign_id=village.campaign.pk)
    business_date_set(business_date=notice.ends_on + DAY)
    return batch


def test_branch_manager_approves_a_village_batch(world, village, live_server, desktop_page):  # noqa: F811
    batch = batch_awaiting_approval(world, village)
    page = desktop_page
    log_in(page, live_server.url, "branch", PASSWORD)
    page.goto(f"{live_server.url}/campaigns/")
    page.get_by_test_id("batches-awaiting").get_by_role("link").first.click()
    page.get_by_test_id("batch-proposals").wait_for()
    assert page.get_by_test_id("batch-proposal").count() == 10
    screenshot(page, "approval-batch-desktop")
    page.locator("#batch-reason").fill("经审查，资料齐全，同意授信")
    page.get_by_test_id("approve-batch").click()
    page.get_by_test_id("flash").wait_for()
    assert page.locator('[data-testid="batch-proposal"][data-status="approved"]').count() == 10
    screenshot(page, "approval-batch-approved-desktop")
    assert Proposal.objects.filter(batch=batch, status=Proposal.Status.APPROVED).count() == 10
    assert set(Proposal.objects.values_list("decided_by__username", flat=True)) == {"branch"}


def test_the_maker_cannot_approve_in_the_browser(world, village, live_server, desktop_page):  # noqa: F811
    batch_awaiting_approval(world, village)
    page = desktop_page
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/campaigns/")
    page.get_by_test_id("batches-awaiting").get_by_role("link").first.click()
    page.get_by_test_id("batch-proposals").wait_for()
    assert page.get_by_test_id("batch-decide-form").count() == 0  # an account manager is no checker
    assert not Proposal.objects.filter(status=Proposal.Status.APPROVED).exists()
