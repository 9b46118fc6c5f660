"""Forms of the imported figures and the branch annual plans: parse the input, the services decide.

Percent values are typed in percentage points in these forms (85.3 means 85.3 %) and stored as fractions."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from puhui.kpi import figure_workbook as wb
from puhui.kpi.models import FigureUpload, Indicator

PERCENT_HELP = gettext_lazy("Percent indicators in percentage points: 85.3 means 85.3%.")


class FigureUploadForm(forms.Form):
    source_system = forms.ChoiceField(
        label=gettext_lazy("Source system"),
        choices=[(s, label) for s, label in FigureUpload.SourceSystem.choices if s in wb.FILE_SOURCES],
    )
    file = forms.FileField(label=gettext_lazy("Monthly workbook (.xlsx)"))


def value_from_text(text: str, unit: str) -> Decimal:
    """The typed value in the stored representation; ValidationError when it is no number."""
    value = wb.number_text_parse(text or "", percent_points=unit == Indicator.Unit.PERCENT)
    if value is None:
        raise forms.ValidationError(_("Enter a number."))
    return value


def value_for_input(value: Decimal | None, unit: str) -> str:
    """A stored value as the form shows it (0.853 → '85.3' for a percent)."""
    if value is None:
        return ""
    shown = value * 100 if unit == Indicator.Unit.PERCENT else value
    return f"{shown.normalize():f}"


class FigureEntryForm(forms.Form):
    indicator = forms.ChoiceField(label=gettext_lazy("Indicator"))
    scope = forms.ChoiceField(label=gettext_lazy("Scope"))
    period = forms.DateField(
        label=gettext_lazy("As of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    value = forms.CharField(label=gettext_lazy("Value"), max_length=40, help_text=PERCENT_HELP)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=wb.MAX_NOTE, required=False)

    def __init__(self, *args, indicators: list[Indicator], scopes: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.units = {i.code: i.unit for i in indicators}
        self.fields["indicator"].choices = [(i.code, f"{i.code} {i.name_zh}") for i in indicators]
        self.fields["scope"].choices = scopes

    def clean(self):
        cleaned = super().clean()
        unit = self.units.get(cleaned.get("indicator", ""))
        if unit is not None and "value" in cleaned:
            try:
                cleaned["value"] = value_from_text(cleaned["value"], unit)
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


class BranchPlanForm(forms.Form):
    """One value and one note field per indicator with branch targets."""

    def __init__(self, *args, indicators: list[Indicator], initial_values: dict[str, tuple], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        for indicator in indicators:
            value, note = initial_values.get(indicator.code, (None, ""))
            self.fields[f"value_{indicator.code}"] = forms.CharField(
                label=indicator.code,
                required=False,
                max_length=40,
                initial=value_for_input(value, indicator.unit),
            )
            self.fields[f"note_{indicator.code}"] = forms.CharField(
                label=_("Note"), required=False, max_length=wb.MAX_NOTE, initial=note
            )

    def clean(self):
        cleaned = super().clean()
        values = {}
        for indicator in self.indicators:
            text = (cleaned.get(f"value_{indicator.code}") or "").strip()
            note = (cleaned.get(f"note_{indicator.code}") or "").strip()
            try:
                values[indicator.code] = (value_from_text(text, indicator.unit) if text else None, note)
            except forms.ValidationError as exc:
                self.add_error(f"value_{indicator.code}", exc)
        cleaned["values"] = values
        return cleaned

    def rows(self):
        """(indicator, value field, note field) for the template."""
        return [(i, self[f"value_{i.code}"], self[f"note_{i.code}"]) for i in self.indicators]
