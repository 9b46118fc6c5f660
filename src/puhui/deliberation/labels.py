"""Chinese (gettext) labels of the rule modules' codes, for staff pages: screening reasons, scorecard items,
what bound a limit and the deliberation vetoes. A code without a label is shown as it is."""

from django.utils.translation import gettext_lazy as _

SCREEN_REASONS = {
    "bureau_current_overdue": _("current overdue at the credit bureau"),
    "bureau_non_performing": _("non-performing balance at the credit bureau"),
    "serving_sentence": _("serving a sentence"),
    "drug_record": _("drug record"),
    "deliberation_veto": _("refused by deliberation"),
    "bureau_missing": _("no credit-bureau record"),
    "litigation_defendant": _("defendant in litigation"),
    "settled_overdue_recent": _("an overdue settled within the look-back period"),
    "age_outside_range": _("borrower's age outside the range"),
    "age_unknown": _("borrower's age unknown"),
    "informal_high_interest": _("informal high-interest borrowing reported by the panel"),
}
SCORE_ITEMS = {
    "household_size": _("household size"),
    "working_members": _("working members"),
    "assets_vs_median": _("total assets against the village median"),
    "net_assets": _("net assets"),
    "bank_shareholding": _("bank shareholding"),
    "income_vs_median": _("net income against the village median"),
    "panel_score": _("panel score"),
    "repayment_history": _("repayment history"),
}
LIMIT_REASONS = {
    "limit_by_grade_cap": _("bound by the grade's cap"),
    "limit_by_panel": _("bound by the panel's amount"),
    "limit_by_capacity": _("bound by repayment capacity"),
    "limit_below_minimum": _("below the minimum line"),
    "no_grade": _("below grade A"),
}
VETOES = {
    "veto_gambling": _("gambling flagged by the panel"),
    "veto_drugs": _("drugs flagged by the panel"),
    "veto_alcoholism": _("alcoholism flagged by the panel"),
    "veto_other": _("bad habit flagged by the panel"),
    "veto_refusals": _("refused by more than a third of the panel"),
}
