"""Refusals of the deliberation and granting workflow, each with a Chinese message through gettext."""

from django.utils.translation import gettext_lazy as _

from puhui.core.errors import RuleRefused

MESSAGES = {
    "campaign_exists": _("This village already has a campaign for this plan year."),
    "wrong_stage": _("The campaign is not at a stage where this can be done."),
    "panel_too_small": _("The panel needs at least %(minimum)s evaluators before a round can open."),
    "not_an_evaluator": _("Only evaluator accounts can sit on a panel."),
    "household_not_in_village": _("A household is not in this campaign's village."),
    "household_in_open_round": _("A household is already in an open round or has passed deliberation."),
    "round_closed": _("The round is closed; votes can no longer change."),
    "round_open": _("The round is still open."),
    "ballot_submitted": _("Your votes for this round have been submitted and can no longer change."),
    "excluded": _("You may not rate this household (conflict of interest)."),
    "invalid_vote": _(
        "The vote is incomplete or contradictory: answer whether you know the household and, if so, "
        "every question and an amount (0 to refuse, with a reason)."
    ),
    "not_on_panel": _("You do not sit on this round's panel."),
    "votes_missing": _("Rate every household of the round before submitting (%(missing)s left)."),
    "grey_reason_required": _("A grey-list decision needs a written reason."),
    "not_grey": _("Only a grey-list proposal waits for this decision."),
    "nothing_to_notice": _("No proposals are waiting to be posted."),
    "objection_phone_required": _("Give the phone number for objections."),
    "nothing_to_submit": _("No proposals are ready to submit: they must be posted and free of objections."),
    "maker_is_checker": _("The person who submitted a proposal cannot approve it (four eyes)."),
    "above_authority": _("This limit is above your approval authority; the head office approves it."),
    "notice_not_ended": _("The public notice period has not ended yet (it ends on %(ends_on)s)."),
    "objection_open": _("An objection to this household is still open; resolve it first."),
    "reason_required": _("Give a reason for the decision."),
    "not_submitted": _("The proposal is not awaiting approval."),
    "not_approved": _("Only an approved proposal can be signed."),
    "contract_number_required": _("Give the contract number."),
    "signed_in_future": _("The signing date cannot be after the business date."),
}


class DeliberationRefused(RuleRefused):
    """A workflow rule refused the action; nothing was changed."""

    MESSAGES = MESSAGES
