"""The KPI objects of the authorization matrix: figure uploads (each seen by its uploader and the city-wide
roles only) and the codes the KPI pages address, for the three villages of authz_world."""

from pathlib import Path

from openpyxl import Workbook

from puhui.kpi import figure_selectors
from puhui.kpi import figure_workbook as wb
from puhui.kpi.figures import figure_upload
from puhui.kpi.models import FigureUpload
from puhui.org import roles
from puhui.org.models import User


def _rejected_upload(user, folder: Path) -> FigureUpload:
    """A monthly workbook whose one row is refused (unknown indicator): an upload with an error list."""
    path = folder / f"figures-{user.username}.xlsx"
    workbook = Workbook()
    workbook.active.append(list(wb.HEADERS))
    workbook.active.append(["XX999", "", "city", "2017-04-30", "1", "", ""])
    workbook.save(path)
    source = FigureUpload.SourceSystem.CORE_BANKING
    return figure_upload(path=path, file_name="figures.xlsx", source_system=source, user=user).upload


def kpi_objects_build(objects, folder: Path) -> dict:
    """Uploads: 诸葛村's side by the branch manager, the neighbour's by head office (so the branch manager's
    "neighbour" upload is somebody else's), the outside one by 游埠支行's manager."""
    users = objects.users
    out_branch_manager = User.objects.get(username="authz-branch-out")
    return {
        "uploads": {
            "inside": _rejected_upload(users[roles.BRANCH_MANAGER], folder),
            "neighbour": _rejected_upload(users[roles.HEAD_OFFICE], folder),
            "outside": _rejected_upload(out_branch_manager, folder),
        },
        "indicator": figure_selectors.imported_indicators()[0].code,
    }
