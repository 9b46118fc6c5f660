"""Staff pages of whole-village credit: campaigns and where each household stands, panels and rounds,
proposals (screening, rating, grey decisions, objections, signing) and the village approval batch."""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from puhui.core.selectors import business_date_current
from puhui.deliberation import approval, granting, labels, selectors, services
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.export import batch_workbook
from puhui.deliberation.forms import CampaignForm, DecisionForm, NoticeForm, PanelMemberForm, ReasonForm, SigningForm
from puhui.deliberation.models import Campaign, Objection, Proposal, RoundHousehold
from puhui.org import roles
from puhui.org.models import User, Village
from puhui.web.views import staff_required

MAKERS = (roles.HEAD_OFFICE, roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER)
CHECKERS = (roles.HEAD_OFFICE, roles.BRANCH_MANAGER)


def _roles_required(*codes):
    def decorator(view):
        @staff_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_role(code) for code in codes):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _refusal_back(request, exc: DeliberationRefused, to: str, *args):
    messages.error(request, exc.message)
    return redirect(to, *args)


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_list(request):
    may_launch = any(request.user.has_role(code) for code in MAKERS)
    form = CampaignForm(request.POST or None, villages=Village.objects.visible_to(request.user).order_by("code"))
    if request.method == "POST":
        if not may_launch:
            raise PermissionDenied
        if form.is_valid():
            try:
                campaign = services.campaign_launch(user=request.user, **form.cleaned_data)
            except DeliberationRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Campaign launched."))
                return redirect("campaign-detail", campaign.pk)
    page = Paginator(selectors.campaign_list(user=request.user), 50).get_page(request.GET.get("page"))
    awaiting = selectors.batches_awaiting(user=request.user)
    context = {"page": page, "form": form, "may_launch": may_launch, "awaiting": awaiting}
    return render(request, "deliberation/campaign_list.html", context)


@staff_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    households = Paginator(selectors.campaign_households(campaign), 50).get_page(request.GET.get("page"))
    evaluators = User.objects.filter(groups__name=roles.EVALUATOR, is_active=True).order_by("username")
    context = {
        "campaign": campaign,
        "stages": Campaign.Stage.choices,
        "stage_index": [code for code, _ in Campaign.Stage.choices].index(campaign.stage),
        "panel": campaign.panel.select_related("user").order_by("user__username"),
        "rounds": campaign.rounds.order_by("-number"),
        "households": households,
        "outcome_labels": dict(RoundHousehold.Outcome.choices),
        "proposal_labels": dict(Proposal.Status.choices),
        "ready": selectors.households_ready_for_round(campaign).count(),
        "proposals_waiting": campaign.proposals.filter(status=Proposal.Status.PROPOSED, notice__isnull=True).count(),
        "notices": campaign.notices.order_by("-starts_on"),
        "batches": campaign.batches.order_by("-submitted_at"),
        "panel_form": PanelMemberForm(evaluators=evaluators),
        "notice_form": NoticeForm(),
        "may_act": any(request.user.has_role(code) for code in MAKERS),
    }
    return render(request, "deliberation/campaign_detail.html", context)


@_roles_required(*MAKERS)
@require_POST
def panel_add(request, pk: int):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    evaluators = User.objects.filter(groups__name=roles.EVALUATOR, is_active=True)
    form = PanelMemberForm(request.POST, evaluators=evaluators)
    if form.is_valid():
        try:
            services.panel_member_add(user=request.user, campaign=campaign, **form.cleaned_data)
        except DeliberationRefused as exc:
            return _refusal_back(request, exc, "campaign-detail", pk)
        messages.success(request, _("Panel member added."))
    else:
        messages.error(request, _("Choose an evaluator and a category."))
    return redirect("campaign-detail", pk)


@_roles_required(*MAKERS)
@require_POST
def round_start(request, pk: int):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    households = list(selectors.households_ready_for_round(campaign))
    try:
        round_ = services.round_open(user=request.user, campaign=campaign, households=households)
    except DeliberationRefused as exc:
        return _refusal_back(request, exc, "campaign-detail", pk)
    messages.success(
        request, _("Round %(n)s opened for %(h)s households.") % {"n": round_.number, "h": len(households)}
    )
    return redirect("round-detail", round_.pk)


@_roles_required(*MAKERS)
@require_POST
def notice_publish(request, pk: int):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    form = NoticeForm(request.POST)
    try:
        phone = form.data.get("objection_phone", "")
        notice = approval.notice_publish(user=request.user, campaign_id=campaign.pk, objection_phone=phone)
    except DeliberationRefused as exc:
        return _refusal_back(request, exc, "campaign-detail", pk)
    messages.success(request, _("Notice posted until %(day)s.") % {"day": notice.ends_on.isoformat()})
    return redirect("campaign-detail", pk)


@_roles_required(*MAKERS)
@require_POST
def batch_submit(request, pk: int):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    try:
        batch = approval.batch_submit(user=request.user, campaign_id=campaign.pk)
    except DeliberationRefused as exc:
        return _refusal_back(request, exc, "campaign-detail", pk)
    messages.success(request, _("The village batch was submitted for approval."))
    return redirect("batch-detail", batch.pk)


