"""Forms of the capture pages: they only parse input; the services decide and may raise ProfileInvalid."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from puhui.core import ids
from puhui.core.validation_messages import invalid_value_message
from puhui.households.models import Household, Person, Photo
from puhui.households.profile_rules import ProfileInvalid

MONEY_FIELDS = {
    "annual_net_income": "annual_net_income_fen",
    "total_assets": "total_assets_fen",
    "debts": "debts_fen",
}
COORDINATE_PLACES = Decimal("0.000001")


def _text(label, max_length: int, *, required: bool = False, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg", **attrs}),
    )


def _money(label) -> forms.CharField:
    return _text(label, 20, inputmode="decimal", autocomplete="off")


def errors_add(form: forms.Form, exc: ProfileInvalid) -> None:
    """Put a service's refusals on the form's fields (or on the form when no field carries that name)."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


class MarksInvalidFields:
    """Bootstrap's red outline on every field that carries an error, from the form or from a service."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class HouseholdForm(MarksInvalidFields, forms.Form):
    number = _text(_("Household number"), 30, required=True, autocomplete="off")
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=None, empty_label=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    address = _text(_("Address"), 200, autocomplete="off")
    main_industry = _text(_("Main industry"), 40)
    annual_net_income = _money(_("Annual net income (yuan)"))
    total_assets = _money(_("Total assets (yuan)"))
    debts = _money(_("Debts (yuan)"))
    land_area_mu = forms.DecimalField(
        label=_("Land area (mu)"),
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "inputmode": "decimal"}),
    )
    is_low_income = forms.BooleanField(
        label=_("Low-income household"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    gps_lat = forms.CharField(required=False, widget=forms.HiddenInput)
    gps_lng = forms.CharField(required=False, widget=forms.HiddenInput)
    gps_accuracy_m = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, grids=None, household: Household | None = None, **kwargs):
        """grids: the grids a new household may go to; None when editing (the grid stays)."""
        self.household = household
        if household is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(household)
        super().__init__(*args, **kwargs)
        if grids is None:
            del self.fields["grid"]
        else:
            self.fields["grid"].queryset = grids
            if len(grids) == 1:  # the usual case: an account manager's one grid in the village
                self.fields["grid"].widget = forms.HiddenInput()
        if household is not None and household.address:
            self.fields["address"].help_text = _("An address is recorded; leave this empty to keep it.")

    @staticmethod
    def initial_from(household: Household) -> dict:
        # The address is personal data shown only through a reveal: it is never put back into the form.
        initial = {
            name: getattr(household, name)
            for name in ("number", "main_industry", "land_area_mu", "is_low_income", "gps_accuracy_m")
        }
        for form_name, model_name in MONEY_FIELDS.items():
            fen = getattr(household, model_name)
            initial[form_name] = "" if fen is None else ids.fen_to_yuan_str(fen)
        for name in ("gps_lat", "gps_lng"):
            value = getattr(household, name)
            initial[name] = "" if value is None else str(value)
        return initial

    def _clean_money(self, name: str) -> int | None:
        text = self.cleaned_data.get(name, "").strip()
        if not text:
            return None
        try:
            return ids.money_to_fen(text)
        except ids.InvalidValue as exc:
            raise forms.ValidationError(invalid_value_message(exc)) from None

    def clean_annual_net_income(self):
        return self._clean_money("annual_net_income")

    def clean_total_assets(self):
        return self._clean_money("total_assets")

    def clean_debts(self):
        return self._clean_money("debts")

    def _clean_coordinate(self, name: str, bound: int) -> Decimal | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        try:
            value = Decimal(text).quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or abs(value) > bound:
            raise forms.ValidationError(_("The location could not be read; press the location button again."))
        return value

    def clean_gps_lat(self):
        return self._clean_coordinate("gps_lat", 90)

    def clean_gps_lng(self):
        return self._clean_coordinate("gps_lng", 180)

    def clean(self):
        data = super().clean()
        if (data.get("gps_lat") is None) != (data.get("gps_lng") is None):
            raise forms.ValidationError(_("The location could not be read; press the location button again."))
        return data

    def household_fields(self) -> dict:
        """The cleaned values under the model's field names, for household_save."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in ("number", "main_industry", "land_area_mu", "is_low_income", "gps_lat", "gps_lng")
        }
        fields["gps_accuracy_m"] = data["gps_accuracy_m"] if data["gps_lat"] is not None else None
        for form_name, model_name in MONEY_FIELDS.items():
            fields[model_name] = data[form_name]
        address = data["address"]
        if address or self.household is None or not self.household.address:
            fields["address"] = address
        if "grid" in self.fields:
            fields["grid"] = data["grid"]
        return fields


class PersonForm(MarksInvalidFields, forms.Form):
    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        choices=Person.Relation.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    # Not stripped here: the name rule refuses control characters wherever they stand.
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        strip=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "autocomplete": "off"}),
    )
    id_number = _text(_("Resident ID number"), 30, autocomplete="off", autocapitalize="characters")
    phone = _text(_("Mobile phone"), 20, inputmode="tel", autocomplete="off")
    occupation = _text(_("Occupation"), 40)

    def __init__(self, *args, person: Person | None = None, **kwargs):
        # Full ID and phone are personal data: an edit starts empty and keeps the stored value when left so.
        self.person = person
        if person is not None and "initial" not in kwargs:
            kwargs["initial"] = {"relation": person.relation, "name": person.name, "occupation": person.occupation}
        super().__init__(*args, **kwargs)
        if person is not None:
            if person.id_masked:
                self.fields["id_number"].help_text = _("Recorded: %(masked)s. Leave empty to keep it.") % {
                    "masked": person.id_masked
                }
            if person.phone_masked:
                self.fields["phone"].help_text = _("Recorded: %(masked)s. Leave empty to keep it.") % {
                    "masked": person.phone_masked
                }

    def person_values(self) -> dict:
        """Keyword arguments for person_save; an empty ID or phone on an edit keeps the stored one."""
        data = self.cleaned_data
        values = {name: data[name] for name in ("relation", "name", "id_number", "phone", "occupation")}
        if self.person is not None:
            for name in ("id_number", "phone"):
                if not values[name].strip():
                    values[name] = getattr(self.person, name)
        return values


class PhotoForm(MarksInvalidFields, forms.Form):
    kind = forms.ChoiceField(
        label=_("What the photo shows"),
        choices=Photo.Kind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.FileInput(
            attrs={"class": "form-control form-control-lg", "accept": "image/*", "capture": "environment"}
        ),
    )
