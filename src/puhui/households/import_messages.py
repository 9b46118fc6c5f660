"""Chinese (gettext) texts for the register problems found by households.register."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from puhui.core.ids import InvalidValue
from puhui.core.validation_messages import MESSAGES as VALUE_MESSAGES
from puhui.core.validation_messages import invalid_value_message


class ImportRefused(Exception):
    """The file as a whole cannot be imported (not a workbook, wrong headers, empty): nothing changed."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


ROW_MESSAGES = {
    "township_code_format": gettext_lazy("乡镇代码 must be 9 digits."),
    "village_code_format": gettext_lazy("村代码 must be 12 digits."),
    "number_required": gettext_lazy("户编号 is missing."),
    "number_too_long": gettext_lazy("户编号 can have at most %(max)d characters."),
    "relation_value": gettext_lazy("与户主关系 must be one of 户主, 配偶, 子女, 父母, 其他."),
    "id_typed_as_number": gettext_lazy(
        "The ID number was typed as a number and lost digits; format the column as text and type it again."
    ),
    "occupation_too_long": gettext_lazy("职业 can have at most %(max)d characters."),
    "control_characters": gettext_lazy("%(column)s cannot contain control characters such as tabs or line breaks."),
    "low_income_value": gettext_lazy("低收入农户 must be 是 or 否."),
    "no_head": gettext_lazy("This household has no 户主."),
    "second_head": gettext_lazy("This household already has a 户主 (row %(line)d)."),
    "household_codes_differ": gettext_lazy("乡镇代码 or 村代码 differs from the other rows of this household."),
    "id_repeated_in_file": gettext_lazy("This ID number already appears in row %(line)d."),
    "village_unknown": gettext_lazy("村代码 %(village)s does not exist."),
    "village_not_in_township": gettext_lazy("This village does not belong to the township given in 乡镇代码."),
    "village_out_of_scope": gettext_lazy("This village is outside your scope."),
    "id_in_other_household": gettext_lazy("This ID number is already registered to a person of another household."),
    "household_has_other_head": gettext_lazy("This household is already registered with another 户主."),
}
SAME_HOUSEHOLD_OTHER_ROW = gettext_lazy("同户其他成员有误")


def problem_text(code: str, params: dict) -> str:
    if code in ROW_MESSAGES:
        return str(ROW_MESSAGES[code]) % params if params else str(ROW_MESSAGES[code])
    if code in VALUE_MESSAGES:
        return invalid_value_message(InvalidValue(code, **params))
    return _("Invalid value (%(code)s).") % {"code": code}
