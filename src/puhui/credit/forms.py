"""Forms of the credit pages: they only parse the amount and channel; the money services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from puhui.core.ids import InvalidValue, money_to_fen
from puhui.core.validation_messages import invalid_value_message
from puhui.credit.errors import CreditRefused
from puhui.credit.models import Loan

STAFF_CHANNELS = (Loan.Channel.COUNTER, Loan.Channel.FIELD, Loan.Channel.AGENT)


class AmountForm(forms.Form):
    """An amount in yuan with at most two decimals, parsed to integer fen (never a float)."""

    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg",
                "inputmode": "decimal",
                "autocomplete": "off",
                "placeholder": "0.00",
            }
        ),
    )

    def clean_amount(self) -> int:
        try:
            amount_fen = money_to_fen(self.cleaned_data["amount"])
        except InvalidValue as exc:
            raise forms.ValidationError(invalid_value_message(exc)) from None
        if amount_fen <= 0:
            raise forms.ValidationError(CreditRefused("invalid_amount").message)
        return amount_fen


class DrawForm(AmountForm):
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=60,
        required=False,
        help_text=_("Name 美丽家园 or 美丽田园 if the loan is for one of these programmes: it then counts for it."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "autocomplete": "off"}),
    )


class StaffChannelMixin(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class StaffDrawForm(DrawForm, StaffChannelMixin):
    field_order = ["amount", "channel", "purpose"]


class StaffRepayForm(AmountForm, StaffChannelMixin):
    field_order = ["amount", "channel"]


class EodForm(forms.Form):
    """The last business date end of day should close (the head-office page)."""

    until = forms.DateField(
        label=_("Close up to and including"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
