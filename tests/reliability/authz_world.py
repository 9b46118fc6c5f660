"""The objects of the authorization matrix, built once through the project's own services.

Three villages go through the whole-village workflow: 诸葛村 (inside every staff role's scope: the account
manager's grid, the liaison's village, the branch manager's branch); 长乐村, the neighbour (same township and
branch, another account manager's grid: inside the branch manager's scope, outside the account manager's and
the liaison's); and 下陈村 in 游埠镇 (another branch: outside every scope but the city-wide roles'). Each gets
households with members and photos, a campaign with a closed round whose proposals were noticed, objected to,
approved in a batch and signed (so a credit line with a drawdown exists), and a second, open round for the
evaluator pages; the evaluator sits on 诸葛村's panel only. The farmer is a member of 诸葛村's signed household.
"""

import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from puhui.core.models import JobRun
from puhui.core.services import api_token_issue, business_date_set
from puhui.credit.eod import EOD_JOB
from puhui.credit.models import CreditLine, Journal
from puhui.credit.services import line_drawdown
from puhui.deliberation import approval, granting
from puhui.deliberation.models import (
    Campaign,
    Exclusion,
    Notice,
    Objection,
    PanelMember,
    Proposal,
    Round,
    RoundHousehold,
)
from puhui.deliberation.services import ballot_submit, campaign_launch, panel_member_add, round_open, vote_save
from puhui.households.models import Household, Person, Photo
from puhui.households.photos import photo_add
from puhui.org import roles
from puhui.org.models import Grid, User, Village
from tests.conftest import make_user

START = datetime.date(2017, 5, 2)
ANONYMOUS = "anonymous"
GOOD_VOTE = {
    "knows_household": True,
    "integrity": "very_good",
    "debt": "none",
    "suggested_fen": 15_000_000,
    "habits": [],
    "informal_high_interest": False,
}


@dataclass
class Side:
    """Everything of one village: the objects a route addresses, inside or outside a role's scope."""

    village: Village
    household: Household  # signed, has the line
    person: Person  # a spouse (deletable, revealable)
    photo: Photo
    campaign: Campaign
    closed_round: Round
    open_round: Round
    open_photo: Photo  # a photo of the open round's household
    proposal: Proposal  # signed
    pending_proposal: Proposal  # approved, not signed
    objection: Objection
    notice: Notice
    line: CreditLine
    journal: Journal
    import_job: JobRun


@dataclass
class Objects:
    users: dict[str, User]  # one per role code
    inside: Side
    neighbour: Side
    outside: Side
    eod_job: JobRun
    sessions: dict[str, str] = field(default_factory=dict)  # role → session key
    tokens: dict[str, str] = field(default_factory=dict)  # role → raw bearer token
    kpi: dict = field(default_factory=dict)  # authz_kpi.kpi_objects_build


def jpeg_upload(name: str = "house.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _household(village, grid, number: str) -> tuple[Household, Person]:
    household = Household.objects.create(
        village=village,
        grid=grid,
        number=number,
        annual_net_income_fen=9_000_000,
        total_assets_fen=60_000_000,
        debts_fen=2_000_000,
    )
    Person.objects.create(
        household=household, relation="head", name=f"张{number}", birth_date=datetime.date(1975, 3, 1)
    )
    spouse = Person.objects.create(
        household=household, relation="spouse", name=f"李{number}", birth_date=datetime.date(1977, 1, 1)
    )
    return household, spouse


def _import_job(owner, name: str, folder: Path) -> JobRun:
    """A finished household import of `owner` with an error workbook on disk (what the import leaves)."""
    source = folder / f"{name}.xlsx"
    source.write_bytes(b"")
    source.with_suffix(".errors.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    return JobRun.objects.create(
        kind="household_import",
        owner=owner,
        status=JobRun.Status.SUCCEEDED,
        input_name=source.name,
        input_path=str(source),
        result={"error_report_url": "/errors.xlsx", "rejected_households": 1},
    )


@dataclass
class _Draft:
    village: Village
    manager: User
    panel: list
    households: list
    spouses: list
    photos: list
    campaign: Campaign | None = None
    closed_round: Round | None = None
    open_round: Round | None = None


def _draft(village, manager, panel, prefix: str) -> _Draft:
    grid = Grid.objects.get(village=village, account_manager=manager)
    campaign = campaign_launch(user=manager, village=village, plan_year=2017, kind=Campaign.Kind.PILOT)
    made = [_household(village, grid, f"{prefix}{n}") for n in (1, 2, 3)]
    photos = [photo_add(user=manager, household=h, kind="house", upload=jpeg_upload()) for h, _ in made]
    for user in panel:
        panel_member_add(user=manager, campaign=campaign, evaluator=user, category=PanelMember.Category.REPRESENTATIVE)
    draft = _Draft(village, manager, panel, [h for h, _ in made], [s for _, s in made], photos, campaign)
    draft.closed_round = round_open(user=manager, campaign=campaign, households=draft.households[:2])
    for user in panel:
        member = PanelMember.objects.get(campaign=campaign, user=user)
        excluded = Exclusion.objects.filter(round=draft.closed_round, member=member).values("household_id")
        for entry in RoundHousehold.objects.filter(round=draft.closed_round).exclude(household_id__in=excluded):
            vote_save(user=user, entry_id=entry.pk, answers=GOOD_VOTE)
        ballot_submit(user=user, round_id=draft.closed_round.pk)
    granting.village_batch_close(user=manager, round_id=draft.closed_round.pk)
    for proposal in Proposal.objects.filter(campaign=campaign):
        granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=True, reason="人行征信查询正常")
    draft.open_round = round_open(user=manager, campaign=campaign, households=draft.households[2:])
    return draft


