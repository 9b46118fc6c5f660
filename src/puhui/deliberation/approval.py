"""公示 → 审批 → 面签激活 (DOMAIN §3 steps 7–9): the public notice and its objections, the maker–checker
approval of a village batch within authority tiers, and the face-to-face signing that activates the line."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from puhui.core.audit import set_actor
from puhui.core.selectors import business_date_current
from puhui.credit.services import line_activate
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.models import ApprovalBatch, Campaign, Notice, Objection, Proposal
from puhui.deliberation.selectors import deliberation_rules
from puhui.org import roles

FINAL = (Proposal.Status.REFUSED, Proposal.Status.NO_CREDIT, Proposal.Status.REJECTED, Proposal.Status.SIGNED)


def notice_last_day(starts_on: datetime.date, days: int) -> datetime.date:
    """The notice is up `days` days from the day it is posted; approval may come the day after the last."""
    return starts_on + datetime.timedelta(days=days - 1)


@transaction.atomic
def notice_publish(*, user, campaign_id: int, objection_phone: str) -> Notice:
    """公示: post every proposal not yet posted; the notice runs the configured number of days from today."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if not objection_phone.strip():
        raise DeliberationRefused("objection_phone_required")
    waiting = campaign.proposals.filter(status=Proposal.Status.PROPOSED, notice__isnull=True)
    if not waiting.exists():
        raise DeliberationRefused("nothing_to_notice")
    today = business_date_current()
    with set_actor(user):
        notice = Notice.objects.create(
            campaign=campaign,
            starts_on=today,
            ends_on=notice_last_day(today, deliberation_rules().notice_days),
            objection_phone=objection_phone.strip()[:20],
            created_by=user,
        )
        waiting.update(notice=notice)
        Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.NOTICE)
    return notice


@transaction.atomic
def objection_record(*, user, proposal_id: int, content: str) -> Objection:
    """异议: the household goes back to review; it cannot be approved while the objection is open."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if not content.strip():
        raise DeliberationRefused("reason_required")
    with set_actor(user):
        objection = Objection.objects.create(
            proposal=proposal, raised_on=business_date_current(), content=content.strip(), recorded_by=user
        )
        if proposal.status in (Proposal.Status.PROPOSED, Proposal.Status.SUBMITTED):
            proposal.status = Proposal.Status.OBJECTED
            proposal.save(update_fields=["status"])
    return objection


@transaction.atomic
def objection_resolve(*, user, objection_id: int, resolution: str) -> Objection:
    """The objection answered in writing; the proposal returns to where it was once none is open."""
    objection = Objection.objects.select_for_update().select_related("proposal").get(pk=objection_id)
    if not resolution.strip():
        raise DeliberationRefused("reason_required")
    with set_actor(user):
        objection.status, objection.resolution = Objection.Status.RESOLVED, resolution.strip()
        objection.resolved_by, objection.resolved_at = user, timezone.now()
        objection.save()
        proposal = objection.proposal
        if proposal.status == Proposal.Status.OBJECTED and not proposal.objections.filter(status="open").exists():
            proposal.status = Proposal.Status.SUBMITTED if proposal.batch_id else Proposal.Status.PROPOSED
            proposal.save(update_fields=["status"])
    return objection


@transaction.atomic
def batch_submit(*, user, campaign_id: int) -> ApprovalBatch:
    """提交审批 (maker): every posted proposal of the village without an open objection, as one batch."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    ready = campaign.proposals.filter(status=Proposal.Status.PROPOSED, notice__isnull=False, batch__isnull=True)
    if not ready.exists():
        raise DeliberationRefused("nothing_to_submit")
    with set_actor(user):
        batch = ApprovalBatch.objects.create(campaign=campaign, submitted_by=user, submitted_at=timezone.now())
        ready.update(batch=batch, status=Proposal.Status.SUBMITTED)
        Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.APPROVAL)
    return batch


