"""Demo whole-village credit (DOMAIN §3), played through the real services in the demo manager's villages:

1. a round open for votes — the demo evaluator has not voted yet (the four other panel members have);
2. a public notice in its period (posted two days before the demo date, open for seven days);
3. a village batch awaiting the demo branch manager (notice over, submitted by the demo account manager);
4. a village approved and signed: active three-year lines;
5. a village launched, still profiling.
Panels: the demo evaluator and four generated evaluators (no usable password). Bureau: the demo adapter.
"""

import datetime
import random

from django.db import transaction

from puhui.core.selectors import business_date_current
from puhui.core.services import business_date_set
from puhui.credit.models import CreditLine
from puhui.deliberation import approval, granting
from puhui.deliberation.bureau import DemoBureau
from puhui.deliberation.models import Campaign, PanelMember, Proposal, RoundHousehold
from puhui.deliberation.selectors import deliberation_rules
from puhui.deliberation.services import ballot_submit, campaign_launch, panel_member_add, round_open, vote_save
from puhui.demo import plan
from puhui.demo.plan_years import panel_evaluators
from puhui.demo.services import DEMO_START_DATE
from puhui.households.models import Household, Person
from puhui.org.models import User, Village

HOUSEHOLDS_PER_ROUND = 12
STAGES = ("voting", "notice", "approval", "signed", "profiling")
DAYS_BEFORE_DEMO = {  # the business date each step is taken on, in days before the demo's business date
    "round": 41,
    "signed_notice": 29,
    "approval_notice": 20,
    "signed_approval": 18,
    "signed_on": 15,
    "submit": 10,
    "notice": 2,
}
DATES = {step: DEMO_START_DATE - datetime.timedelta(days=days) for step, days in DAYS_BEFORE_DEMO.items()}


@transaction.atomic
def demo_deliberation_load(*, seed: int = 330781) -> int:
    """Play the five village stories once; returns the number of campaigns made (0 when already there)."""
    if Proposal.objects.exists():  # the plan years launch campaigns too, but propose nothing
        return 0
    manager, branch = User.objects.get(username="manager"), User.objects.get(username="branch")
    villages = _villages(manager)
    if len(villages) < len(STAGES):
        return 0
    panel = [User.objects.get(username="evaluator"), *panel_evaluators(4)]
    rng = random.Random(seed)
    back_to = business_date_current()
    business_date_set(business_date=DATES["round"])
    campaigns = {}
    for stage, village in zip(STAGES, villages, strict=False):
        launcher = village.grids.filter(account_manager__isnull=False).first().account_manager
        campaigns[stage] = campaign_launch(
            user=launcher, village=village, plan_year=DEMO_START_DATE.year, kind=Campaign.Kind.PILOT
        )
        if stage != "profiling":
            _panel_seat(manager, campaigns[stage], panel)
            _round(manager, campaigns[stage], panel, rng, leave_open=stage == "voting")
    _notice_and_after(manager, branch, campaigns)
    business_date_set(business_date=back_to)
    return len(campaigns)


def _villages(manager: User) -> list[Village]:
    """Rural villages with enough profiled households without lines: the demo manager's first, then others of
    the demo township (the last story, a campaign still profiling, needs no more)."""
    rural = Village.objects.filter(is_rural=True, households__isnull=False).distinct()
    own = list(rural.filter(grids__account_manager=manager).order_by("code"))
    others = list(rural.filter(township__code=plan.DEMO_TOWNSHIP).exclude(pk__in=[v.pk for v in own]).order_by("code"))
    return [v for v in own + others if _free_households(v).count() >= HOUSEHOLDS_PER_ROUND]


def _free_households(village: Village):
    with_lines = CreditLine.objects.values("household_id")
    return Household.objects.filter(village=village, annual_net_income_fen__isnull=False).exclude(pk__in=with_lines)


def _panel_seat(manager: User, campaign: Campaign, panel: list[User]) -> None:
    categories = list(PanelMember.Category.values)
    for n, user in enumerate(panel):
        panel_member_add(user=manager, campaign=campaign, evaluator=user, category=categories[n % len(categories)])


