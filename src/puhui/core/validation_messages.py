"""Translatable messages for the codes raised by puhui.core.ids.InvalidValue."""

from django.utils.translation import gettext_lazy as _

from puhui.core.ids import InvalidValue

MESSAGES = {
    "id_required": _("Enter the resident ID number."),
    "id_length": _("The resident ID number must have 18 characters."),
    "id_characters": _("The resident ID number must be 17 digits followed by a digit or X."),
    "id_checksum": _("The resident ID number fails its check digit."),
    "id_birth_date": _(
        "The birth date in the resident ID number is not a real date, is in the future, or is before 1900."
    ),
    "phone_required": _("Enter the mobile phone number."),
    "phone_format": _("The mobile phone number must be 11 digits beginning with 13 to 19."),
    "name_required": _("Enter the name."),
    "name_too_long": _("The name can have at most %(max)d characters."),
    "name_control_chars": _("The name must not contain control characters such as tabs or line breaks."),
    "money_required": _("Enter the amount."),
    "money_not_a_number": _("The amount must be a plain number such as 1200 or 1200.50, without separators."),
    "money_negative": _("The amount must not be negative."),
    "money_too_many_decimals": _("The amount can have at most two decimal places."),
    "money_too_large": _("The amount is too large."),
}

AREA_UNKNOWN_WARNING = _("The area code of this ID number is not in the register; please check it.")


def invalid_value_message(exc: InvalidValue) -> str:
    """The translated message for a refused value, with its parameters filled in."""
    return str(MESSAGES[exc.code]) % exc.params
