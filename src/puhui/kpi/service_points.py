"""基础金融服务点 register (JC1): ATM, POS, 助农终端 and outlets per village with their active dates, and its
Excel import.

The import reads every row first, then applies the good rows in one transaction: a row is applied whole or
not at all, a bad row is listed with every reason and changes nothing, and a file that is not a workbook or
has other headers changes nothing. A point is keyed by (village, kind, name): importing the same file again
updates the dates and creates no duplicates.
"""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from puhui.core.upload_limits import UploadRefused, WorkbookLimits, workbook_rows_read
from puhui.kpi.models import ServicePoint
from puhui.org import roles
from puhui.org.models import Village

HEADERS = ("村代码", "类型", "名称", "启用日期", "停用日期")
KIND_WORDS = {
    "ATM": ServicePoint.Kind.ATM,
    "POS": ServicePoint.Kind.POS,
    "助农终端": ServicePoint.Kind.ASSIST_TERMINAL,
    "网点": ServicePoint.Kind.OUTLET,
    **{kind.value: kind for kind in ServicePoint.Kind},
}
REGISTER_ROLES = (roles.HEAD_OFFICE, roles.BRANCH_MANAGER)
NAME_MAX = 100
MB = 1024 * 1024
LIMITS = WorkbookLimits(max_bytes=10 * MB, max_rows=5_000, max_columns=26, max_unpacked_bytes=64 * MB)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ROW_MESSAGES = {
    "village_code_format": gettext_lazy("村代码 must be 12 digits."),
    "village_unknown": gettext_lazy("村代码 %(village)s does not exist."),
    "village_out_of_scope": gettext_lazy("This village is outside your scope."),
    "kind_value": gettext_lazy("类型 must be one of ATM, POS, 助农终端, 网点."),
    "name_required": gettext_lazy("名称 is missing."),
    "name_invalid": gettext_lazy("名称 can have at most 100 characters and no control characters."),
    "from_required": gettext_lazy("启用日期 is missing."),
    "date_format": gettext_lazy("%(column)s must be a date written YYYY-MM-DD."),
    "until_before_from": gettext_lazy("停用日期 is earlier than 启用日期."),
    "repeated_in_file": gettext_lazy("The same village, kind and name already appear in row %(line)d."),
}


class ServicePointImportRefused(Exception):
    """The file as a whole cannot be imported: nothing changed."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class ServicePointRow:
    line: int
    raw: tuple
    village_code: str = ""
    kind: str = ""
    name: str = ""
    active_from: datetime.date | None = None
    active_until: datetime.date | None = None
    problems: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class ServicePointImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)  # {"line", "values", "errors"}


def service_point_register_allowed(user) -> bool:
    return user.has_role(*REGISTER_ROLES)


def service_points_import(*, user, path: Path) -> ServicePointImportResult:
    """Import a register workbook (``HEADERS``) in the user's scope: the good rows apply, the bad are listed."""
    if not service_point_register_allowed(user):
        raise PermissionDenied
    rows = [_row_parse(line, cells) for line, cells in _rows_read(path)]
    if not rows:
        raise ServicePointImportRefused(_("The workbook has no data rows under the header."))
    villages = _villages_check(rows, user)
    _repeats_check(rows)
    result = ServicePointImportResult(rows=len(rows))
    good = [row for row in rows if not row.problems]
    with transaction.atomic():
        _rows_apply(good, villages, user, result)
    result.rejected = [
        {
            "line": row.line,
            "values": ["" if v is None else str(v) for v in row.raw],
            "errors": [
                str(ROW_MESSAGES[code]) % params if params else str(ROW_MESSAGES[code]) for code, params in row.problems
            ],
        }
        for row in rows
        if row.problems
    ]
    return result


def _rows_read(path: Path) -> list[tuple[int, tuple]]:
    try:  # size, zip-bomb, row and column limits before the reader allocates anything
        sheet = workbook_rows_read(path, LIMITS)
    except UploadRefused as exc:
        raise ServicePointImportRefused(exc.message) from exc
    header = [str(cell).strip() for cell in sheet[0]] if sheet else []
    if tuple(header[: len(HEADERS)]) != HEADERS or any(header[len(HEADERS) :]):
        raise ServicePointImportRefused(
            _("The first row must be the template's headers: %(headers)s.") % {"headers": "、".join(HEADERS)}
        )
    padded = (
        (line, tuple(cells[: len(HEADERS)]) + ("",) * (len(HEADERS) - len(cells)))
        for line, cells in enumerate(sheet[1:], start=2)
    )
    return [(line, cells) for line, cells in padded if any(str(c).strip() for c in cells if c is not None)]


