"""Roles (DOMAIN §1). Each role is a Django group of the same code; a user may hold several."""

from django.utils.translation import gettext_lazy as _

HEAD_OFFICE = "head_office"
BRANCH_MANAGER = "branch_manager"
ACCOUNT_MANAGER = "account_manager"
LIAISON = "liaison"
EVALUATOR = "evaluator"
AUDITOR = "auditor"
FARMER = "farmer"

ROLE_LABELS = {
    HEAD_OFFICE: _("Head office (inclusive finance)"),
    BRANCH_MANAGER: _("Branch manager"),
    ACCOUNT_MANAGER: _("Account manager"),
    LIAISON: _("Liaison"),
    EVALUATOR: _("Evaluator"),
    AUDITOR: _("Auditor"),
    FARMER: _("Farmer"),
}
ALL_ROLES = tuple(ROLE_LABELS)

# Staff roles reach the staff pages and the staff API; evaluators and farmers have their own pages.
STAFF_ROLES = frozenset({HEAD_OFFICE, BRANCH_MANAGER, ACCOUNT_MANAGER, LIAISON, AUDITOR})
# These see the whole city.
CITY_WIDE_ROLES = frozenset({HEAD_OFFICE, AUDITOR})
# The household register import (DOMAIN §8; API.md: account_manager, head_office).
REGISTER_IMPORT_ROLES = frozenset({ACCOUNT_MANAGER, HEAD_OFFICE})