def _answers(household: Household, rng: random.Random) -> dict:
    """Mostly good households; a few refusals and flags so vetoes and the grey list show."""
    if rng.random() < 0.05:
        return {"knows_household": False}
    income = household.annual_net_income_fen or 5_000_000
    suggestion = max(2_000_000, min(30_000_000, int(income * rng.uniform(1.2, 2.5)) // 1_000_000 * 1_000_000))
    refuse = rng.random() < 0.06
    return {
        "knows_household": True,
        "integrity": rng.choices(["very_good", "good", "fair", "poor"], weights=[55, 30, 12, 3])[0],
        "debt": rng.choices(["none", "little", "high"], weights=[60, 32, 8])[0],
        "habits": ["gambling"] if rng.random() < 0.04 else [],
        "informal_high_interest": rng.random() < 0.03,
        "suggested_fen": 0 if refuse else suggestion,
        "refusal_reasons": ["负债过高"] if refuse else [],
    }


def _round(manager: User, campaign: Campaign, panel: list[User], rng: random.Random, *, leave_open: bool) -> None:
    households = list(_free_households(campaign.village).order_by("number")[:HOUSEHOLDS_PER_ROUND])
    round_ = round_open(user=manager, campaign=campaign, households=households)
    heads = Person.objects.filter(household__in=households, relation=Person.Relation.HEAD)
    DemoBureau().records_create(list(heads.values_list("pk", flat=True)), queried_on=DATES["round"])
    voters = panel[1:] if leave_open else panel  # the demo evaluator votes in the demo
    for user in voters:
        for entry in RoundHousehold.objects.filter(round=round_).select_related("household"):
            vote_save(user=user, entry_id=entry.pk, answers=_answers(entry.household, rng))
        ballot_submit(user=user, round_id=round_.pk)
    if not leave_open:
        granting.village_batch_close(user=manager, round_id=round_.pk)
        for proposal in Proposal.objects.filter(campaign=campaign, status=Proposal.Status.GREY_PENDING):
            accept = "bureau_current_overdue" not in proposal.screen_reasons and rng.random() < 0.7
            reason = "经走访核实，情况属实，同意准入" if accept else "近期逾期记录，暂不准入"
            granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=accept, reason=reason)


def _notice_and_after(manager: User, branch: User, campaigns: dict[str, Campaign]) -> None:
    phone = "0579-88812345"
    business_date_set(business_date=DATES["signed_notice"])
    approval.notice_publish(user=manager, campaign_id=campaigns["signed"].pk, objection_phone=phone)
    approval.batch_submit(user=manager, campaign_id=campaigns["signed"].pk)
    business_date_set(business_date=DATES["approval_notice"])
    approval.notice_publish(user=manager, campaign_id=campaigns["approval"].pk, objection_phone=phone)
    business_date_set(business_date=DATES["signed_approval"])
    head, authority = User.objects.get(username="head"), deliberation_rules().branch_authority_fen
    for proposal in campaigns["signed"].batches.get().proposals.order_by("pk"):
        checker = branch if proposal.limit_fen <= authority else head  # above the branch's tier: head office
        approval.proposal_decide(user=checker, proposal_id=proposal.pk, approve=True, reason="经审查，同意授信")
    business_date_set(business_date=DATES["signed_on"])
    for n, proposal in enumerate(campaigns["signed"].proposals.filter(status=Proposal.Status.APPROVED).order_by("pk")):
        approval.proposal_sign(
            user=manager,
            proposal_id=proposal.pk,
            contract_number=f"LXNS-{DEMO_START_DATE.year}-ZC{n + 1:04d}",
            signed_on=DATES["signed_on"],
        )
    business_date_set(business_date=DATES["submit"])
    approval.batch_submit(user=manager, campaign_id=campaigns["approval"].pk)
    business_date_set(business_date=DATES["notice"])
    approval.notice_publish(user=manager, campaign_id=campaigns["notice"].pk, objection_phone=phone)
