"""整村授信批量审批表: a village approval batch as a workbook for the file (ID numbers masked)."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from puhui.core.ids import fen_to_yuan_str


def batch_workbook(batch, proposals) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Approval sheet"))
    village = batch.campaign.village
    sheet.append([_("Whole-village credit batch approval sheet")])
    sheet.append(
        [
            f"{village.township.name} {village.name}",
            f"{_('Plan year')} {batch.campaign.plan_year}",
            f"{_('Submitted by')} {batch.submitted_by}",
            batch.submitted_at.strftime("%Y-%m-%d %H:%M"),
        ]
    )
    sheet.append(
        [
            _("No."),
            _("Household number"),
            _("Borrower"),
            _("ID number"),
            _("Panel score"),
            _("Score"),
            _("Grade"),
            _("Limit (yuan)"),
            _("Annual rate (%)"),
            _("Notice ends on"),
            _("Status"),
            _("Checker"),
            _("Decision reason"),
        ]
    )
    for n, p in enumerate(proposals, start=1):
        sheet.append(
            [
                n,
                p.household.number,
                p.borrower.name if p.borrower else "",
                p.borrower.id_masked if p.borrower else "",
                str(p.entry.panel_score) if p.entry.panel_score is not None else "",
                str(p.score) if p.score is not None else "",
                p.grade,
                fen_to_yuan_str(p.limit_fen),
                f"{p.rate:.2f}" if p.rate is not None else "",
                p.notice.ends_on.isoformat() if p.notice else "",
                str(p.get_status_display()),
                str(p.decided_by or ""),
                p.decision_reason,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
