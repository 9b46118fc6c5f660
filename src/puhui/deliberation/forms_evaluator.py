"""The evaluator's vote form (背靠背评议 on the phone): it only parses the taps and the amount into the answers
that `services.vote_save` takes; the service decides whether they form a vote."""

from django import forms
from django.utils.translation import gettext_lazy as _

from puhui.core.ids import InvalidValue, fen_to_yuan_str, money_to_fen
from puhui.core.validation_messages import invalid_value_message
from puhui.deliberation.aggregate import Debt, Habit, Integrity

YES, NO = "yes", "no"
YES_NO = ((YES, _("Yes")), (NO, _("No")))
INTEGRITY_CHOICES = (
    (Integrity.VERY_GOOD.value, _("Very good")),
    (Integrity.GOOD.value, _("Good")),
    (Integrity.FAIR.value, _("Fair")),
    (Integrity.POOR.value, _("Poor")),
)
HABIT_CHOICES = (
    (Habit.GAMBLING.value, _("Gambling")),
    (Habit.DRUGS.value, _("Drugs")),
    (Habit.ALCOHOLISM.value, _("Alcoholism")),
    (Habit.OTHER.value, _("Other habit")),
)
DEBT_CHOICES = (
    (Debt.NONE.value, _("No debts")),
    (Debt.LITTLE.value, _("Some debts")),
    (Debt.HIGH.value, _("High debts")),
)
# 拒绝理由: the codes stored in Vote.refusal_reasons and tallied by the aggregation.
REFUSAL_REASONS = (
    ("business_unknown", _("Business not understood")),
    ("debt_too_high", _("Debts too high")),
    ("repayment_capacity", _("Weak repayment capacity")),
    ("conduct", _("Conduct concerns")),
    ("other", _("Other reason")),
)
# The choice error never repeats the submitted value: vote content stays out of every message.
CHOICE_ERRORS = {"invalid_choice": _("Choose one of the buttons."), "invalid_list": _("Choose one of the buttons.")}


def _choice(choices) -> forms.ChoiceField:
    return forms.ChoiceField(choices=choices, required=False, error_messages=CHOICE_ERRORS)


def _choices(choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(choices=choices, required=False, error_messages=CHOICE_ERRORS)


class VoteForm(forms.Form):
    """One household's answers. Every field may be empty: an unfinished card is not an error."""

    knows = _choice(YES_NO)
    integrity = _choice(INTEGRITY_CHOICES)
    habits = _choices(HABIT_CHOICES)
    debt = _choice(DEBT_CHOICES)
    high_interest = _choice(YES_NO)
    amount = forms.CharField(required=False, max_length=20)
    refusal_reasons = _choices(REFUSAL_REASONS)

    QUESTIONS = {
        "integrity": _("Integrity"),
        "debt": _("Household debt"),
        "high_interest": _("Informal high-interest borrowing"),
        "amount": _("Suggested credit line"),
        "refusal_reasons": _("Refusal reasons"),
    }

    def clean_amount(self) -> int | None:
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            return money_to_fen(text)
        except InvalidValue as exc:
            raise forms.ValidationError(invalid_value_message(exc)) from None

    def refusing(self) -> bool:
        return self.cleaned_data.get("amount") == 0

    def started(self) -> bool:
        """Whether the evaluator answered anything at all on this card."""
        return bool(self.cleaned_data.get("knows"))

    def missing(self) -> list[str]:
        """The questions still to answer before the card is a vote (after is_valid)."""
        data = self.cleaned_data
        if data.get("knows") == NO:
            return []
        if not data.get("knows"):
            return [str(_("Do you know this household?"))]
        wanted = ["integrity", "debt", "high_interest"]
        empty = [name for name in wanted if not data.get(name)]
        if data.get("amount") is None:
            empty.append("amount")
        elif self.refusing() and not data.get("refusal_reasons"):
            empty.append("refusal_reasons")
        return [str(self.QUESTIONS[name]) for name in empty]

    def answers(self) -> dict:
        """The answers for `services.vote_save`; call only when valid and nothing is missing."""
        data = self.cleaned_data
        if data["knows"] == NO:
            return {"knows_household": False}
        return {
            "knows_household": True,
            "integrity": data["integrity"],
            "habits": sorted(data["habits"]),
            "debt": data["debt"],
            "informal_high_interest": data["high_interest"] == YES,
            "suggested_fen": data["amount"],
            # the reasons hide (and are dropped) as soon as the amount is not a refusal
            "refusal_reasons": sorted(data["refusal_reasons"]) if self.refusing() else [],
        }

    @staticmethod
    def initial_from(vote) -> dict:
        """The form's values from the evaluator's own saved vote (shown back only to its author)."""
        if vote is None:
            return {}
        if not vote.knows_household:
            return {"knows": NO}
        amount = "" if vote.suggested_fen is None else fen_to_yuan_str(vote.suggested_fen).removesuffix(".00")
        return {
            "knows": YES,
            "integrity": vote.integrity,
            "habits": list(vote.habits),
            "debt": vote.debt,
            "high_interest": YES if vote.informal_high_interest else NO,
            "amount": amount,
            "refusal_reasons": list(vote.refusal_reasons),
        }
