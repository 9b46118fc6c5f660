"""Refusals of money requests (API.md 422 codes), each with a Chinese message through gettext."""

from django.utils.translation import gettext_lazy as _

from puhui.core.errors import RuleRefused

MESSAGES = {
    "line_not_active": _("The credit line is not active."),
    "line_expired": _("The credit line has expired."),
    "line_frozen": _("The credit line is frozen (a loan is overdue or classified special mention or worse)."),
    "exceeds_available": _("The amount exceeds the available credit."),
    "invalid_amount": _("The amount must be more than 0.00 yuan with at most two decimals."),
    "exceeds_amount_due": _("The amount exceeds everything owed on this line."),
    "invalid_channel": _("This channel is not allowed here."),
    "invalid_transition": _("The credit line cannot move from its current status to the one asked for."),
    "line_has_balance": _("The credit line still has a balance; it can be closed once everything is repaid."),
    "reversal_not_possible": _("This posting can no longer be reversed: later postings depend on it."),
    "already_reversed": _("This posting has already been reversed, or is itself a reversal."),
    "eod_not_business_date": _("End of day can only close the current business date."),
    "eod_already_closed": _("End of day has already closed this business date."),
    "eod_too_many_days": _("One end-of-day job closes at most a year of business dates; choose an earlier date."),
    "eod_in_progress": _("End of day is already running; wait for it to finish."),
}


class CreditRefused(RuleRefused):
    """A business rule refused the request; nothing was posted."""

    MESSAGES = MESSAGES
