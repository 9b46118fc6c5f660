"""整村农户导出: a village's households and members as a workbook, ID numbers and phones masked."""

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from puhui.households.models import Household, Person
from puhui.households.workbooks import text_cell_for_excel


def village_export_workbook(households) -> bytes:
    """The template's layout: one row per member, the household's figures on the head's row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Household profiles"))
    sheet.append(_export_headers())
    for household in households:
        members = sorted(household.members.all(), key=lambda m: (m.relation != Person.Relation.HEAD, m.pk))
        for index, person in enumerate(members or [None]):
            sheet.append(_export_row(sheet, household, person, with_household=index == 0))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _export_headers() -> list[str]:
    return [
        _("Household number"),
        _("Relation to the head"),
        _("Name"),
        _("Resident ID number (masked)"),
        _("Mobile phone (masked)"),
        _("Occupation"),
        _("Annual net income (yuan)"),
        _("Total assets (yuan)"),
        _("Debts (yuan)"),
        _("Land area (mu)"),
        _("Low-income household"),
        _("Profile completeness (%)"),
    ]


def _money_cell(sheet, fen: int | None):
    cell = WriteOnlyCell(sheet, value=None if fen is None else Decimal(fen).scaleb(-2))
    cell.number_format = "0.00"
    return cell


def _export_row(sheet, household: Household, person: Person | None, *, with_household: bool) -> list:
    """One member's row; the household's own figures go on its first (the head's) row, as in the template."""
    person_cells = (
        [person.get_relation_display(), person.name, person.id_masked, person.phone_masked, person.occupation]
        if person
        else ["", "", "", "", ""]
    )
    row = [text_cell_for_excel(sheet, str(v)) for v in (household.number, *person_cells)]
    if with_household:
        row += [
            _money_cell(sheet, household.annual_net_income_fen),
            _money_cell(sheet, household.total_assets_fen),
            _money_cell(sheet, household.debts_fen),
            household.land_area_mu,
            text_cell_for_excel(sheet, _("Yes") if household.is_low_income else _("No")),
            household.completeness,
        ]
    return row