def _text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a code typed as a number: 12 digits survive a float exactly
    return "" if cell is None else str(cell).strip()


def _date(cell, column: str, row: ServicePointRow) -> datetime.date | None:
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = _text(cell)
    if not text:
        return None
    try:
        if not DATE_TEXT.match(text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        row.problems.append(("date_format", {"column": column}))
        return None


def _row_parse(line: int, cells: tuple) -> ServicePointRow:
    row = ServicePointRow(line=line, raw=cells)
    row.village_code = _text(cells[0])
    if not (len(row.village_code) == 12 and row.village_code.isascii() and row.village_code.isdigit()):
        row.problems.append(("village_code_format", {}))
    kind = KIND_WORDS.get(_text(cells[1])) or KIND_WORDS.get(_text(cells[1]).upper())
    if kind is None:
        row.problems.append(("kind_value", {}))
    row.kind = kind or ""
    row.name = _text(cells[2])
    if not row.name:
        row.problems.append(("name_required", {}))
    elif len(row.name) > NAME_MAX or CONTROL.search(row.name):
        row.problems.append(("name_invalid", {}))
    if cells[3] is None or _text(cells[3]) == "":
        row.problems.append(("from_required", {}))
    else:
        row.active_from = _date(cells[3], HEADERS[3], row)
    row.active_until = _date(cells[4], HEADERS[4], row)
    if row.active_from and row.active_until and row.active_until < row.active_from:
        row.problems.append(("until_before_from", {}))
    return row


def _villages_check(rows: list[ServicePointRow], user) -> dict[str, Village]:
    # only well-formed codes reach the database (a NUL in a cell is no query parameter PostgreSQL takes)
    codes = {row.village_code for row in rows if not any(c == "village_code_format" for c, _p in row.problems)}
    known = {v.code: v for v in Village.objects.filter(code__in=codes)}
    mine = set(Village.objects.visible_to(user).filter(code__in=codes).values_list("code", flat=True))
    for row in rows:
        if any(code == "village_code_format" for code, _params in row.problems):
            continue
        if row.village_code not in known:
            row.problems.append(("village_unknown", {"village": row.village_code}))
        elif row.village_code not in mine:
            row.problems.append(("village_out_of_scope", {}))
    return known


def _repeats_check(rows: list[ServicePointRow]) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (row.village_code, row.kind, row.name)
        if key in seen:
            row.problems.append(("repeated_in_file", {"line": seen[key]}))
        else:
            seen[key] = row.line


def _rows_apply(rows: list[ServicePointRow], villages: dict[str, Village], user, result) -> None:
    """Create or update the good rows: one read of the points they name, then one write per changed point."""
    village_ids = {villages[row.village_code].pk for row in rows}
    existing = {
        (point.village_id, point.kind, point.name): point
        for point in ServicePoint.objects.select_for_update().filter(village_id__in=village_ids)
    }
    fresh, changed = [], []
    for row in rows:
        point = existing.get((villages[row.village_code].pk, row.kind, row.name))
        if point is None:
            fresh.append(
                ServicePoint(
                    village=villages[row.village_code],
                    kind=row.kind,
                    name=row.name,
                    active_from=row.active_from,
                    active_until=row.active_until,
                )
            )
        elif (point.active_from, point.active_until) != (row.active_from, row.active_until):
            before = [str(point.active_from), str(point.active_until or "")]
            point.active_from, point.active_until = row.active_from, row.active_until
            changed.append((point, before))
        else:
            result.unchanged += 1
    created = ServicePoint.objects.bulk_create(fresh)
    ServicePoint.objects.bulk_update([point for point, _before in changed], ["active_from", "active_until"])
    for point in created:
        _audit(point, user, LogEntry.Action.CREATE, ["", ""])
    for point, before in changed:
        _audit(point, user, LogEntry.Action.UPDATE, before)
    result.created, result.updated = len(created), len(changed)


def _audit(point: ServicePoint, user, action, before: list[str]) -> None:
    after = [str(point.active_from), str(point.active_until or "")]
    LogEntry.objects.log_create(
        point,
        force_log=True,
        action=action,
        actor=user,
        changes={"active_from": [before[0], after[0]], "active_until": [before[1], after[1]]},
    )


def template_workbook(path: Path) -> Path:
    """The blank register template: the headers, and the code and date columns formatted as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "服务点登记"
    sheet.append(list(HEADERS))
    for letter, width in zip("ABCDE", (16, 12, 30, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in range(2, 1001):
        for letter in "ADE":
            sheet[f"{letter}{row}"].number_format = "@"
    workbook.save(path)
    return path