@staff_required
@require_GET
def round_detail(request, pk: int):
    round_ = selectors.round_get(user=request.user, pk=pk)
    closed = round_.status == round_.Status.CLOSED
    may_see_votes = closed and request.user.has_role(roles.AUDITOR)
    context = {
        "round": round_,
        "ballots": selectors.round_submissions(round_),
        "exclusions": selectors.round_exclusions(round_),
        # aggregates only once closed; single votes only for auditors after closing (blind)
        "entries": round_.entries.select_related("household").order_by("household__number") if closed else None,
        "votes": selectors.round_votes(user=request.user, round_=round_) if may_see_votes else None,
        "veto_labels": labels.VETOES,
        "may_act": any(request.user.has_role(code) for code in MAKERS),
    }
    return render(request, "deliberation/round_detail.html", context)


@_roles_required(*MAKERS)
@require_POST
def round_close(request, pk: int):
    round_ = selectors.round_get(user=request.user, pk=pk)
    try:
        counts = granting.village_batch_close(user=request.user, round_id=round_.pk)
    except DeliberationRefused as exc:
        return _refusal_back(request, exc, "round-detail", pk)
    messages.success(
        request,
        _("Round closed: %(n)s proposals made.")
        % {"n": sum(v for k, v in counts.items() if k.startswith("proposals_"))},
    )
    return redirect("campaign-detail", round_.campaign_id)


@staff_required
@require_GET
def proposal_detail(request, pk: int):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    context = {
        "proposal": proposal,
        "objections": proposal.objections.select_related("recorded_by", "resolved_by").order_by("pk"),
        "reason_form": ReasonForm(),
        "decision_form": DecisionForm(),
        "signing_form": SigningForm(initial={"signed_on": business_date_current()}),
        "may_act": any(request.user.has_role(code) for code in MAKERS),
        "may_decide": any(request.user.has_role(code) for code in CHECKERS),
        "screen_labels": labels.SCREEN_REASONS,
        "item_labels": labels.SCORE_ITEMS,
        "limit_labels": labels.LIMIT_REASONS,
    }
    return render(request, "deliberation/proposal_detail.html", context)


def _proposal_action(request, pk: int, act) -> object:
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    try:
        act(proposal)
    except DeliberationRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("proposal-detail", pk)


@_roles_required(*MAKERS)
@require_POST
def proposal_grey(request, pk: int):
    accept = request.POST.get("decision") == "approve"
    reason = request.POST.get("reason", "")
    return _proposal_action(
        request, pk, lambda p: granting.grey_decide(user=request.user, proposal_id=p.pk, accept=accept, reason=reason)
    )


@_roles_required(*MAKERS)
@require_POST
def objection_add(request, pk: int):
    content = request.POST.get("reason", "")
    return _proposal_action(
        request, pk, lambda p: approval.objection_record(user=request.user, proposal_id=p.pk, content=content)
    )


@_roles_required(*MAKERS)
@require_POST
def objection_resolve(request, pk: int, objection_id: int):
    resolution = request.POST.get("reason", "")

    def act(proposal):
        objection = Objection.objects.filter(pk=objection_id, proposal=proposal).first()
        if objection is None:
            raise DeliberationRefused("reason_required")
        approval.objection_resolve(user=request.user, objection_id=objection.pk, resolution=resolution)

    return _proposal_action(request, pk, act)


@_roles_required(*CHECKERS)
@require_POST
def proposal_decide(request, pk: int):
    approve, reason = request.POST.get("decision") == "approve", request.POST.get("reason", "")
    return _proposal_action(
        request,
        pk,
        lambda p: approval.proposal_decide(user=request.user, proposal_id=p.pk, approve=approve, reason=reason),
    )


@_roles_required(*MAKERS)
@require_POST
def proposal_sign(request, pk: int):
    form = SigningForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the contract number and the signing date."))
        return redirect("proposal-detail", pk)
    return _proposal_action(
        request, pk, lambda p: approval.proposal_sign(user=request.user, proposal_id=p.pk, **form.cleaned_data)
    )


@staff_required
@require_GET
def batch_detail(request, pk: int):
    batch = selectors.batch_get(user=request.user, pk=pk)
    context = {
        "batch": batch,
        "proposals": batch.proposals.select_related("household", "borrower", "notice").order_by("household__number"),
        "decision_form": DecisionForm(),
        "may_decide": any(request.user.has_role(code) for code in CHECKERS),
    }
    return render(request, "deliberation/batch_detail.html", context)


@_roles_required(*CHECKERS)
@require_POST
def batch_decide(request, pk: int):
    batch = selectors.batch_get(user=request.user, pk=pk)
    approve, reason = request.POST.get("decision") == "approve", request.POST.get("reason", "")
    try:
        decided = approval.batch_decide(user=request.user, batch_id=batch.pk, approve=approve, reason=reason)
    except DeliberationRefused as exc:
        return _refusal_back(request, exc, "batch-detail", pk)
    messages.success(request, _("%(n)s proposals decided.") % {"n": len(decided)})
    return redirect("batch-detail", pk)


@staff_required
@require_GET
def batch_export(request, pk: int):
    batch = selectors.batch_get(user=request.user, pk=pk)
    proposals = batch.proposals.select_related("household", "borrower", "entry", "notice", "decided_by").order_by(
        "household__number"
    )
    response = HttpResponse(
        batch_workbook(batch, proposals),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    title = quote(f"{_('Whole-village credit batch approval sheet')}-{batch.pk}.xlsx")
    response["Content-Disposition"] = f"attachment; filename=\"batch-{batch.pk}.xlsx\"; filename*=UTF-8''{title}"
    return response