def _finish(draft: _Draft, checker: User, notice: Notice, folder: Path) -> Side:
    campaign = draft.campaign
    first, second = Proposal.objects.filter(campaign=campaign).order_by("household__number")
    objection = approval.objection_record(user=draft.manager, proposal_id=first.pk, content="邻居反映情况")
    approval.objection_resolve(user=draft.manager, objection_id=objection.pk, resolution="经核实不属实")
    batch = first.batch
    approval.batch_decide(user=checker, batch_id=batch.pk, approve=True, reason="同意授信")
    signed = approval.proposal_sign(
        user=draft.manager, proposal_id=first.pk, contract_number=f"HT-{first.pk}", signed_on=notice.ends_on
    )
    line = CreditLine.objects.get(pk=signed.line_id)
    line_drawdown(user=draft.manager, line_id=line.pk, amount_fen=1_000_000, channel="field", purpose="茶叶")
    return Side(
        village=draft.village,
        household=draft.households[0],
        person=draft.spouses[0],
        photo=draft.photos[0],
        campaign=campaign,
        closed_round=draft.closed_round,
        open_round=draft.open_round,
        open_photo=draft.photos[2],
        proposal=Proposal.objects.get(pk=signed.pk),
        pending_proposal=Proposal.objects.get(pk=second.pk),
        objection=objection,
        notice=notice,
        line=line,
        journal=line.journals.order_by("-pk").first(),
        import_job=_import_job(draft.manager, draft.village.code, folder),
    )


def objects_build(world, folder: Path) -> Objects:
    """The three villages through the workflow (dates shared), then a token per role; files under `folder`."""
    business_date_set(business_date=START)
    users = world.users
    evaluators = [make_user(f"authz-eval{n}", roles.EVALUATOR) for n in range(1, 6)]
    out_manager = User.objects.get(username="manager3")
    inside = _draft(world.village_mine, users[roles.ACCOUNT_MANAGER], [users[roles.EVALUATOR], *evaluators[:4]], "N")
    outside = _draft(world.village_out, out_manager, evaluators, "W")
    neighbour = _draft(world.village_other, User.objects.get(username="manager2"), evaluators, "C")
    inside.households[0].members.filter(relation="head").update(user=users[roles.FARMER])
    notices = []
    for draft in (inside, neighbour, outside):
        notice = approval.notice_publish(
            user=draft.manager, campaign_id=draft.campaign.pk, objection_phone="0579-88888888"
        )
        notices.append(notice)
        approval.batch_submit(user=draft.manager, campaign_id=draft.campaign.pk)
    business_date_set(business_date=notices[0].ends_on + datetime.timedelta(days=1))
    branch_out = make_user("authz-branch-out", roles.BRANCH_MANAGER, branch=world.branch_out)
    objects = Objects(
        users=users,
        inside=_finish(inside, users[roles.BRANCH_MANAGER], notices[0], folder),
        neighbour=_finish(neighbour, users[roles.BRANCH_MANAGER], notices[1], folder),
        outside=_finish(outside, branch_out, notices[2], folder),
        eod_job=JobRun.objects.create(kind=EOD_JOB, owner=users[roles.HEAD_OFFICE], status=JobRun.Status.SUCCEEDED),
    )
    for code, user in users.items():
        objects.tokens[code], _token = api_token_issue(user=user)
    admin_rows_ensure()
    return objects


def admin_rows_ensure() -> None:
    """A row of each admin model the workflow leaves empty, so its change, delete and history pages exist."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    seen = {"user_agent": "authz", "ip_address": "127.0.0.1", "username": "somebody", "http_accept": "*/*"}
    AccessAttempt.objects.create(**seen, path_info="/login/", get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen, path_info="/login/")
    AccessLog.objects.create(**seen, path_info="/login/")
    DBTaskResult.objects.create(
        task_path="puhui.credit.tasks.eod_job",
        args_kwargs={"args": [0], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