def _decidable(user, proposal: Proposal, today: datetime.date) -> None:
    """Every rule a checker's decision must pass; a refusal changes nothing."""
    if proposal.status == Proposal.Status.OBJECTED or proposal.objections.filter(status="open").exists():
        raise DeliberationRefused("objection_open")
    if proposal.status != Proposal.Status.SUBMITTED:
        raise DeliberationRefused("not_submitted")
    if proposal.batch.submitted_by_id == user.pk:
        raise DeliberationRefused("maker_is_checker")
    if today <= proposal.notice.ends_on:
        raise DeliberationRefused("notice_not_ended", ends_on=proposal.notice.ends_on.isoformat())
    if not user.has_role(roles.HEAD_OFFICE) and (
        not user.has_role(roles.BRANCH_MANAGER) or proposal.limit_fen > deliberation_rules().branch_authority_fen
    ):
        raise DeliberationRefused("above_authority")


@transaction.atomic
def proposal_decide(*, user, proposal_id: int, approve: bool, reason: str) -> Proposal:
    """审批 (checker ≠ maker): approve or reject one proposal, with a reason."""
    proposal = Proposal.objects.select_for_update(of=("self",)).select_related("batch", "notice").get(pk=proposal_id)
    _decidable(user, proposal, business_date_current())
    if not reason.strip():
        raise DeliberationRefused("reason_required")
    with set_actor(user):
        proposal.status = Proposal.Status.APPROVED if approve else Proposal.Status.REJECTED
        proposal.decided_by, proposal.decided_at, proposal.decision_reason = user, timezone.now(), reason.strip()
        proposal.save()
        _batch_progress(proposal.batch)
    return proposal


@transaction.atomic
def batch_decide(*, user, batch_id: int, approve: bool, reason: str) -> list[Proposal]:
    """The whole batch at once: every proposal must pass the checks, or nothing is decided."""
    proposals = list(
        Proposal.objects.select_for_update(of=("self",))
        .select_related("batch", "notice")
        .filter(batch_id=batch_id, status__in=[Proposal.Status.SUBMITTED, Proposal.Status.OBJECTED])
        .order_by("pk")
    )
    if not proposals:
        raise DeliberationRefused("not_submitted")
    return [proposal_decide(user=user, proposal_id=p.pk, approve=approve, reason=reason) for p in proposals]


def _batch_progress(batch: ApprovalBatch) -> None:
    if not batch.proposals.filter(status__in=[Proposal.Status.SUBMITTED, Proposal.Status.OBJECTED]).exists():
        ApprovalBatch.objects.filter(pk=batch.pk).update(status=ApprovalBatch.Status.DECIDED)
        Campaign.objects.filter(pk=batch.campaign_id).update(stage=Campaign.Stage.SIGNING)


@transaction.atomic
def proposal_sign(*, user, proposal_id: int, contract_number: str, signed_on: datetime.date) -> Proposal:
    """面谈面签: recorded signing → the line is active for three years from the signing day."""
    proposal = Proposal.objects.select_for_update().select_related("household").get(pk=proposal_id)
    if proposal.status != Proposal.Status.APPROVED:
        raise DeliberationRefused("not_approved")
    if not contract_number.strip():
        raise DeliberationRefused("contract_number_required")
    if signed_on > business_date_current():
        raise DeliberationRefused("signed_in_future")
    line = line_activate(
        user=user,
        household=proposal.household,
        borrower=proposal.borrower,
        limit_fen=proposal.limit_fen,
        grade=proposal.grade,
        rate=proposal.rate,
        start_date=signed_on,
    )
    with set_actor(user):
        proposal.status, proposal.line = Proposal.Status.SIGNED, line
        proposal.contract_number, proposal.signed_on, proposal.signed_by = contract_number.strip()[:40], signed_on, user
        proposal.verification_code = secrets.token_urlsafe(18)
        proposal.save()
        if not proposal.campaign.proposals.exclude(status__in=FINAL).exists():
            Campaign.objects.filter(pk=proposal.campaign_id).update(stage=Campaign.Stage.DONE)
    return proposal
