"""Forms of the staff workflow pages: they parse; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from puhui.deliberation.models import Campaign, PanelMember

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class CampaignForm(forms.Form):
    village = forms.ModelChoiceField(queryset=None, label=_("Village"), widget=forms.Select(attrs=SELECT))
    plan_year = forms.IntegerField(label=_("Plan year"), min_value=2016, max_value=2035, widget=forms.NumberInput(TEXT))
    kind = forms.ChoiceField(label=_("Kind"), choices=Campaign.Kind.choices, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class PanelMemberForm(forms.Form):
    evaluator = forms.ModelChoiceField(queryset=None, label=_("Evaluator"), widget=forms.Select(attrs=SELECT))
    category = forms.ChoiceField(label=_("Category"), choices=PanelMember.Category.choices, widget=forms.Select(SELECT))

    def __init__(self, *args, evaluators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = evaluators


class NoticeForm(forms.Form):
    objection_phone = forms.CharField(label=_("Phone for objections"), max_length=20, widget=forms.TextInput(TEXT))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea({**TEXT, "rows": 2}))


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])


class SigningForm(forms.Form):
    contract_number = forms.CharField(label=_("Contract number"), max_length=40, widget=forms.TextInput(TEXT))
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput({**TEXT, "type": "date"}))
